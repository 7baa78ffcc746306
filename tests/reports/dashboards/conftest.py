"""A read replica for the reports' tests: one that answers (the primary's
own database under the replica's alias) and one that is down."""

from __future__ import annotations

import copy

import pytest
from django.db import connections, router

from shiji.core.db_router import REPLICA, ReplicaRouter


def _install(settings, monkeypatch, replica: dict) -> None:
    monkeypatch.setitem(settings.DATABASES, REPLICA, replica)  # replica_configured()
    connections.settings[REPLICA] = replica
    monkeypatch.setitem(router.__dict__, "routers", [ReplicaRouter()])
    # Django's test case refuses connections to aliases a test did not
    # declare, except those created on the fly (an alias it does not know):
    # the replica's connection is one of those, under another name.
    connections[REPLICA].alias = "replica-in-tests"


def _remove() -> None:
    if REPLICA in connections:
        connections[REPLICA].close()
        del connections[REPLICA]
    connections.settings.pop(REPLICA, None)


@pytest.fixture
def replica(settings, monkeypatch):
    """A replica alias on the primary's database (its test database)."""
    _install(settings, monkeypatch, copy.deepcopy(connections["default"].settings_dict))
    yield
    _remove()


@pytest.fixture
def broken_replica(settings, monkeypatch):
    """A replica alias nobody answers on."""
    down = copy.deepcopy(connections["default"].settings_dict)
    if down["ENGINE"].endswith("sqlite3"):
        down["NAME"] = "/nonexistent/replica/db.sqlite3"
    else:
        down.update(HOST="127.0.0.1", PORT="1")
    down["OPTIONS"] = {k: v for k, v in down.get("OPTIONS", {}).items() if k != "pool"}
    _install(settings, monkeypatch, down)
    yield
    _remove()
