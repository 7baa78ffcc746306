"""The submitter's judgement of a result (成效检验充分尊重群众评判).

An item has a result when its reply is published (``answered``) or, for an
item in the ledger, when its problem is closed; the moment of that result is
the reply's publication or the problem's latest verification. Each result is
rated once, through the portal or on a return call (回访). 不满意 sends the
item back: an answered item returns to ``accepted`` to be handled again; an
item in the ledger reopens its problem through the ledger's own service, with
the rating's comment as the reason. The third 不满意 on one item escalates it
to the zone admin (提级督办).

A merged item has no result of its own: its primary's result is what its
submitter follows (the public pages send its rating there), and rating the
merged item itself is refused, naming the item it went into.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from shiji.audit.kinds import EventKind
from shiji.audit.services import audit_record
from shiji.core.errors import Conflict
from shiji.core.i18n import CHINESE, recorded
from shiji.core.validation import clean_choice, clean_text
from shiji.ledger.models import Problem, Review
from shiji.ledger.models import Status as ProblemStatus
from shiji.ledger.services import problem_transition
from shiji.orgs import policy
from shiji.outreach.limits import due_on
from shiji.outreach.models import (
    Feedback,
    FeedbackRating,
    FeedbackStep,
    Rating,
    RatingVia,
    Status,
)
from shiji.outreach.workflow import PUBLIC_LABELS

COMMENT_MAX = 500
ESCALATE_AT = 3


@dataclass(frozen=True)
class Result:
    """What the submitter is asked to judge: ``kind`` is ``reply`` (a
    published reply) or ``problem_closed`` (the linked problem verified);
    ``at`` is when that result came."""

    kind: str
    at: dt.datetime


def _latest_verify(problem_id: int) -> dt.datetime | None:
    at: dt.datetime | None = (
        Review.objects.filter(problem_id=problem_id, action="verify")
        .order_by("-created_at", "-pk")
        .values_list("created_at", flat=True)
        .first()
    )
    return at


def feedback_result(item: Feedback) -> Result | None:
    """The result ``item`` has now, or None (still being handled, declined,
    merged, or its problem not closed)."""
    if item.status == Status.ANSWERED:
        return Result("reply", item.replied_at or item.updated_at)
    if item.status == Status.IN_LEDGER and item.problem_id is not None:
        problem = item.problem
        if problem is None or problem.status != ProblemStatus.CLOSED:
            return None
        at = _latest_verify(problem.pk)
        if at is None:  # closed without a recorded verify (imported): the close date
            closed = problem.closed_on or timezone.localdate()
            at = timezone.make_aware(dt.datetime.combine(closed, dt.time.min))
        return Result("problem_closed", at)
    return None


def _rated_since(item: Feedback, result: Result) -> bool:
    return FeedbackRating.objects.filter(feedback=item, created_at__gte=result.at).exists()


def feedback_can_rate(item: Feedback) -> bool:
    """A result exists and nobody has rated it yet."""
    result = feedback_result(item)
    return result is not None and not _rated_since(item, result)


def feedback_latest_rating(item: Feedback) -> FeedbackRating | None:
    """The rating of the item's current result, if it has been rated."""
    result = feedback_result(item)
    if result is None:
        return None
    return (
        FeedbackRating.objects.filter(feedback=item, created_at__gte=result.at)
        .order_by("-created_at", "-pk")
        .first()
    )


def _stored(label: Any) -> str:
    # Stored in Chinese like everything the database holds; pages translate
    # it when they show it.
    with override(CHINESE):
        return str(label)


def _step(item: Feedback, action: str, actor: policy.Actor, note: str = "") -> None:
    FeedbackStep.objects.create(
        feedback=item,
        action=action,
        public_label=_stored(PUBLIC_LABELS[action]),
        note=note,
        actor=policy.user_of(actor),
        at=timezone.now(),
    )


def _refusal(item: Feedback) -> str | None:
    """Why ``item`` (locked) cannot be rated now, or None."""
    if item.status == Status.MERGED:
        primary = item.merged_into
        return _("该反映已合并到 %(number)s 一并办理，请对合并后的反映进行评价") % {
            "number": primary.number if primary is not None else "—"
        }
    result = feedback_result(item)
    if result is None:
        return _("该反映尚无办理结果，答复或整改完成后才能评价")
    if _rated_since(item, result):
        return _("本次办理结果已经评价过，不能重复评价")
    return None


def _reopen_actor(actor: policy.Actor, via: str, problem: Problem) -> policy.Actor:
    # The reopen follows from the public's judgement, not from a staff
    # decision: the system makes it, or on a return call the staff member who
    # recorded the rating when they may reopen problems themselves.
    if via == RatingVia.RETURN_CALL and policy.can(actor, "problem.reopen", problem):
        return actor
    return policy.system(
        "feedback_return_call" if via == RatingVia.RETURN_CALL else "feedback_rating"
    )


def feedback_rate(
    *,
    actor: policy.Actor,
    feedback: Feedback,
    rating: Any,
    comment: Any = "",
    via: str = RatingVia.PORTAL,
) -> FeedbackRating:
    """Record the rating of ``feedback``'s current result.

    Conflict (409) when there is no result yet, the result is already rated,
    or the item was merged into another. Through the portal ``actor`` is
    ``policy.system("portal")``; on a return call it is the staff member, and
    the caller (the back office's return-call service) has checked that they
    may record it.
    """
    rating = clean_choice(rating, field="rating", label=_("评价"), choices=Rating)
    comment = clean_text(
        comment, field="comment", label=_("评价意见"), max_length=COMMENT_MAX, required=False
    )
    via = clean_choice(via, field="via", label=_("评价方式"), choices=RatingVia)
    if via == RatingVia.RETURN_CALL and policy.user_of(actor) is None:
        raise TypeError("a return call is recorded by a staff member")
    with transaction.atomic():
        item = (
            Feedback.objects.select_for_update(of=("self",))
            .select_related("merged_into", "problem", "zone")
            .get(pk=feedback.pk)
        )
        refusal = _refusal(item)
        if refusal:
            raise Conflict(refusal)
        now = timezone.now()
        made = FeedbackRating.objects.create(
            feedback=item,
            rating=rating,
            comment=comment,
            via=via,
            recorded_by=policy.user_of(actor),
            created_at=now,
        )
        _step(item, "rate", actor)
        audit_record(
            actor=actor,
            action=EventKind.FEEDBACK_RETURN_CALL
            if via == RatingVia.RETURN_CALL
            else EventKind.FEEDBACK_RATE,
            obj=item,
            changes={"rating": [None, rating], "via": [None, via]},
            note=comment,
        )
        if rating == Rating.UNSATISFIED:
            _unsatisfied(item, actor=actor, via=via, comment=comment)
    feedback.status = item.status
    feedback.unsatisfied_count, feedback.escalated = item.unsatisfied_count, item.escalated
    return made


def _unsatisfied(item: Feedback, *, actor: policy.Actor, via: str, comment: str) -> None:
    """不满意: the item (locked) goes back to be handled again, and the
    third time to the zone admin."""
    fields = ["unsatisfied_count", "updated_at"]
    changes: dict[str, list[Any]] = {}
    item.unsatisfied_count += 1
    changes["unsatisfied_count"] = [item.unsatisfied_count - 1, item.unsatisfied_count]
    # With no comment, a reason the problem's reviewers can still follow.
    reason = comment or recorded(
        "群众评价不满意（反映编号 %(number)s），重新整改", number=item.number
    )
    if item.status == Status.IN_LEDGER and item.problem is not None:
        reopened = problem_transition(
            actor=_reopen_actor(actor, via, item.problem),
            problem=item.problem,
            action="reopen",
            note=reason,
        )
        changes["problem_status"] = [ProblemStatus.CLOSED, reopened.status]
    else:  # answered, without a problem: handled again from 受理
        old = item.status
        item.status = Status.ACCEPTED
        # A fresh time limit: the item waits on the zone again.
        item.due_on = due_on(zone_id=item.zone_id, kind=item.kind, received=timezone.localdate())
        fields += ["status", "due_on"]
        changes["status"] = [old, item.status]
    _step(item, "reopen", actor, note=reason)
    escalate = item.unsatisfied_count >= ESCALATE_AT and not item.escalated
    if escalate:
        item.escalated = True
        fields.append("escalated")
    item.save(update_fields=fields)
    audit_record(
        actor=actor, action=EventKind.FEEDBACK_REOPEN, obj=item, changes=changes, note=reason
    )
    if escalate:
        _step(item, "escalate", actor)
        audit_record(
            actor=actor,
            action=EventKind.FEEDBACK_ESCALATE,
            obj=item,
            changes={"escalated": [False, True]},
            note=recorded("第 %(n)s 次评价不满意，提级督办", n=item.unsatisfied_count),
        )
