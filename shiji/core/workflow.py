"""The shape of a move in every state machine (ledger problems, task
assignments, regulations). Each app keeps its own table of moves in its
``workflow.py``, where a reader looks for it; only the row type is shared."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    # A lazily translated label (gettext_lazy), resolved when shown.
    from django_stubs_ext import StrPromise

from django.utils.translation import gettext, gettext_lazy

from shiji.core.errors import Conflict, invalid


@dataclass(frozen=True)
class Move:
    """``action`` takes a record from any of ``sources`` to ``target``, for
    whoever holds ``permission``; ``needs_note`` makes the note (asked for
    as ``note_label``) required."""

    action: str
    label: str | StrPromise
    sources: frozenset[str]
    target: str
    permission: str
    needs_note: bool = False
    note_label: str | StrPromise = gettext_lazy("说明")  # noqa: RUF009 (immutable)


def move_named(moves: Mapping[str, Move], action: str) -> Move:
    """The move a request names; an unknown one is a field error."""
    move = moves.get(action)
    if move is None:
        raise invalid(action=gettext("未知操作：%(action)s") % {"action": action})
    return move


def require_source(move: Move, record: Any, refusal: str) -> None:
    """Conflict unless ``record`` is in a state ``move`` starts from.
    ``refusal`` is the app's own sentence, with ``%(status)s`` and the move's
    label as ``%(move)s`` (or ``%(action)s``)."""
    if record.status not in move.sources:
        label = move.label
        raise Conflict(
            refusal % {"status": record.get_status_display(), "move": label, "action": label}
        )
