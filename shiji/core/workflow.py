"""The shape of a move in every state machine (ledger problems, task
assignments, regulations). Each app keeps its own table of moves in its
``workflow.py``, where a reader looks for it; only the row type is shared."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    # A lazily translated label (gettext_lazy), resolved when shown.
    from django_stubs_ext import StrPromise

from django.utils.translation import gettext_lazy


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
