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
