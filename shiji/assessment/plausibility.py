"""Plausibility checks (防止数字注水): what a confirmer must look at before a
figure is locked. Each check returns a flag ``{kind, reason}``; the reason
names the figures it compared, so the flag reads on its own on the record.

- ``jump``: the change against the same period a year before (同比) is
  beyond the indicator's usual range (``usual_change``, default ±50%).
- ``relation``: a declared relation between two indicators of the same zone
  and period is breached (工业增加值 ≤ 规上工业总产值).
- ``trajectory``: a yearly value far from the zone's own target for that
  year (further than the usual range).
- ``rounding``: this value and the two periods before it are all round
  numbers (whole tens), a pattern typed-in figures show.
- ``corrected_after_lock``: the figure replaces one that was already
  confirmed.

A value outside the indicator's declared range (a share above 100) is not a
flag but an error: it cannot be true.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy

from shiji.assessment.models import (
    Indicator,
    IndicatorRelation,
    Measurement,
    MeasurementStatus,
    PeriodKind,
    RelationOp,
    Target,
)
from shiji.core.i18n import recorded

if TYPE_CHECKING:
    from shiji.assessment.periods import Period
    from shiji.orgs.models import Zone

FLAG_KINDS = {
    "jump": gettext_lazy("同比变动异常"),
    "relation": gettext_lazy("指标关系不符"),
    "trajectory": gettext_lazy("偏离目标轨迹"),
    "rounding": gettext_lazy("连续整数"),
    "corrected_after_lock": gettext_lazy("锁定后更正"),
}
ROUND_RUN = 3  # this period and the two before it


def number(value: Decimal) -> str:
    """A value as people write it: no exponent, no trailing zeros."""
    text = format(value.normalize(), "f")
    return text


def _current(zone: Zone, indicator_ids: list[int], periods: list[str]) -> dict:
    rows = Measurement.objects.filter(
        zone=zone, indicator_id__in=indicator_ids, period__in=periods, is_current=True
    ).values_list("indicator_id", "period", "value")
    return {(i, p): v for i, p, v in rows}


def check(
    *,
    zone: Zone,
    indicator: Indicator,
    period: Period,
    value: Decimal,
    corrects: Measurement | None = None,
) -> list[dict[str, str]]:
    """The flags of ``value`` as ``indicator``'s figure for ``zone`` and
    ``period`` (the current figures of other periods and indicators are read
    from the database)."""
    flags: list[dict[str, str]] = []
    unit = indicator.unit
    relations = list(
        IndicatorRelation.objects.filter(left=indicator).select_related("right")
    ) + list(IndicatorRelation.objects.filter(right=indicator).select_related("left"))
    others = [r.right if r.left_id == indicator.pk else r.left for r in relations]
    before = period.previous()
    periods = [str(period.year_before()), str(before), str(before.previous())]
    known = _current(zone, [indicator.pk], periods)
    known.update(_current(zone, [o.pk for o in others], [str(period)]))

    last_year = known.get((indicator.pk, periods[0]))
    if last_year is not None and last_year != 0:
        change = (value - last_year) / abs(last_year) * 100
        if abs(change) > indicator.usual_change:
            flags.append({
                "kind": "jump",
                "reason": recorded(
                    "较 %(then)s（%(old)s %(unit)s）变动 %(change)s%%，超过正常幅度 ±%(usual)s%%",
                    then=periods[0], old=number(last_year), unit=unit,
                    change=f"{change:+.1f}", usual=number(indicator.usual_change),
                ),
            })  # fmt: skip

    for relation, other in zip(relations, others, strict=True):
        other_value = known.get((other.pk, str(period)))
        if other_value is None:
            continue
        left, right = (
            (value, other_value) if relation.left_id == indicator.pk else (other_value, value)
        )
        kept = left <= right if relation.op == RelationOp.LTE else left < right
        if not kept:
            lname = indicator.name if relation.left_id == indicator.pk else other.name
            rname = other.name if relation.left_id == indicator.pk else indicator.name
            flags.append({
                "kind": "relation",
                "reason": recorded(
                    "%(left)s（%(lv)s）应%(op)s同期%(right)s（%(rv)s）",
                    left=lname, lv=number(left),
                    op=recorded("不超过") if relation.op == RelationOp.LTE else recorded("小于"),
                    right=rname, rv=number(right),
                ),
            })  # fmt: skip

    if indicator.period_kind == PeriodKind.YEAR:
        target = (
            Target.objects.filter(zone=zone, indicator=indicator, period=str(period.year))
            .values_list("value", flat=True)
            .first()
        )
        if target:
            gap = (value - target) / abs(target) * 100
            if abs(gap) > indicator.usual_change:
                flags.append({
                    "kind": "trajectory",
                    "reason": recorded(
                        "与本区 %(year)s 年目标（%(target)s %(unit)s）相差 %(gap)s%%",
                        year=period.year, target=number(target), unit=unit, gap=f"{gap:+.1f}",
                    ),
                })  # fmt: skip

    run = [value, known.get((indicator.pk, periods[1])), known.get((indicator.pk, periods[2]))]
    if all(v is not None and v != 0 and v % 10 == 0 for v in run):
        flags.append({
            "kind": "rounding",
            "reason": recorded(
                "连续 %(n)s 期均为整十数（%(values)s）",
                n=ROUND_RUN,
                values=recorded("、").join(number(v) for v in reversed(run) if v is not None),
            ),
        })  # fmt: skip

    if corrects is not None and corrects.status == MeasurementStatus.CONFIRMED:
        flags.append({
            "kind": "corrected_after_lock",
            "reason": recorded(
                "更正已确认锁定的数据（原值 %(old)s %(unit)s）", old=number(corrects.value),
                unit=unit,
            ),
        })  # fmt: skip
    elif corrects is not None:
        # A correction of a correction still stands in for a locked figure.
        flags.extend(
            {"kind": f["kind"], "reason": f["reason"]}
            for f in corrects.flags
            if f["kind"] == "corrected_after_lock"
        )
    return flags


def replaces_locked(measurement: Measurement) -> bool:
    """Is ``measurement`` locked, or a pending correction of a locked figure?"""
    return measurement.status == MeasurementStatus.CONFIRMED or any(
        f["kind"] == "corrected_after_lock" for f in measurement.flags
    )
