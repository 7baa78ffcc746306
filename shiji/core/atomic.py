"""One transaction per API request that writes.

An operation that calls several services (a PATCH that updates a regulation,
then links problems) must write all of it or nothing: ``one_transaction``,
added to every API operation in ``shiji/api.py``, runs each unsafe request in
one transaction, so an error from the second service rolls the first back
before the error becomes a response. Reads are left alone.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.db import transaction

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def one_transaction(view_func: Callable[..., Any]) -> Callable[..., Any]:
    if getattr(view_func, "commits_before_failing", False):
        return view_func

    @functools.wraps(view_func)
    def run(request: Any, *args: Any, **kwargs: Any) -> Any:
        if request.method in SAFE_METHODS:
            return view_func(request, *args, **kwargs)
        with transaction.atomic():
            return view_func(request, *args, **kwargs)

    return run


def commits_before_failing(view_func: Callable[..., Any]) -> Callable[..., Any]:
    """Leave an operation out of ``one_transaction``: one whose refusals are
    records that must stay (a failed sign-in counts towards the lockout even
    though the request then fails); its services keep their own transactions."""
    view_func.commits_before_failing = True  # type: ignore[attr-defined]
    return view_func
