"""The life of a regulation (建章立制), in one table:

    draft(起草) ──submit──▶ review(审议) ──issue──▶ issued(印发)
        ▲                     │
        └──────return─────────┘

``regulation_transition`` in regulations/services.py is the only code that
changes a regulation's status; 印发 needs an issued date not in the future.
"""

from __future__ import annotations

from shiji.core.workflow import Move
from shiji.regulations.models import Status

S = Status


MOVES: dict[str, Move] = {
    m.action: m
    for m in [
        Move("submit", "提交审议", frozenset({S.DRAFT}), S.REVIEW, "regulation.submit"),
        Move("issue", "印发", frozenset({S.REVIEW}), S.ISSUED, "regulation.issue"),
        Move(
            "return", "退回修改", frozenset({S.REVIEW}), S.DRAFT, "regulation.return",
            needs_note=True,
        ),
    ]
}  # fmt: skip

ACTIONS = tuple(MOVES)
EDITABLE = frozenset({S.DRAFT, S.REVIEW})


def moves_from(status: str) -> list[Move]:
    return [m for m in MOVES.values() if status in m.sources]
