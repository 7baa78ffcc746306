"""The sample target trajectories of the demo zones."""

from __future__ import annotations

from decimal import Decimal
from io import StringIO

from django.core.management import call_command

from shiji.assessment.models import Target
from shiji.audit.models import AuditEvent
from shiji.orgs import services
from tests.conftest import SYSTEM


def test_qingyuans_trajectory_ends_at_the_seeds_targets_and_is_sample_data(db):
    services.zone_create(actor=SYSTEM, code="qingyuan", name="清远高新区", short_name="清远",
                         province="广东", city="清远")  # fmt: skip
    out = StringIO()
    call_command("load_sample_targets", stdout=out)

    targets = Target.objects.filter(zone__code="qingyuan").select_related("indicator")
    by = {(t.indicator.code, t.period): t for t in targets}
    assert by[("industrial-output", "2030")].value == Decimal("1000.00")
    assert by[("industrial-value-added", "2030")].value == Decimal("200.00")
    assert [by[("industrial-output", str(y))].value for y in range(2026, 2031)] == sorted(
        by[("industrial-output", str(y))].value for y in range(2026, 2031)
    )
    assert all(t.is_sample and "示例数据" in t.source for t in targets)
    assert "已标记为示例数据" in out.getvalue()
    # Zones that do not exist are skipped; a second load changes nothing.
    events = AuditEvent.objects.count()
    call_command("load_sample_targets", stdout=StringIO())
    assert AuditEvent.objects.count() == events


def test_sample_figures_show_a_flag_confirmed_with_a_note_and_a_correction(world, library):
    from shiji.assessment.models import Measurement
    from shiji.assessment.periods import parse_period
    from shiji.assessment.samples import JUMP_NOTE, sample_figures_load
    from shiji.assessment.selectors import flag_counts

    def load():
        return sample_figures_load(
            zone=world.a.zone,
            enterer=world["liaison"],
            confirmer=world["zone_admin"],
            quarter=parse_period("2026Q3"),
        )

    made = load()

    assert made == 9
    figures = Measurement.objects.filter(zone=world.a.zone)
    assert all(m.is_sample for m in figures)
    revenue = figures.get(indicator__code="revenue", period="2026Q3")
    assert revenue.status == "confirmed" and [f["kind"] for f in revenue.flags] == ["jump"]
    assert revenue.flags[0]["note"] == JUMP_NOTE
    fixed = figures.get(indicator__code="industrial-value-added", period="2026Q3", is_current=True)
    assert fixed.status == "entered" and fixed.corrects.status == "confirmed"
    assert [f["kind"] for f in fixed.flags] == ["corrected_after_lock"]
    assert flag_counts(user=world["national"]) == {world.a.zone.pk: 2}
    # Loading again adds nothing.
    assert load() == 0
