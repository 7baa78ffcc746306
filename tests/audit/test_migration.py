"""Existing deployments keep a verifiable trail: migration 0003 splits the old
global chain into one chain per zone (plus the system chain), signs it with
the configured key and records what the old rule found, broken or not."""

from __future__ import annotations

import datetime as dt
import importlib

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from shiji.audit.kinds import EventKind
from shiji.audit.models import SYSTEM_CHAIN, AuditChainHead, AuditEvent, chain_of
from shiji.audit.verify import verify_all
from shiji.orgs import services
from tests.conftest import SYSTEM, make_tree

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("audit", "0002_initial")]
legacy = importlib.import_module("shiji.audit.migrations.0004_rechain_data")


def latest() -> list[tuple[str, str]]:
    executor = MigrationExecutor(connection)
    return [key for key in executor.loader.graph.leaf_nodes() if key[0] == "audit"]


@pytest.fixture
def old_schema(db):
    """The database as the previous release left it (audit at 0002), with two
    zones; the test writes the old events, then migrates forward."""
    a = make_tree("za", "甲高新区", "江苏")
    b = make_tree("zb", "乙高新区", "广东")
    user = services.user_create(
        actor=SYSTEM, username="old_admin", password="Old-admin-2026", name="老管理员",
        grants=[{"role": "zone_admin", "zone": a.zone.pk}],
    )  # fmt: skip
    AuditEvent.objects.all().delete()  # the new-schema events of the setup
    AuditChainHead.objects.all().delete()
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    apps = executor.loader.project_state(BEFORE).apps
    try:
        yield apps, a, b, user
    finally:
        MigrationExecutor(connection).migrate(latest())


def write_old_chain(apps, rows):
    """Events as the old code wrote them: one global seq, unkeyed SHA-256."""
    Event = apps.get_model("audit", "AuditEvent")
    Head = apps.get_model("audit", "AuditChainHead")
    prev = legacy.GENESIS
    start = timezone.now() - dt.timedelta(days=3)
    for seq, (zone, actor, action, obj_type, obj_id, changes) in enumerate(rows, start=1):
        ev = Event(
            seq=seq, created_at=start + dt.timedelta(minutes=seq), actor_id=actor,
            actor_label="老管理员（old_admin）" if actor else "系统", zone_id=zone,
            action=action, object_type=obj_type, object_id=str(obj_id),
            object_repr=f"对象{seq}", changes=changes, note="", prev_hash=prev,
        )  # fmt: skip
        ev.hash = legacy.legacy_digest(ev)
        ev.save()
        prev = ev.hash
    Head.objects.create(id=1, seq=len(rows), hash=prev)


def migrate_forward():
    MigrationExecutor(connection).migrate(latest())


def test_an_intact_old_chain_is_split_per_zone_signed_and_verifies(old_schema):
    apps, a, b, user = old_schema
    rows = [
        (a.zone.pk, None, "org.create", "orgs.organization", a.dept.pk, {"name": [None, "x"]}),
        (b.zone.pk, None, "org.create", "orgs.organization", b.dept.pk, {"name": [None, "y"]}),
        (None, user.pk, "user.create", "orgs.user", user.pk, {"username": [None, "u"]}),
        (a.zone.pk, user.pk, "person.create", "orgs.person", a.dept.people.first().pk, {}),
        (a.zone.pk, user.pk, "org.update", "orgs.organization", a.dept.pk, {"name": ["x", "z"]}),
    ]
    write_old_chain(apps, rows)
    migrate_forward()

    report = verify_all()
    assert report.ok, [str(b) for b in report.breaks]
    zone_a = list(AuditEvent.objects.filter(chain=chain_of(a.zone.pk)).order_by("seq"))
    assert [(e.seq, e.action) for e in zone_a] == [
        (1, "org.create"), (2, "person.create"), (3, "org.update"),
    ]  # fmt: skip
    assert [e.org_id for e in zone_a] == [a.dept.pk] * 3  # scope anchors filled in
    assert AuditEvent.objects.get(chain=chain_of(b.zone.pk)).seq == 1
    system = list(AuditEvent.objects.filter(chain=SYSTEM_CHAIN).order_by("seq"))
    assert [e.action for e in system] == ["user.create", EventKind.AUDIT_RECHAIN]
    note = system[-1].note
    assert "5 条事件" in note and "完整" in note and "3 条链" in note
    assert system[-1].changes["legacy_breaks"] == [None, 0]
    # The chains keep growing from where the migration left them.
    services.person_create(actor=user, org=a.dept, name="迁移后的人")
    assert verify_all().ok


def test_a_broken_old_chain_still_migrates_and_the_breaks_are_on_record(old_schema):
    apps, a, _b, user = old_schema
    rows = [
        (a.zone.pk, user.pk, "org.create", "orgs.organization", a.dept.pk, {}),
        (a.zone.pk, user.pk, "org.update", "orgs.organization", a.dept.pk, {}),
        (a.zone.pk, user.pk, "org.update", "orgs.organization", a.dept.pk, {}),
    ]
    write_old_chain(apps, rows)
    # What the old admin's user delete did: SET_NULL on an actor the hash covered.
    apps.get_model("audit", "AuditEvent").objects.filter(seq=2).update(actor_id=None)
    migrate_forward()

    rechain = AuditEvent.objects.get(action=EventKind.AUDIT_RECHAIN)
    assert rechain.changes["legacy_breaks"] == [None, 1]
    assert "#2：内容与哈希不符" in rechain.note
    assert verify_all().ok  # the new chain is whole; the old break is on record
