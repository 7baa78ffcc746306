"""The comparison of the zones a user can see: one row per zone with 显绩,
潜绩, the composite, the per-dimension scores and the flagged figures;
scoped by the user's grants, filtered by province, sortable by column, its
Excel export, and a number of queries that does not grow with the zones.

Zone A holds the fixture of tests/assessment/test_scores.py (显绩 87.5,
潜绩 83.3, 综合 85.4, one flagged figure). Zone B (广东) has one target and
one confirmed figure: 全员劳动生产率 27 against 30 → quality 显绩 90, so
显绩 90 and neither 潜绩 nor a composite.
"""

from __future__ import annotations

import io
import re

import openpyxl
import pytest
import time_machine
from django.urls import reverse

from shiji.assessment.services import measurement_confirm, target_set
from tests.assessment.test_scores import build_scores, records_off
from tests.conftest import make_tree

URL = reverse("assessment:compare")


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel("2026-12-01 10:00 +0800", tick=False):
        yield


def zone_b(world, enter):
    target_set(actor=world["outsider"], zone=world.b.zone, indicator="labor-productivity",
               period="2026", comparator="gte", value="30")  # fmt: skip
    m = enter("labor-productivity", "2026", "27", zone=world.b.zone, actor=world["outsider"])
    measurement_confirm(actor=world["sysadmin"], measurement=m)


@pytest.fixture
def fixture(world, enter, monkeypatch):
    records_off(monkeypatch)
    build_scores(world, enter)
    zone_b(world, enter)
    return world


def rows(page: str) -> dict[int, dict[str, str]]:
    """Per zone id, the cells of its row by their data- name."""
    out = {}
    for zone, body in re.findall(r'<tr data-zone="(\d+)">(.*?)</tr>', page, re.S):
        cells = dict(re.findall(r"<td data-([\w-]+)[^>]*>(.*?)</td>", body, re.S))
        out[int(zone)] = {k: re.sub(r"<[^>]+>", "", v).strip() for k, v in cells.items()}
    return out


def order(page: str) -> list[int]:
    return [int(z) for z in re.findall(r'<tr data-zone="(\d+)">', page)]


def test_each_zone_the_user_sees_has_a_row_with_both_scores_and_its_flags(fixture, login):
    r = login(fixture["national"]).get(URL)
    found = rows(r.content.decode())
    a, b = fixture.a.zone.pk, fixture.b.zone.pk

    assert r.status_code == 200 and set(found) == {a, b}
    assert (found[a]["visible"], found[a]["latent"], found[a]["composite"]) == (
        "87.5", "83.3", "85.4")  # fmt: skip
    assert (found[b]["visible"], found[b]["latent"], found[b]["composite"]) == ("90", "—", "—")
    assert found[a]["flagged"] == "1 项疑点" and found[b]["flagged"] == "0"
    page = r.content.decode()
    assert reverse("assessment:zone", args=[a]) + "?year=2026" in page


def test_the_dimension_cells_hold_each_dimensions_two_scores(fixture, login):
    page = login(fixture["national"]).get(URL).content.decode()
    body = re.search(rf'<tr data-zone="{fixture.a.zone.pk}">(.*?)</tr>', page, re.S)[1]
    cells = dict(re.findall(r'data-dimension="([\w-]+)">(.*?)</td>', body))

    assert cells == {
        "innovation-visible": "—", "innovation-latent": "—",
        "structure-visible": "97.5", "structure-latent": "75",
        "green-visible": "—", "green-latent": "80",
        "openness-visible": "75", "openness-latent": "—",
        "quality-visible": "90", "quality-latent": "95",
    }  # fmt: skip


def test_a_provincial_viewer_sees_only_the_zones_of_the_province(fixture, login):
    page = login(fixture["provincial"]).get(URL).content.decode()
    assert order(page) == [fixture.a.zone.pk]
    # A zone's own users see their zone only.
    assert order(login(fixture["liaison"]).get(URL).content.decode()) == [fixture.a.zone.pk]


def test_the_province_filter_narrows_the_rows(fixture, login):
    page = login(fixture["national"]).get(URL, {"province": "广东"}).content.decode()
    assert order(page) == [fixture.b.zone.pk]
    # A province the user cannot see filters nothing away.
    provincial = login(fixture["provincial"]).get(URL, {"province": "广东"}).content.decode()
    assert order(provincial) == [fixture.a.zone.pk]


def test_the_rows_sort_by_any_column_and_zones_without_a_score_come_last(fixture, login):
    client = login(fixture["national"])
    a, b = fixture.a.zone.pk, fixture.b.zone.pk

    def by(sort):
        return order(client.get(URL, {"sort": sort}).content.decode())

    assert by("-visible") == [b, a] and by("visible") == [a, b]
    assert by("-latent") == [a, b] and by("latent") == [a, b]  # B has none: last
    assert by("-flagged") == [a, b]
    assert by("-openness") == [a, b]
    assert by("name") == [b, a]  # 乙 before 甲 (by code point, as the database)
    assert by("nonsense") == by("name")
    page = client.get(URL, {"sort": "-visible"}).content.decode()
    assert 'href="?sort=visible"' in page  # the current column's link reverses it


def test_the_page_costs_the_same_queries_with_more_zones(
    world, enter, library, login, django_assert_num_queries
):
    client = login(world["national"])
    client.get(URL)
    with django_assert_num_queries(10) as first:
        client.get(URL)
    build_scores(world, enter)
    zone_b(world, enter)
    make_tree("zc", "丙高新区", "浙江")
    with django_assert_num_queries(len(first.captured_queries)):
        assert len(order(client.get(URL).content.decode())) == 3


def test_the_export_holds_the_rows_of_the_page(fixture, login):
    client = login(fixture["national"])
    r = client.get(reverse("assessment:compare_export"), {"sort": "-visible"})

    assert r.status_code == 200 and r["Content-Disposition"].startswith("attachment")
    ws = openpyxl.load_workbook(io.BytesIO(b"".join(r.streaming_content))).active
    data = list(ws.iter_rows(values_only=True))
    header = next(i for i, row in enumerate(data) if row[0] == "序号")
    assert data[header][:6] == ("序号", "高新区", "省份", "显绩", "潜绩", "综合")
    assert data[header][-1] == "疑点数据"
    body = data[header + 1 :]
    assert [row[1] for row in body] == ["乙高新区", "甲高新区"]  # as sorted on the page
    assert body[1][3:6] == (87.5, 83.3, 85.4) and body[1][-1] == 1
    assert body[0][3:6] == (90, None, None)
    # structure 显绩 and 潜绩 of zone A, after innovation's two columns.
    assert body[1][8:10] == (97.5, 75)
    provincial = login(fixture["provincial"]).get(reverse("assessment:compare_export"))
    ws = openpyxl.load_workbook(io.BytesIO(b"".join(provincial.streaming_content))).active
    assert [row[1] for row in ws.iter_rows(values_only=True) if isinstance(row[0], int)] == [
        "甲高新区"
    ]


def test_a_user_without_zones_sees_an_empty_comparison(world, library, login):
    r = login(world["nobody"]).get(URL)
    assert r.status_code == 200 and 'id="sj-no-zones"' in r.content.decode()
    # Without any role there is nothing to export.
    assert login(world["nobody"]).get(reverse("assessment:compare_export")).status_code == 403
