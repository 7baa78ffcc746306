"""The roll-ups for all-zone viewers at national scale (issue 12): the
campaign scores and the zone comparison read each kind of record once,
grouped by zone, with no subquery per problem on the reviews, no ``IN``
over every problem's id, and (on SQLite) no date conversion per row, which
Django runs there as a Python function. At 174 zones these took the
national campaign page from 3.5 s to a few hundred milliseconds.

Plans are checked on SQLite, whose planner is deterministic for these
shapes; the SQL's shape (what no query may contain) on both databases."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.models import BooleanField, Case, DateField, DateTimeField, Value, When
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from shiji.assessment import campaign
from shiji.orgs.models import Zone
from tests.assessment.campaign_records import END, START, build

sqlite_only = pytest.mark.skipif(
    connection.vendor != "sqlite", reason="SQLite's plan is the one checked here"
)


@pytest.fixture
def records(world):
    return build(world)


def _figure_queries(world) -> list[str]:
    with CaptureQueriesContext(connection) as ctx:
        campaign.zone_figures(zone_ids=[world.a.zone.pk, world.b.zone.pk], start=START, end=END)
    return [q["sql"] for q in ctx.captured_queries if q["sql"].startswith("SELECT")]


def _plan(sql: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN QUERY PLAN " + sql)
        return [row[3] for row in cursor.fetchall()]


def test_no_figure_runs_a_subquery_per_problem_or_reads_every_problems_id(world, records):
    queries = _figure_queries(world)
    assert len(queries) == 8
    for sql in queries:
        # The reviews are joined, once, never an EXISTS per problem.
        assert 'FROM "ledger_review" U0' not in sql
        # Extensions join their problem instead of IN (every problem's id).
        assert 'IN (SELECT U0."id"' not in sql


@sqlite_only
def test_on_sqlite_no_date_is_converted_row_by_row(world, records):
    for sql in _figure_queries(world):
        assert "django_datetime_cast_date" not in sql
        assert "django_date" not in sql


@sqlite_only
def test_study_coverage_reads_the_attendance_index_alone(world, records):
    (study,) = [sql for sql in _figure_queries(world) if '"orgs_person"' in sql.split("FROM")[-1]]
    plan = _plan(study)
    assert any("COVERING INDEX attendance_person_present" in step for step in plan), plan


@sqlite_only
def test_no_correlated_subquery_on_problems_or_reviews(world, records):
    for sql in _figure_queries(world):
        plan = _plan(sql)
        correlated = "\n".join(plan)
        if "CORRELATED" in correlated:
            # Only the study (attendance) and the first answer of feedback
            # remain per row: both index probes on small sets.
            assert "ledger_" not in correlated, plan


@pytest.mark.parametrize("hour", [0, 7, 8, 23])
@pytest.mark.parametrize("days_after", [-1, 0, 1])
def test_a_moment_is_on_or_before_a_day_as_its_local_date_says(world, hour, days_after):
    """``_on_or_before`` (on SQLite: the instant against the start of the
    next local day) answers as ``moment's local date <= day``, around local
    midnight and around UTC midnight (08:00 in Asia/Shanghai)."""
    day = dt.date(2026, 3, 10)
    moment = timezone.make_aware(dt.datetime.combine(day, dt.time(hour, 30)))
    moment += dt.timedelta(days=days_after)
    condition = campaign._on_or_before(
        Value(moment, output_field=DateTimeField()), Value(day, output_field=DateField())
    )
    answer = (
        Zone.objects.annotate(
            ok=Case(
                When(condition, then=Value(True)),
                default=Value(False),
                output_field=BooleanField(),
            )
        )
        .values_list("ok", flat=True)
        .first()
    )
    assert answer == (timezone.localtime(moment).date() <= day)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's JIT")
@pytest.mark.django_db
def test_postgresql_connections_never_jit_compile_the_roll_up_queries():
    # Compiling the grouped study and feedback reads took longer than running
    # them (settings.py turns JIT off for every connection).
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"
