"""The assessment API of DESIGN.md §6: its paths, shapes, status codes and
field errors, and the refused roles."""

from __future__ import annotations

import pytest

from shiji.assessment.models import Measurement, Target
from shiji.audit.models import AuditEvent

URL = "/api/v1/measurements"


def body(world, **kw):
    data = {
        "zone": world.a.zone.pk,
        "indicator": "industrial-output",
        "period": "2026Q1",
        "value": 312.5,
        "source": "清远市统计局",
    }
    data.update(kw)
    return data


def fields(response) -> set[str]:
    return {e["field"] for e in response.json().get("errors") or []}


def test_indicators_lists_code_name_kind_dimension_and_unit(world, library, api):
    r = api(world["liaison"]).get("/api/v1/indicators")
    assert r.status_code == 200
    items = r.json()["items"]
    output = next(i for i in items if i["code"] == "industrial-output")
    assert {k: output[k] for k in ("code", "name", "kind", "dimension", "unit")} == {
        "code": "industrial-output",
        "name": "规模以上工业总产值",
        "kind": "visible",
        "dimension": "structure",
        "unit": "亿元",
    }
    assert {i["kind"] for i in items} == {"visible", "latent"}
    latent = api(world["liaison"]).get("/api/v1/indicators?kind=latent").json()["items"]
    assert latent and all(i["kind"] == "latent" for i in latent)
    assert api(None).get("/api/v1/indicators").status_code == 401


def test_entering_answers_201_with_status_entered_and_flags(world, library, api):
    r = api(world["liaison"]).post(URL, body(world))
    assert r.status_code == 201, r.json()
    out = r.json()
    assert out["status"] == "entered" and out["flags"] == [] and out["value"] == "312.5"
    assert Measurement.objects.get(pk=out["id"]).entered_by == world["liaison"]

    r = api(world["liaison"]).post(
        URL, body(world, indicator="industrial-value-added", value="400")
    )
    assert r.status_code == 201
    flags = r.json()["flags"]
    assert [f["kind"] for f in flags] == ["relation"] and "工业增加值（400）" in flags[0]["reason"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"indicator": "gdp"}, "indicator"),
        ({"indicator": "GDP 总量"}, "indicator"),
        ({"period": "2026"}, "period"),
        ({"period": "上季度"}, "period"),
        ({"value": "三百"}, "value"),
        ({"value": -5}, "value"),
        ({"indicator": "rd-staff-share", "period": "2026", "value": 101}, "value"),
        ({"source": ""}, "source"),
        ({"zone": "甲"}, "zone"),
    ],
)
def test_bad_input_is_422_with_the_field(world, library, api, change, field):
    r = api(world["liaison"]).post(URL, body(world, **change))
    assert r.status_code == 422, r.json()
    assert field in fields(r)
    assert not Measurement.objects.exists()


def test_another_zone_is_404_and_a_viewer_403(world, library, api):
    assert api(world["outsider"]).post(URL, body(world)).status_code == 404
    assert api(world["national"]).post(URL, body(world)).status_code == 403
    assert api(world["leader"]).post(URL, body(world)).status_code == 403
    assert api(world["nobody"]).post(URL, body(world)).status_code == 404
    assert not Measurement.objects.exists()


def test_a_second_figure_for_the_period_is_409(world, library, api):
    assert api(world["liaison"]).post(URL, body(world)).status_code == 201
    assert api(world["secretary"]).post(URL, body(world, value=1)).status_code == 409


def test_confirm_is_200_403_for_the_one_who_entered_and_409_the_second_time(world, library, api):
    pk = api(world["liaison"]).post(URL, body(world)).json()["id"]

    assert api(world["liaison"]).post(f"{URL}/{pk}/confirm", {}).status_code == 403
    assert api(world["secretary"]).post(f"{URL}/{pk}/confirm", {}).status_code == 403
    assert api(world["outsider"]).post(f"{URL}/{pk}/confirm", {}).status_code == 404
    r = api(world["zone_admin"]).post(f"{URL}/{pk}/confirm", {"note": "已核对"})
    assert r.status_code == 200
    assert (r.json()["status"], r.json()["confirmed_by"]) == ("confirmed", "zone_admin")
    assert api(world["sysadmin"]).post(f"{URL}/{pk}/confirm").status_code == 409
    assert api(world["zone_admin"]).post(f"{URL}/999999/confirm").status_code == 404
    assert AuditEvent.objects.filter(action="measurement.confirm").count() == 1


def test_a_flagged_figure_needs_a_note_to_be_confirmed(world, library, api):
    api(world["liaison"]).post(URL, body(world, value=100))
    pk = (
        api(world["liaison"])
        .post(URL, body(world, indicator="industrial-value-added", value=150))
        .json()["id"]
    )
    r = api(world["zone_admin"]).post(f"{URL}/{pk}/confirm", {})
    assert r.status_code == 422 and fields(r) == {"note"}
    r = api(world["zone_admin"]).post(f"{URL}/{pk}/confirm", {"note": "口径不同，已核实"})
    assert r.status_code == 200
    assert r.json()["flags"][0]["note"] == "口径不同，已核实"


def test_correcting_a_locked_figure_is_a_new_row_listed_with_the_original(world, library, api):
    pk = api(world["liaison"]).post(URL, body(world)).json()["id"]
    api(world["zone_admin"]).post(f"{URL}/{pk}/confirm", {})

    assert (
        api(world["liaison"]).post(f"{URL}/{pk}/correct", {"value": 300, "reason": "x"}).status_code
        == 403
    )
    r = api(world["zone_admin"]).post(f"{URL}/{pk}/correct", {"value": 300})
    assert r.status_code == 422 and "reason" in fields(r)
    r = api(world["zone_admin"]).post(f"{URL}/{pk}/correct", {"value": 300, "reason": "修订数"})
    assert r.status_code == 201
    fixed = r.json()
    assert (fixed["corrects"], fixed["status"], fixed["is_current"]) == (pk, "entered", True)
    assert [f["kind"] for f in fixed["flags"]] == ["corrected_after_lock"]
    assert (
        api(world["zone_admin"])
        .post(f"{URL}/{pk}/correct", {"value": 1, "reason": "x"})
        .status_code
        == 409
    )

    listed = api(world["national"]).get(f"{URL}?zone={world.a.zone.pk}&period=2026Q1").json()
    assert listed["count"] == 2
    assert [(m["id"], m["is_current"]) for m in listed["items"]] == [
        (pk, False), (fixed["id"], True),
    ]  # fmt: skip
    assert api(world["outsider"]).get(f"{URL}?zone={world.a.zone.pk}").status_code == 404
    assert api(world["outsider"]).get(URL).json()["count"] == 0
    assert api(world["outsider"]).get(f"{URL}/{pk}").status_code == 404


def test_targets_are_set_by_the_task_force_for_each_year_and_the_plan(world, library, api):
    url = "/api/v1/targets"
    za = api(world["zone_admin"])
    for year, value in zip(range(2026, 2031), (700, 780, 860, 930, 1000), strict=True):
        data = {"zone": world.a.zone.pk, "indicator": "industrial-output", "period": str(year),
                "comparator": "gte", "value": value}  # fmt: skip
        assert za.post(url, data).status_code == 200
    r = za.post(url, {"zone": world.a.zone.pk, "indicator": "industrial-output",
                      "period": "十五五", "comparator": "gt", "value": 1000})  # fmt: skip
    assert r.status_code == 200 and r.json()["value"] == "1000"
    bad = za.post(url, {"zone": world.a.zone.pk, "indicator": "industrial-output",
                        "period": "明年", "comparator": "gt", "value": 1})  # fmt: skip
    assert bad.status_code == 422 and "period" in fields(bad)
    data = {"zone": world.a.zone.pk, "indicator": "revenue", "period": "2026",
            "comparator": "gt", "value": 1}  # fmt: skip
    refused = api(world["liaison"]).post(url, data)
    assert refused.status_code == 403
    assert Target.objects.filter(zone=world.a.zone).count() == 6

    items = api(world["liaison"]).get(f"{url}?zone={world.a.zone.pk}").json()["items"]
    assert [t["period"] for t in items] == ["2026", "2027", "2028", "2029", "2030", "十五五"]
    assert api(world["outsider"]).get(f"{url}?zone={world.a.zone.pk}").status_code == 404
