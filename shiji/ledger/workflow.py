"""The problem lifecycle (DESIGN.md §4): every allowed move, in one table.

    open ──start──▶ in_progress ──submit──▶ submitted ──verify──▶ closed
      │                ▲   ▲                    │                   │
      │                │   └──────return────────┘                   │
      │                └───────────────reopen (回头看)───────────────┘
      └──cancel──▶ cancelled ◀──cancel── in_progress

``problem_transition`` in ledger/services.py is the only code that changes a
problem's status; it looks the move up here, checks the role through the
policy action named here, then the guards below.

Besides the moves, a problem takes other actions (edit, extend, record
progress, add evidence, review its list entry) only in some states: ``GUARDS``
says which, once. The services refuse with ``check`` (409), the pages offer a
form where ``allows`` says so, and the Excel import plans with the same
predicates.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from shiji.core.errors import Conflict
from shiji.core.workflow import Move
from shiji.ledger.models import ReviewState, Status

if TYPE_CHECKING:
    from shiji.ledger.models import Problem

S = Status


MOVES: dict[str, Move] = {
    m.action: m
    for m in [
        Move("start", _("开始整改"), frozenset({S.OPEN}), S.IN_PROGRESS, "problem.start"),
        Move(
            "submit",
            _("提交销号"),
            frozenset({S.IN_PROGRESS}),
            S.SUBMITTED,
            "problem.submit",
            needs_note=True,
            note_label=_("完成情况"),
        ),
        Move("verify", _("审核销号"), frozenset({S.SUBMITTED}), S.CLOSED, "problem.verify"),
        Move(
            "return",
            _("退回整改"),
            frozenset({S.SUBMITTED}),
            S.IN_PROGRESS,
            "problem.return",
            needs_note=True,
            note_label=_("退回理由"),
        ),
        Move(
            "reopen",
            _("回头看重新整改"),
            frozenset({S.CLOSED}),
            S.IN_PROGRESS,
            "problem.reopen",
            needs_note=True,
            note_label=_("重新整改理由"),
        ),
        Move(
            "cancel",
            _("撤销"),
            frozenset({S.OPEN, S.IN_PROGRESS}),
            S.CANCELLED,
            "problem.cancel",
            needs_note=True,
            note_label=_("撤销理由"),
        ),
    ]
}

ACTIONS = tuple(MOVES)
EDITABLE = frozenset({S.OPEN, S.IN_PROGRESS})  # fields may change only while being worked on
ACTIVE = frozenset({S.OPEN, S.IN_PROGRESS, S.SUBMITTED})  # still to be closed


def moves_from(status: str) -> list[Move]:
    return [m for m in MOVES.values() if status in m.sources]


@dataclass(frozen=True)
class Guard:
    """An action on a problem that is not a move: the policy action that may
    take it, when the problem accepts it, and what a refusal says (with the
    problem's status label for ``{status}``)."""

    permission: str
    allows: Callable[[Problem], bool]
    refusal: str


def _list_reviewable(problem: Problem) -> bool:
    # Before rectification starts; and again while it runs, when an edit of
    # an approved entry's description or measures sent it back for review
    # (an entry never reviewed before it started stays as it was).
    if problem.status == S.OPEN:
        return True
    return (
        problem.status == S.IN_PROGRESS
        and problem.review_state == ReviewState.PENDING
        and problem.reviews.filter(action="approve").exists()
    )


GUARDS: dict[str, Guard] = {
    "edit": Guard(
        "problem.edit",
        lambda p: p.status in EDITABLE,
        gettext_noop("问题%(status)s，不能再修改；如需调整请先退回或重新整改"),
    ),
    "extend": Guard(
        "problem.extend", lambda p: p.status in EDITABLE, gettext_noop("问题%(status)s，不能延期")
    ),
    "progress": Guard(
        "problem.progress",
        lambda p: p.status in ACTIVE,
        gettext_noop("问题%(status)s，不能再记录进展"),
    ),
    "evidence": Guard(
        "problem.evidence",
        lambda p: p.status in (S.OPEN, S.IN_PROGRESS),
        gettext_noop("问题%(status)s，不能再上传凭证"),
    ),
    "review": Guard(
        "problem.review", _list_reviewable, gettext_noop("问题已开始整改，不能再审核问题清单")
    ),
}


def allows(action: str, problem: Problem) -> bool:
    """Does ``problem``, as it stands, accept ``action`` (a key of GUARDS)?"""
    return GUARDS[action].allows(problem)


def check(action: str, problem: Problem) -> None:
    """Raise ``Conflict`` unless ``problem`` accepts ``action`` now."""
    if not allows(action, problem):
        refusal = gettext(GUARDS[action].refusal)
        raise Conflict(refusal % {"status": problem.get_status_display()})


def start_blocked(problem: Problem, *, review_required: bool) -> str:
    """Why rectification may not start yet ("" when it may): an entry sent
    back for rework waits for its fix, and where the zone requires list
    review (问题清单审核), for the review's approval."""
    if problem.review_state == ReviewState.REWORK:
        return gettext("问题清单已被退回重查，请先修改问题描述")
    if review_required and problem.review_state != ReviewState.APPROVED:
        return gettext("问题清单尚未审核通过：本区要求问题清单经督导组审核后再开始整改")
    return ""


# What the list review (问题清单审核) judged: changing it after approval sends
# the entry back for review, so that the reviewer sees what is now promised.
REVIEWED_FIELDS = frozenset({"description", "measures"})


def review_state_after_edit(state: str, changed: set[str] | frozenset[str]) -> str:
    """The list review state after an edit of ``changed`` fields: a reworked
    entry goes back for review once edited; an approved one when its
    description or measures change."""
    if state == ReviewState.REWORK:
        return ReviewState.PENDING
    if state == ReviewState.APPROVED and changed & REVIEWED_FIELDS:
        return ReviewState.PENDING
    return state
