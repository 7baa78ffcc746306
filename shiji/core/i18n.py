"""Language helpers.

Some text is Chinese whatever the page language, because it is read back
or matched against Chinese: the ledger workbook (its headers and 状态
labels are a contract, DESIGN.md §6, and its import reads the same labels
back), the roster and sign-in sheets (filled in on paper and imported
again), and the campaign preset files (written in Chinese, sectors named by
their Chinese labels). Their choice labels are translatable for the pages,
so the functions that write or read them run in Chinese.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from django.utils import translation

P = ParamSpec("P")
R = TypeVar("R")

CHINESE = "zh-hans"


def in_chinese(fn: Callable[P, R]) -> Callable[P, R]:
    """Run ``fn`` with Chinese active (a fresh override per call: Django's
    ``override`` used as a decorator shares one instance between threads)."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with translation.override(CHINESE):
            return fn(*args, **kwargs)

    return wrapper
