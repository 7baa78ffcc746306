"""A zone's assessment page and its Excel export: 显绩 and 潜绩 side by
side with the composite next to them, the per-dimension and per-indicator
tables with the hand-computed numbers of tests/assessment/test_scores.py,
flags marked 疑点 with the confirmer's note, the formula, empty states,
scope and a pinned number of queries."""

from __future__ import annotations

import io
import re

import openpyxl
import pytest
import time_machine
from django.urls import reverse

from shiji.assessment.services import measurement_confirm
from tests.assessment.test_scores import NOTE, build_scores, records_off

# Reckoned on 1 December 2026 (test_scores.AS_OF): the default year is 2026.
TODAY = "2026-12-01 10:00 +0800"


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(TODAY, tick=False):
        yield


@pytest.fixture
def fixture(world, enter, monkeypatch):
    records_off(monkeypatch)
    build_scores(world, enter)
    return world


def page_of(client, zone, **query):
    return client.get(reverse("assessment:zone", args=[zone.pk]), query)


def text(html: str, element_id: str) -> str:
    found = re.search(rf'id="{element_id}"[^>]*>(.*?)</', html, re.S)
    assert found, element_id
    return found[1].strip()


def test_the_page_shows_visible_and_latent_side_by_side_and_the_composite_next_to_them(
    fixture, login
):
    r = page_of(login(fixture["leader"]), fixture.a.zone)
    page = r.content.decode()

    assert r.status_code == 200
    assert (text(page, "sj-visible"), text(page, "sj-latent")) == ("87.5", "83.3")
    assert text(page, "sj-composite") == "85.4"
    assert page.index("显绩") < page.index('id="sj-visible"') < page.index("潜绩")
    assert page.index('id="sj-latent"') < page.index('id="sj-composite"')


def test_the_dimension_table_gives_each_dimensions_two_scores(fixture, login):
    page = page_of(login(fixture["leader"]), fixture.a.zone).content.decode()

    rows = dict(re.findall(r'data-dimension="(\w+)">(.*?)</tr>', page, re.S))
    cells = {k: re.findall(r"<td data-\w+>(.*?)</td>", v) for k, v in rows.items()}
    assert cells == {
        "innovation": ["—", "—"],
        "structure": ["97.5", "75"],
        "green": ["—", "80"],
        "openness": ["75", "—"],
        "quality": ["90", "95"],
    }


def test_each_indicator_shows_value_target_progress_score_and_its_flag(fixture, login):
    page = page_of(login(fixture["leader"]), fixture.a.zone).content.decode()

    row = re.search(r'data-indicator="industrial-output">(.*?)</tr>', page, re.S)[1]
    assert "<strong data-value>190</strong>" in row and "2026Q1–2026Q2" in row
    assert "按进度折算 200" in row and "95%" in row and "“十五五”目标 1000" in row
    assert "1 项待确认，不计分" in row and "落后于轨迹" in row
    firms = re.search(r'data-indicator="high-tech-firms">(.*?)</tr>', page, re.S)[1]
    assert 'data-flag="jump"' in firms and "疑点" in firms and NOTE in firms
    assert "/assessment/figures/?zone=" in firms
    added = re.search(r'data-indicator="industrial-value-added">(.*?)</tr>', page, re.S)[1]
    assert "126%" in added and "<strong data-score>100</strong>" in added
    assert "达到轨迹" in added
    assert 'id="sj-flagged"' in page and 'id="sj-placeholder-weights"' in page
    assert "只计已确认的现行数据" in page and "min(完成进度, 100%)" in page  # the formula


def test_without_targets_the_page_links_to_the_targets_page(world, library, login):
    page = page_of(login(world["zone_admin"]), world.a.zone).content.decode()

    assert 'id="sj-no-targets"' in page and "去设定目标值" in page
    assert f"/assessment/targets/?zone={world.a.zone.pk}" in page
    assert 'id="sj-no-figures"' in page and "去填报或确认指标数据" in page
    assert text(page, "sj-visible") == "—" and text(page, "sj-composite") == "—"


def test_unconfirmed_figures_alone_leave_the_page_without_scores(world, enter, login):
    from shiji.assessment.services import target_set

    target_set(actor=world["zone_admin"], zone=world.a.zone, indicator="labor-productivity",
               period="2026", comparator="gte", value="30")  # fmt: skip
    enter("labor-productivity", "2026", "27")

    page = page_of(login(world["national"]), world.a.zone).content.decode()

    assert 'id="sj-no-figures"' in page and "待确认的数据不计分" in page
    assert "查看指标数据" in page and 'id="sj-no-targets"' not in page
    m = world.a.zone.measurements.get()
    measurement_confirm(actor=world["zone_admin"], measurement=m)
    page = page_of(login(world["national"]), world.a.zone).content.decode()
    assert text(page, "sj-visible") == "90"


def test_another_zone_is_404_and_a_bad_year_says_so(fixture, login):
    client = login(fixture["leader"])
    assert page_of(client, fixture.b.zone).status_code == 404
    r = page_of(client, fixture.a.zone, year="2031")
    assert r.status_code == 200 and 'id="sj-year-error"' in r.content.decode()
    assert text(r.content.decode(), "sj-visible") == "87.5"  # the default year, 2026
    assert "尚未设定 2027 年" in page_of(client, fixture.a.zone, year="2027").content.decode()


def test_the_figures_page_links_to_the_zone_page(fixture, login):
    r = login(fixture["leader"]).get(
        reverse("assessment:figures"), {"zone": fixture.a.zone.pk, "period": "2026Q1"}
    )
    assert reverse("assessment:zone", args=[fixture.a.zone.pk]) in r.content.decode()


def test_the_page_costs_the_same_queries_with_more_figures_and_zones(
    world, enter, library, login, django_assert_num_queries
):
    from tests.assessment.campaign_records import build

    client = login(world["national"])
    page_of(client, world.a.zone)
    with django_assert_num_queries(10) as first:
        page_of(client, world.a.zone)
    build_scores(world, enter)
    build_scores(world, enter, zone=world.b.zone, admin=world["sysadmin"],
                 enterer=world["outsider"])  # fmt: skip
    build(world)
    with django_assert_num_queries(len(first.captured_queries)):
        assert page_of(client, world.a.zone).status_code == 200


def test_the_export_holds_the_pages_numbers(fixture, login):
    client = login(fixture["leader"])
    r = client.get(reverse("assessment:zone_export", args=[fixture.a.zone.pk]), {"year": "2026"})

    assert r.status_code == 200 and r["Content-Disposition"].startswith("attachment")
    wb = openpyxl.load_workbook(io.BytesIO(b"".join(r.streaming_content)))
    ws = wb.active
    rows = list(ws.iter_rows(values_only=True))
    lines = [row[0] for row in rows[:7]]
    assert "显绩 87.5　潜绩 83.3　综合 85.4" in lines[1]
    assert any(str(line).startswith("结构优化和产业价值链：显绩 97.5，潜绩 75") for line in lines)
    header = rows.index(next(r for r in rows if r[0] == "序号"))
    table = {r[3]: r for r in rows[header + 1 :]}
    output = table["规模以上工业总产值"]
    assert (output[5], output[6], output[8], output[9], output[10], output[12]) == (
        190, "2026Q1–2026Q2", 400, 200, 95, 95)  # fmt: skip
    assert table["高新技术企业数"][14].startswith("2026 同比变动异常")
    assert len(table) == 18
    # Another zone's export is a 404, as its page.
    other = client.get(reverse("assessment:zone_export", args=[fixture.b.zone.pk]))
    assert other.status_code == 404
