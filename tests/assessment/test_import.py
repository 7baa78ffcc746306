"""A period's figures from the workbook: the template round trip, the dry
run that writes nothing, the all-or-nothing import through the entering
service, and bad workbooks reported by row and column."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from shiji.assessment.excel import (
    HEADERS,
    SHEET,
    ImportErrors,
    measurements_import,
    template_bytes,
)
from shiji.assessment.models import Measurement
from shiji.assessment.periods import parse_period
from shiji.audit.models import AuditEvent
from shiji.core.errors import Forbidden, Invalid, NotFound

Q1 = parse_period("2026Q1")


def filled(world, values: dict[str, tuple], *, extra: list[list] | None = None) -> io.BytesIO:
    """The template for zone A and 2026Q1 with (数值, 统计部门[, 报表名]) by code."""
    wb = load_workbook(io.BytesIO(template_bytes(zone=world.a.zone, period=Q1)))
    ws = wb[SHEET]
    for row in ws.iter_rows(min_row=3):
        code = row[0].value
        if code in values:
            for offset, value in enumerate(values[code]):
                row[4 + offset].value = value
    for cells in extra or []:
        ws.append(cells)
    out = io.BytesIO()
    wb.save(out)
    out.seek(0)
    out.name = "指标数据.xlsx"
    return out


def run(world, file, *, dry_run, actor=None, period="2026Q1"):
    return measurements_import(
        actor=actor or world["liaison"], zone=world.a.zone, period=period, file=file,
        dry_run=dry_run,
    )  # fmt: skip


def test_the_template_lists_the_periods_indicators_under_the_headers(world, library):
    wb = load_workbook(io.BytesIO(template_bytes(zone=world.a.zone, period=Q1)))
    ws = wb[SHEET]
    assert [c.value for c in ws[2]] == HEADERS
    codes = [r[0].value for r in ws.iter_rows(min_row=3)]
    assert "industrial-output" in codes and "rd-staff-share" not in codes  # yearly
    assert all(r[3].value == "2026Q1" for r in ws.iter_rows(min_row=3))
    assert ws.data_validations.dataValidation  # the code drop-down


def test_a_dry_run_shows_figures_and_flags_and_writes_nothing(world, library):
    file = filled(world, {"industrial-output": (200, "统计局", "月报"),
                          "industrial-value-added": (250, "统计局")})  # fmt: skip
    events = AuditEvent.objects.count()

    plan = run(world, file, dry_run=True)

    assert plan.ok and [f.indicator.code for f in plan.figures] == [
        "industrial-output", "industrial-value-added",
    ]  # fmt: skip
    assert [f["kind"] for f in plan.figures[1].flags] == ["relation"]
    assert not Measurement.objects.exists() and AuditEvent.objects.count() == events


def test_the_import_enters_every_figure_through_the_service(world, library):
    file = filled(
        world, {"industrial-output": (200.5, "统计局", "月报"), "revenue": (800, "统计局")}
    )

    plan = run(world, file, dry_run=False)

    figures = {m.indicator.code: m for m in Measurement.objects.all()}
    assert set(figures) == {"industrial-output", "revenue"} and len(plan.figures) == 2
    assert str(figures["industrial-output"].value.normalize()) == "200.5"
    assert figures["industrial-output"].report == "月报"
    assert all(m.status == "entered" and m.entered_by == world["liaison"] for m in figures.values())
    assert AuditEvent.objects.filter(action="measurement.enter").count() == 2


# row 3 is the first indicator; appended rows come after the template's
BAD = {
    "unknown_code": ({}, [["gdp", "", "", "2026Q1", 1, "统计局"]], "指标代码", "未知的指标代码"),
    "duplicate": ({"revenue": (1, "统计局")}, [["revenue", "", "", "2026Q1", 2, "统计局"]],
                  "指标代码", "重复"),
    "wrong_period": ({}, [["revenue", "", "", "2026Q2", 2, "统计局"]], "期间", "2026Q1"),
    "text_value": ({"revenue": ("八百", "统计局")}, [], "数值", "数字"),
    "share_over_100": ({"satisfaction": (120, "实绩平台")}, [], "数值", "0"),
    "missing_source": ({"revenue": (800, None)}, [], "统计部门", "请填写"),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(BAD))
def test_a_bad_row_is_reported_by_row_and_column_and_nothing_is_imported(world, library, case):
    values, extra, column, words = BAD[case]
    good = {"industrial-output": (200, "统计局")}
    file = filled(world, {**good, **values}, extra=extra)

    plan = run(world, file, dry_run=True)
    assert not plan.ok
    error = next(e for e in plan.errors if e["column"] == column)
    assert words in error["message"] and error["row"] >= 3

    with pytest.raises(ImportErrors) as caught:
        run(world, filled(world, {**good, **values}, extra=extra), dry_run=False)
    assert caught.value.errors == plan.errors
    assert not Measurement.objects.exists()


def test_a_period_with_figures_already_is_refused_by_row(world, library, enter):
    enter("revenue", "2026Q1", "800")
    plan = run(world, filled(world, {"revenue": (810, "统计局")}), dry_run=True)
    assert plan.errors[0]["column"] == "指标代码" and "已有数据" in plan.errors[0]["message"]


def test_files_that_are_not_the_template_are_refused(world, library):
    with pytest.raises(Invalid) as caught:
        run(world, io.BytesIO(b"not a workbook"), dry_run=True)
    assert "file" in caught.value.fields
    empty = filled(world, {})
    plan = run(world, empty, dry_run=True)
    assert "没有填写数值" in plan.errors[0]["message"]


def test_only_who_may_enter_figures_imports_and_another_zone_is_not_found(world, library):
    file = filled(world, {"revenue": (800, "统计局")})
    with pytest.raises(NotFound):
        run(world, file, dry_run=False, actor=world["outsider"])
    with pytest.raises(Forbidden):
        run(world, file, dry_run=False, actor=world["national"])
    assert not Measurement.objects.exists()


# The page and the API ------------------------------------------------------------------


def test_the_page_downloads_the_template_checks_then_imports(world, library, login):
    from django.urls import reverse

    client = login(world["liaison"])
    r = client.get(reverse("assessment:template"), {"zone": world.a.zone.pk, "period": "2026Q1"})
    assert r.status_code == 200 and r["Content-Type"].startswith("application/vnd.openxml")
    url = reverse("assessment:import")
    assert client.get(url, {"period": "2026Q1"}).status_code == 200

    file = filled(world, {"industrial-output": (200, "统计局"),
                          "industrial-value-added": (250, "统计局")})  # fmt: skip
    r = client.post(url, {"period": "2026Q1", "dry_run": "1", "file": file})
    assert r.status_code == 200 and 'data-flag="relation"' in r.content.decode()
    assert not Measurement.objects.exists()

    file = filled(world, {"industrial-output": (200, "统计局")},
                  extra=[["gdp", "", "", "2026Q1", 1, "统计局"]])  # fmt: skip
    r = client.post(url, {"period": "2026Q1", "file": file})
    assert r.status_code == 422 and "未知的指标代码" in r.content.decode()
    assert not Measurement.objects.exists()

    file = filled(world, {"industrial-output": (200, "统计局")})
    r = client.post(url, {"period": "2026Q1", "file": file})
    assert r.status_code == 302 and Measurement.objects.count() == 1


def test_the_api_imports_with_a_dry_run_and_reports_rows(world, library, api):
    url = "/api/v1/measurements/import"
    client = api(world["liaison"])
    data = {"zone": world.a.zone.pk, "period": "2026Q1", "dry_run": "true"}

    file = filled(world, {"industrial-output": (200, "统计局"),
                          "industrial-value-added": (250, "统计局")})  # fmt: skip
    r = client.post(url, {**data, "file": file}, format="multipart")
    assert r.status_code == 200, r.json()
    body = r.json()
    assert body["created"] == 0 and [f["indicator"] for f in body["figures"]] == [
        "industrial-output", "industrial-value-added",
    ]  # fmt: skip
    assert body["figures"][1]["flags"][0]["kind"] == "relation"
    assert not Measurement.objects.exists()

    bad = filled(world, {"revenue": ("八百", "统计局")})
    r = client.post(url, {**data, "dry_run": "false", "file": bad}, format="multipart")
    assert r.status_code == 422 and r.json()["code"] == "invalid_workbook"
    assert r.json()["errors"][0]["column"] == "数值" and r.json()["created"] == 0

    file = filled(world, {"revenue": (800, "统计局")})
    r = client.post(url, {**data, "dry_run": "false", "file": file}, format="multipart")
    assert r.status_code == 200 and r.json()["created"] == 1
    assert Measurement.objects.get().indicator.code == "revenue"

    r = api(world["outsider"]).post(url, {**data, "file": filled(world, {})}, format="multipart")
    assert r.status_code == 404
