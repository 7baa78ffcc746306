"""Measurements: entered by one person, confirmed by another, locked on
confirmation, corrected as new rows with a reason; plausibility flags that
trip and that do not; scope (another zone is a 404) and bad input."""

from __future__ import annotations

from decimal import Decimal

import pytest

from shiji.assessment import selectors
from shiji.assessment.models import Measurement
from shiji.assessment.periods import parse_period
from shiji.assessment.services import measurement_confirm, measurement_correct
from shiji.assessment.services.targets import target_set
from shiji.audit.models import AuditEvent
from shiji.audit.verify import verify_all
from shiji.core.errors import Conflict, Forbidden, Invalid, NotFound
from tests.conftest import SYSTEM


def kinds(m):
    return [f["kind"] for f in m.flags]


# Entering ------------------------------------------------------------------------------


def test_a_liaison_enters_a_figure_that_awaits_confirmation(world, enter):
    m = enter("industrial-output", "2026-q1", "312.5", report="规上工业企业主要指标月报")

    m.refresh_from_db()
    assert (m.period, m.value, m.status, m.is_current, m.flags) == (
        "2026Q1", Decimal("312.5"), "entered", True, [],
    )  # fmt: skip
    assert (m.source, m.report, m.entered_by) == (
        "统计局",
        "规上工业企业主要指标月报",
        world["liaison"],
    )
    event = AuditEvent.objects.get(action="measurement.enter")
    assert event.zone_id == world.a.zone.pk
    assert event.changes["value"] == [None, "312.5000"]
    assert verify_all().ok


@pytest.mark.parametrize(
    ("indicator", "period", "value", "field"),
    [
        ("gdp", "2026Q1", "1", "indicator"),
        ("industrial-output", "2026", "1", "period"),  # a quarterly indicator
        ("industrial-output", "2026Q5", "1", "period"),
        ("industrial-output", "1999Q1", "1", "period"),
        ("industrial-output", "2026Q1", "三百", "value"),
        ("industrial-output", "2026Q1", "-1", "value"),
        ("industrial-output", "2026Q1", "1.00001", "value"),
        ("industrial-output", "2026Q1", "NaN", "value"),
        ("rd-staff-share", "2026", "120", "value"),  # a share above 100
        ("industrial-output", "2026Q1", "1e20", "value"),
    ],
)
def test_bad_input_is_refused_by_field_and_writes_nothing(world, enter, indicator, period,
                                                          value, field):  # fmt: skip
    with pytest.raises(Invalid) as caught:
        enter(indicator, period, value)
    assert field in caught.value.fields
    assert not Measurement.objects.exists()
    assert not AuditEvent.objects.filter(action="measurement.enter").exists()


def test_a_missing_source_is_refused(world, enter):
    with pytest.raises(Invalid) as caught:
        enter("industrial-output", "2026Q1", "1", source="")
    assert "source" in caught.value.fields


def test_another_zone_is_not_found_and_a_viewer_or_leader_may_not_enter(world, enter):
    with pytest.raises(NotFound):
        enter("industrial-output", "2026Q1", "1", actor=world["outsider"])
    with pytest.raises(Forbidden):
        enter("industrial-output", "2026Q1", "1", actor=world["national"])
    with pytest.raises(Forbidden):
        enter("industrial-output", "2026Q1", "1", actor=world["leader"])
    assert not Measurement.objects.exists()


def test_a_second_figure_for_the_same_period_is_a_conflict(world, enter):
    m = enter("industrial-output", "2026Q1", "300")
    with pytest.raises(Conflict, match="待确认"):
        enter("industrial-output", "2026Q1", "301", actor=world["secretary"])
    measurement_confirm(actor=world["zone_admin"], measurement=m)
    with pytest.raises(Conflict, match="已确认锁定"):
        enter("industrial-output", "2026Q1", "301")
    assert Measurement.objects.count() == 1


# Two people ----------------------------------------------------------------------------


def test_confirmation_by_another_person_locks_the_figure(world, enter):
    m = enter("industrial-output", "2026Q1", "300")

    measurement_confirm(actor=world["zone_admin"], measurement=m, note="与统计局月报核对一致")

    m.refresh_from_db()
    assert (m.status, m.confirmed_by, m.confirm_note) == (
        "confirmed", world["zone_admin"], "与统计局月报核对一致",
    )  # fmt: skip
    assert m.is_locked and m.confirmed_at is not None
    event = AuditEvent.objects.get(action="measurement.confirm")
    assert event.note == "与统计局月报核对一致"
    assert event.changes == {"status": ["entered", "confirmed"]}


def test_the_one_who_entered_may_not_confirm(world, enter):
    m = enter("industrial-output", "2026Q1", "300", actor=world["zone_admin"])
    with pytest.raises(Forbidden, match="填报人不能确认"):
        measurement_confirm(actor=world["zone_admin"], measurement=m)
    m.refresh_from_db()
    assert m.status == "entered"
    measurement_confirm(actor=world["sysadmin"], measurement=m)


def test_a_second_confirmation_is_a_conflict(world, enter):
    m = enter("industrial-output", "2026Q1", "300")
    measurement_confirm(actor=world["zone_admin"], measurement=m)
    with pytest.raises(Conflict):
        measurement_confirm(actor=world["sysadmin"], measurement=m)
    assert AuditEvent.objects.filter(action="measurement.confirm").count() == 1


def test_only_the_task_force_confirms_and_another_zone_is_not_found(world, enter):
    m = enter("industrial-output", "2026Q1", "300")
    for who in ("secretary", "supervisor", "leader", "national"):
        with pytest.raises(Forbidden):
            measurement_confirm(actor=world[who], measurement=m)
    with pytest.raises(NotFound):
        measurement_confirm(actor=world["outsider"], measurement=m)
    with pytest.raises(NotFound):
        selectors.measurement_get_for_user(user=world["outsider"], pk=m.pk)
    assert selectors.measurement_get_for_user(user=world["national"], pk=m.pk) == m


# Plausibility --------------------------------------------------------------------------


def confirmed(world, enter, indicator, period, value):
    m = enter(indicator, period, value, actor=SYSTEM)
    return measurement_confirm(actor=world["zone_admin"], measurement=m)


@pytest.mark.parametrize(("value", "flagged"), [("201", True), ("149.9", False), ("50", False),
                                                 ("49", True)])  # fmt: skip
def test_a_change_against_the_year_before_beyond_the_usual_range_is_flagged(
    world, enter, value, flagged
):
    confirmed(world, enter, "revenue", "2025Q1", "100")

    m = enter("revenue", "2026Q1", value)

    assert kinds(m) == (["jump"] if flagged else [])
    if flagged:
        assert "2025Q1" in m.flags[0]["reason"] and "±50%" in m.flags[0]["reason"]


def test_the_usual_range_is_the_indicators_own(world, enter):
    # 单位增加值综合能耗 moves at most ±30% in the library.
    confirmed(world, enter, "energy-intensity", "2025", "0.5")
    assert kinds(enter("energy-intensity", "2026", "0.34")) == ["jump"]
    assert kinds(enter("energy-intensity", "2027", "0.3")) == []  # -11.8% against 2026


@pytest.mark.parametrize(("added", "flagged"), [("250", True), ("200", False), ("60", False)])
def test_a_part_above_its_whole_is_flagged_from_either_side(world, enter, added, flagged):
    enter("industrial-output", "2026Q1", "200")
    m = enter("industrial-value-added", "2026Q1", added)
    assert kinds(m) == (["relation"] if flagged else [])
    if flagged:
        assert m.flags[0]["reason"] == "工业增加值（250）应不超过同期规模以上工业总产值（200）"

    # The whole entered after the part: checked against it too.
    whole = enter("industrial-output", "2026Q2", "101")
    assert kinds(whole) == []
    enter("industrial-value-added", "2026Q3", added)
    assert kinds(enter("industrial-output", "2026Q3", "201")) == (["relation"] if flagged else [])


@pytest.mark.parametrize(("third", "flagged"), [("130", True), ("133.5", False)])
def test_a_run_of_round_numbers_is_flagged(world, enter, third, flagged):
    enter("exports", "2025Q4", "110")
    enter("exports", "2026Q1", "120")
    m = enter("exports", "2026Q2", third)
    assert kinds(m) == (["rounding"] if flagged else [])


def test_a_yearly_figure_far_from_the_zones_target_is_flagged(world, enter):
    from shiji.assessment.models import Indicator

    target_set(
        actor=SYSTEM, zone=world.a.zone, indicator=Indicator.objects.get(code="labor-productivity"),
        period="2026", comparator="gte", value="40",
    )  # fmt: skip
    assert kinds(enter("labor-productivity", "2026", "65")) == ["trajectory"]
    assert kinds(enter("labor-productivity", "2026", "55", zone=world.b.zone,
                       actor=world["outsider"])) == []  # fmt: skip


def test_the_confirmer_writes_a_note_on_every_flag(world, enter):
    enter("industrial-output", "2026Q1", "200")
    m = enter("industrial-value-added", "2026Q1", "250")

    with pytest.raises(Invalid) as caught:
        measurement_confirm(actor=world["zone_admin"], measurement=m)
    assert "note" in caught.value.fields and "工业增加值（250）" in caught.value.fields["note"]
    with pytest.raises(Invalid) as caught:
        measurement_confirm(actor=world["zone_admin"], measurement=m, flag_notes={"relation": ""})
    assert "note_relation" in caught.value.fields
    m.refresh_from_db()
    assert m.status == "entered"

    measurement_confirm(
        actor=world["zone_admin"],
        measurement=m,
        flag_notes={"relation": "总产值口径为规上，已核实"},
    )
    m.refresh_from_db()
    assert m.status == "confirmed"
    assert m.flags[0]["kind"] == "relation" and m.flags[0]["note"] == "总产值口径为规上，已核实"


def test_flags_are_checked_again_at_confirmation(world, enter):
    m = enter("industrial-value-added", "2026Q1", "250")
    assert m.flags == []
    enter("industrial-output", "2026Q1", "200", actor=world["secretary"])

    with pytest.raises(Invalid):
        measurement_confirm(actor=world["zone_admin"], measurement=m)
    measurement_confirm(actor=world["zone_admin"], measurement=m, note="已核实")
    m.refresh_from_db()
    assert kinds(m) == ["relation"]
    assert AuditEvent.objects.get(action="measurement.confirm").changes["flags"][0] == []


# Corrections ---------------------------------------------------------------------------


def test_a_locked_figure_is_corrected_as_a_new_row_next_to_the_original(world, enter):
    original = enter("industrial-output", "2026Q1", "300")
    measurement_confirm(actor=world["zone_admin"], measurement=original)

    with pytest.raises(Forbidden):
        measurement_correct(actor=world["liaison"], measurement=original, value="280", reason="x")
    with pytest.raises(Invalid) as caught:
        measurement_correct(actor=world["zone_admin"], measurement=original, value="280",
                            reason="")  # fmt: skip
    assert "reason" in caught.value.fields

    fixed = measurement_correct(
        actor=world["zone_admin"], measurement=original, value="280", reason="统计局修订快报数"
    )

    original.refresh_from_db()
    assert (original.status, original.is_current, original.value) == (
        "confirmed", False, Decimal("300"),
    )  # fmt: skip
    assert (fixed.status, fixed.is_current, fixed.corrects, fixed.correction_reason) == (
        "entered", True, original, "统计局修订快报数",
    )  # fmt: skip
    assert kinds(fixed) == ["corrected_after_lock"] and "原值 300" in fixed.flags[0]["reason"]
    event = AuditEvent.objects.get(action="measurement.correct")
    assert event.note == "统计局修订快报数"
    # The corrector may not confirm their own correction; someone else does.
    with pytest.raises(Forbidden):
        measurement_confirm(actor=world["zone_admin"], measurement=fixed, note="x")
    with pytest.raises(Conflict):
        measurement_confirm(actor=world["sysadmin"], measurement=original, note="x")
    measurement_confirm(actor=world["sysadmin"], measurement=fixed, note="按修订数更正")

    rows = selectors.measurement_table(zone=world.a.zone, period=parse_period("2026Q1"))
    row = next(r for r in rows if r.indicator.code == "industrial-output")
    assert row.current == fixed and row.history == [original]
    assert selectors.flag_counts(user=world["zone_admin"]) == {world.a.zone.pk: 1}
    assert verify_all().ok


def test_an_unconfirmed_figure_is_corrected_by_whoever_enters(world, enter):
    m = enter("industrial-output", "2026Q1", "300")
    fixed = measurement_correct(actor=world["secretary"], measurement=m, value="30",
                                reason="单位错填为千万元")  # fmt: skip
    assert kinds(fixed) == []
    with pytest.raises(Conflict):
        measurement_correct(actor=world["secretary"], measurement=m, value="31", reason="再改")
    with pytest.raises(Invalid):
        measurement_correct(actor=world["secretary"], measurement=fixed, value="30", reason="同值")


def test_the_table_for_a_period_lists_its_indicators_in_two_queries(
    world, enter, django_assert_num_queries
):
    enter("industrial-output", "2026Q1", "300")
    enter("revenue", "2026Q1", "500")
    period = parse_period("2026Q1")
    with django_assert_num_queries(2):
        rows = selectors.measurement_table(zone=world.a.zone, period=period)
        names = [(r.indicator.name, r.current and r.current.entered_by.username) for r in rows]
    assert all(r.indicator.period_kind == "quarter" for r in rows)
    assert ("营业收入", "liaison") in names and ("瞪羚企业数", None) not in names


def test_a_correction_of_a_pending_correction_stays_flagged_and_the_task_forces(world, enter):
    original = enter("industrial-output", "2026Q1", "300")
    measurement_confirm(actor=world["zone_admin"], measurement=original)
    first = measurement_correct(actor=world["zone_admin"], measurement=original, value="280",
                                reason="修订数")  # fmt: skip

    # The liaison may correct unconfirmed figures, but not one that replaces a locked figure.
    with pytest.raises(Forbidden):
        measurement_correct(actor=world["liaison"], measurement=first, value="281", reason="x")
    second = measurement_correct(actor=world["sysadmin"], measurement=first, value="281",
                                 reason="再次修订")  # fmt: skip

    assert kinds(second) == ["corrected_after_lock"] and "原值 300" in second.flags[0]["reason"]
