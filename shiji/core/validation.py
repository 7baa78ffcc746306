"""Small input cleaners shared by services, views and the API: one message
per kind of mistake, one parser for ids, one cleaner for search terms."""

from __future__ import annotations

import datetime as dt
import functools
from typing import TYPE_CHECKING, Any, Literal, overload

from django.utils.translation import gettext as _

from shiji.core.errors import invalid

if TYPE_CHECKING:
    from django_stubs_ext import StrPromise

# Ids from clients are positive and below this bound: a larger number no
# column can hold would crash the database driver (a 500) instead of simply
# matching nothing.
MAX_ID = 2**62
SEARCH_LIMIT = 100


def parse_id(value: Any) -> int:
    """An id from a URL, a query string, a form or a JSON body, as an int.

    Anything that is not a positive integer below ``MAX_ID`` (text, a bool,
    a float, NUL bytes, a huge number) becomes -1, which matches no row: a
    bad id is "not found", never a 500.
    """
    if isinstance(value, bool):
        return -1
    if not isinstance(value, int):
        try:
            value = int(str(value).strip())
        except (TypeError, ValueError):
            return -1
    return value if 0 < value < MAX_ID else -1


def clean_search(value: Any, *, max_length: int = SEARCH_LIMIT) -> str:
    """A search term from a query string: NUL removed (PostgreSQL refuses it
    in text), trimmed and cut to ``max_length`` characters."""
    return ("" if value is None else str(value)).replace("\x00", "").strip()[:max_length]


def clean_text(
    value: Any, *, field: str, label: str | StrPromise, max_length: int, required: bool = True
) -> str:
    text = "" if value is None else str(value)
    if "\x00" in text:
        raise invalid(**{field: _("%(label)s含有非法字符") % {"label": label}})
    text = text.strip()
    if required and not text:
        raise invalid(**{field: _("请填写%(label)s") % {"label": label}})
    if len(text) > max_length:
        raise invalid(
            **{field: _("%(label)s不能超过 %(n)s 个字") % {"label": label, "n": max_length}}
        )
    return text


def clean_choice(value: Any, *, field: str, label: str | StrPromise, choices: Any) -> str:
    """Accepts a choice's code or its Chinese label."""
    text = "" if value is None else str(value).strip()
    if text in _codes(choices):
        # A code: nothing to translate. Bulk imports clean every row twice
        # (the check, then the service), and translating each label of the
        # enum for every row was a large part of a 100k-row import's time.
        return text
    for code, name in choices.choices:
        if text in (code, str(name)):
            return code
    allowed = _("、").join(str(n) for _code, n in choices.choices)
    raise invalid(
        **{field: _("%(label)s应为以下之一：%(allowed)s") % {"label": label, "allowed": allowed}}
    )


@functools.cache
def _codes(choices: Any) -> frozenset[Any]:
    return frozenset(code for code, _name in choices.choices)


# The dates a record may carry: the campaign's own span with wide margins.
# Outside it a date is a typo (0206 for 2026), and years before 1900 or past
# 9999 cannot even be written to a workbook, so the export and import round
# trip would break.
DATE_MIN = dt.date(1990, 1, 1)
DATE_MAX = dt.date(2100, 12, 31)


@overload
def clean_date(
    value: Any, *, field: str, label: str | StrPromise, required: Literal[True] = True
) -> dt.date: ...
@overload
def clean_date(
    value: Any, *, field: str, label: str | StrPromise, required: bool
) -> dt.date | None: ...
def clean_date(
    value: Any, *, field: str, label: str | StrPromise, required: bool = True
) -> dt.date | None:
    """A date (a date, a datetime or text like 2026-03-31) between
    ``DATE_MIN`` and ``DATE_MAX``, or ``Invalid`` under ``field``."""
    if value in (None, ""):
        if required:
            raise invalid(**{field: _("请填写%(label)s") % {"label": label}})
        return None
    if isinstance(value, dt.datetime):
        day = value.date()
    elif isinstance(value, dt.date):
        day = value
    else:
        text = str(value).strip().replace("/", "-").replace(".", "-")
        try:
            day = dt.date.fromisoformat(text)
        except ValueError:
            raise invalid(
                **{field: _("%(label)s不是有效日期（格式：2026-03-31）") % {"label": label}}
            ) from None
    if not DATE_MIN <= day <= DATE_MAX:
        raise invalid(
            **{
                field: _("%(label)s应在 %(min)s 至 %(max)s 之间")
                % {"label": label, "min": DATE_MIN.isoformat(), "max": DATE_MAX.isoformat()}
            }
        )
    return day
