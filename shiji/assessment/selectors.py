"""Scoped reads of 政绩考核: the indicator library (national, every signed-in
role reads it) and the zones' figures, targets and flags (a zone outside the
caller's scope is a 404, the same as one that does not exist)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext

from shiji.assessment.models import (
    Indicator,
    IndicatorRelation,
    Measurement,
    PeriodLock,
    Target,
)
from shiji.assessment.periods import Period
from shiji.core.errors import NotFound
from shiji.core.validation import parse_id
from shiji.orgs import policy
from shiji.orgs.models import Zone


def indicators_active() -> QuerySet[Indicator]:
    return Indicator.objects.filter(is_active=True).order_by("dimension", "order", "code")


def relations_all() -> QuerySet[IndicatorRelation]:
    return IndicatorRelation.objects.select_related("left", "right")


def measurements_visible_to(
    *, user: policy.Actor, action: str = "assessment.view"
) -> QuerySet[Measurement]:
    qs = Measurement.objects.select_related(
        "zone", "indicator", "entered_by", "confirmed_by", "corrects"
    )
    return policy.scoped(qs, user, action, org_path=None)


def measurement_get_for_user(*, user: policy.Actor, pk: Any) -> Measurement:
    found = measurements_visible_to(user=user).filter(pk=parse_id(pk)).first()
    if found is None:
        raise NotFound(gettext("指标数据不存在"))
    return found


def targets_visible_to(*, user: policy.Actor) -> QuerySet[Target]:
    qs = Target.objects.select_related("zone", "indicator")
    return policy.scoped(qs, user, "assessment.view", org_path=None)


def flag_counts(*, user: policy.Actor) -> dict[int, int]:
    """Current figures with at least one flag, per zone id the user can see."""
    rows = (
        measurements_visible_to(user=user)
        .filter(is_current=True)
        .exclude(flags=[])
        .values("zone_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return {r["zone_id"]: r["n"] for r in rows}


@dataclass
class Row:
    """One indicator of a zone's table for a period: the current figure and
    the replaced ones (oldest first), for the history next to it."""

    indicator: Indicator
    current: Measurement | None = None
    history: list[Measurement] = field(default_factory=list)


def measurement_table(*, zone: Zone, period: Period) -> list[Row]:
    """Every active indicator of ``period``'s kind with its figures for the
    zone (two queries whatever the number of indicators or figures). The
    caller has fetched ``zone`` through a scoped selector."""
    indicators = list(indicators_active().filter(period_kind=period.kind))
    rows = {i.pk: Row(indicator=i) for i in indicators}
    figures = (
        Measurement.objects.filter(zone=zone, period=str(period), indicator__in=indicators)
        .select_related("entered_by", "confirmed_by")
        .order_by("entered_at", "pk")
    )
    for m in figures:
        row = rows[m.indicator_id]
        m.indicator = row.indicator
        if m.is_current:
            row.current = m
        else:
            row.history.append(m)
    return list(rows.values())


def periods_with_figures(*, zone: Zone) -> list[str]:
    return list(
        Measurement.objects.filter(zone=zone)
        .values_list("period", flat=True)
        .distinct()
        .order_by("-period")
    )


def flagged_q() -> Q:
    return ~Q(flags=[])


@dataclass
class TargetRow:
    """An indicator of a zone's targets table: its target for each period
    (None where it has none), in the order of ``periods``."""

    indicator: Indicator
    cells: list[Target | None]


def target_table(
    *,
    user: policy.Actor,
    zone: Zone,
    periods: list[str],
    indicators: list[Indicator] | None = None,
) -> list[TargetRow]:
    """The indicators ``zone`` has a target for in any of ``periods``, with
    those targets (two queries whatever their number; one when the caller
    has the active ``indicators`` already)."""
    found = {
        (t.indicator_id, t.period): t
        for t in targets_visible_to(user=user).filter(zone=zone, period__in=periods)
    }
    return [
        TargetRow(indicator=i, cells=[found.get((i.pk, p)) for p in periods])
        for i in (indicators_active() if indicators is None else indicators)
        if any((i.pk, p) in found for p in periods)
    ]


def period_locked_q() -> Exists:
    """Is a figure's zone and period locked: for annotating a list of figures."""
    return Exists(PeriodLock.objects.filter(zone=OuterRef("zone_id"), period=OuterRef("period")))
