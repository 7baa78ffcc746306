"""Root test configuration (loaded before Django starts).

``--today=YYYY-MM-DD`` runs the whole suite with the clock moved to that
date (10:00 in Beijing, then ticking), through time-machine: every
``date.today()``, ``timezone.now()`` and ``time.time()`` of this process and
its threads (the live server included) answers from that day. Without it the
suite runs on the real date: the suite must pass on any date, and a process a
test starts (the job worker, gunicorn) cannot be moved, so the real date keeps
both sides of such a test on one clock. Tests that start such a process take
the ``real_clock`` fixture.

Tests written for a calendar (a problem found on 2026-03-10, extended to
2026-07-31; a study session on 2026-03-10) say which day they happen on with
``@pytest.mark.today("2026-12-01")`` (or a module's ``pytestmark``): the clock
is moved there for that test, whatever ``--today`` says.

    pytest -m "not browser" --today=2026-03-01
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator

import pytest
import time_machine

from tests.clock import BEIJING, travel_to

# Playwright's sync API keeps an event loop running for the whole session;
# without this every database test after the first browser test fails.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

_travel: time_machine.travel | None = None


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--today",
        metavar="YYYY-MM-DD",
        default=None,
        help="run the suite with the clock at 10:00 (Beijing) on this date (default: real date)",
    )


def _checked(value: str) -> str:
    try:
        dt.date.fromisoformat(value)
    except ValueError as exc:
        raise pytest.UsageError(f"--today wants a date as YYYY-MM-DD, not {value!r}") from exc
    return value


def pytest_configure(config: pytest.Config) -> None:
    global _travel
    value = config.getoption("--today")
    if value:
        _travel = travel_to(_checked(value))
        _travel.start()


def pytest_unconfigure(config: pytest.Config) -> None:
    global _travel
    if _travel is not None:
        _travel.stop()
        _travel = None


def pytest_report_header(config: pytest.Config) -> str:
    today = dt.datetime.now(BEIJING).date().isoformat()
    return f"today: {today}" + (" (--today)" if _travel else "")


@pytest.fixture(autouse=True)
def _pinned_day(request: pytest.FixtureRequest) -> Iterator[None]:
    # Autouse, so it runs before the test's other fixtures build their records.
    marker = request.node.get_closest_marker("today")
    if marker is None:
        yield
        return
    with travel_to(marker.args[0]):
        yield


@pytest.fixture
def real_clock() -> Iterator[None]:
    """The real clock for this test, whatever ``--today`` says: for tests
    whose other side is a process of its own (a worker, gunicorn), which
    time-machine cannot move. Request it before any fixture that writes."""
    if _travel is None:
        yield
        return
    _travel.stop()
    try:
        yield
    finally:
        _travel.start()
