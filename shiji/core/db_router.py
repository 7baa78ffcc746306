"""Reads for reports from a PostgreSQL read replica (DATABASE_REPLICA_URL).

A replica replays the primary's changes a little later, so reading from it
is only right where a few seconds of lag cannot mislead: roll-ups, campaign
scores, comparisons, exports of a period. Those views (or services) wrap
their reads in ``replica_reads()``; every other read, and every write, goes
to the primary ("default"). Without DATABASE_REPLICA_URL the router is not
installed and ``replica_reads()`` changes nothing.

    with replica_reads():
        rows = list(campaign_scores(...))
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any

from django.conf import settings

REPLICA = "replica"
_reading_from_replica: ContextVar[bool] = ContextVar("replica_reads", default=False)


@contextlib.contextmanager
def replica_reads() -> Iterator[None]:
    """Reads inside the block go to the replica, when one is configured.
    (A context variable: per thread and per task, nested blocks are fine.)"""
    token = _reading_from_replica.set(True)
    try:
        yield
    finally:
        _reading_from_replica.reset(token)


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


class ReplicaRouter:
    """Django's database router (settings.DATABASE_ROUTERS)."""

    def db_for_read(self, model: type, **hints: Any) -> str | None:
        if _reading_from_replica.get() and replica_configured():
            return REPLICA
        return None  # the primary

    def db_for_write(self, model: type, **hints: Any) -> str | None:
        return None  # always the primary

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool | None:
        # The replica holds the same rows as the primary.
        return True

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool | None:
        # The replica follows the primary's schema by replication.
        return db != REPLICA
