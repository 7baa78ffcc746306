"""Coverage per org subtree against figures worked out by hand.

The fixture zone A: 机关党委 → 经济发展局党支部 (张三, 李四, 王五);
经济(社会)组织党委 → 某科技公司党支部 (赵六, 钱七); 投资集团党委 (nobody).

Sessions (2026 unless said otherwise):
  S1 03-10 branch, 2 h:   张三 ✓, 李四 ✗ 出差, 王五 ✓
  S2 04-01 机关党委, 1.5 h: 张三 ✓
  S3 03-20 firm, 3 h:     赵六 ✓, 钱七 ✗ 病假
  S4 2025-12-01 branch, 4 h: 李四 ✓   (before the range)
  zone B: one session, which must change nothing.

From 2026-01-01: members 5, reached 3 (张三, 王五, 赵六) = 60 %;
hours 3.5 + 2 + 3 = 8.5, per member 1.70; never reached 李四, 钱七.
机关党委 row: 2 / 3, 5.5 h, 1.83 per member; 经济(社会)组织党委: 1 / 2, 3 h, 1.50;
投资集团党委: 0 members. With no range: 4 / 5, 12.5 h, 2.50 per member.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from shiji.orgs.models import Person
from shiji.study import selectors

FROM = dt.date(2026, 1, 1)
TO = dt.date(2026, 11, 1)


@pytest.fixture
def sessions(world, make_session):
    make_session(
        org=world.a.dept,
        date=dt.date(2026, 3, 10),
        hours="2",
        present=["张三", "王五"],
        absent={"李四": "出差"},
    )
    make_session(org=world.a.organ, date=dt.date(2026, 4, 1), hours="1.5", present=["张三"])
    make_session(
        org=world.a.firm,
        date=dt.date(2026, 3, 20),
        hours="3",
        present=["赵六"],
        absent={"钱七": "病假"},
    )
    make_session(org=world.a.dept, date=dt.date(2025, 12, 1), hours="4", present=["李四"])
    make_session(
        org=world.b.dept,
        actor=world["outsider"],
        date=dt.date(2026, 3, 10),
        hours="5",
        present=["张三", "李四", "王五"],
    )


def test_zone_figures_match_the_hand_computed_values(world, sessions, django_assert_num_queries):
    with django_assert_num_queries(3):
        figures = selectors.coverage(org=world.a.root, date_from=FROM, date_to=TO)
    t = figures.total
    assert (t.members, t.reached, t.hours) == (5, 3, Decimal("8.5"))
    assert t.share == pytest.approx(0.6)
    assert t.percent == 60
    assert t.hours_per_member == Decimal("1.70")
    assert [p.name for p in figures.never_reached] == ["李四", "钱七"]
    assert figures.never_reached_count == 2


def test_child_org_rows_show_who_is_behind(world, sessions):
    figures = selectors.coverage(org=world.a.root, date_from=FROM, date_to=TO)
    rows = {r.label: (r.members, r.reached, r.hours, r.hours_per_member) for r in figures.rows}
    assert rows == {
        world.a.organ.name: (3, 2, Decimal("5.5"), Decimal("1.83")),
        world.a.econ.name: (2, 1, Decimal("3.0"), Decimal("1.50")),
        world.a.soe.name: (0, 0, Decimal("0"), Decimal("0")),
    }
    assert [r.org for r in figures.rows] == [world.a.organ, world.a.econ, world.a.soe]


def test_without_a_range_every_session_counts(world, sessions):
    t = selectors.coverage(org=world.a.root).total
    assert (t.members, t.reached, t.hours, t.hours_per_member) == (
        5,
        4,
        Decimal("12.5"),
        Decimal("2.50"),
    )


def test_branch_figures_have_a_row_for_its_own_members(world, sessions):
    figures = selectors.coverage(org=world.a.dept, date_from=FROM, date_to=TO)
    assert [(r.org, r.label, r.members, r.reached) for r in figures.rows] == [
        (None, f"{world.a.dept.name}（本级）", 3, 2)
    ]
    assert figures.total.hours == Decimal("5.5")  # 张三 2 + 1.5, 王五 2


def test_people_no_longer_on_the_roster_are_not_members(world, sessions):
    Person.objects.filter(org=world.a.dept, name="李四").update(is_active=False)
    t = selectors.coverage(org=world.a.dept, date_from=FROM, date_to=TO).total
    assert (t.members, t.reached) == (2, 2)


def test_a_subtree_with_nobody_reached_is_zero_not_an_error(world, kinds):
    figures = selectors.coverage(org=world.a.soe, date_from=FROM, date_to=TO)
    assert (figures.total.members, figures.total.reached, figures.total.share) == (0, 0, 0.0)
    assert figures.total.hours_per_member == Decimal(0)
