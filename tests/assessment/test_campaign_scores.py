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

from shiji.assessment.campaign import indicator_values
from tests.assessment.campaign_records import END, START, module_fixtures
from tests.conftest import make_tree

shared, world, records, _media_root = module_fixtures()


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
    b = make_tree("zc", "丙高新区", "贵州").zone.pk  # the shared world's zones have records
    values = indicator_values(zone_ids=[b], start=START, end=END)
    assert values[b]["ledger.closure_rate"] is None
    assert values[b]["regulations.issued"] == 0
    assert values[b]["outreach.satisfaction"] is None


# The other figures, and the same figures per org subtree -------------------------
#
# Zone A, study: 5 active people; present in the period 张三 李四 (03-20) and
# 赵六 (04-05) → 3/5 = 60.0 % (王五 only on 02-10; 钱七 not marked).
# Tasks due in the period: t1 (04-15) × 3 orgs; reported by the deadline:
# 经济发展局党支部 (04-10) → 1/3 = 33.3 % (t2 is due 06-15).
#
# Zone A's 党工委 has three children:
#   机关党委 (with 经济发展局党支部): people 3, studied 2 → 66.7 %; tasks 1/1;
#     problems p1 p2 (2, both closed → 100.0 %), on time 1/2, relapse 0/2,
#     1 extension on 1 problem; rule r1; feedback f1 on time 1/1;
#     ratings 1/1 满意.
#   经济(社会)组织党委 (with 某科技公司党支部): people 2, studied 1 → 50.0 %;
#     tasks 0/1; problems p3 p4 (closed 0/2), on time 0/0 → None, relapse
#     1/1; 2 extensions on 1 problem; rule r2; feedback f2 late 0/1;
#     ratings 1/2 (不满意, 基本满意).
#   投资集团党委: people 0 → None; tasks 0/1; problem p7 open; no rules,
#     no feedback.
#   党工委 itself (本级): nothing.


def test_zone_figures_of_study_and_tasks(world, records):
    from shiji.assessment.campaign import zone_figures

    f = zone_figures(zone_ids=[world.a.zone.pk], start=START, end=END)[world.a.zone.pk]
    assert (f.studied, f.people, f.study_coverage.percent) == (3, 5, Decimal("60.0"))
    assert (f.tasks_on_time, f.tasks_due, f.task_on_time.percent) == (1, 3, Decimal("33.3"))
    assert (f.problems, f.closed, f.closed_with_deadline, f.closed_on_time) == (5, 2, 2, 1)
    assert (f.ever_closed, f.relapsed, f.extensions, f.extended) == (3, 1, 3, 2)
    cats = records.categories["a"]
    assert f.by_category == {cats[0].pk: 4, cats[1].pk: 1}
    assert (f.rules, f.feedback_answered, f.feedback_on_time) == (2, 2, 1)
    assert (f.ratings, f.good_ratings) == (3, 2)


def test_subtree_figures_of_each_child_of_the_top_org(world, records):
    from shiji.assessment.campaign import subtree_figures

    a = world.a
    figs = subtree_figures(
        zone_id=a.zone.pk,
        subtrees=[a.organ.path, a.econ.path, a.soe.path],
        own=a.root.path,
        start=START,
        end=END,
    )
    organ, econ, soe, own = (
        figs[a.organ.path],
        figs[a.econ.path],
        figs[a.soe.path],
        figs[a.root.path],
    )
    assert (organ.studied, organ.people, organ.study_coverage.percent) == (2, 3, Decimal("66.7"))
    assert (organ.tasks_on_time, organ.tasks_due) == (1, 1)
    assert (organ.problems, organ.closed, organ.closure.percent) == (2, 2, Decimal("100.0"))
    assert organ.rectification_on_time.percent == Decimal("50.0")
    assert (organ.relapsed, organ.ever_closed, organ.extensions, organ.extended) == (0, 2, 1, 1)
    assert (organ.rules, organ.feedback_on_time, organ.feedback_answered) == (1, 1, 1)
    assert (organ.good_ratings, organ.ratings) == (1, 1)

    assert (econ.studied, econ.people) == (1, 2)
    assert (econ.tasks_on_time, econ.tasks_due) == (0, 1)
    assert (econ.problems, econ.closed, econ.closure.percent) == (2, 0, Decimal("0.0"))
    assert econ.rectification_on_time.percent is None
    assert (econ.relapsed, econ.ever_closed, econ.relapse.percent) == (1, 1, Decimal("100.0"))
    assert (econ.extensions, econ.extended, econ.rules) == (2, 1, 1)
    assert (econ.feedback_on_time, econ.feedback_answered) == (0, 1)
    assert (econ.good_ratings, econ.ratings, econ.satisfaction.percent) == (1, 2, Decimal("50.0"))

    assert soe.study_coverage.percent is None
    assert (soe.tasks_on_time, soe.tasks_due, soe.problems, soe.rules) == (0, 1, 1, 0)
    assert (own.people, own.problems, own.tasks_due, own.rules, own.ratings) == (0, 0, 0, 0, 0)


def test_an_org_subtree_counts_its_descendants_only(world, records):
    from shiji.assessment.campaign import subtree_figures

    a = world.a
    figs = subtree_figures(zone_id=a.zone.pk, subtrees=[a.dept.path], start=START, end=END)
    assert list(figs) == [a.dept.path]
    f = figs[a.dept.path]
    assert (f.people, f.studied, f.problems, f.closed, f.rules) == (3, 2, 2, 2, 1)


def test_without_dates_the_period_starts_at_the_zones_latest_campaign(world, records):
    import datetime as dt

    from shiji.assessment.campaign import campaign_windows
    from shiji.campaigns.models import Campaign, ZoneCampaign

    older = Campaign.objects.create(
        code="c-2025", name="八项规定学习教育", year=2025, general_requirement="x",
        starts_on=dt.date(2025, 3, 1), ends_on=dt.date(2025, 7, 31),
    )  # fmt: skip
    newer = records.categories["a"][0].campaign
    ZoneCampaign.objects.create(zone=world.a.zone, campaign=older)
    ZoneCampaign.objects.create(zone=world.a.zone, campaign=newer)
    windows = campaign_windows([world.a.zone.pk, world.b.zone.pk], today=dt.date(2026, 6, 1))
    assert windows[world.a.zone.pk].start == newer.starts_on == dt.date(2026, 2, 24)
    assert windows[world.a.zone.pk].end == dt.date(2026, 6, 1)
    assert windows[world.b.zone.pk].start == dt.date(1900, 1, 1)  # no campaign: every record


def _more(world, records, code):
    """Another zone with its tree, people and a problem, and more records in
    zone A: the query count must stay the same."""
    from tests.conftest import make_tree

    tree = make_tree(code, f"{code}高新区", "江苏")
    from shiji.campaigns.models import ProblemCategory

    cat = ProblemCategory.objects.create(
        zone=tree.zone, campaign=records.categories["a"][0].campaign, code="x", name="形象工程"
    )
    from shiji.ledger import services as ledger

    ledger.problem_create(
        actor=world["sysadmin"], zone=tree.zone, org=tree.firm, source="self_check",
        category=cat, description="新区的问题", kind="deadline", found_on=START,
        deadline=END,
    )  # fmt: skip
    return tree


def test_zone_figures_take_eight_queries_whatever_the_number_of_zones(
    world, records, django_assert_num_queries
):
    from shiji.assessment.campaign import zone_figures

    ids = [world.a.zone.pk, world.b.zone.pk]
    with django_assert_num_queries(8):
        zone_figures(zone_ids=ids, start=START, end=END)
    more = [_more(world, records, f"z{i}") for i in range(3)]
    with django_assert_num_queries(8):
        found = zone_figures(zone_ids=ids + [t.zone.pk for t in more], start=START, end=END)
    assert found[more[0].zone.pk].problems == 1
    # Without dates, one more query: the zones' campaign starts.
    with django_assert_num_queries(9):
        zone_figures(zone_ids=ids + [t.zone.pk for t in more])


def test_subtree_figures_take_eight_queries_whatever_the_number_of_orgs(
    world, records, django_assert_num_queries
):
    from shiji.assessment.campaign import subtree_figures
    from shiji.orgs import services as orgs

    a = world.a
    with django_assert_num_queries(8):
        subtree_figures(zone_id=a.zone.pk, subtrees=[a.organ.path], start=START, end=END)
    extra = [
        orgs.org_create(
            actor=world["sysadmin"],
            zone=a.zone,
            parent=a.root,
            name=f"新党委{i}",
            kind="committee",
            sector="soe",
        )
        for i in range(4)
    ]
    with django_assert_num_queries(8):
        figs = subtree_figures(
            zone_id=a.zone.pk,
            subtrees=[a.organ.path, a.econ.path, a.soe.path, *[o.path for o in extra]],
            own=a.root.path,
            start=START,
            end=END,
        )
    assert figs[extra[0].path].problems == 0
