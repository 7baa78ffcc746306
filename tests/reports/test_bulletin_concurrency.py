"""Bulletin numbering under concurrent issue: issues of one series racing
each other get distinct, consecutive numbers (the series row is the lock),
and one draft issued twice at once is issued once. Runs on SQLite and on
PostgreSQL (DATABASE_URL), each with real threads and connections."""

from __future__ import annotations

import threading

import pytest
from django.db import connections

from shiji.audit.models import AuditEvent
from shiji.audit.verify import verify_all
from shiji.core.errors import Conflict
from shiji.reports import services
from shiji.reports.models import Bulletin
from tests.reports.conftest import approved, draft

pytestmark = pytest.mark.today("2026-07-01")
RACERS = 4


def _race(world, calls):
    start = threading.Barrier(len(calls))
    results: list[object] = []

    def run(call):
        try:
            start.wait(10)
            results.append(call())
        except Conflict as exc:
            results.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(c,)) for c in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


@pytest.mark.django_db(transaction=True)
def test_drafts_issued_at_once_get_distinct_consecutive_numbers(world, series):
    drafts = [draft(world, series, approved(world, title=f"动态{i}")) for i in range(RACERS)]
    admin = world["zone_admin"]
    results = _race(
        world,
        [lambda b=b: services.bulletin_issue(actor=admin, bulletin=b) for b in drafts],
    )
    assert all(isinstance(r, Bulletin) for r in results), results
    numbers = sorted(Bulletin.objects.values_list("number", flat=True))
    assert numbers == list(range(1, RACERS + 1))
    series.refresh_from_db()
    assert series.next_number == RACERS + 1
    assert AuditEvent.objects.filter(action="bulletin.issue").count() == RACERS
    assert verify_all().ok


@pytest.mark.django_db(transaction=True)
def test_one_draft_issued_twice_at_once_is_issued_once(world, series):
    bulletin = draft(world, series, approved(world))
    results = _race(
        world,
        [lambda who=w: services.bulletin_issue(actor=world[who], bulletin=bulletin)
         for w in ("zone_admin", "sysadmin")],
    )  # fmt: skip
    assert sorted(type(r).__name__ for r in results) == ["Bulletin", "Conflict"]
    bulletin.refresh_from_db()
    assert bulletin.number == 1
    series.refresh_from_db()
    assert series.next_number == 2
