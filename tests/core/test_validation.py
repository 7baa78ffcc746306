"""Field cleaners shared by every service and import: dates; and the one id
parser and the one search-term cleaner that every view, API operation and
selector uses for what clients send."""

from __future__ import annotations

import datetime as dt

import pytest

from shiji.core.errors import Invalid
from shiji.core.validation import MAX_ID, clean_date, clean_search, parse_id


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


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (7, 7),
        ("7", 7),
        (" 42 ", 42),
        (MAX_ID - 1, MAX_ID - 1),
    ],
)
def test_parse_id_reads_positive_integers(raw, expected):
    assert parse_id(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        None,
        "",
        "abc",
        "0",
        0,
        "-1",
        -5,
        str(10**30),
        10**30,
        MAX_ID,
        "1\x00",
        True,
        False,
        1.5,
        "1.0",
        [1],
        {},
    ],
)
def test_parse_id_turns_anything_else_into_an_id_that_matches_nothing(raw):
    assert parse_id(raw) == -1


def test_clean_search_strips_nul_trims_and_caps():
    assert clean_search(None) == ""
    assert clean_search("  审批\x00时限 ") == "审批时限"
    assert clean_search("x" * 500) == "x" * 100
    assert clean_search("abcdef", max_length=3) == "abc"
    assert clean_search(12) == "12"


def test_bad_ids_and_nul_in_search_terms_are_harmless_on_every_list_page(world, login):
    client = login(world["zone_admin"])
    for url in ("/ledger/", "/regulations/", "/campaigns/tasks/", "/study/"):
        for params in ({"q": "\x00审批"}, {"zone": "1\x00"}, {"org": str(10**30)}):
            response = client.get(url, params)
            assert response.status_code in (200, 404), (url, params, response.status_code)
