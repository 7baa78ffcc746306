"""The life of a regulation (建章立制), in one table:

    draft(起草) ──submit──▶ review(审议) ──issue──▶ issued(印发)
        ▲                     │
        └──────return─────────┘

``regulation_transition`` in regulations/services.py is the only code that
changes a regulation's status; 印发 needs an issued date not in the future.
An issued regulation is a record of what was decided: its fields, its file
and its linked problems no longer change (``GUARDS``); a change is a new
entry of the register (修订).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy
from django.utils.translation import gettext_lazy as _

from shiji.core.errors import Conflict
from shiji.core.workflow import Move
from shiji.regulations.models import Status

if TYPE_CHECKING:
    from django_stubs_ext import StrPromise

    from shiji.regulations.models import Regulation

S = Status


MOVES: dict[str, Move] = {
    m.action: m
    for m in [
        Move("submit", _("提交审议"), frozenset({S.DRAFT}), S.REVIEW, "regulation.submit"),
        Move("issue", _("印发"), frozenset({S.REVIEW}), S.ISSUED, "regulation.issue"),
        Move(
            "return", _("退回修改"), frozenset({S.REVIEW}), S.DRAFT, "regulation.return",
            needs_note=True,
        ),
    ]
}  # fmt: skip

ACTIONS = tuple(MOVES)
EDITABLE = frozenset({S.DRAFT, S.REVIEW})


def moves_from(status: str) -> list[Move]:
    return [m for m in MOVES.values() if status in m.sources]


# The changes a regulation accepts only while it is a draft or under review,
# and what a refusal says.
GUARDS: dict[str, StrPromise] = {
    "edit": gettext_lazy("制度已印发，不能再修改；如需调整请新建一条“修订”记录"),
    "file": gettext_lazy("制度已印发，不能再更换文件"),
    "link": gettext_lazy("制度已印发，不能再关联或取消关联问题"),
}


def allows(action: str, regulation: Regulation) -> bool:
    """Does ``regulation`` accept ``action`` (a key of GUARDS) now?"""
    GUARDS[action]  # an unknown action is a bug
    return regulation.status in EDITABLE


def check(action: str, regulation: Regulation) -> None:
    if not allows(action, regulation):
        raise Conflict(GUARDS[action])
