"""The figures ``make bench`` prints (bench/stats.py): medians, the p95 by
nearest rank, each figure's ratio to its floor, and the markdown table."""

import pytest

from bench.stats import Figure, from_samples, median, p95, ratio, table


def test_the_median_of_an_odd_and_an_even_number_of_samples():
    assert median([3.0, 1.0, 2.0]) == 2.0
    assert median([4.0, 1.0, 3.0, 2.0]) == 2.5


def test_the_p95_is_the_nearest_rank():
    # Of 20 samples 1..20, 95 % is 19 samples: the 19th smallest.
    assert p95([float(n) for n in range(20, 0, -1)]) == 19.0
    # Of 10, ceil(9.5) = 10: the largest.
    assert p95([float(n) for n in range(1, 11)]) == 10.0
    assert p95([7.0]) == 7.0


def test_no_samples_is_an_error_not_a_zero():
    with pytest.raises(ValueError):
        median([])
    with pytest.raises(ValueError):
        p95([])


def test_a_ratio_needs_a_floor_above_zero():
    assert ratio(30.0, 2.0) == 15.0
    assert ratio(30.0, None) is None
    assert ratio(30.0, 0.0) is None
    assert ratio(None, 2.0) is None


def test_samples_in_seconds_become_milliseconds_for_pages():
    figure = from_samples("zone list", [0.010, 0.030, 0.020], floor=2.0, floor_name="raw SQL")
    assert figure.median == pytest.approx(20.0)
    assert figure.p95 == pytest.approx(30.0)
    assert figure.runs == 3
    assert figure.ratio == pytest.approx(10.0)
    assert figure.as_dict()["ratio"] == pytest.approx(10.0)


def test_the_table_shows_each_figure_with_its_floor_and_ratio():
    figures = [
        Figure("zone list (HTML)", 36.04, 41.26, floor=1.2, floor_name="raw SQL"),
        Figure("export, 100,000 rows", 21.0, unit="s", floor=17.5, floor_name="bare XlsxWriter"),
        Figure("import dry run, 10,000 rows", 11.0, unit="s"),
        Figure("home: national viewer", 153.2, 170.0, floor=4.0, floor_name="empty view"),
    ]
    assert table(figures).splitlines() == [
        "| figure | median | p95 | floor | ratio |",
        "|---|---:|---:|---:|---:|",
        "| zone list (HTML) | 36.0 ms | 41.3 ms | 1.2 ms (raw SQL) | 30.0× |",
        "| export, 100,000 rows | 21.0 s | — | 17.5 s (bare XlsxWriter) | 1.2× |",
        "| import dry run, 10,000 rows | 11.0 s | — | — | — |",
        "| home: national viewer | 153 ms | 170 ms | 4.0 ms (empty view) | 38.3× |",
    ]
