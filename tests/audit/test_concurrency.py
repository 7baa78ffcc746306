"""Zones never wait for each other's audit chain (PostgreSQL: SQLite has one
writer at a time anyway). A zone-A transaction that has written an event and
stays open — a long ledger import — must not hold up a write in zone B;
writes in zone A itself still queue behind it, in order."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, connections, transaction

from shiji.audit.models import AuditEvent, chain_of
from shiji.audit.verify import verify_all
from shiji.orgs import services
from tests.conftest import make_tree, make_user

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="PostgreSQL only: SQLite has a single writer"
    ),
]

HOLD = 5.0  # how long zone A's transaction stays open
FAST = 2.0  # a zone-B write must be done well within that


@pytest.fixture
def zones(db):
    a = make_tree("za", "甲高新区", "江苏")
    b = make_tree("zb", "乙高新区", "广东")
    admin_a = make_user("admin_a", a.zone, [{"role": "zone_admin", "zone": a.zone}])
    admin_b = make_user("admin_b", b.zone, [{"role": "zone_admin", "zone": b.zone}])
    return a, b, admin_a, admin_b


def hold_zone_a_open(a, admin_a, written: threading.Event, release: threading.Event):
    """In its own connection: write in zone A, then keep the transaction open."""
    try:
        with transaction.atomic():
            services.person_create(actor=admin_a, org=a.dept, name="长事务中的人")
            written.set()
            release.wait(HOLD)
    finally:
        connections.close_all()


def timed_write(admin, org, name, out: dict):
    try:
        started = time.monotonic()
        services.person_create(actor=admin, org=org, name=name)
        out["seconds"] = time.monotonic() - started
    finally:
        connections.close_all()


def test_a_zone_b_write_commits_while_zone_a_holds_its_chain(zones):
    a, b, admin_a, admin_b = zones
    written, release = threading.Event(), threading.Event()
    holder = threading.Thread(target=hold_zone_a_open, args=(a, admin_a, written, release))
    holder.start()
    try:
        assert written.wait(10), "zone A's write did not start"
        result: dict = {}
        writer = threading.Thread(target=timed_write, args=(admin_b, b.dept, "乙区新人", result))
        writer.start()
        writer.join(HOLD + 5)
        assert "seconds" in result, "the zone-B write did not finish"
        assert result["seconds"] < FAST, f"zone B waited {result['seconds']:.1f} s for zone A"
        assert holder.is_alive()  # zone A's transaction was open the whole time
    finally:
        release.set()
        holder.join(HOLD + 5)
    assert b.dept.people.filter(name="乙区新人").exists()
    assert a.dept.people.filter(name="长事务中的人").exists()
    assert verify_all().ok


def test_writes_in_the_same_zone_queue_and_keep_their_chain_whole(zones):
    a, _b, admin_a, _admin_b = zones
    written, release = threading.Event(), threading.Event()
    holder = threading.Thread(target=hold_zone_a_open, args=(a, admin_a, written, release))
    holder.start()
    try:
        assert written.wait(10)
        result: dict = {}
        writer = threading.Thread(target=timed_write, args=(admin_a, a.dept, "甲区新人", result))
        writer.start()
        time.sleep(1.0)
        assert "seconds" not in result  # waiting for zone A's chain head
        release.set()
        writer.join(HOLD + 5)
        assert "seconds" in result
    finally:
        release.set()
        holder.join(HOLD + 5)
    report = verify_all()
    assert report.ok
    seqs = list(
        AuditEvent.objects.filter(chain=chain_of(a.zone.pk))
        .order_by("seq")
        .values_list("seq", flat=True)
    )
    assert seqs == list(range(1, len(seqs) + 1))
