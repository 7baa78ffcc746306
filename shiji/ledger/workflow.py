"""The problem lifecycle (DESIGN.md §4): every allowed move, in one table.

    open ──start──▶ in_progress ──submit──▶ submitted ──verify──▶ closed
      │                ▲   ▲                    │                   │
      │                │   └──────return────────┘                   │
      │                └───────────────reopen (回头看)───────────────┘
      └──cancel──▶ cancelled ◀──cancel── in_progress

``problem_transition`` in ledger/services.py is the only code that changes a
problem's status; it looks the move up here, checks the role through the
policy action named here, then the guards below.
"""

from __future__ import annotations

from shiji.core.workflow import Move
from shiji.ledger.models import Status

S = Status


MOVES: dict[str, Move] = {
    m.action: m
    for m in [
        Move("start", "开始整改", frozenset({S.OPEN}), S.IN_PROGRESS, "problem.start"),
        Move(
            "submit",
            "提交销号",
            frozenset({S.IN_PROGRESS}),
            S.SUBMITTED,
            "problem.submit",
            needs_note=True,
            note_label="完成情况",
        ),
        Move("verify", "审核销号", frozenset({S.SUBMITTED}), S.CLOSED, "problem.verify"),
        Move(
            "return",
            "退回整改",
            frozenset({S.SUBMITTED}),
            S.IN_PROGRESS,
            "problem.return",
            needs_note=True,
            note_label="退回理由",
        ),
        Move(
            "reopen",
            "回头看重新整改",
            frozenset({S.CLOSED}),
            S.IN_PROGRESS,
            "problem.reopen",
            needs_note=True,
            note_label="重新整改理由",
        ),
        Move(
            "cancel",
            "撤销",
            frozenset({S.OPEN, S.IN_PROGRESS}),
            S.CANCELLED,
            "problem.cancel",
            needs_note=True,
            note_label="撤销理由",
        ),
    ]
}

ACTIONS = tuple(MOVES)
EDITABLE = frozenset({S.OPEN, S.IN_PROGRESS})  # fields may change only while being worked on
ACTIVE = frozenset({S.OPEN, S.IN_PROGRESS, S.SUBMITTED})  # still to be closed


def moves_from(status: str) -> list[Move]:
    return [m for m in MOVES.values() if status in m.sources]
