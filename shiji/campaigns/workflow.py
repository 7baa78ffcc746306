"""The life of a task assignment (任务清单), in one table:

    pending ──report──▶ reported ──accept──▶ accepted
       ▲                   │
    returned ◀──return─────┘      (returned ──report──▶ reported)

``assignment_transition`` in campaigns/services/tasks.py is the only code that
changes an assignment's status; it looks the move up here and checks the
role through the policy action named here.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from shiji.campaigns.models import AssignmentStatus
from shiji.core.workflow import Move

S = AssignmentStatus


MOVES: dict[str, Move] = {
    m.action: m
    for m in [
        Move(
            "report", _("报送完成情况"), frozenset({S.PENDING, S.RETURNED}), S.REPORTED,
            "task.report", needs_note=True, note_label=_("完成情况"),
        ),
        Move("accept", _("审核通过"), frozenset({S.REPORTED}), S.ACCEPTED, "task.review"),
        Move(
            "return", _("退回"), frozenset({S.REPORTED}), S.RETURNED, "task.review",
            needs_note=True, note_label=_("退回理由"),
        ),
    ]
}  # fmt: skip

ACTIONS = tuple(MOVES)
OPEN = frozenset({S.PENDING, S.RETURNED})  # still owed by the organization


def moves_from(status: str) -> list[Move]:
    return [m for m in MOVES.values() if status in m.sources]
