"""Handling feedback in the back office: every move, every refusal, the
database and the audit trail after each, the link to the ledger, 代录, the
zone's settings and disclosure."""

from __future__ import annotations

import pytest

from shiji.audit.models import AuditEvent
from shiji.core.errors import Conflict, Forbidden, Invalid, NotFound
from shiji.ledger.models import Problem
from shiji.orgs import policy
from shiji.outreach.models import Feedback, FeedbackStep, OutreachSettings
from shiji.outreach.selectors.feedback import (
    feedback_contact,
    feedback_get_for_user,
    feedback_inbox,
    feedback_visible_to,
)
from shiji.outreach.services.handling import (
    feedback_act,
    feedback_disclose,
    feedback_enter,
    feedback_merge_many,
    outreach_settings_update,
)
from shiji.outreach.services.intake import feedback_create
from tests.ledger.conftest import create_categories

PUBLIC = policy.system("portal")
PHONE, NAME = "13912345678", "韩梅梅"


def make_item(world, zone="a", **kw):
    values = {
        "kind": "complaint",
        "category": "business",
        "content": "园区东门路灯坏了一个月没人修",
        "name": NAME,
        "phone": PHONE,
    }
    values.update(kw)
    return feedback_create(actor=PUBLIC, zone=getattr(world, zone).zone, **values).feedback


def act(world, who, item, action, **kw):
    return feedback_act(actor=world[who], feedback=item, action=action, **kw)


def fresh(item):
    return Feedback.objects.get(pk=item.pk)


def events(item, action):
    return AuditEvent.objects.filter(
        object_type="outreach.feedback", object_id=str(item.pk), action=action
    )


@pytest.fixture
def item(world):
    return make_item(world)


def test_accept_moves_the_item_and_records_a_public_step_and_an_audit_event(world, item):
    act(world, "zone_admin", item, "accept")
    assert fresh(item).status == "accepted"
    step = FeedbackStep.objects.filter(feedback=item, action="accept").get()
    assert step.public_label == "已受理" and step.actor == world["zone_admin"]
    event = events(item, "feedback.accept").get()
    assert event.changes == {"status": ["received", "accepted"]}


def test_decline_needs_a_reason_which_the_submitter_sees(world, item):
    with pytest.raises(Invalid) as err:
        act(world, "zone_admin", item, "decline", note="  ")
    assert "note" in err.value.fields
    assert fresh(item).status == "received" and not events(item, "feedback.decline").exists()
    act(world, "zone_admin", item, "decline", note="不属于本区管辖，请向市里反映")
    got = fresh(item)
    assert got.status == "declined" and got.decline_reason == "不属于本区管辖，请向市里反映"
    step = FeedbackStep.objects.get(feedback=item, action="decline")
    assert step.public_label == "不予受理" and step.note == got.decline_reason
    assert events(item, "feedback.decline").get().note == got.decline_reason


def test_forward_gives_the_item_to_an_org_whose_secretary_then_sees_and_answers_it(world, item):
    secretary = world["secretary"]
    assert not feedback_visible_to(user=secretary).filter(pk=item.pk).exists()
    act(world, "zone_admin", item, "accept")
    act(world, "zone_admin", item, "forward", org=world.a.dept.pk)
    got = fresh(item)
    assert got.status == "forwarded" and got.org == world.a.dept
    assert feedback_get_for_user(user=secretary, pk=item.pk)
    assert not feedback_visible_to(user=world["firm_secretary"]).filter(pk=item.pk).exists()
    act(world, "secretary", item, "reply", reply="已安排维修，三日内修复")
    got = fresh(item)
    assert got.status == "reply_pending" and got.reply_draft == "已安排维修，三日内修复"
    assert got.reply == ""  # not published yet
    assert FeedbackStep.objects.get(feedback=item, action="reply").public_label == ""
    with pytest.raises(Forbidden):
        act(world, "secretary", item, "publish_reply")
    act(world, "zone_admin", item, "publish_reply", reply="已于本周修复路灯，感谢监督")
    got = fresh(item)
    assert got.status == "answered" and got.reply == "已于本周修复路灯，感谢监督"
    assert got.replied_at is not None
    assert events(item, "feedback.publish_reply").exists()


def test_forward_to_another_zones_org_is_a_field_error(world, item):
    act(world, "zone_admin", item, "accept")
    with pytest.raises(Invalid) as err:
        act(world, "zone_admin", item, "forward", org=world.b.dept.pk)
    assert "org" in err.value.fields
    with pytest.raises(Invalid):
        act(world, "zone_admin", item, "forward")
    assert fresh(item).status == "accepted"


def test_a_move_the_state_does_not_allow_is_a_conflict(world, item):
    with pytest.raises(Conflict):
        act(world, "zone_admin", item, "publish_reply")
    act(world, "zone_admin", item, "accept")
    with pytest.raises(Conflict):
        act(world, "zone_admin", item, "accept")
    with pytest.raises(Conflict):
        act(world, "zone_admin", item, "decline", note="重复")
    assert events(item, "feedback.accept").count() == 1


def test_an_unknown_action_is_a_field_error(world, item):
    with pytest.raises(Invalid) as err:
        act(world, "zone_admin", item, "approve")
    assert "action" in err.value.fields


@pytest.mark.parametrize("who", ["leader", "supervisor", "national", "sysadmin"])
def test_who_sees_an_item_but_may_not_handle_it_is_forbidden(world, item, who):
    if who == "sysadmin":  # the system admin handles; viewers and supervisors read
        act(world, who, item, "accept")
        return
    with pytest.raises((Forbidden, NotFound)) as err:
        act(world, who, item, "accept")
    assert isinstance(err.value, Forbidden) or who == "leader"
    assert fresh(item).status == "received"


@pytest.mark.parametrize("who", ["outsider", "secretary", "nobody"])
def test_who_cannot_see_the_item_gets_not_found(world, item, who):
    with pytest.raises(NotFound):
        act(world, who, item, "accept")
    with pytest.raises(NotFound):
        feedback_get_for_user(user=world[who], pk=item.pk)


def test_a_named_handler_handles_but_does_not_publish(world, item):
    settings = OutreachSettings.objects.get(zone=world.a.zone)
    settings.handlers.add(world["liaison"])
    act(world, "liaison", item, "accept")
    act(world, "liaison", item, "reply", reply="正在协调")
    with pytest.raises(Forbidden):
        act(world, "liaison", item, "publish_reply")
    with pytest.raises(Forbidden):
        feedback_contact(user=world["liaison"], feedback=item)


def test_to_problem_creates_a_public_problem_linked_both_ways(world, item):
    categories = create_categories(world)
    act(world, "zone_admin", item, "accept")
    with pytest.raises(Invalid) as err:  # not forwarded: the org must be named
        act(world, "zone_admin", item, "to_problem")
    assert "org" in err.value.fields
    act(world, "zone_admin", item, "to_problem", org=world.a.dept.pk)
    got = fresh(item)
    problem = got.problem
    assert got.status == "in_ledger"
    assert problem.source == "public" and problem.description == item.content
    assert problem.org == world.a.dept and problem.category == categories["a"][0]
    assert list(problem.feedback_items.all()) == [got]
    assert events(item, "feedback.to_problem").get().changes["problem"] == [None, problem.pk]
    assert AuditEvent.objects.filter(action="problem.create", object_id=str(problem.pk)).exists()


def test_to_problem_from_a_roundtable_channel_is_a_roundtable_problem(world):
    create_categories(world)
    item = make_item(world, channel="roundtable", name="", phone="")
    act(world, "zone_admin", item, "accept")
    act(world, "zone_admin", item, "forward", org=world.a.dept.pk)
    act(world, "zone_admin", item, "to_problem", problem_kind="long_term")
    problem = fresh(item).problem
    assert problem.source == "roundtable" and problem.org == world.a.dept
    assert problem.deadline is None


def test_a_refused_problem_leaves_the_item_as_it_was(world, item):
    create_categories(world)
    act(world, "zone_admin", item, "accept")
    with pytest.raises(Invalid) as err:
        act(world, "zone_admin", item, "to_problem", org=world.a.dept.pk, category=999999)
    assert "category" in err.value.fields
    assert fresh(item).status == "accepted" and not Problem.objects.exists()


def test_merge_points_items_at_one_and_they_follow_it_into_the_ledger(world):
    create_categories(world)
    keep = make_item(world, content="东门路灯不亮")
    dup1 = make_item(world, content="东门晚上太黑")
    dup2 = make_item(world, content="东门路灯坏了")
    feedback_merge_many(actor=world["zone_admin"], items=[dup1, dup2], into=keep.pk)
    assert {fresh(d).status for d in (dup1, dup2)} == {"merged"}
    assert fresh(dup1).merged_into == keep
    assert events(dup2, "feedback.merge").get().changes["merged_into"] == [None, keep.pk]
    act(world, "zone_admin", keep, "accept")
    act(world, "zone_admin", keep, "to_problem", org=world.a.dept.pk)
    problem = fresh(keep).problem
    assert fresh(dup1).problem == problem and fresh(dup2).problem == problem
    assert fresh(dup1).status == "merged"


def test_merge_refuses_itself_a_closed_item_and_another_zone(world):
    keep = make_item(world)
    other = make_item(world, zone="b")
    declined = make_item(world)
    act(world, "zone_admin", declined, "decline", note="重复")
    for into in (keep.pk, other.pk, declined.pk, None):
        with pytest.raises(Invalid):
            act(world, "zone_admin", keep, "merge", into=into)
    assert fresh(keep).status == "received"
    with pytest.raises(Invalid):  # all or none
        feedback_merge_many(actor=world["zone_admin"], items=[], into=keep.pk)


def test_a_restricted_report_is_seen_by_the_zone_admin_and_supervisor_only(world):
    item = make_item(world, kind="report", accused="某局长")
    assert item.restricted
    for who in ("zone_admin", "supervisor", "supervisor2"):
        assert feedback_get_for_user(user=world[who], pk=item.pk)
    act(world, "zone_admin", item, "accept")
    act(world, "zone_admin", item, "forward", org=world.a.dept.pk)
    for who in ("sysadmin", "national", "provincial", "leader", "secretary", "liaison", "outsider"):
        with pytest.raises(NotFound):
            feedback_get_for_user(user=world[who], pk=item.pk)


def test_contact_is_for_the_permitted_only_and_every_view_is_audited(world, item):
    for who in ("sysadmin", "supervisor", "leader", "national"):
        with pytest.raises(Forbidden):
            feedback_contact(user=world[who], feedback=item)
    assert not events(item, "feedback.contact_view").exists()
    got = feedback_contact(user=world["zone_admin"], feedback=item)
    assert got == {"name": NAME, "phone": PHONE}
    feedback_contact(user=world["zone_admin"], feedback=item)
    views = events(item, "feedback.contact_view")
    assert views.count() == 2 and {e.actor for e in views} == {world["zone_admin"]}
    assert PHONE not in str(views.first().changes) + views.first().note
    OutreachSettings.objects.get(zone=world.a.zone).contact_viewers.add(world["supervisor"])
    # The naming is read once per user object, i.e. per request: the next request sees it.
    next_request = type(world["supervisor"]).objects.get(pk=world["supervisor"].pk)
    assert feedback_contact(user=next_request, feedback=item)["phone"] == PHONE


def test_the_inbox_puts_overdue_first_and_counts_each_status(world):
    late = make_item(world, content="超期的")
    Feedback.objects.filter(pk=late.pk).update(due_on="2020-01-01")
    new = make_item(world, content="新的")
    done = make_item(world, content="不予受理的")
    act(world, "zone_admin", done, "decline", note="重复")
    rows, counts = feedback_inbox(user=world["zone_admin"], params={})
    assert [r.pk for r in rows][:2] == [late.pk, new.pk] and rows[0].light == "red"
    assert counts["received"] == 2 and counts["declined"] == 1 and counts["all"] == 3
    rows, counts = feedback_inbox(user=world["zone_admin"], params={"status": "declined"})
    assert [r.pk for r in rows] == [done.pk] and counts["received"] == 2
    rows, _ = feedback_inbox(user=world["zone_admin"], params={"light": "red"})
    assert [r.pk for r in rows] == [late.pk]
    rows, _ = feedback_inbox(user=world["zone_admin"], params={"q": PHONE})
    assert not rows  # search never reads the contact


def test_enter_on_someones_behalf_records_the_channel_and_the_clerk(world):
    created = feedback_enter(
        actor=world["zone_admin"],
        zone=world.a.zone,
        channel="phone",
        kind="help",
        content="老人独居需要帮助",
        name="李大爷",
        phone="0512-66668888",
    )
    item = fresh(created.feedback)
    assert item.channel == "phone" and item.entered_by == world["zone_admin"]
    assert created.tracking_code
    assert AuditEvent.objects.filter(action="feedback.enter", object_id=str(item.pk)).exists()
    with pytest.raises(Invalid):
        feedback_enter(
            actor=world["zone_admin"], zone=world.a.zone, channel="portal", kind="help", content="x"
        )
    with pytest.raises(Forbidden):
        feedback_enter(
            actor=world["secretary"], zone=world.a.zone, channel="phone", kind="help", content="x"
        )


def test_settings_change_limits_and_named_staff_with_an_audit_event(world):
    row = outreach_settings_update(
        actor=world["zone_admin"],
        zone=world.a.zone,
        limits={"consult": 2, "report": 15},
        handlers=[world["liaison"].pk],
        contact_viewers=[],
    )
    assert (row.limit_consult, row.limit_report) == (2, 15)
    assert list(row.handlers.all()) == [world["liaison"]]
    event = AuditEvent.objects.get(action="outreach.settings")
    assert event.changes["limit_consult"] == [1, 2]
    assert event.changes["handlers"] == [[], [world["liaison"].pk]]
    for bad in ({"limits": {"help": 0}}, {"limits": {"help": 61}}, {"limits": {"help": "x"}}):
        with pytest.raises(Invalid):
            outreach_settings_update(actor=world["zone_admin"], zone=world.a.zone, **bad)
    with pytest.raises(Invalid):  # another zone's account
        outreach_settings_update(
            actor=world["zone_admin"], zone=world.a.zone, handlers=[world["outsider"].pk]
        )
    with pytest.raises(Forbidden):
        outreach_settings_update(actor=world["supervisor"], zone=world.a.zone, limits={"help": 3})
    assert AuditEvent.objects.filter(action="outreach.settings").count() == 1


def test_disclose_only_resolved_items_with_a_summary_free_of_personal_data(world, item):
    with pytest.raises(Conflict):
        feedback_disclose(
            actor=world["zone_admin"], feedback=item, disclosed=True, summary="已修复"
        )
    act(world, "zone_admin", item, "accept")
    act(world, "zone_admin", item, "reply", reply="已修复")
    act(world, "zone_admin", item, "publish_reply")
    with pytest.raises(Invalid):
        feedback_disclose(
            actor=world["zone_admin"], feedback=item, disclosed=True, summary=f"{NAME}反映路灯"
        )
    with pytest.raises(Invalid):
        feedback_disclose(actor=world["zone_admin"], feedback=item, disclosed=True, summary="")
    with pytest.raises(Forbidden):
        feedback_disclose(actor=world["supervisor"], feedback=item, disclosed=True, summary="x")
    feedback_disclose(
        actor=world["zone_admin"], feedback=item, disclosed=True, summary="园区路灯已修复"
    )
    got = fresh(item)
    assert got.disclosed and got.public_summary == "园区路灯已修复"
    assert AuditEvent.objects.get(action="feedback.disclose").changes["disclosed"] == [False, True]
