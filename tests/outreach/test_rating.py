"""Rating a result (评判): once per result, never before there is one, never
on an item merged away; 不满意 sends the item back (or reopens its problem
with the comment as the reason) and the third escalates it."""

from __future__ import annotations

import pytest
from django.utils import timezone

from shiji.audit.models import AuditEvent
from shiji.core.errors import Conflict, Invalid
from shiji.ledger.models import Problem, Review
from shiji.ledger.models import Status as ProblemStatus
from shiji.orgs import policy
from shiji.outreach.models import Feedback, FeedbackRating, FeedbackStep, RatingVia, Status
from shiji.outreach.services.intake import feedback_create
from shiji.outreach.services.rating import (
    feedback_can_rate,
    feedback_rate,
    feedback_result,
)
from tests.ledger.conftest import create_categories, problem_maker

PUBLIC = policy.system("portal")


@pytest.fixture
def make_problem(world):
    return problem_maker(create_categories(world))


def submitted(world, **kw) -> Feedback:
    data = {"kind": "complaint", "content": "园区东门路灯坏了一个月"} | kw
    return feedback_create(actor=PUBLIC, zone=world.a.zone, **data).feedback


def answered(world, reply="路灯已修复") -> Feedback:
    # Until the back office's handling services land: set the answered state directly.
    item = submitted(world)
    Feedback.objects.filter(pk=item.pk).update(
        status=Status.ANSWERED, reply=reply, replied_at=timezone.now()
    )
    item.refresh_from_db()
    return item


def in_ledger(world, make_problem, *, closed=True) -> Feedback:
    item = submitted(world)
    problem = make_problem(world, source="public", status="closed" if closed else "in_progress")
    Feedback.objects.filter(pk=item.pk).update(status=Status.IN_LEDGER, problem=problem)
    item.refresh_from_db()
    return item


def test_rating_before_there_is_a_result_is_refused(world, make_problem):
    for item in (submitted(world), in_ledger(world, make_problem, closed=False)):
        assert feedback_result(item) is None
        assert not feedback_can_rate(item)
        with pytest.raises(Conflict, match="尚无办理结果"):
            feedback_rate(actor=PUBLIC, feedback=item, rating="satisfied")
    assert not FeedbackRating.objects.exists()
    assert not AuditEvent.objects.filter(action="feedback.rate").exists()


def test_an_answered_item_is_rated_once(world):
    item = answered(world)
    assert feedback_can_rate(item)
    made = feedback_rate(actor=PUBLIC, feedback=item, rating="satisfied", comment="很快")
    assert made.rating == "satisfied" and made.via == RatingVia.PORTAL
    assert not feedback_can_rate(item)
    with pytest.raises(Conflict, match="已经评价过"):
        feedback_rate(actor=PUBLIC, feedback=item, rating="unsatisfied")
    assert FeedbackRating.objects.count() == 1
    event = AuditEvent.objects.get(action="feedback.rate")
    assert event.object_id == str(item.pk) and event.note == "很快"
    assert FeedbackStep.objects.filter(feedback=item, action="rate").exclude(public_label="")


def test_a_merged_item_cannot_be_rated_and_the_message_names_the_item_it_went_into(world):
    primary = answered(world)
    other = submitted(world, content="东门路灯不亮")
    Feedback.objects.filter(pk=other.pk).update(status=Status.MERGED, merged_into=primary)
    other.refresh_from_db()
    assert feedback_result(other) is None
    with pytest.raises(Conflict) as caught:
        feedback_rate(actor=PUBLIC, feedback=other, rating="satisfied")
    assert primary.number in caught.value.message and "合并" in caught.value.message


def test_satisfied_with_a_closed_problem_does_not_reopen_it(world, make_problem):
    item = in_ledger(world, make_problem)
    assert feedback_result(item).kind == "problem_closed"
    feedback_rate(actor=PUBLIC, feedback=item, rating="basically_satisfied")
    assert Problem.objects.get(pk=item.problem_id).status == ProblemStatus.CLOSED
    assert not AuditEvent.objects.filter(action__in=["problem.reopen", "feedback.reopen"]).exists()
    item.refresh_from_db()
    assert item.unsatisfied_count == 0 and item.status == Status.IN_LEDGER


def test_unsatisfied_reopens_the_problem_with_the_comment_as_the_reason(world, make_problem):
    item = in_ledger(world, make_problem)
    feedback_rate(actor=PUBLIC, feedback=item, rating="unsatisfied", comment="路灯又坏了")
    problem = Problem.objects.get(pk=item.problem_id)
    assert problem.status == ProblemStatus.IN_PROGRESS
    review = Review.objects.filter(problem=problem).latest("created_at", "pk")
    assert review.action == "reopen" and review.note == "路灯又坏了"
    reopen = AuditEvent.objects.get(action="problem.reopen", object_id=str(problem.pk))
    assert reopen.note == "路灯又坏了" and "feedback_rating" in reopen.actor_label
    mine = AuditEvent.objects.get(action="feedback.reopen", object_id=str(item.pk))
    assert mine.note == "路灯又坏了"
    item.refresh_from_db()
    assert item.status == Status.IN_LEDGER and item.unsatisfied_count == 1
    # The problem is open again: nothing to rate until it closes again.
    assert not feedback_can_rate(item)


def test_unsatisfied_without_a_comment_gives_a_default_reason(world, make_problem):
    item = in_ledger(world, make_problem)
    feedback_rate(actor=PUBLIC, feedback=item, rating="unsatisfied")
    review = Review.objects.filter(problem_id=item.problem_id, action="reopen").get()
    assert item.number in review.note


def test_unsatisfied_with_an_answered_item_sends_it_back_to_be_handled(world):
    item = answered(world)
    feedback_rate(actor=PUBLIC, feedback=item, rating="unsatisfied", comment="没有解决")
    item.refresh_from_db()
    assert item.status == Status.ACCEPTED and item.unsatisfied_count == 1
    assert item.due_on >= timezone.localdate()
    event = AuditEvent.objects.get(action="feedback.reopen")
    assert event.changes["status"] == ["answered", "accepted"]
    assert FeedbackStep.objects.filter(feedback=item, action="reopen").exists()


def test_the_third_unsatisfied_escalates_to_the_zone_admin(world, make_problem):
    item = in_ledger(world, make_problem)
    verifier = world["supervisor"]
    from shiji.ledger import services as ledger

    for round_ in range(3):
        feedback_rate(actor=PUBLIC, feedback=item, rating="unsatisfied", comment=f"第{round_}次")
        item.refresh_from_db()
        assert item.escalated == (round_ == 2)
        if round_ < 2:  # fixed again and verified again: a new result to judge
            problem = Problem.objects.get(pk=item.problem_id)
            ledger.problem_transition(
                actor=world["secretary"], problem=problem, action="submit", note="再次整改完成"
            )
            ledger.problem_transition(actor=verifier, problem=problem, action="verify")
            assert feedback_can_rate(item)
    assert item.unsatisfied_count == 3
    assert AuditEvent.objects.filter(action="feedback.escalate").count() == 1
    assert AuditEvent.objects.filter(action="problem.reopen").count() == 3


def test_a_return_call_is_recorded_by_the_staff_member(world):
    item = answered(world)
    admin = world["zone_admin"]
    made = feedback_rate(
        actor=admin, feedback=item, rating="satisfied", comment="电话回访", via="return_call"
    )
    assert made.recorded_by == admin and made.via == "return_call"
    event = AuditEvent.objects.get(action="feedback.return_call")
    assert event.actor == admin


@pytest.mark.parametrize(
    ("field", "data"),
    [
        ("comment", {"rating": "unsatisfied", "comment": "x" * 501}),
        ("comment", {"rating": "unsatisfied", "comment": "坏\x00了"}),
        ("rating", {"rating": "great"}),
        ("rating", {"rating": None}),
    ],
)
def test_bad_ratings_are_refused_and_nothing_is_written(world, field, data):
    item = answered(world)
    with pytest.raises(Invalid) as caught:
        feedback_rate(actor=PUBLIC, feedback=item, **data)
    assert field in caught.value.fields
    assert not FeedbackRating.objects.exists()
    item.refresh_from_db()
    assert item.status == Status.ANSWERED
