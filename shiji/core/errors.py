"""One application error type, rendered the same way everywhere.

Services raise these; the HTML views show ``message`` (and field errors next to
their inputs) and the API maps ``status`` to the HTTP status of DESIGN.md §6.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, TypeAlias

from django.utils.translation import gettext

if TYPE_CHECKING:
    from django_stubs_ext import StrPromise

    from shiji.core.i18n import Message

    # What a message may be: text, lazily translated text, or a Message.
    Text: TypeAlias = str | StrPromise | Message


class AppError(Exception):
    status = 400
    code = "invalid"

    # ``message`` and the field messages may be lazy (``gettext_lazy``, a
    # ``core.i18n.Message``): they are rendered when read, so that an error
    # raised inside a check that runs in Chinese (an import's) still reads in
    # the language of the page that shows it. ``None`` joins the field messages.
    def __init__(self, message: Text | None, *, fields: Mapping[str, Text] | None = None):
        super().__init__(message)
        self._message = message
        self._fields: dict[str, Text] = dict(fields or {})

    @property
    def message(self) -> str:
        if self._message is None:
            return gettext("；").join(str(v) for v in self._fields.values())
        return str(self._message)

    @property
    def fields(self) -> dict[str, str]:
        return {name: str(text) for name, text in self._fields.items()}

    def __str__(self) -> str:
        return self.message

    def as_dict(self) -> dict:
        body: dict = {"detail": self.message, "code": self.code}
        if self.fields:
            body["errors"] = [{"field": k, "message": v} for k, v in self.fields.items()]
        return body


class Invalid(AppError):
    """Bad input: 422 with field messages."""

    status = 422
    code = "invalid"


class Forbidden(AppError):
    """The role may not take this action on a record the caller can see."""

    status = 403
    code = "forbidden"


class NotFound(AppError):
    """Missing, or outside the caller's scope: the two look the same."""

    status = 404
    code = "not_found"


class Conflict(AppError):
    """A move the lifecycle does not allow, or a concurrent change."""

    status = 409
    code = "conflict"


def invalid(**fields: Text) -> Invalid:
    """Shortcut: ``raise invalid(deadline="整改时限不能早于发现日期")``."""
    return Invalid(None, fields=fields)
