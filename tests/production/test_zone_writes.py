"""The load's writes in different zones do not wait for each other on
PostgreSQL (the bench's load checks the same in pg_locks while 50 clients
write in 50 zones). A zone-A progress note whose transaction stays open must
not hold up a progress note or a public submission in zone B — no row that
every zone's writes share (a code counter, a chain head, a settings row) —
while another write in zone A does queue behind it (the test can see a wait).
SQLite has one writer for the whole database: skipped there.
"""

from __future__ import annotations

import threading
import time

from django.db import connections, transaction

from shiji.ledger import services as ledger
from shiji.ledger.models import ProgressNote
from shiji.outreach.models import Feedback
from shiji.outreach.services.public import feedback_submit
from tests.audit.test_concurrency import FAST, HOLD
from tests.audit.test_concurrency import pytestmark as pytestmark  # PostgreSQL, transactions
from tests.ledger.conftest import create_categories, problem_maker


def hold_open(actor, problem, written: threading.Event, release: threading.Event) -> None:
    try:
        with transaction.atomic():
            ledger.problem_add_progress(actor=actor, problem=problem, text="长事务中的进展")
            written.set()
            release.wait(HOLD)
    finally:
        connections.close_all()


def timed(write, out: dict) -> None:
    try:
        started = time.monotonic()
        write()
        out["seconds"] = time.monotonic() - started
    finally:
        connections.close_all()


def test_zone_b_writes_do_not_wait_for_an_open_zone_a_write(world):
    make_problem = problem_maker(create_categories(world))
    problem_a = make_problem(world, zone="a", status="in_progress")
    problem_b = make_problem(world, zone="b", status="in_progress")
    problem_a2 = make_problem(world, zone="a", status="in_progress")
    admin_a, admin_b = world["zone_admin"], world["outsider"]
    written, release = threading.Event(), threading.Event()
    holder = threading.Thread(target=hold_open, args=(admin_a, problem_a, written, release))
    holder.start()
    same_zone: dict = {}
    try:
        assert written.wait(10), "zone A's write did not start"
        for write in (
            lambda: ledger.problem_add_progress(actor=admin_b, problem=problem_b, text="乙区进展"),
            lambda: feedback_submit(
                zone=world.b.zone,
                data={"kind": "suggestion", "content": "乙区群众的建议"},
                client="198.51.100.7",
            ),
        ):
            result: dict = {}
            writer = threading.Thread(target=timed, args=(write, result))
            writer.start()
            writer.join(HOLD + 5)
            assert "seconds" in result, "the zone-B write did not finish"
            assert result["seconds"] < FAST, f"zone B waited {result['seconds']:.1f} s"
        # The control: another zone-A write (its audit chain) waits.
        other = threading.Thread(
            target=timed,
            args=(
                lambda: ledger.problem_add_progress(
                    actor=admin_a, problem=problem_a2, text="甲区另一条进展"
                ),
                same_zone,
            ),
        )
        other.start()
        time.sleep(1.0)
        assert "seconds" not in same_zone, "zone A's second write did not wait"
        assert holder.is_alive()  # zone A's transaction was open the whole time
    finally:
        release.set()
        holder.join(HOLD + 5)
    other.join(HOLD + 5)
    assert "seconds" in same_zone
    assert ProgressNote.objects.filter(problem=problem_b, text="乙区进展").exists()
    assert ProgressNote.objects.filter(problem=problem_a, text="长事务中的进展").exists()
    assert Feedback.objects.filter(zone=world.b.zone, content="乙区群众的建议").exists()
