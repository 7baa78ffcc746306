"""Each 政绩考核 table as a workbook: the indicator library, a zone's figures
for a period and its targets. Opened with openpyxl and read against what
the pages show and the database holds; another zone is a 404."""

from __future__ import annotations

import io
from urllib.parse import unquote

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from shiji.assessment.models import Indicator
from shiji.assessment.services import (
    measurement_confirm,
    measurement_correct,
    period_lock,
    target_set,
)
from tests.paper import assert_prints_on_a4, page_numbers_printed, print_to_pdf

INDICATORS = reverse("assessment:indicators_export")
FIGURES = reverse("assessment:figures_export")
TARGETS = reverse("assessment:targets_export")


def sheet(response, *, printed: bool = True):
    """The workbook's one sheet as (title, info lines, header, rows of
    values), checked to print on A4 landscape with its header repeated."""
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml"
    )
    assert response["Cache-Control"] == "private, no-store"
    data = b"".join(response.streaming_content)
    response.data = data  # for a test that prints it
    ws = load_workbook(io.BytesIO(data)).worksheets[0]
    values = [list(r) for r in ws.iter_rows(values_only=True)]
    header_at = next(i for i, r in enumerate(values) if r[0] == "序号")
    if printed:
        at = f"${header_at + 1}:${header_at + 1}"
        assert_prints_on_a4(ws, landscape=True, header_rows=at, title=values[0][0])
    return ws.title, values[0][0], values[1:header_at], values[header_at], values[header_at + 1 :]


def filename(response) -> str:
    return unquote(response["Content-Disposition"].split("filename*=utf-8''")[-1])


# The indicator library ------------------------------------------------------------------


def test_the_indicator_library_exports_as_the_page_lists_it(world, library, login):
    client = login(world["national"])
    assert f'href="{INDICATORS}"' in client.get(reverse("assessment:home")).content.decode()

    name, title, _info, header, rows = sheet(client.get(INDICATORS))

    assert (name, title) == ("考核指标库", "国家高新区考核指标库")
    assert header[:4] == ["序号", "维度", "指标代码", "指标名称"]
    codes = [r[2] for r in rows]
    assert codes == list(
        Indicator.objects.filter(is_active=True)
        .order_by("dimension", "order", "code")
        .values_list("code", flat=True)
    )
    row = dict(zip(header, rows[codes.index("industrial-output")], strict=True))
    assert row == {
        "序号": codes.index("industrial-output") + 1,
        "维度": "结构优化和产业价值链",
        "指标代码": "industrial-output",
        "指标名称": "规模以上工业总产值",
        "类型": "显绩",
        "单位": "亿元",
        "方向": "越高越好",
        "权重": 0.3,
        "权重说明": "待确认",
        "统计周期": "季度",
        "取值范围": "0 – ",
        "数据来源": "统计部门",
        "指标说明": "规模以上工业企业当季工业总产值（当价）。",
    }
    satisfaction = dict(zip(header, rows[codes.index("satisfaction")], strict=True))
    assert (satisfaction["类型"], satisfaction["取值范围"], satisfaction["数据来源"]) == (
        "潜绩", "0 – 100", "实绩平台记录",
    )  # fmt: skip
    assert filename(client.get(INDICATORS)).startswith("考核指标库-")


# A zone's figures for a period ----------------------------------------------------------


@pytest.fixture
def quarter(world, enter):
    """Zone A's 2026Q1: the whole, a flagged part confirmed with a note, and
    a figure corrected after it was locked."""
    enter("industrial-output", "2026Q1", "200", report="规上工业主要指标")
    part = enter("industrial-value-added", "2026Q1", "250")
    measurement_confirm(actor=world["zone_admin"], measurement=part,
                        flag_notes={"relation": "口径不同，已核实"})  # fmt: skip
    revenue = enter("revenue", "2026Q1", "500")
    measurement_confirm(actor=world["zone_admin"], measurement=revenue)
    measurement_correct(actor=world["zone_admin"], measurement=revenue, value="510.5",
                        reason="统计局修订")  # fmt: skip


def by_name(header, rows):
    return {r[2]: dict(zip(header, r, strict=True)) for r in rows}


def test_a_zones_figures_export_as_the_figures_page_shows_them(world, quarter, login):
    client = login(world["national"])
    query = {"zone": world.a.zone.pk, "period": "2026Q1"}
    page = client.get(reverse("assessment:figures"), query).content.decode()
    assert f"{FIGURES}?zone={world.a.zone.pk}&amp;period=2026Q1" in page

    r = client.get(FIGURES, query)
    name, title, info, header, rows = sheet(r)

    assert (name, title) == ("指标数据", "甲高新区 2026 年第 1 季度考核指标数据")
    assert info[0][0] == "本期未锁定：数据可能仍会填报或确认"
    quarterly = Indicator.objects.filter(is_active=True, period_kind="quarter")
    assert len(rows) == quarterly.count() == page.count('data-indicator="')
    figures = by_name(header, rows)
    whole = figures["规模以上工业总产值"]
    assert (whole["数值"], whole["状态"], whole["单位"], whole["类型"]) == (
        200, "待确认", "亿元", "显绩",
    )  # fmt: skip
    assert (whole["统计部门"], whole["报表名"], whole["填报人"], whole["确认人"]) == (
        "统计局", "规上工业主要指标", "liaison", None,
    )  # fmt: skip
    part = figures["工业增加值"]
    assert (part["数值"], part["状态"], part["确认人"]) == (250, "已确认", "zone_admin")
    assert part["疑点与核实说明"] == (
        "指标关系不符：工业增加值（250）应不超过同期规模以上工业总产值（200）"
        "（核实说明：口径不同，已核实）"
    )
    assert part["确认日期"] is not None
    revenue = figures["营业收入"]
    assert (revenue["数值"], revenue["状态"]) == (510.5, "待确认")
    assert revenue["疑点与核实说明"].startswith("锁定后更正：更正已确认锁定的数据（原值 500")
    assert revenue["更正理由与历史"] == "更正理由：统计局修订\n原值 500（已确认，已被更正）"
    assert figures["群众满意度"]["状态"] == "未填报" and figures["群众满意度"]["数值"] is None
    assert filename(r).startswith("甲高新区-2026Q1考核指标数据-")


def test_the_figures_export_prints_on_a4(world, quarter, login, tmp_path, libreoffice_profile):
    r = login(world["zone_admin"]).get(FIGURES, {"zone": world.a.zone.pk, "period": "2026Q1"})
    sheet(r)

    pdf = print_to_pdf(r.data, name="指标数据", workdir=tmp_path, profile=libreoffice_profile)

    assert pdf.landscape and page_numbers_printed(pdf)
    assert min(pdf.printed_sizes()) >= 9.0 - 0.05
    assert not pdf.overprinted(), pdf.overprinted()[:3]
    reason = "指标关系不符：工业增加值（250）应不超过同期规模以上工业总产值（200）"
    assert pdf.cell_text(reason) == reason


def test_a_locked_periods_export_says_who_locked_it(world, enter, login):
    measurement_confirm(actor=world["zone_admin"],
                        measurement=enter("industrial-output", "2026Q1", "200"))  # fmt: skip
    period_lock(actor=world["zone_admin"], zone=world.a.zone, period="2026Q1")
    _n, _t, info, _h, _rows = sheet(
        login(world["liaison"]).get(FIGURES, {"zone": world.a.zone.pk, "period": "2026Q1"})
    )
    assert info[0][0].startswith("本期已锁定：zone_admin 于 ")


def test_the_figures_export_is_scoped_and_its_input_checked(world, quarter, login):
    query = {"zone": world.a.zone.pk, "period": "2026Q1"}
    assert login(world["outsider"]).get(FIGURES, query).status_code == 404
    national = login(world["national"])
    assert national.get(FIGURES, {"period": "2026Q1"}).status_code == 422  # which zone?
    assert national.get(FIGURES, {**query, "period": "明年"}).status_code == 422
    # A zone's own people need not name it.
    _n, title, *_rest = sheet(login(world["liaison"]).get(FIGURES, {"period": "2026Q1"}))
    assert title.startswith("甲高新区")


@pytest.mark.parametrize("more", [0, 1])
def test_the_figures_export_costs_the_same_queries_with_more_figures(
    world, enter, login, django_assert_num_queries, more
):
    client = login(world["zone_admin"])
    enter("industrial-output", "2026Q1", "200")
    if more:
        for code in ("revenue", "exports", "new-firms", "satisfaction"):
            enter(code, "2026Q1", "12.5")
    query = {"zone": world.a.zone.pk, "period": "2026Q1"}
    sheet(client.get(FIGURES, query))
    with django_assert_num_queries(7):
        sheet(client.get(FIGURES, query))


# Targets --------------------------------------------------------------------------------


def test_a_zones_targets_export_as_the_targets_page_shows_them(world, library, login):
    for period, value in (("2026", "620"), ("2030", "1000"), ("十五五", "1000")):
        target_set(actor=world["zone_admin"], zone=world.a.zone, indicator="industrial-output",
                   period=period, comparator="gt", value=value,
                   source="清远高新区“十五五”规划")  # fmt: skip
    target_set(actor=world["zone_admin"], zone=world.a.zone, indicator="revenue",
               period="2027", comparator="gte", value="560.5")  # fmt: skip
    client = login(world["liaison"])
    page = client.get(reverse("assessment:targets")).content.decode()
    assert f"{TARGETS}?zone={world.a.zone.pk}" in page

    r = client.get(TARGETS, {"zone": world.a.zone.pk})
    name, title, _info, header, rows = sheet(r)

    assert (name, title) == ("目标值", "甲高新区“十五五”目标与年度轨迹")
    assert header == ["序号", "指标", "单位", "2026", "2027", "2028", "2029", "2030", "十五五",
                      "来源"]  # fmt: skip
    assert len(rows) == page.count('data-indicator="') == 2
    by = {r[1]: r for r in rows}
    assert by["规模以上工业总产值"][2:] == [
        "亿元", "超过 620", None, None, None, "超过 1000", "超过 1000", "清远高新区“十五五”规划",
    ]  # fmt: skip
    assert by["营业收入"][3:9] == [None, "不低于 560.5", None, None, None, None]
    assert filename(r).startswith("甲高新区-目标值-")


def test_the_targets_export_is_scoped(world, library, login, django_assert_num_queries):
    target_set(actor=world["zone_admin"], zone=world.a.zone, indicator="revenue",
               period="2027", comparator="gte", value="560")  # fmt: skip
    assert login(world["outsider"]).get(TARGETS, {"zone": world.a.zone.pk}).status_code == 404
    assert login(world["national"]).get(TARGETS).status_code == 422
    client = login(world["zone_admin"])
    sheet(client.get(TARGETS))
    with django_assert_num_queries(6) as first:
        sheet(client.get(TARGETS))
    for year in ("2028", "2029"):
        target_set(actor=world["zone_admin"], zone=world.a.zone, indicator="exports",
                   period=year, comparator="gte", value="10")  # fmt: skip
    with django_assert_num_queries(len(first.captured_queries)):
        sheet(client.get(TARGETS))
