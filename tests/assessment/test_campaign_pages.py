"""The 运动实绩 page, its Excel export and its API: who sees which rows, the
figures as counted by hand (tests/assessment/test_campaign_scores.py writes
them out), links that land on exactly the counted records, and query counts
that do not grow with the number of zones, orgs or records."""

from __future__ import annotations

import html as htmllib
import io
import re

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from shiji.ledger.models import Problem
from tests.assessment.campaign_records import END, START, module_fixtures

PERIOD = {"from": START.isoformat(), "to": END.isoformat()}


shared, world, records, _media_root = module_fixtures()


def page(client, **params):
    return client.get(reverse("assessment:campaign"), {**PERIOD, **params})


def row_html(html: str, attr: str) -> str:
    found = re.search(rf"<tr[^>]*{attr}[^>]*>(.*?)</tr>", html, re.S)
    assert found, attr
    return found.group(1)


def figure(html: str, attr: str, key: str) -> str:
    """The visible text of one figure in the row marked ``attr``."""
    found = re.search(rf'data-figure="{key}"[^>]*>(.*?)</td>', row_html(html, attr), re.S)
    assert found, key
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", found.group(1))).strip()


def links(html: str, attr: str, key: str) -> list[str]:
    found = re.search(rf'data-figure="{key}"[^>]*>(.*?)</td>', row_html(html, attr), re.S)
    assert found, key
    return [htmllib.unescape(u) for u in re.findall(r'href="([^"]+)"', found.group(1))]


def codes(client, url: str) -> set[str]:
    """The 台账编号 a ledger list link shows."""
    r = client.get(url)
    assert r.status_code == 200
    return set(re.findall(r"ZA-\d{4}-\d{4}|ZB-\d{4}-\d{4}", r.content.decode()))


# Who sees what ---------------------------------------------------------------


def test_a_national_viewer_compares_every_zone(world, records, login):
    html = page(login(world["national"])).content.decode()
    assert f'data-zone="{world.a.zone.pk}"' in html and f'data-zone="{world.b.zone.pk}"' in html
    za, zb = f'data-zone="{world.a.zone.pk}"', f'data-zone="{world.b.zone.pk}"'
    assert figure(html, za, "closure") == "40.0% 2 / 5"
    assert figure(html, za, "study_coverage") == "60.0% 3 / 5"
    assert figure(html, za, "task_on_time") == "33.3% 1 / 3"
    assert figure(html, za, "rectification_on_time") == "50.0% 1 / 2"
    assert figure(html, za, "relapse") == "33.3% 1 / 3"
    assert figure(html, za, "extensions") == "3 涉及 2 个问题"
    assert figure(html, za, "rules") == "2"
    assert figure(html, za, "reply_on_time") == "50.0% 1 / 2"
    assert figure(html, za, "satisfaction") == "66.7% 2 / 3"
    assert figure(html, zb, "closure") == "50.0% 1 / 2"
    assert figure(html, zb, "rectification_on_time") == "— 0 / 0"
    assert figure(html, 'id="sj-campaign-total"', "closure") == "42.9% 3 / 7"


def test_a_provincial_viewer_sees_only_the_zones_of_the_province(world, records, login):
    html = page(login(world["provincial"])).content.decode()
    # One zone in 江苏: its org table, not the comparison.
    assert f'data-zone="{world.b.zone.pk}"' not in html
    assert world.b.zone.name not in html
    assert f'data-org="{world.a.organ.pk}"' in html
    client = login(world["provincial"])
    assert page(client, zone=world.b.zone.pk).status_code == 404


def test_the_zone_admin_sees_the_children_of_the_top_org_with_their_figures(world, records, login):
    html = page(login(world["zone_admin"])).content.decode()
    organ, econ, soe = (f'data-org="{o.pk}"' for o in (world.a.organ, world.a.econ, world.a.soe))
    assert figure(html, organ, "study_coverage") == "66.7% 2 / 3"
    assert figure(html, organ, "closure") == "100.0% 2 / 2"
    assert figure(html, econ, "relapse") == "100.0% 1 / 1"
    assert figure(html, econ, "satisfaction") == "50.0% 1 / 2"
    assert figure(html, soe, "study_coverage") == "— 0 / 0"
    # The whole zone as the total, the 党工委's own records as their own row.
    assert figure(html, 'id="sj-campaign-total"', "closure") == "40.0% 2 / 5"
    assert figure(html, "data-own", "problems") == "0"


def test_clicking_an_org_shows_its_children(world, records, login):
    client = login(world["zone_admin"])
    html = page(client).content.decode()
    drill = f"?zone={world.a.zone.pk}&amp;org={world.a.organ.pk}"
    assert drill in html
    html = page(client, zone=world.a.zone.pk, org=world.a.organ.pk).content.decode()
    dept = f'data-org="{world.a.dept.pk}"'
    assert figure(html, dept, "closure") == "100.0% 2 / 2"
    assert world.a.econ.name not in row_html(html, 'id="sj-campaign-total"')


def test_a_secretary_sees_only_their_own_subtree(world, records, login):
    client = login(world["secretary"])
    html = page(client).content.decode()
    assert f'data-org="{world.a.dept.pk}"' in html
    assert f'data-org="{world.a.firm.pk}"' not in html
    assert f'data-org="{world.a.organ.pk}"' not in html
    assert figure(html, 'id="sj-campaign-total"', "problems") == "2"
    assert page(client, org=world.a.organ.pk).status_code == 404
    assert page(client, zone=world.b.zone.pk).status_code == 404


def test_an_account_without_grants_is_told_what_to_do(world, login):
    html = page(login(world["nobody"])).content.decode()
    assert 'id="sj-campaign-empty"' in html and "联系系统管理员" in html


def test_every_definition_is_on_the_page(world, records, login):
    html = page(login(world["national"])).content.decode()
    for key in ("study_coverage", "task_on_time", "problems", "closure", "relapse", "rules"):
        assert f'id="def-{key}"' in html
    assert "曾经销号的问题数" in html


def test_bad_dates_are_field_errors(world, login):
    client = login(world["zone_admin"])
    r = client.get(reverse("assessment:campaign"), {"from": "2026-13-01"})
    assert r.status_code == 200 and "is-invalid" in r.content.decode()
    r = client.get(reverse("assessment:campaign"), {"from": "2026-05-01", "to": "2026-04-01"})
    assert "结束日期不能早于开始日期" in r.content.decode()


# Links land on exactly the counted records ----------------------------------


def test_ledger_links_show_exactly_the_problems_counted(world, records, login):
    client = login(world["national"])
    html = page(client).content.decode()
    za = f'data-zone="{world.a.zone.pk}"'
    p = {k: v.code for k, v in records.problems.items()}
    found = {p[k] for k in ["p1", "p2", "p3", "p4", "p7"]}  # p5 cancelled, p6 before
    assert codes(client, links(html, za, "problems")[0]) == found
    closed, counted = links(html, za, "closure")
    assert codes(client, counted) == found
    assert codes(client, closed) == {p["p1"], p["p2"]}
    on_time, dated = links(html, za, "rectification_on_time")
    assert codes(client, on_time) == {p["p1"]}
    assert codes(client, dated) == {p["p1"], p["p2"]}
    relapsed, ever = links(html, za, "relapse")
    assert codes(client, relapsed) == {p["p4"]}
    assert codes(client, ever) == {p["p1"], p["p2"], p["p4"]}
    assert codes(client, links(html, za, "extensions")[0]) == {p["p2"], p["p3"]}
    first_category = re.findall(
        r'data-figure="category"[^>]*>\s*<a href="([^"]+)"', row_html(html, za)
    )
    assert codes(client, htmllib.unescape(first_category[0])) == {
        p[k] for k in ["p1", "p2", "p3", "p4"]
    }


def test_an_org_rows_links_show_its_subtree_only(world, records, login):
    client = login(world["zone_admin"])
    html = page(client).content.decode()
    econ = f'data-org="{world.a.econ.pk}"'
    p = records.problems
    assert codes(client, links(html, econ, "problems")[0]) == {p["p3"].code, p["p4"].code}


def test_the_rules_link_lists_the_rules_issued_in_the_period(world, records, login):
    client = login(world["national"])
    html = page(client).content.decode()
    url = links(html, f'data-zone="{world.a.zone.pk}"', "rules")[0]
    shown = client.get(url).content.decode()
    assert "制度r1" in shown and "制度r2" in shown
    assert "制度r3" not in shown and "制度r4" not in shown and "制度r5" not in shown


def test_the_feedback_link_lists_the_items_received_in_the_period(world, records, login):
    client = login(world["zone_admin"])
    html = page(client, zone=world.a.zone.pk).content.decode()
    url = links(html, 'id="sj-campaign-total"', "reply_on_time")[0]
    shown = client.get(url).content.decode()
    f = records.feedback
    # f3 was never forwarded to an org: the org table (and its link) leave it out.
    assert f["f1"].number in shown and f["f2"].number in shown
    assert f["f3"].number not in shown and f["f4"].number not in shown


# Query counts -----------------------------------------------------------------


def _count(client, **params) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert page(client, **params).status_code == 200
    return len(ctx.captured_queries)


def test_the_comparison_page_does_not_query_more_with_more_zones(world, records, login):
    from tests.assessment.test_campaign_scores import _more

    client = login(world["national"])
    before = _count(client)
    for i in range(3):
        _more(world, records, f"q{i}")
    Problem.objects.filter(zone=world.a.zone).update(found_on=START)  # the same rows, dated in
    assert _count(client) == before
    # session, user, grants, zones; 8 for the figures (and JIT off on
    # PostgreSQL); the categories.
    assert before == 13


def test_the_org_page_does_not_query_more_with_more_orgs_and_records(world, records, login):
    from shiji.orgs import services as orgs

    client = login(world["zone_admin"])
    before = _count(client)
    for i in range(4):
        org = orgs.org_create(
            actor=world["sysadmin"],
            zone=world.a.zone,
            parent=world.a.root,
            name=f"新党委{i}",
            kind="committee",
            sector="soe",
        )
        orgs.person_create(actor=world["sysadmin"], org=org, name=f"新人{i}", position="干部")
    assert _count(client) == before
    # session, user, grants, zones, the zone's orgs; 8 for the figures (and
    # JIT off on PostgreSQL); the categories.
    assert before == 14


# Excel export -------------------------------------------------------------------


def test_the_export_holds_the_table(world, records, login):
    client = login(world["zone_admin"])
    r = client.get(reverse("assessment:campaign_export"), PERIOD)
    assert r.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(b"".join(r.streaming_content)))
    rows = [list(row) for row in book.active.iter_rows(values_only=True)]
    header = next(row for row in rows if row and row[0] == "单位")
    by_name = {row[0]: row for row in rows if row and row[0]}
    organ = by_name[world.a.organ.name]
    closure = header.index("销号率（%）")
    assert organ[closure] == 100.0 and organ[closure + 1] == "2/2"
    econ = by_name[world.a.econ.name]
    assert econ[header.index("反弹率（%）")] == 100.0
    assert econ[header.index("建章立制数")] == 1
    total = by_name[world.a.root.name]
    assert total[closure] == 40.0 and total[closure + 1] == "2/5"
    # Problems per category: a row per unit and category on their own sheet
    # (a column per category would not fit A4 across).
    assert not any(str(h).startswith("其中：") for h in header)
    cats = records.categories["a"]
    per_category = {
        (unit, category): n
        for unit, category, n in book["问题类别"].iter_rows(min_row=3, values_only=True)
    }
    assert per_category[(world.a.root.name, cats[0].name)] == 4
    assert per_category[(world.a.root.name, cats[1].name)] == 1


def test_the_export_of_another_zone_is_refused(world, records, login):
    client = login(world["zone_admin"])
    r = client.get(reverse("assessment:campaign_export"), {"zone": world.b.zone.pk})
    assert r.status_code == 404


# API ----------------------------------------------------------------------------


URL = "/api/v1/campaign-scores"


def test_api_compares_zones_for_a_national_viewer(world, records, api):
    r = api(world["national"]).get(URL + "?from=2026-03-01&to=2026-05-31")
    assert r.status_code == 200
    body = r.json()
    assert body["mode"] == "zones"
    a = next(i for i in body["items"] if i["zone"] == world.a.zone.pk)
    assert a["org"] is None and a["name"] == world.a.zone.name
    assert a["figures"]["closure"] == {"num": 2, "den": 5, "percent": "40.0"} or a["figures"][
        "closure"
    ] == {"num": 2, "den": 5, "percent": 40.0}
    assert a["figures"]["rules"] == 2 and a["figures"]["extensions"] == 3
    assert [c["count"] for c in a["figures"]["by_category"]] == [4, 1, 0]
    assert a["start"] == "2026-03-01" and a["end"] == "2026-05-31"


def test_api_lists_org_subtrees_of_a_zone(world, records, api):
    r = api(world["zone_admin"]).get(
        URL + f"?zone={world.a.zone.pk}&org={world.a.root.pk}&from=2026-03-01&to=2026-05-31"
    )
    body = r.json()
    assert body["mode"] == "orgs"
    econ = next(i for i in body["items"] if i["org"] == world.a.econ.pk)
    assert econ["figures"]["relapse"]["num"] == 1 and econ["figures"]["relapse"]["den"] == 1
    assert body["total"]["figures"]["problems"] == 5


def test_api_another_zone_or_org_is_404(world, records, api):
    client = api(world["zone_admin"])
    assert client.get(URL + f"?zone={world.b.zone.pk}").status_code == 404
    assert client.get(URL + f"?org={world.b.dept.pk}").status_code == 404
    assert api(world["secretary"]).get(URL + f"?org={world.a.organ.pk}").status_code == 404


@pytest.mark.parametrize(
    ("query", "field"),
    [("zone=abc", "zone"), ("from=2026-02-30", "from"), ("from=2026-05-01&to=2026-04-01", "to")],
)
def test_api_bad_parameters_are_field_errors(world, api, query, field):
    r = api(world["zone_admin"]).get(f"{URL}?{query}")
    assert r.status_code == 422
    assert field in str(r.json())


def test_a_leader_of_one_subtree_starts_at_that_subtree(world, records, login):
    html = page(login(world["leader"])).content.decode()
    # 机关党委's own records and its child 经济发展局党支部; the total is 机关党委's.
    assert f'data-org="{world.a.dept.pk}"' in html
    assert f'data-org="{world.a.econ.pk}"' not in html
    assert figure(html, 'id="sj-campaign-total"', "closure") == "100.0% 2 / 2"


@pytest.mark.parametrize(
    "query", ["late=2", "relapsed=yes", "found_from=2026-02-30", "cancelled=1", "extended=0"]
)
def test_api_ledger_score_filters_refuse_bad_values(world, api, query):
    r = api(world["zone_admin"]).get(f"/api/v1/problems?{query}")
    assert r.status_code == 422


def test_api_ledger_score_filters_select_the_counted_problems(world, records, api):
    r = api(world["national"]).get(
        f"/api/v1/problems?zone={world.a.zone.pk}&found_from=2026-03-01&found_to=2026-05-31"
        "&cancelled=0&late=0"
    )
    assert r.status_code == 200
    assert [i["code"] for i in r.json()["items"]] == [records.problems["p1"].code]
