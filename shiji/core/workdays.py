"""Working days (工作日) with China's statutory holidays and make-up working
days (调休), from the ``chinesecalendar`` package.

The package is updated each year when the State Council publishes the next
year's schedule; a year it does not know yet falls back to Monday–Friday and
``known(year)`` says so, so pages can warn that the count may be off until
the package is updated (``pip install -U chinesecalendar``).
"""

from __future__ import annotations

import datetime as dt
from functools import cache

import chinese_calendar


@cache
def known(year: int) -> bool:
    try:
        chinese_calendar.is_workday(dt.date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


def is_working_day(day: dt.date) -> bool:
    if known(day.year):
        return bool(chinese_calendar.is_workday(day))
    return day.weekday() < 5


def add_working_days(start: dt.date, days: int) -> dt.date:
    """The ``days``-th working day after ``start`` (``start`` itself does not
    count: an item received on a holiday is due ``days`` working days after
    it, as a letter received on Saturday is counted from Monday)."""
    day = start
    left = days
    while left > 0:
        day += dt.timedelta(days=1)
        if is_working_day(day):
            left -= 1
    return day


def working_days_between(start: dt.date, end: dt.date) -> int:
    """Working days after ``start`` up to and including ``end`` (0 when
    ``end`` is not after ``start``): how long a reply took."""
    count = 0
    day = start
    while day < end:
        day += dt.timedelta(days=1)
        if is_working_day(day):
            count += 1
    return count
