"""GET /api/v1/scores?zone=&year= (DESIGN.md §6): the shape
``{visible, latent, composite, dimensions: [...]}`` with the numbers of the
hand-computed fixture (tests/assessment/test_scores.py), scope (another zone
is a 404) and field errors (422)."""

from __future__ import annotations

import pytest
import time_machine

from tests.assessment.test_scores import NOTE, build_scores, records_off

URL = "/api/v1/scores"


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel("2026-12-01 10:00 +0800", tick=False):
        yield


@pytest.fixture
def fixture(world, enter, monkeypatch):
    records_off(monkeypatch)
    build_scores(world, enter)
    return world


def fields(response) -> set[str]:
    return {e["field"] for e in response.json().get("errors") or []}


def test_scores_give_visible_and_latent_apart_with_the_composite_beside(fixture, api):
    r = api(fixture["leader"]).get(f"{URL}?zone={fixture.a.zone.pk}")
    body = r.json()

    assert r.status_code == 200
    assert (body["visible"], body["latent"], body["composite"]) == (87.5, 83.3, 85.4)
    assert (body["zone"], body["year"], body["as_of"]) == (fixture.a.zone.pk, 2026, "2026-12-01")
    assert {d["code"]: (d["visible"], d["latent"]) for d in body["dimensions"]} == {
        "innovation": (None, None),
        "structure": (97.5, 75),
        "green": (None, 80),
        "openness": (75, None),
        "quality": (90, 95),
    }
    assert body["flagged"] == 1 and body["pending"] == 2 and body["placeholder_weights"] is True
    assert body["formula"] and len(body["items"]) == 18


def test_each_item_carries_value_target_progress_score_and_flags(fixture, api):
    body = api(fixture["leader"]).get(f"{URL}?zone={fixture.a.zone.pk}&year=2026").json()
    items = {i["indicator"]: i for i in body["items"]}

    output = items["industrial-output"]
    assert {k: output[k] for k in ("basis", "value", "period", "periods", "target",
                                   "target_compared", "plan_target", "progress", "on_track",
                                   "score", "weight_share", "pending")} == {
        "basis": "sum", "value": "190", "period": "2026Q1–2026Q2",
        "periods": ["2026Q1", "2026Q2"], "target": "400", "target_compared": "200",
        "plan_target": "1000", "progress": 95.0, "on_track": False, "score": 95.0,
        "weight_share": 0.5, "pending": 1,
    }  # fmt: skip
    assert items["industrial-value-added"]["score"] == 100.0
    assert items["energy-intensity"]["direction"] == "lower"
    flag = items["high-tech-firms"]["flags"][0]
    assert (flag["kind"], flag["period"], flag["note"]) == ("jump", "2026", NOTE)
    assert items["good-air-days"]["score"] is None and items["good-air-days"]["target"] is None


def test_a_year_without_data_has_null_scores(fixture, api):
    body = api(fixture["national"]).get(f"{URL}?zone={fixture.a.zone.pk}&year=2030").json()
    assert (body["visible"], body["latent"], body["composite"]) == (None, None, None)


def test_another_zone_is_404(fixture, api):
    r = api(fixture["leader"]).get(f"{URL}?zone={fixture.b.zone.pk}")
    assert r.status_code == 404
    assert api(fixture["provincial"]).get(f"{URL}?zone={fixture.b.zone.pk}").status_code == 404
    assert api(fixture["provincial"]).get(f"{URL}?zone={fixture.a.zone.pk}").status_code == 200


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("", "zone"),
        ("zone=abc", "zone"),
        ("zone=0", "zone"),
        ("zone=-3", "zone"),
        (f"zone={10**30}", "zone"),
        ("zone={a}&year=2025", "year"),
        ("zone={a}&year=2031", "year"),
        ("zone={a}&year=abc", "year"),
        ("zone={a}&year=99999", "year"),
    ],
)
def test_a_missing_or_bad_zone_or_year_is_422_with_the_field(world, library, api, query, field):
    r = api(world["national"]).get(f"{URL}?{query.format(a=world.a.zone.pk)}")
    assert r.status_code == 422, r.json()
    assert fields(r) == {field}


def test_signed_out_is_401(world, api):
    assert api(None).get(f"{URL}?zone={world.a.zone.pk}").status_code == 401
