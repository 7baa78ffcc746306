"""Field cleaners shared by every service and import: dates."""

from __future__ import annotations

import datetime as dt

import pytest

from shiji.core.errors import Invalid
from shiji.core.validation import clean_date


@pytest.mark.parametrize(
    "value, expected",
    [
        ("1990-01-01", dt.date(1990, 1, 1)),
        ("2100/12/31", dt.date(2100, 12, 31)),
        (dt.datetime(2026, 3, 31, 9, 30), dt.date(2026, 3, 31)),  # noqa: DTZ001 (a naive cell value)
        (dt.date(2026, 3, 31), dt.date(2026, 3, 31)),
    ],
)
def test_dates_from_1990_to_2100_are_accepted(value, expected):
    assert clean_date(value, field="deadline", label="整改时限") == expected


@pytest.mark.parametrize(
    "value", ["1989-12-31", "2101-01-01", dt.date(1, 1, 1), dt.date(9999, 12, 31), "0206-03-31"]
)
def test_dates_outside_1990_to_2100_are_refused_with_the_field_named(value):
    with pytest.raises(Invalid) as caught:
        clean_date(value, field="deadline", label="整改时限")
    assert caught.value.fields == {"deadline": "整改时限应在 1990-01-01 至 2100-12-31 之间"}
