"""The 上级 home page (national and provincial viewers): one row per zone in
the viewer's scope, comparing red items, 销号率 and study coverage. Three
queries whatever the number of zones (tests pin the count)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q
from django.utils import timezone

from shiji.orgs import policy
from shiji.orgs.models import Role


def compares_zones(user: Any, zones: list) -> bool:
    """Viewers (上级) read roll-ups; anyone with work in a zone keeps the
    panels of that work."""
    roles = policy.roles_of(user)
    return bool(zones) and bool(roles) and roles <= {Role.VIEWER} and not user.is_superuser


@dataclass
class ZoneRow:
    zone: Any
    total: int = 0  # problems not cancelled
    closed: int = 0
    active: int = 0
    red: int = 0
    members: int = 0
    reached: int = 0

    @property
    def close_rate(self) -> int | None:
        return round(100 * self.closed / self.total) if self.total else None

    @property
    def coverage(self) -> int | None:
        return round(100 * self.reached / self.members) if self.members else None


def zone_figures(*, zones: list) -> list[ZoneRow]:
    from shiji.assessment import campaign
    from shiji.ledger.models import Problem, Status
    from shiji.ledger.workflow import ACTIVE

    rows = {z.pk: ZoneRow(zone=z) for z in zones}
    if not rows:
        return []
    today = timezone.localdate()
    # Counted per (zone, status) with COUNT(*) on the (zone, status,
    # deadline) index alone: an index-only scan on PostgreSQL, a covering
    # index on SQLite; the figures are sums of those few hundred groups.
    # COUNT("id") FILTER (...) per figure made PostgreSQL read every row.
    # (COUNT(deadline): the overdue ones, a column of the index too.)
    problems = (
        Problem.objects.filter(zone_id__in=rows)
        .values("zone_id", "status")
        .annotate(n=Count("*"), overdue=Count("deadline", filter=Q(deadline__lt=today)))
        .order_by()
    )
    for r in problems:
        row, status, n = rows[r["zone_id"]], r["status"], r["n"]
        if status == Status.CANCELLED:
            continue
        row.total += n
        if status == Status.CLOSED:
            row.closed += n
        elif status in ACTIVE:
            row.active += n
            row.red += r["overdue"]
    # Study coverage is the campaign scores' rule (assessment.campaign): from
    # the start of each zone's latest campaign to today, people recorded present.
    windows = campaign.campaign_windows(rows, today=today)
    for zone_id, (members, reached) in campaign.study_counts(
        campaign.Grouping(tuple(rows)), windows
    ).items():
        row = rows[zone_id]
        row.members, row.reached = members, reached
    return sorted(rows.values(), key=lambda r: (-r.red, r.zone.code))
