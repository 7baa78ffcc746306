"""The audit trail is hash-chained: audit_verify catches an edited, a deleted
and a reordered event, and names the first broken one."""

import pytest
from django.core.management import CommandError, call_command

from shiji.audit.models import AuditChainHead, AuditEvent
from shiji.audit.selectors import timeline_for
from shiji.audit.verify import verify_chain
from shiji.orgs import services


def test_every_write_in_the_world_is_audited_and_the_chain_verifies(world, capsys):
    assert AuditEvent.objects.filter(action="org.create").count() == 12
    assert AuditEvent.objects.filter(action="person.create").count() == 10
    call_command("audit_verify")
    assert "校验通过" in capsys.readouterr().out


def test_an_edited_event_is_caught(world):
    victim = AuditEvent.objects.order_by("seq")[5]
    AuditEvent.objects.filter(pk=victim.pk).update(object_repr="篡改")
    report = verify_chain()
    assert not report.ok
    assert report.broken_seq == victim.seq
    with pytest.raises(CommandError, match=f"#{victim.seq}"):
        call_command("audit_verify")


def test_edited_changes_json_is_caught(world):
    victim = AuditEvent.objects.filter(action="person.create").order_by("seq").first()
    changes = dict(victim.changes)
    changes["name"] = [None, "冒名"]
    AuditEvent.objects.filter(pk=victim.pk).update(changes=changes)
    assert verify_chain().broken_seq == victim.seq


def test_a_deleted_event_is_caught(world):
    victim = AuditEvent.objects.order_by("seq")[3]
    AuditEvent.objects.filter(pk=victim.pk).delete()
    report = verify_chain()
    assert not report.ok
    assert report.broken_seq == victim.seq + 1


def test_deleting_the_last_event_is_caught(world):
    last = AuditEvent.objects.order_by("-seq").first()
    last.delete()
    report = verify_chain()
    assert not report.ok
    assert report.broken_seq == last.seq


def test_reordered_events_are_caught(world):
    first, second = AuditEvent.objects.order_by("seq")[2:4]
    # Swap their positions in the chain (seq is unique, so go through a spare value).
    AuditEvent.objects.filter(pk=first.pk).update(seq=10**9)
    AuditEvent.objects.filter(pk=second.pk).update(seq=first.seq)
    AuditEvent.objects.filter(pk=first.pk).update(seq=second.seq)
    report = verify_chain()
    assert not report.ok
    assert report.broken_seq == first.seq


def test_a_failed_write_leaves_no_event(world):
    before = AuditEvent.objects.count()
    head = AuditChainHead.objects.get().seq
    with pytest.raises(services.Invalid):
        services.org_create(
            actor=world["zone_admin"],
            zone=world.a.zone,
            parent=world.a.root,
            name=world.a.dept.name,  # duplicate name: refused
            kind="branch",
            sector="organ",
        )
    assert AuditEvent.objects.count() == before
    assert AuditChainHead.objects.get().seq == head


def test_timeline_lists_an_objects_events_with_old_and_new_values(world):
    org = services.org_update(actor=world["zone_admin"], org=world.a.dept, name="经发局党支部")
    events = list(timeline_for(org))
    assert [e.action for e in events] == ["org.create", "org.update"]
    assert events[1].changes["name"] == [world.a.dept.name, "经发局党支部"]
    assert events[1].actor == world["zone_admin"]
