"""Language helpers.

The workbooks keep Chinese whatever the page language: the ledger workbook's
headers and 状态 labels are a contract (DESIGN.md §6) and its import reads
the same labels back, and the roster and sign-in sheets are filled in on
paper and imported again. Their choice labels are translatable for the
pages, so the functions that write or read them run in Chinese.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from django.utils import translation

P = ParamSpec("P")
R = TypeVar("R")

WORKBOOK_LANGUAGE = "zh-hans"


def in_workbook_language(fn: Callable[P, R]) -> Callable[P, R]:
    """Run ``fn`` with Chinese active (a fresh override per call: Django's
    ``override`` used as a decorator shares one instance between threads)."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with translation.override(WORKBOOK_LANGUAGE):
            return fn(*args, **kwargs)

    return wrapper
