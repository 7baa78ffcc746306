"""Progress and scores (assessment.scores) on a small fixture whose every
figure is written out below, with the expected numbers worked out by hand.

Zone A, 2026, targets and confirmed figures (weights are the library's,
all placeholders):

  structure · 显绩
    规上工业总产值 (quarter, w 0.3): target 400; Q1 90.5 + Q2 99.5 = 190 confirmed
        (Q3 131.7 awaits confirmation, not counted) → compared with
        400 × 2/4 = 200 → 95% → 95
    工业增加值 (quarter, w 0.3): target 80; Q1 25.2 → compared with 80 × 1/4 = 20
        → 126% → capped: 100
    → (0.3 × 95 + 0.3 × 100) ÷ 0.6 = 97.5
  structure · 潜绩
    高新技术企业数 (year, w 0.2): target 200; 150 (a jump against 2025's 80,
        confirmed with a note) → 75%
    战略性新兴产业营业收入占比 (w 0.2): target 40, no figure → not counted
    → 75
  green · 潜绩
    单位增加值综合能耗 (lower is better, w 0.4): target 0.40; 0.50 → 0.40 ÷ 0.50
        = 80%
    空气质量优良天数比例: figure 90, no target → not counted
    → 80
  openness · 显绩
    技术服务出口占比 (w 0.4): target 20; 15 → 75%
    → 75
  quality · 显绩
    营业收入 (quarter): target 1000; Q1 260.4 awaits confirmation → not counted
    全员劳动生产率 (w 0.2): target 30; 27 → 90%
    → 90
  quality · 潜绩
    问题整改完成率 (quarter, %, w 0.3): target 90; Q1 80 and Q2 85.5 confirmed,
        no platform records → the latest period: 85.5 ÷ 90 = 95%
    → 95

  显绩 = (97.5 + 75 + 90) ÷ 3 = 87.5
  潜绩 = (75 + 80 + 95) ÷ 3 = 83.333… → 83.3
  综合 = (87.5 + 83.333…) ÷ 2 = 85.4166… → 85.4
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from shiji.assessment import scores
from shiji.assessment.models import Indicator
from shiji.assessment.services import measurement_confirm, target_set
from shiji.core.errors import Invalid

AS_OF = dt.date(2026, 12, 1)
NOTE = "新认定一批高新技术企业，已与科技局核实"

TARGETS = {
    "industrial-output": ("gte", "400"),
    "industrial-value-added": ("gte", "80"),
    "high-tech-firms": ("gte", "200"),
    "emerging-revenue-share": ("gte", "40"),
    "energy-intensity": ("lte", "0.40"),
    "tech-service-export-share": ("gte", "20"),
    "revenue": ("gte", "1000"),
    "labor-productivity": ("gte", "30"),
    "rectification-rate": ("gte", "90"),
}
CONFIRMED = [
    ("high-tech-firms", "2025", "80"),
    ("industrial-output", "2026Q1", "90.5"),
    ("industrial-output", "2026Q2", "99.5"),
    ("industrial-value-added", "2026Q1", "25.2"),
    ("high-tech-firms", "2026", "150"),
    ("energy-intensity", "2026", "0.50"),
    ("good-air-days", "2026", "90"),
    ("tech-service-export-share", "2026", "15"),
    ("labor-productivity", "2026", "27"),
    ("rectification-rate", "2026Q1", "80"),
    ("rectification-rate", "2026Q2", "85.5"),
]
PENDING = [("industrial-output", "2026Q3", "131.7"), ("revenue", "2026Q1", "260.4")]


def build_scores(world, enter, *, zone=None, admin=None, enterer=None):
    """The fixture above, for ``zone`` (zone A unless told)."""
    zone = zone or world.a.zone
    admin = admin or world["zone_admin"]
    enterer = enterer or world["liaison"]
    for code, (comparator, value) in TARGETS.items():
        target_set(actor=admin, zone=zone, indicator=code, period="2026",
                   comparator=comparator, value=value)  # fmt: skip
    target_set(actor=admin, zone=zone, indicator="industrial-output", period="十五五",
               comparator="gt", value="1000")  # fmt: skip
    for code, period, value in CONFIRMED:
        m = enter(code, period, value, zone=zone, actor=enterer)
        measurement_confirm(actor=admin, measurement=m, note=NOTE if m.flags else "")
    for code, period, value in PENDING:
        enter(code, period, value, zone=zone, actor=enterer)


def records_off(monkeypatch) -> None:
    """No platform records: the campaign figures are left out of the
    hand-computed fixture (their own test below gives them)."""
    monkeypatch.setattr(scores, "_records", lambda zone_ids, start, end, codes: {})


@pytest.fixture
def no_records(monkeypatch):
    records_off(monkeypatch)


@pytest.fixture
def fixture(world, enter, no_records):
    build_scores(world, enter)
    return world


def score(world, zone=None, year=2026, as_of=AS_OF):
    (result,) = scores.zone_scores(zones=[zone or world.a.zone], year=year, as_of=as_of)
    return result


def item(result, code):
    return next(i for i in result.items if i.indicator.code == code)


def test_visible_and_latent_are_scored_apart_and_the_composite_is_their_mean(fixture):
    result = score(fixture)

    assert result.visible == Decimal("87.5")
    assert result.latent == Decimal("83.3")
    assert result.composite == Decimal("85.4")


def test_each_dimension_has_a_visible_and_a_latent_score(fixture):
    dims = {d.code: (d.visible, d.latent) for d in score(fixture).dimensions}

    assert dims == {
        "innovation": (None, None),
        "structure": (Decimal("97.5"), Decimal("75")),
        "green": (None, Decimal("80")),
        "openness": (Decimal("75"), None),
        "quality": (Decimal("90"), Decimal("95")),
    }


def test_quarterly_amounts_add_up_and_meet_the_target_pro_rata(fixture):
    output = item(score(fixture), "industrial-output")

    assert output.basis == "sum" and output.periods == ["2026Q1", "2026Q2"]
    assert output.value == Decimal("190") and output.period == "2026Q1–2026Q2"
    assert output.target_compared == Decimal("200")
    assert output.progress == Decimal("95") and output.score == Decimal("95")
    assert output.on_track is False
    assert output.pending == 1  # Q3 awaits confirmation and does not count
    assert output.plan_target.value == Decimal("1000")


def test_progress_beyond_the_target_is_capped_at_100(fixture):
    added = item(score(fixture), "industrial-value-added")

    assert added.target_compared == Decimal("20")
    assert added.progress == Decimal("126") and added.on_track is True
    assert added.score == Decimal("100")


def test_lower_is_better_divides_the_target_by_the_value(fixture):
    energy = item(score(fixture), "energy-intensity")

    assert energy.value == Decimal("0.5") and energy.progress == Decimal("80")


def test_a_quarterly_rate_uses_the_latest_confirmed_quarter(fixture):
    rate = item(score(fixture), "rectification-rate")

    assert rate.basis == "latest" and rate.periods == ["2026Q2"]
    assert rate.value == Decimal("85.5") and rate.score == Decimal("95")


def test_figures_without_a_target_and_targets_without_a_confirmed_figure_do_not_count(fixture):
    result = score(fixture)

    air, share, revenue = (item(result, c) for c in
                           ("good-air-days", "emerging-revenue-share", "revenue"))  # fmt: skip
    assert air.value == Decimal("90") and air.target is None and air.score is None
    assert share.target is not None and share.value is None and share.score is None
    # Entered but not confirmed: no value, counted as pending.
    assert revenue.value is None and revenue.score is None and revenue.pending == 1
    assert result.pending == 2


def test_weights_are_normalized_over_the_indicators_that_count(fixture):
    result = score(fixture)

    assert item(result, "high-tech-firms").weight_share == 1  # its partner has no figure
    assert item(result, "industrial-output").weight_share == Decimal("0.5")
    assert result.placeholder_weights is True

    Indicator.objects.filter(code="industrial-output").update(weight=Decimal("0.1"))
    Indicator.objects.update(weight_is_placeholder=False)
    result = score(fixture)
    # (0.1 × 95 + 0.3 × 100) ÷ 0.4 = 98.75 → 98.8
    assert result.dimension("structure").visible == Decimal("98.8")
    assert result.placeholder_weights is False


def test_flags_of_the_figures_used_come_with_the_confirmers_note(fixture):
    result = score(fixture)

    firms = item(result, "high-tech-firms")
    assert [(f.kind, f.period, f.note) for f in firms.flags] == [("jump", "2026", NOTE)]
    assert "80" in firms.flags[0].reason
    assert result.flagged == 1


def test_a_year_without_targets_or_figures_has_no_scores(fixture):
    result = score(fixture, year=2027)

    assert (result.visible, result.latent, result.composite) == (None, None, None)
    assert not result.has_targets and not result.has_figures


def test_without_a_latent_score_there_is_no_composite(world, enter, no_records):
    target_set(actor=world["zone_admin"], zone=world.a.zone, indicator="labor-productivity",
               period="2026", comparator="gte", value="30")  # fmt: skip
    m = enter("labor-productivity", "2026", "27")
    measurement_confirm(actor=world["zone_admin"], measurement=m)

    result = score(world)

    assert (result.visible, result.latent, result.composite) == (Decimal("90"), None, None)


def test_platform_records_replace_figures_and_amounts_follow_the_days_elapsed(fixture, monkeypatch):
    asked = []

    def records(zone_ids, start, end, codes):
        asked.append((list(zone_ids), start, end))
        # Only the records the active indicators are drawn from are read.
        assert codes == {"ledger.closure_rate", "regulations.issued", "outreach.satisfaction"}
        return {fixture.a.zone.pk: {"ledger.closure_rate": Decimal("72"),
                                    "regulations.issued": Decimal("3"),
                                    "outreach.satisfaction": None}}  # fmt: skip

    monkeypatch.setattr(scores, "_records", records)
    target_set(actor=fixture["zone_admin"], zone=fixture.a.zone, indicator="rules-made",
               period="2026", comparator="gte", value="4")  # fmt: skip

    # 1 April: 91 of 365 days (Jan 31 + Feb 28 + Mar 31 + 1).
    result = score(fixture, as_of=dt.date(2026, 4, 1))

    assert asked == [([fixture.a.zone.pk], dt.date(2026, 1, 1), dt.date(2026, 4, 1))]
    rate = item(result, "rectification-rate")
    assert rate.basis == "records" and rate.value == Decimal("72")
    assert rate.progress == Decimal("80")  # 72 ÷ 90, a rate: not pro rata
    rules = item(result, "rules-made")
    # 3 ÷ (4 × 91/365) = 3.008… → 300.8%, capped at 100.
    assert rules.progress == Decimal("300.8") and rules.score == Decimal("100")
    # quality · 潜绩: (0.3 × 80 + 0.2 × 100) ÷ 0.5 = 88
    assert result.dimension("quality").latent == Decimal("88")


def test_the_year_must_be_one_of_the_plan(db):
    assert scores.clean_year("2028") == 2028
    for bad in ("2025", "2031", "abc", "", None):
        with pytest.raises(Invalid) as caught:
            scores.clean_year(bad)
        assert "year" in caught.value.fields
    assert scores.default_year(dt.date(2025, 6, 1)) == 2026
    assert scores.default_year(dt.date(2027, 6, 1)) == 2027
    assert scores.default_year(dt.date(2033, 6, 1)) == 2030


def test_scores_of_many_zones_cost_the_same_queries(
    world, enter, no_records, django_assert_num_queries
):
    build_scores(world, enter)
    with django_assert_num_queries(3):
        scores.zone_scores(zones=[world.a.zone], year=2026, as_of=AS_OF)
    build_scores(world, enter, zone=world.b.zone, admin=world["sysadmin"],
                 enterer=world["outsider"])  # fmt: skip
    with django_assert_num_queries(3):
        both = scores.zone_scores(zones=[world.a.zone, world.b.zone], year=2026, as_of=AS_OF)
    assert [r.visible for r in both] == [Decimal("87.5"), Decimal("87.5")]


def test_campaign_indicators_are_drawn_from_the_zones_own_records(world, library):
    """The records of tests/assessment/campaign_records.py, reckoned on 31
    May 2026 from 1 January (151 of 365 days): zone A found 6 problems that
    were not cancelled (p1–p4, p6, p7) and closed 2 → 33.3%; issued 3 rules
    (r1, r2, r3); 3 of 4 ratings satisfied or basically → 75.0%."""
    from tests.assessment.campaign_records import END, build

    build(world)
    admin, zone = world["zone_admin"], world.a.zone
    for code, value in (("rectification-rate", "66.6"), ("rules-made", "8"),
                        ("satisfaction", "100")):  # fmt: skip
        target_set(actor=admin, zone=zone, indicator=code, period="2026", comparator="gte",
                   value=value)  # fmt: skip

    result = score(world, as_of=END)

    rate, rules, happy = (item(result, c) for c in
                          ("rectification-rate", "rules-made", "satisfaction"))  # fmt: skip
    assert (rate.basis, rate.value, rate.progress) == ("records", Decimal("33.3"), Decimal("50"))
    # 3 ÷ (8 × 151/365) = 1095/1208 = 0.90645… → 90.6%
    assert (rules.value, rules.progress) == (Decimal("3"), Decimal("90.6"))
    assert rules.target_compared == Decimal(8) * 151 / 365
    assert (happy.value, happy.progress) == (Decimal("75.0"), Decimal("75"))
    # quality · 潜绩 (0.3 × 50 + 0.2 × 90.645…) ÷ 0.5 = 66.258…; green · 潜绩 75
    assert result.dimension("quality").latent == Decimal("66.3")
    assert result.dimension("green").latent == Decimal("75")
    # (66.258… + 75) ÷ 2 = 70.629…
    assert result.latent == Decimal("70.6") and result.visible is None


def test_a_count_from_the_records_is_zero_not_missing(world, library):
    target_set(actor=world["zone_admin"], zone=world.a.zone, indicator="rules-made",
               period="2026", comparator="gte", value="4")  # fmt: skip

    rules = item(score(world), "rules-made")

    assert rules.value == 0 and rules.score == 0 and rules.on_track is False


def test_scores_with_the_records_cost_the_same_queries_for_more_zones(
    world, enter, django_assert_num_queries
):
    build_scores(world, enter)
    with django_assert_num_queries(len_one := _count(world, [world.a.zone])):
        scores.zone_scores(zones=[world.a.zone], year=2026, as_of=AS_OF)
    build_scores(world, enter, zone=world.b.zone, admin=world["sysadmin"],
                 enterer=world["outsider"])  # fmt: skip
    with django_assert_num_queries(len_one):
        scores.zone_scores(zones=[world.a.zone, world.b.zone], year=2026, as_of=AS_OF)


def _count(world, zones) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as seen:
        scores.zone_scores(zones=zones, year=2026, as_of=AS_OF)
    return len(seen.captured_queries)


def test_qingyuans_sample_data_gives_both_scores(library, no_records):
    """The demo's 清远 (assessment.samples), records aside:
    显绩 structure 171.3 ÷ (620 × 1/4) → 100; openness 10.2 ÷ 12 → 85;
    quality (0.3 × 100 [520 ÷ 475] + 0.2 × 92 [41.4 ÷ 45]) ÷ 0.5 = 96.8
    → (100 + 85 + 96.8) ÷ 3 = 93.93… → 93.9.
    潜绩 innovation (0.3 × 90 + 0.25 × 90) ÷ 0.55 = 90; structure 138 ÷ 150 = 92;
    green (0.4 × 93.75 [0.45 ÷ 0.48] + 0.3 × 100 + 0.3 × 100 [91.5 ÷ 90]) = 97.5;
    quality 86 ÷ 90 = 95.55… → (90 + 92 + 97.5 + 95.55…) ÷ 4 = 93.76… → 93.8.
    综合 (93.93… + 93.76…) ÷ 2 = 93.85 → 93.8."""
    from shiji.assessment.periods import parse_period
    from shiji.assessment.samples import (
        sample_figures_load,
        sample_targets_load,
        sample_year_figures_load,
    )
    from shiji.orgs import services
    from tests.conftest import SYSTEM, make_user

    zone = services.zone_create(actor=SYSTEM, code="qingyuan", name="清远高新区",
                                short_name="清远", province="广东", city="清远")  # fmt: skip
    enterer = make_user("qy_a", zone, [{"role": "zone_admin", "zone": zone}])
    confirmer = make_user("qy_b", zone, [{"role": "zone_admin", "zone": zone}])
    sample_targets_load(actor=SYSTEM)
    sample_figures_load(zone=zone, enterer=enterer, confirmer=confirmer,
                        quarter=parse_period("2026Q3"))  # fmt: skip
    made = sample_year_figures_load(zone=zone, enterer=enterer, confirmer=confirmer, year=2026)

    (result,) = scores.zone_scores(zones=[zone], year=2026, as_of=AS_OF)

    assert made == 7
    assert (result.visible, result.latent, result.composite) == (
        Decimal("93.9"), Decimal("93.8"), Decimal("93.8"))  # fmt: skip
    assert result.flagged == 2  # revenue's jump, and the correction after lock
    assert sample_year_figures_load(zone=zone, enterer=enterer, confirmer=confirmer,
                                    year=2026) == 0  # fmt: skip
