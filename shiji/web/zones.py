"""The 上级 home page (national and provincial viewers): one row per zone in
the viewer's scope, comparing red items, 销号率 and study coverage. Three
queries whatever the number of zones (tests pin the count)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Case, Count, DateField, Exists, OuterRef, Q, Value, When
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
    from shiji.campaigns.models import ZoneCampaign
    from shiji.ledger.models import Problem, Status
    from shiji.ledger.workflow import ACTIVE
    from shiji.orgs.models import Person
    from shiji.study.models import Attendance

    rows = {z.pk: ZoneRow(zone=z) for z in zones}
    if not rows:
        return []
    today = timezone.localdate()
    problems = (
        Problem.objects.filter(zone_id__in=rows)
        .exclude(status=Status.CANCELLED)
        .values("zone_id")
        .annotate(
            total=Count("pk"),
            closed=Count("pk", filter=Q(status=Status.CLOSED)),
            active=Count("pk", filter=Q(status__in=ACTIVE)),
            red=Count("pk", filter=Q(status__in=ACTIVE, deadline__lt=today)),
        )
        .order_by()
    )
    for r in problems:
        row = rows[r["zone_id"]]
        row.total, row.closed, row.active, row.red = r["total"], r["closed"], r["active"], r["red"]
    # Coverage counts from the start of each zone's latest campaign, and only
    # people recorded present (an expected attendee is not a reached one).
    starts: dict[int, Any] = {}
    for zone_id, starts_on in (
        ZoneCampaign.objects.filter(zone_id__in=rows)
        .order_by("campaign__starts_on")
        .values_list("zone_id", "campaign__starts_on")
    ):
        starts[zone_id] = starts_on  # ascending: the latest wins
    start = Case(
        *[When(zone_id=zid, then=Value(d)) for zid, d in starts.items() if d],
        default=Value(dt.date(1900, 1, 1)),
        output_field=DateField(),
    )
    present = Attendance.objects.filter(
        person=OuterRef("pk"),
        present=True,
        session__date__lte=today,
        session__date__gte=OuterRef("start"),
    )
    people = (
        Person.objects.filter(zone_id__in=rows, is_active=True)
        .annotate(start=start)
        .annotate(reached=Exists(present))
        .values("zone_id")
        .annotate(members=Count("pk"), reached_n=Count("pk", filter=Q(reached=True)))
        .order_by()
    )
    for counted in people:
        row = rows[counted["zone_id"]]
        row.members, row.reached = counted["members"], counted["reached_n"]
    return sorted(rows.values(), key=lambda r: (-r.red, r.zone.code))
