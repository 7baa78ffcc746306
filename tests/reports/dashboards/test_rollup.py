"""The roll-up for national and provincial viewers, and its API
(``GET /api/v1/rollup?province=``): figures against values counted by hand
on tests/assessment/campaign_records.py for 2026-03-01 – 2026-05-31, on
2026-05-31.

Zone A (甲高新区, 江苏): problems 5, closed 2 → 40.0 %; on time 1/2; relapsed 1;
  red now 2 (p3, deadline 05-01, and p6, found 02-01 with deadline 03-01:
  red counts today's overdue items, whenever found); coverage 3/5 = 60.0 %;
  tasks 1/3; rules 2.
Zone B (乙高新区, 广东): problems 2 (q1 closed 03-30, q2 open, deadline 05-04 →
  red 1); closure 1/2 = 50.0 %; relapsed 0; coverage 0/5 = 0.0 % (nobody
  studied); no task → —; rules 1 (r5).
Categories by name (each zone has its own copy): category 1: A 4 + B 2 = 6;
  category 2: A 1.
Per month (found / closed): March A p1 p2 p4 + B q1 = 4 / B q1 = 1;
  April A p3 + B q2 = 2 / A p1 p2 = 2; May A p7 = 1 / 0.
"""

from __future__ import annotations

import io

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from shiji.reports import dashboards
from tests.assessment.campaign_records import END, START, module_fixtures
from tests.conftest import make_tree
from tests.ledger.conftest import problem_maker

shared, world, records, _media_root = module_fixtures()
pytestmark = pytest.mark.today("2026-05-31")

PERIOD = {"from": START.isoformat(), "to": END.isoformat()}


def _rollup(user, **kw):
    return dashboards.rollup(user=user, start=START, end=END, **kw)


def _table(panel):
    return {row.label: [cell.shown for cell in row.cells] for row in panel.rows}


def test_the_national_ranking_has_the_hand_counted_figures_most_red_first(world, records):
    data = _rollup(world["national"])
    a, b = world.a.zone.name, world.b.zone.name
    ranking = data.panel("ranking")
    assert ranking.columns == [
        "高新区", "查摆问题数", "红灯", "销号率", "按时整改率", "反弹数",
        "学习覆盖率", "任务按时完成率", "建章立制数", "群众反映按时答复率", "群众满意率",
    ]  # fmt: skip
    assert [r.label for r in ranking.rows] == [a, b]
    assert _table(ranking) == {
        a: ["5", "2", "40.0%（2/5）", "50.0%（1/2）", "1", "60.0%（3/5）", "33.3%（1/3）", "2",
            "50.0%（1/2）", "66.7%（2/3）"],
        b: ["2", "1", "50.0%（1/2）", "—", "0", "0.0%（0/5）", "—", "1", "—", "—"],
    }  # fmt: skip
    assert ranking.rows[0].url.startswith(reverse("reports:zone", args=[world.a.zone.pk]))
    assert _table(data.panel("provinces")) == {
        "广东": ["1", "2", "1", "50.0%（1/2）", "0.0%（0/5）"],
        "江苏": ["1", "5", "2", "40.0%（2/5）", "60.0%（3/5）"],
    }
    cat1, cat2 = (c.name for c in records.categories["a"][:2])
    assert _table(data.panel("categories")) == {cat1: ["6"], cat2: ["1"]}
    assert {r.label: [c.value for c in r.cells] for r in data.panel("trends").rows} == {
        "2026-03": [4, 1],
        "2026-04": [2, 2],
        "2026-05": [1, 0],
    }
    assert _table(data.panel("behind_red")) == {a: ["2"], b: ["1"]}
    assert list(_table(data.panel("behind_coverage"))) == [b, a]
    assert _table(data.panel("behind_relapse")) == {a: ["1"]}
    cards = {c.label: c.cell.shown for c in data.cards}
    assert cards["高新区数"] == "2" and cards["查摆问题数"] == "7" and cards["红灯"] == "3"
    assert cards["销号率"] == "42.9%（3/7）"


@pytest.mark.parametrize(
    ("sort", "first"), [("closure", "a"), ("-closure", "b"), ("coverage", "b"), ("-problems", "a")]
)
def test_the_ranking_sorts_by_any_column(world, records, sort, first):
    data = _rollup(world["national"], sort=sort)
    assert data.panel("ranking").rows[0].label == getattr(world, first).zone.name


def test_an_unknown_sort_is_the_default_order(world, records):
    assert _rollup(world["national"], sort="drop table").sort == "-red"


def test_a_provincial_viewer_sees_only_their_province_everywhere(world, records, login, client):
    a = world.a
    data = _rollup(world["provincial"])
    names = {a.zone.name}
    for panel in data.panels:
        if panel.key in ("ranking", "behind_red", "behind_coverage", "behind_relapse"):
            assert {r.label for r in panel.rows} <= names, panel.key
    assert "provinces" not in [p.key for p in data.panels]  # one province
    assert _table(data.panel("categories")) == {
        records.categories["a"][0].name: ["4"],
        records.categories["a"][1].name: ["1"],
    }
    assert {r.label: [c.value for c in r.cells] for r in data.panel("trends").rows} == {
        "2026-03": [3, 0],
        "2026-04": [1, 2],
        "2026-05": [1, 0],
    }
    login(world["provincial"])
    page = client.get(reverse("reports:rollup"), PERIOD).content.decode()
    assert a.zone.name in page and world.b.zone.name not in page
    export = client.get(reverse("reports:rollup_export"), {**PERIOD, "table": "ranking"})
    book = openpyxl.load_workbook(io.BytesIO(b"".join(export.streaming_content)))
    cells = [c for row in book.worksheets[0].iter_rows(values_only=True) for c in row]
    assert a.zone.name in cells and world.b.zone.name not in cells
    # Another province, by the page, the export or the API: not found.
    assert client.get(reverse("reports:rollup"), {"province": "广东"}).status_code == 404
    assert (
        client.get(
            reverse("reports:rollup_export"), {"province": "广东", "table": "ranking"}
        ).status_code
        == 404
    )
    assert client.get("/api/v1/rollup", {"province": "广东"}).status_code == 404
    # Drill-down stays inside: zone A's dashboard opens, zone B's is not found.
    assert client.get(reverse("reports:zone", args=[a.zone.pk])).status_code == 200
    assert client.get(reverse("reports:zone", args=[world.b.zone.pk])).status_code == 404


def test_a_national_viewer_filters_one_province(world, records):
    data = _rollup(world["national"], province="广东")
    assert [r.label for r in data.panel("ranking").rows] == [world.b.zone.name]
    with pytest.raises(dashboards.NotFound):
        _rollup(world["national"], province="西藏")


def test_zone_roles_see_only_whole_zones_in_the_rollup(world, records):
    assert [z.zone for z in _rollup(world["zone_admin"]).zones] == [world.a.zone]
    secretary = _rollup(world["secretary"])
    assert secretary.zones == [] and secretary.partial == [world.a.zone]


def test_the_api_gives_the_rollup_of_the_callers_scope(world, records, api):
    response = api(world["national"]).get("/api/v1/rollup")
    assert response.status_code == 200
    items = response.json()["items"]
    assert [i["zone"] for i in items] == [world.a.zone.pk, world.b.zone.pk]
    assert [i["red"] for i in items] == [2, 1]
    expected = dashboards.rollup_items(dashboards.rollup(user=world["national"]))
    assert [i["problems"] for i in items] == [e["problems"] for e in expected]
    assert items[0]["closure"].keys() == {"percent", "num", "den"}
    one = api(world["provincial"]).get("/api/v1/rollup?province=江苏").json()["items"]
    assert [i["zone"] for i in one] == [world.a.zone.pk]
    assert api(world["national"]).get("/api/v1/rollup?province=" + "x" * 51).status_code == 422
    assert api(world["nobody"]).get("/api/v1/rollup").status_code == 403
    assert api(None).get("/api/v1/rollup").status_code == 401


def test_the_rollup_reads_a_fixed_number_of_queries(world, records, login, client):
    """More zones, orgs and records change no query count."""
    login(world["national"])
    url = reverse("reports:rollup")
    client.get(url, PERIOD)
    with CaptureQueriesContext(connection) as before:
        assert client.get(url, PERIOD).status_code == 200
    make_tree("zc", "丙高新区", "贵州")
    make = problem_maker(records.categories)
    for _ in range(3):
        make(world, zone="b", found_on=START)
    with CaptureQueriesContext(connection) as after:
        assert client.get(url, PERIOD).status_code == 200
    assert len(after) == len(before) == ROLLUP_QUERIES, [
        q["sql"][:100] for q in after.captured_queries
    ]


ROLLUP_QUERIES = 16


def test_the_rollup_page_links_each_zone_to_its_dashboard(world, records, login, client):
    login(world["national"])
    html = client.get(reverse("reports:rollup"), {**PERIOD, "sort": "closure"}).content.decode()
    assert reverse("reports:zone", args=[world.b.zone.pk]) in html
    assert 'aria-sort="ascending"' in html
    assert 'id="sj-panel-ranking-data"' in html
