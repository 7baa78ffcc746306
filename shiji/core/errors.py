"""One application error type, rendered the same way everywhere.

Services raise these; the HTML views show ``message`` (and field errors next to
their inputs) and the API maps ``status`` to the HTTP status of DESIGN.md §6.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from django.utils.translation import gettext

if TYPE_CHECKING:
    from django_stubs_ext import StrPromise


class AppError(Exception):
    status = 400
    code = "invalid"

    # ``message`` may be lazily translated (a module-level gettext_lazy refusal):
    # it is then shown in the language of whoever reads it.
    def __init__(
        self, message: str | StrPromise, *, fields: Mapping[str, str | StrPromise] | None = None
    ):
        super().__init__(message)
        self.message = message
        self.fields: Mapping[str, str | StrPromise] = fields or {}

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


def invalid(**fields: str) -> Invalid:
    """Shortcut: ``raise invalid(deadline="整改时限不能早于发现日期")``."""
    return Invalid(gettext("；").join(fields.values()), fields=fields)
