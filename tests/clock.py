"""The test clock (time-machine), without Django: the root conftest moves
the whole run with ``--today``; a test written for a calendar day moves to
it with ``@pytest.mark.today("YYYY-MM-DD")``, a fixture wider than one test
with ``travel_to``."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import time_machine

BEIJING = ZoneInfo("Asia/Shanghai")


def moment(day: str) -> dt.datetime:
    """10:00 in Beijing on ``day`` (YYYY-MM-DD): office hours, well away
    from midnight in both Beijing and UTC."""
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(10, 0), tzinfo=BEIJING)


def travel_to(day: str) -> time_machine.travel:
    """The clock at ``moment(day)``, then ticking (timeouts, lockout windows
    and ordering by creation time behave as on a real day)."""
    return time_machine.travel(moment(day), tick=True)
