"""The ledger's lists at national scale (issue 12): the page's rows are
picked from the problem table by its indexes and only then joined (a
deferred join), the light and status counts can be answered from the
(zone, status, deadline) index, and 我的待办's list review has an index.

Plans are checked on SQLite, whose planner is deterministic for these
shapes. PostgreSQL's choice of an index-only scan for the counts depends on
the table's size and visibility map (a test table is read whole), so the
counts are checked by what they ask for: rows (COUNT(*) or a column of the
index), never the id, which no index but the primary key holds."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.models import Count
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from shiji.ledger import selectors
from shiji.ledger.models import Problem

sqlite_only = pytest.mark.skipif(
    connection.vendor != "sqlite", reason="SQLite's plan is the one checked here"
)


@pytest.fixture
def spread(world, make_problem):
    """Seven problems in two zones: deadlines out of code order, two sharing a
    day, one 长期坚持 (no deadline), in several states."""
    today = timezone.localdate()
    days = [9, 2, None, 2, 30, -3]
    statuses = [None, "in_progress", None, "cancelled", None, "in_progress"]
    made = [
        make_problem(world, deadline=None if d is None else today + dt.timedelta(days=d), status=s)
        for d, s in zip(days, statuses, strict=True)
    ]
    made.append(make_problem(world, zone="b", deadline=today + dt.timedelta(days=1)))
    return made


def _by_deadline(problems: list[Problem]) -> list[str]:
    """The order the list promises: dated first, earliest first, then by code."""
    dated = sorted((p for p in problems if p.deadline), key=lambda p: (p.deadline, p.code))
    undated = sorted((p for p in problems if not p.deadline), key=lambda p: p.code)
    return [p.code for p in dated + undated]


# The (zone, status, deadline) index, under the name Django gave it.
ZONE_INDEX = next(
    i.name for i in Problem._meta.indexes if i.fields == ["zone", "status", "deadline"]
)


def _plan(qs) -> list[tuple[int, int, str]]:
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
        return [(row[0], row[1], row[3]) for row in cursor.fetchall()]


# Deferred join ---------------------------------------------------------------


def test_pages_by_deadline_list_every_problem_once_in_deadline_then_code_order(
    world, spread, login
):
    client = login(world["sysadmin"])
    expected = _by_deadline(spread)
    seen = []
    for page in (1, 2, 3):
        body = client.get(
            "/api/v1/problems", {"sort": "deadline", "page": page, "page_size": 3}
        ).json()
        assert body["count"] == 7
        seen += [item["code"] for item in body["items"]]
    assert seen == expected


@pytest.mark.parametrize("sort", list(selectors.SORTS))
@pytest.mark.parametrize(
    "params", [{}, {"status": "in_progress"}, {"zone": "a"}, {"light": "green"}]
)
def test_a_page_holds_the_rows_of_plain_slicing_for_every_sort_and_filter(
    world, spread, sort, params
):
    user = world["sysadmin"]
    if "zone" in params:
        params = {**params, "zone": str(world.a.zone.pk)}
    qs = selectors.problem_filter(
        selectors.problems_visible_to(user=user), {**params, "sort": sort}, user=user
    )
    everything = list(qs)
    for start in range(0, 8, 2):
        page = list(selectors.problem_page(qs, start, start + 2))
        expected = everything[start : start + 2]
        assert [p["id"] for p in page] == [p.pk for p in expected]
        # The joined rows come with the page, names and light included.
        assert [
            (p["zone_short_name"], p["org_name"], p["category_name"], p["light"], p["status_label"])
            for p in page
        ] == [
            (p.zone.short_name, p.org.name, p.category.name, p.light, p.get_status_display())
            for p in expected
        ]


def test_the_list_pages_of_a_zone_user_follow_each_other_in_deadline_order(
    world, make_problem, login, monkeypatch
):
    from shiji.ledger import views

    monkeypatch.setattr(views, "PAGE_SIZE", 4)
    today = timezone.localdate()
    made = [make_problem(world, deadline=today + dt.timedelta(days=d)) for d in (5, 1, 4, 2, 3, 6)]
    make_problem(world, zone="b", deadline=today)  # another zone's: never shown
    client = login(world["zone_admin"])
    shown = []
    for page in (1, 2):
        response = client.get(reverse("ledger:list"), {"sort": "deadline", "page": page})
        assert response.status_code == 200
        assert response.context["page"].paginator.count == 6
        shown += [p["code"] for p in response.context["page"].object_list]
    assert shown == _by_deadline(made)


@sqlite_only
def test_all_zone_list_by_deadline_starts_from_the_problem_tables_deadline_index(world, spread):
    user = world["sysadmin"]
    qs = selectors.problem_filter(
        selectors.problems_visible_to(user=user), {"sort": "deadline"}, user=user
    )
    # The page's ids come from the problem table's deadline index alone:
    # never sorted whole, never joined to the zones or categories table.
    ids_plan = [detail for _ident, _parent, detail in _plan(selectors.page_ids(qs, 50, 100))]
    assert any("USING INDEX ledger_prob_deadlin" in d for d in ids_plan), ids_plan
    # Within a deadline the code is sorted ("RIGHT PART"), but the rows are not.
    assert "USE TEMP B-TREE FOR ORDER BY" not in ids_plan, ids_plan
    assert not any("campaigns_problemcategory" in d or "orgs_zone" in d for d in ids_plan)
    # Their rows are then read by primary key and joined, nothing sorted.
    rows_plan = _plan(selectors.page_rows([p.pk for p in spread]))
    first = rows_plan[0][2]
    assert first.startswith("SEARCH ledger_problem USING INTEGER PRIMARY KEY"), rows_plan
    assert not any("ORDER BY" in d for _i, _p, d in rows_plan), rows_plan


def test_a_pages_rows_are_read_by_primary_key_alone(world, spread):
    # With the list's filters repeated (the zone's, say), PostgreSQL read the
    # whole zone by its zone index and tested each row against the ids.
    where = selectors.page_rows([p.pk for p in spread]).query.where
    assert len(where.children) == 1
    assert where.children[0].lhs.target.name == "id"


@pytest.mark.parametrize(("who", "params", "expected"), [
    # The session, the user, the grants, the zones, the zone's orgs and
    # categories, the totals and lights (which also give the paginator its
    # count), the page's ids and their rows.
    ("zone_admin", {}, 9),
    # A light filter: the paginator counts the filtered list itself.
    ("zone_admin", {"light": "green"}, 10),
    # All zones: no orgs or categories until a zone is chosen.
    ("sysadmin", {"sort": "deadline"}, 7),
])  # fmt: skip
def test_the_list_page_is_a_fixed_number_of_queries(
    world, spread, make_problem, login, django_assert_num_queries, who, params, expected
):
    client = login(world[who])
    client.get(reverse("ledger:list"), params)
    with django_assert_num_queries(expected):
        assert client.get(reverse("ledger:list"), params).status_code == 200
    for _ in range(3):
        make_problem(world, status="in_progress")
    with django_assert_num_queries(expected):
        assert client.get(reverse("ledger:list"), params).status_code == 200


def test_a_page_is_two_queries_whatever_the_page(world, spread):
    user = world["sysadmin"]
    qs = selectors.problem_filter(
        selectors.problems_visible_to(user=user), {"sort": "deadline"}, user=user
    )
    with CaptureQueriesContext(connection) as queries:
        assert len(selectors.problem_page(qs, 0, 5)) == 5
    assert len(queries) == 2
    with CaptureQueriesContext(connection) as queries:
        assert selectors.problem_page(qs, 100, 150) == []
    assert len(queries) == 1


# Counts ----------------------------------------------------------------------


def test_the_lists_counts_count_rows_not_ids(world, spread, login):
    client = login(world["sysadmin"])
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("ledger:list"), {"sort": "deadline"})
    counts = [q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"]]
    assert counts
    assert not any('COUNT("ledger_problem"."id")' in sql for sql in counts), counts
    # By hand from the fixture: active and dated are those due in 9 days
    # (green: more than 7), 2 (yellow), 30 (green), -3 (red) in zone A and
    # in 1 day (yellow) in zone B; the one due in 2 days more is cancelled.
    lights = {light: n for light, _label, n in response.context["counts"]}
    assert lights == {"red": 1, "yellow": 2, "green": 2}
    assert response.context["totals"]["closed"] == 0
    assert response.context["totals"]["active"] == 6
    assert response.context["totals"]["counted"] == 6


# The list review of 我的待办 ---------------------------------------------------


@sqlite_only
def test_list_review_inbox_reads_the_review_state_index(world, spread):
    review = selectors.inbox_for(user=world["sysadmin"])["review"]
    plan = _plan(review.order_by())
    assert any("problem_review_state_idx" in detail for _i, _p, detail in plan), plan


@sqlite_only
def test_all_zone_figures_read_only_the_status_deadline_index(world, spread):
    visible = selectors.problems_visible_to(user=world["sysadmin"])
    groups = visible.order_by().values_list("status", "deadline").annotate(n=Count("*"))
    plan = [detail for _i, _p, detail in _plan(groups)]
    assert any("COVERING INDEX problem_status_deadline_idx" in d for d in plan), plan


@sqlite_only
def test_one_zones_figures_are_grouped_in_the_indexs_order(world, spread):
    # The (zone, status, deadline) index, read for the one zone in the
    # order of the groups: no sort.
    visible = selectors.problems_visible_to(user=world["zone_admin"])
    groups = visible.order_by().values_list("status", "deadline").annotate(n=Count("*"))
    plan = [detail for _i, _p, detail in _plan(groups)]
    assert plan == [f"SEARCH ledger_problem USING COVERING INDEX {ZONE_INDEX} (zone_id=?)"], plan


def test_the_light_in_python_is_the_light_in_the_query(world, make_problem):
    """``list_totals`` counts lights with ``light_of`` from grouped rows;
    the lists filter and sort with ``light_expression``: one rule. Every
    status at deadlines on each side of each boundary (set directly: only
    the light is under test)."""
    today = timezone.localdate()
    for days in (None, -30, -1, 0, 1, 7, 8, 40):
        make_problem(world, deadline=None if days is None else today + dt.timedelta(days=days))
    seen = set()
    for status in ("open", "in_progress", "submitted", "closed", "cancelled"):
        Problem.objects.update(status=status)
        rows = selectors.problems_in_scope(user=world["sysadmin"]).values_list(
            "status", "deadline", "light"
        )
        for status_, deadline, light in rows:
            assert selectors.light_of(status_, deadline, today) == light, (status_, deadline)
            seen.add(light)
    assert seen == {"red", "yellow", "green"}
