"""Campaign scores (运动实绩): every figure against values counted by hand on
the records of tests/assessment/campaign_records.py, for the period
2026-03-01 – 2026-05-31.

Zone A (甲高新区) — problems found in the period, not cancelled:
  p1 经济发展局党支部, closed 04-20, deadline 04-30       → closed on time
  p2 经济发展局党支部, closed 04-25, deadline 04-10, 1 extension → closed late
  p3 某科技公司党支部, in progress, 2 extensions
  p4 某科技公司党支部, closed then reopened (回头看)       → relapsed
  p7 投资集团党委, open, second category
  (p5 cancelled and p6 found 02-01 are not counted)
  problems 5 (category 1: 4, category 2: 1); closed 2 → 销号率 2/5 = 40.0 %;
  closed with a deadline 2, on time 1 → 50.0 %; ever closed 3 (p1 p2 p4),
  relapsed 1 → 33.3 %; extensions 3 on 2 problems.
  Rules issued in the period: r1 (04-02), r2 (05-31) → 2 (r3 02-27, r4 draft).
  Feedback received in the period: f1 answered 03-10 (due 03-16, on time),
  f2 answered 04-20 (due 04-15, late), f3 not answered → 1/2 = 50.0 %.
  Ratings given in the period: f1 满意 03-12, f2 不满意 04-22, f2 基本满意 05-05
  → 2/3 = 66.7 % (f4's 02-21 rating is before the period).
Zone B (乙高新区): q1 closed without a deadline, q2 open → 销号率 1/2 = 50.0 %,
  on-time None (no closed problem with a deadline), relapse 0/1 = 0.0 %;
  one rule (r5); no feedback → None.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from shiji.assessment.campaign import indicator_values
from tests.assessment.campaign_records import END, START, build


@pytest.fixture
def records(world):
    return build(world)


def test_indicator_values_of_each_zone_are_the_hand_counted_ones(world, records):
    a, b = world.a.zone.pk, world.b.zone.pk
    values = indicator_values(zone_ids=[a, b], start=START, end=END)
    assert values[a]["ledger.closure_rate"] == Decimal("40.0")
    assert values[a]["regulations.issued"] == 2
    assert values[a]["outreach.satisfaction"] == Decimal("66.7")
    assert values[a]["outreach.reply_on_time"] == Decimal("50.0")
    assert values[a]["ledger.on_time_rate"] == Decimal("50.0")
    assert values[a]["ledger.relapse_rate"] == Decimal("33.3")
    assert values[a]["ledger.extensions"] == 3
    assert values[b]["ledger.closure_rate"] == Decimal("50.0")
    assert values[b]["ledger.on_time_rate"] is None
    assert values[b]["ledger.relapse_rate"] == Decimal("0.0")
    assert values[b]["regulations.issued"] == 1
    assert values[b]["outreach.satisfaction"] is None
    assert values[b]["outreach.reply_on_time"] is None


def test_indicator_values_count_only_the_period_asked_for(world, records):
    a = world.a.zone.pk
    # April only: p3 (04-01) is the only problem found; r1 the only rule;
    # one rating (f2 不满意 04-22).
    import datetime as dt

    values = indicator_values(zone_ids=[a], start=dt.date(2026, 4, 1), end=dt.date(2026, 4, 30))
    assert values[a]["ledger.closure_rate"] == Decimal("0.0")
    assert values[a]["regulations.issued"] == 1
    assert values[a]["outreach.satisfaction"] == Decimal("0.0")


def test_indicator_values_of_a_zone_without_records_are_none_and_zero(world):
    b = world.b.zone.pk
    values = indicator_values(zone_ids=[b], start=START, end=END)
    assert values[b]["ledger.closure_rate"] is None
    assert values[b]["regulations.issued"] == 0
    assert values[b]["outreach.satisfaction"] is None
