"""The zone dashboard (统计报表): every figure against values counted by hand
on the records of tests/assessment/campaign_records.py, for the period
2026-03-01 – 2026-05-31, on 2026-05-31 (the lights and task lights are
read on that day).

Zone A (甲高新区), problems found in the period and not cancelled:
  p1 经济发展局党支部 (under 机关党委), category 1, closed 04-20, deadline 04-30
  p2 经济发展局党支部, category 1, closed 04-25, deadline 04-10 (late)
  p3 某科技公司党支部 (under 经济(社会)组织党委), category 1, in progress,
     deadline 05-01                                        → red on 05-31
  p4 某科技公司党支部, category 1, closed then reopened, deadline 06-30 → green
  p7 投资集团党委, category 2, open, deadline 06-10 (more than 7 days) → green
  lights (as the ledger list counts them: problems not closed, with a
  deadline): red 1 (p3), yellow 0, green 2 (p4 p7).
  by category: category 1 in progress 2, closed 2; category 2 open 1.
  by org: 机关党委 closed 2; 经济(社会)组织党委 in progress 2; 投资集团党委 open 1.
  found per week (weeks from Monday): 03-09: p1 (03-10), p2 (03-15); 03-16: p4;
  03-30: p3 (04-01); 05-04: p7 (05-10). Closed: week 04-20: p1 (04-20), p2 (04-25).
  closure 2/5 = 40.0 %; on time 1/2 = 50.0 %; relapsed 1 (p4).
  Study coverage 3/5 = 60.0 %: 机关党委 2/3 = 66.7 %, 经济(社会)组织党委 1/2 =
  50.0 %, 投资集团党委 no people (—).
  Tasks: t1 (due 04-15): accepted 1 (经济发展局党支部), reported late and pending
  are red on 05-31 (2); t2 (due 06-15): accepted 1.
  Feedback received in the period: f1 f2 f3, all 投诉 → 3; reply on time
  1/2 = 50.0 %; satisfaction 2/3 = 66.7 %.
  Rules (not bound to the period): 新建 issued r1 r2 r3 = 3, draft r4 = 1;
  issued in the period r1 r2 → 2.
"""

from __future__ import annotations

import io
import logging

import openpyxl
import pytest
from django.urls import reverse

from shiji.orgs.services import org_create
from shiji.reports import dashboards
from tests.assessment.campaign_records import END, START, module_fixtures
from tests.conftest import SYSTEM, make_tree
from tests.ledger.conftest import problem_maker

shared, world, records, _media_root = module_fixtures()
pytestmark = pytest.mark.today("2026-05-31")

PERIOD = {"from": START.isoformat(), "to": END.isoformat()}


def _dashboard(user, zone, **kw):
    return dashboards.zone_dashboard(user=user, zone=zone.pk, start=START, end=END, **kw)


def _table(panel):
    return {row.label: [cell.shown for cell in row.cells] for row in panel.rows}


def _values(panel):
    return {row.label: [cell.value for cell in row.cells] for row in panel.rows}


def test_the_zone_admin_sees_the_hand_counted_figures_of_the_whole_zone(world, records):
    a = world.a
    data = _dashboard(world["zone_admin"], a.zone)
    cards = {c.label: c.cell.shown for c in data.cards}
    assert cards == {
        "查摆问题数": "5",
        "红灯": "1",
        "销号率": "40.0%（2/5）",
        "按时整改率": "50.0%（1/2）",
        "学习覆盖率": "60.0%（3/5）",
        "任务按时完成率": "33.3%（1/3）",
        "建章立制数": "2",
        "群众反映按时答复率": "50.0%（1/2）",
        "群众满意率": "66.7%（2/3）",
    }
    assert _values(data.panel("lights")) == {"红灯": [1], "黄灯": [0], "绿灯": [2]}
    cat1, cat2 = (c.name for c in records.categories["a"][:2])
    # Columns: 待整改 整改中 待销号 已销号
    assert data.panel("categories").columns[1:] == ["待整改", "整改中", "待销号", "已销号"]
    assert _values(data.panel("categories")) == {cat1: [0, 2, 0, 2], cat2: [1, 0, 0, 0]}
    own = f"{a.root.name}（本级）"
    assert _values(data.panel("orgs")) == {
        a.organ.name: [0, 0, 0, 2],
        a.econ.name: [0, 2, 0, 0],
        a.soe.name: [1, 0, 0, 0],
    }
    assert own not in _values(data.panel("orgs"))  # nothing of its own
    weeks = {k: v for k, v in _values(data.panel("weeks")).items() if any(v)}
    assert weeks == {
        "2026-03-09": [2, 0],
        "2026-03-16": [1, 0],
        "2026-03-30": [1, 0],
        "2026-04-20": [0, 2],
        "2026-05-04": [1, 0],
    }
    assert _table(data.panel("on_time"))[a.organ.name] == ["100.0%（2/2）", "50.0%（1/2）", "0"]
    assert _table(data.panel("on_time"))[a.econ.name] == ["0.0%（0/2）", "—", "1"]
    assert _table(data.panel("coverage")) == {
        own: ["—", "0", "0"],
        a.organ.name: ["66.7%（2/3）", "3", "2"],
        a.econ.name: ["50.0%（1/2）", "2", "1"],
        a.soe.name: ["—", "0", "0"],
    }
    assert _values(data.panel("tasks")) == {"t1": [1, 0, 2], "t2": [1, 0, 0]}
    assert _values(data.panel("feedback")) == {"投诉": [3]}
    assert _values(data.panel("rules")) == {"新建": [1, 0, 3]}
    assert data.panel("rules").columns[1:] == ["起草", "审议", "印发"]


def test_each_figure_links_to_the_list_of_exactly_the_records_it_counts(world, records, login):
    a = world.a
    client = login(world["zone_admin"])
    data = _dashboard(world["zone_admin"], a.zone)
    red = data.panel("lights").rows[0].cells[0]
    page = client.get(red.url)
    assert page.status_code == 200
    assert records.problems["p3"].code in page.content.decode()
    for name in ("p1", "p2", "p4", "p7"):
        assert records.problems[name].code not in page.content.decode()
    # A category's closed problems: p1 and p2.
    closed = data.panel("categories").rows[0].cells[3]
    html = client.get(closed.url).content.decode()
    assert records.problems["p1"].code in html and records.problems["p2"].code in html
    assert records.problems["p3"].code not in html
    # A week's found problems: p1 and p2 (week of 03-09).
    week = next(r for r in data.panel("weeks").rows if r.label == "2026-03-09").cells[0]
    html = client.get(week.url).content.decode()
    assert records.problems["p1"].code in html and records.problems["p2"].code in html
    assert records.problems["p4"].code not in html


def test_a_secretary_sees_only_their_own_subtree(world, records):
    a = world.a
    data = _dashboard(world["secretary"], a.zone)
    assert data.org == a.dept
    cards = {c.label: c.cell.shown for c in data.cards}
    assert cards["查摆问题数"] == "2"  # p1 p2 (p5 cancelled, p6 before the period)
    assert cards["销号率"] == "100.0%（2/2）"
    assert cards["学习覆盖率"] == "66.7%（2/3）"
    assert list(_values(data.panel("orgs"))) == [f"{a.dept.name}（本级）"]
    assert _values(data.panel("feedback")) == {"投诉": [1]}  # f1 only (forwarded to the dept)
    assert _values(data.panel("tasks")) == {"t1": [1, 0, 0], "t2": [1, 0, 0]}


@pytest.mark.parametrize("who", ["secretary", "outsider", "provincial"])
def test_a_zone_or_org_outside_the_viewers_scope_is_not_found(client, world, records, login, who):
    a, b = world.a, world.b
    login(world[who])
    other_zone = b.zone if who != "outsider" else a.zone
    assert client.get(reverse("reports:zone", args=[other_zone.pk])).status_code == 404
    if who == "secretary":  # another org of the same zone
        url = reverse("reports:zone", args=[a.zone.pk]) + f"?org={a.firm.pk}"
        assert client.get(url).status_code == 404
        export = reverse("reports:zone_export", args=[a.zone.pk]) + f"?org={a.firm.pk}&table=lights"
        assert client.get(export).status_code == 404


def test_the_page_draws_every_panel_with_its_table_and_export(world, records, login):
    client = login(world["zone_admin"])
    url = reverse("reports:zone", args=[world.a.zone.pk])
    page = client.get(url, PERIOD)
    html = page.content.decode()
    assert page.status_code == 200
    for key in ("lights", "categories", "orgs", "weeks", "on_time", "coverage", "tasks"):
        assert f'id="sj-panel-{key}-table"' in html
        assert f'id="sj-panel-{key}-data"' in html  # the chart's data (json_script)
        assert f'data-export="{key}"' in html
    assert "vendor/echarts-6.1.0.min.js" in html and "shiji/charts.js" in html
    assert "统计期：2026-03-01 至 2026-05-31" in html


def test_an_unreadable_date_is_said_on_the_page_and_refused_by_the_export(world, records, login):
    client = login(world["zone_admin"])
    page = client.get(reverse("reports:zone", args=[world.a.zone.pk]), {"from": "2026-13-01"})
    assert page.status_code == 200
    assert "日期有误，已按默认统计期显示" in page.content.decode()
    export = client.get(
        reverse("reports:zone_export", args=[world.a.zone.pk]),
        {"from": "2026-06-01", "to": "2026-05-01", "table": "lights"},
    )
    assert export.status_code == 422
    unknown = client.get(
        reverse("reports:zone_export", args=[world.a.zone.pk]), {"table": "nothing"}
    )
    assert unknown.status_code == 404


def test_a_table_exports_to_excel_as_on_the_page(world, records, login):
    client = login(world["zone_admin"])
    response = client.get(
        reverse("reports:zone_export", args=[world.a.zone.pk]), {**PERIOD, "table": "coverage"}
    )
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    ws = book.worksheets[0]
    rows = [list(row) for row in ws.iter_rows(values_only=True)]
    header = next(r for r in rows if r and r[0] == "单位")
    assert list(header) == ["单位", "学习覆盖率（%）", "在册人数", "已参学人数"]
    body = rows[rows.index(header) + 1 :]
    assert [world.a.organ.name, 66.7, 3, 2] in [list(r) for r in body]
    assert int(ws.page_setup.paperSize) == 9  # A4


def test_the_dashboard_reads_a_fixed_number_of_queries(
    world, records, login, django_assert_max_num_queries
):
    """More zones, orgs and records change no query count."""
    client = login(world["zone_admin"])
    url = reverse("reports:zone", args=[world.a.zone.pk])
    client.get(url, PERIOD)  # warm: sessions, the URL resolver
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as before:
        assert client.get(url, PERIOD).status_code == 200
    # More of everything: another zone, new orgs under each branch, problems.
    make_tree("zc", "丙高新区", "江苏")
    a = world.a
    for parent in (a.organ, a.econ, a.soe):
        org_create(actor=SYSTEM, zone=a.zone, parent=parent, name=f"{parent.name}新支部",
                   kind="branch", sector="organ")  # fmt: skip
    make = problem_maker(records.categories)
    for _ in range(3):
        make(world, org=a.firm, found_on=START)
    with CaptureQueriesContext(connection) as after:
        assert client.get(url, PERIOD).status_code == 200
    assert len(after) == len(before)
    assert len(before) == DASHBOARD_QUERIES, [q["sql"][:120] for q in before.captured_queries]


# The page: session and user (2), the grants (1), then the figures (see
# reports/dashboards.py) and the layout's own.
DASHBOARD_QUERIES = 27


def test_reports_home_sends_each_reader_to_their_picture(client, world, records, login):
    a = world.a
    for who, target in (
        ("zone_admin", reverse("reports:zone", args=[a.zone.pk])),
        ("secretary", reverse("reports:zone", args=[a.zone.pk])),
        ("supervisor", reverse("reports:zone", args=[a.zone.pk])),
        ("national", reverse("reports:rollup")),
        ("provincial", reverse("reports:rollup")),
        ("sysadmin", reverse("reports:rollup")),
    ):
        login(world[who])
        response = client.get(reverse("reports:home"))
        assert response.status_code == 302, who
        assert response.url == target, who
    login(world["nobody"])
    assert client.get(reverse("reports:home")).status_code == 403


def test_a_replica_that_is_down_costs_a_log_line_not_an_error(
    world, records, login, broken_replica, caplog
):
    client = login(world["zone_admin"])
    with caplog.at_level(logging.WARNING, logger="shiji.reports.dashboards"):
        page = client.get(reverse("reports:zone", args=[world.a.zone.pk]), PERIOD)
    assert page.status_code == 200
    assert "40.0%" in page.content.decode() and "2/5" in page.content.decode()
    assert any("read replica is unavailable" in r.getMessage() for r in caplog.records)


def test_reports_read_from_the_replica_when_it_answers(world, replica):
    from django.db import router

    from shiji.ledger.models import Problem

    assert dashboards.report_reads(lambda: router.db_for_read(Problem)) == "replica"
    assert router.db_for_read(Problem) == "default"  # outside reports


def test_reports_read_from_the_primary_without_a_replica(world):
    from django.db import router

    from shiji.ledger.models import Problem

    assert dashboards.report_reads(lambda: router.db_for_read(Problem)) == "default"


def test_feedback_panel_is_left_out_where_there_is_no_open_door_data(world, records):
    b = world.b
    data = dashboards.zone_dashboard(user=world["outsider"], zone=b.zone.pk, start=START, end=END)
    assert "feedback" not in [p.key for p in data.panels]
    cards = {c.label for c in data.cards}
    assert "群众满意率" not in cards
    assert {c.label: c.cell.shown for c in data.cards}["销号率"] == "50.0%（1/2）"
