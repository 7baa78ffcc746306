"""Progress and scores (政绩考核得分): reads only.

For a set of zones and a year of the 十五五 plan (2026–2030), every active
indicator gets the figure used, the zone's target for that year, the
progress towards it and a score; the scores add up per dimension and per
kind, 显绩 (visible) and 潜绩 (latent), which are always given side by side.
The composite is their mean and is only ever shown next to them. The rules,
written out on the assessment page as ``FORMULA``:

- The figure used. Only confirmed current figures count (one awaiting
  confirmation, a correction included, does not). A yearly indicator uses
  the year's figure. A quarterly or monthly indicator measured in % (a rate)
  uses the latest confirmed period of the year. Any other quarterly or
  monthly indicator (an amount per period) uses the sum of the year's
  confirmed periods (累计值) and is compared with the year's target taken
  pro rata (target × periods summed ÷ 4 or 12).
- Indicators drawn from Shiji's own records (``computed_from``: closure
  rate, rules issued, satisfaction) take the records from 1 January to the
  day of the reckoning (the year's end for a past year); an amount among
  them (rules issued) is compared with the target pro rata to the days
  elapsed (序时进度). Without records, a confirmed figure is used as above.
- Progress: value ÷ target when higher is better, target ÷ value when lower
  is better. On the trajectory when progress ≥ 100%. The indicator's score
  is progress capped at 100%, times 100.
- A dimension's 显绩 (and its 潜绩) score: the weighted mean of the scores of
  its visible (latent) indicators that have both a figure and a target, the
  weights normalized over those indicators. 显绩 and 潜绩 overall: the mean
  of the dimensions that have a score. Composite: (显绩 + 潜绩) ÷ 2, only
  when both exist.

Queries: a fixed number whatever the number of zones, indicators and
figures (the indicators, the targets, the figures, the platform records).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from shiji.assessment import campaign
from shiji.assessment.models import (
    Dimension,
    Indicator,
    IndicatorKind,
    Measurement,
    MeasurementStatus,
    PeriodKind,
    Target,
)
from shiji.assessment.plausibility import FLAG_KINDS
from shiji.assessment.selectors import indicators_active
from shiji.assessment.services.targets import TRAJECTORY_PLAN, TRAJECTORY_YEARS
from shiji.core.errors import invalid
from shiji.orgs.models import Zone

HUNDRED = Decimal(100)
ONE = Decimal(1)
TENTH = Decimal("0.1")
PERIODS_PER_YEAR: dict[str, int] = {PeriodKind.QUARTER: 4, PeriodKind.MONTH: 12, PeriodKind.YEAR: 1}
RATE_UNIT = "%"

# How the figure of an indicator was obtained.
BASIS_YEAR = "year"  # the year's own figure
BASIS_LATEST = "latest"  # the latest confirmed period of the year (a rate)
BASIS_SUM = "sum"  # the sum of the year's confirmed periods (累计值)
BASIS_RECORDS = "records"  # Shiji's own records of the year so far
BASIS_LABELS = {
    BASIS_YEAR: _("年度数据"),
    BASIS_LATEST: _("本年最新一期"),
    BASIS_SUM: _("本年累计"),
    BASIS_RECORDS: _("实绩平台记录"),
}

FORMULA = [
    _("只计已确认的现行数据；待确认的数据（包括待确认的更正）不计分。"),
    _("年度指标取该年数据；按季度或月度统计、以“%”计的比率指标取本年最新一期已确认数据；"
      "其余按季度或月度统计的总量指标取本年已确认各期之和（累计值），"
      "目标按期数折算：年度目标 × 已确认期数 ÷ 4（月度为 ÷ 12）。"),
    _("来自实绩平台记录的指标（问题整改完成率、建章立制数、群众满意度）"
      "取本年 1 月 1 日至计算日的记录；"
      "其中的总量（建章立制数）目标按时间进度折算：年度目标 × 已过天数 ÷ 全年天数。"
      "平台无记录时取已确认的填报数据。"),
    _("完成进度 = 实际值 ÷ 目标值（越高越好的指标）；目标值 ÷ 实际值（越低越好的指标）。"
      "完成进度达到 100% 即为达到年度目标轨迹。"),
    _("单项得分 = min(完成进度, 100%) × 100，超额完成不加分。"),
    _("维度得分 = Σ(权重 × 单项得分) ÷ Σ权重，显绩和潜绩分别计算，"
      "只计同时有实际值和目标值的指标（权重在这些指标间归一）。"),
    _("显绩 = 各维度显绩得分的平均，潜绩 = 各维度潜绩得分的平均，只计有得分的维度；"
      "综合 = (显绩 + 潜绩) ÷ 2，仅在两者都有时给出，始终与显绩、潜绩并列呈现。"),
]  # fmt: skip


def score_years() -> tuple[int, ...]:
    return TRAJECTORY_YEARS


def default_year(today: dt.date) -> int:
    """This year, brought inside the plan's years."""
    years = score_years()
    return min(max(today.year, years[0]), years[-1])


def clean_year(value: Any, *, field: str = "year") -> int:
    text = "" if value is None else str(value).strip()
    years = score_years()
    if not (text.isdigit() and int(text) in years):
        raise invalid(
            **{field: gettext("年份应为 %(first)s 到 %(last)s 之间（“十五五”期间）")
               % {"first": years[0], "last": years[-1]}}
        )  # fmt: skip
    return int(text)


def rounded(value: Decimal | None) -> Decimal | None:
    return None if value is None else value.quantize(TENTH, rounding=ROUND_HALF_UP)


def is_rate(indicator: Indicator) -> bool:
    return indicator.unit == RATE_UNIT


def year_periods(year: int) -> list[str]:
    """Every period of ``year`` as stored: 2026, 2026Q1–Q4, 2026-01–12."""
    return [
        str(year),
        *(f"{year}Q{q}" for q in range(1, 5)),
        *(f"{year}-{m:02d}" for m in range(1, 13)),
    ]


def progress_ratio(*, value: Decimal, target: Decimal, higher_is_better: bool) -> Decimal:
    """Value against target in the indicator's direction (1 = on target).
    A target of 0 is met or not; a lower-is-better value of 0 is met."""
    if higher_is_better:
        if target <= 0:
            return ONE if value >= target else Decimal(0)
        return value / target
    if value <= 0:
        return ONE if target >= value else Decimal(0)
    return target / value


@dataclass
class ItemFlag:
    kind: str
    label: str
    reason: str
    note: str
    period: str


@dataclass
class ItemScore:
    """One indicator of a zone's year."""

    indicator: Indicator
    basis: str = ""
    value: Decimal | None = None
    period: str = ""  # what the value covers: 2026, 2026Q3, 2026Q1–2026Q3, 截至 …
    periods: list[str] = field(default_factory=list)
    measurement: Measurement | None = None  # the latest confirmed figure used
    target: Target | None = None  # the year's target
    target_compared: Decimal | None = None  # the target the value is compared with
    plan_target: Target | None = None  # 十五五
    progress: Decimal | None = None  # percent, uncapped
    score: Decimal | None = None  # 0–100
    weight_share: Decimal | None = None  # the normalized weight within dimension × kind
    flags: list[ItemFlag] = field(default_factory=list)
    pending: int = 0  # current figures of the year awaiting confirmation, not counted
    on_track: bool | None = None  # progress ≥ 100% (before rounding)

    @property
    def counted(self) -> bool:
        return self.score is not None

    @property
    def basis_label(self) -> str:
        return str(BASIS_LABELS.get(self.basis, ""))

    @property
    def kind(self) -> str:
        return self.indicator.kind


@dataclass
class DimensionScore:
    code: str
    label: str
    visible: Decimal | None = None
    latent: Decimal | None = None


@dataclass
class ZoneScore:
    zone: Zone
    year: int
    as_of: dt.date
    visible: Decimal | None = None
    latent: Decimal | None = None
    composite: Decimal | None = None
    dimensions: list[DimensionScore] = field(default_factory=list)
    items: list[ItemScore] = field(default_factory=list)
    flagged: int = 0  # current figures of the year with a plausibility flag
    pending: int = 0  # current figures of the year awaiting confirmation
    has_targets: bool = False
    has_figures: bool = False  # any confirmed figure used (platform records aside)
    placeholder_weights: bool = False  # a score rests on a weight still to be confirmed

    def dimension(self, code: str) -> DimensionScore:
        return next(d for d in self.dimensions if d.code == code)


def _records(
    zone_ids: Sequence[int], start: dt.date, end: dt.date, codes: set[str]
) -> dict[int, dict[str, Decimal | None]]:
    """Shiji's own figures of the zones over [start, end], per zone id and
    ``computed_from`` code of ``codes`` (rates in percent, counts): only the
    records those codes are drawn from are read."""
    if not codes:
        return {}
    return campaign.indicator_values(zone_ids=zone_ids, start=start, end=end, codes=codes)


def _mean(values: Sequence[Decimal | None]) -> Decimal | None:
    present = [v for v in values if v is not None]
    return sum(present, Decimal(0)) / len(present) if present else None


def zone_scores(
    *, zones: Sequence[Zone], year: int, as_of: dt.date, with_items: bool = True
) -> list[ZoneScore]:
    """The scores of ``zones`` (fetched by the caller through a scoped
    selector) for ``year``, reckoned on ``as_of``, in the order given."""
    # In the order of the five dimensions (as the evaluation lists them).
    rank = {code: n for n, code in enumerate(Dimension.values)}
    indicators = sorted(
        indicators_active(), key=lambda i: (rank.get(i.dimension, 99), i.order, i.code)
    )
    by_pk = {i.pk: i for i in indicators}
    zone_ids = [z.pk for z in zones]
    targets: dict[tuple[int, int, str], Target] = {
        (t.zone_id, t.indicator_id, t.period): t
        for t in Target.objects.filter(
            zone_id__in=zone_ids, indicator__in=indicators, period__in=[str(year), TRAJECTORY_PLAN]
        )
    }
    figures: dict[tuple[int, int], list[Measurement]] = defaultdict(list)
    current = Measurement.objects.filter(
        zone_id__in=zone_ids, is_current=True, period__in=year_periods(year)
    ).order_by("period", "pk")
    if with_items:  # the confirmer is shown next to each item
        current = current.select_related("confirmed_by")
    else:  # what the scores are reckoned from: at 174 zones, a third of the time went to the rest
        current = current.only("zone_id", "indicator_id", "period", "value", "status", "flags")
    for m in current:
        if m.indicator_id in by_pk:
            m.indicator = by_pk[m.indicator_id]
            figures[(m.zone_id, m.indicator_id)].append(m)
    start, year_end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    end = min(year_end, as_of)
    codes = {i.computed_from for i in indicators if i.computed_from}
    records = _records(zone_ids, start, end, codes) if end >= start else {}
    elapsed = Decimal((end - start).days + 1) / Decimal((year_end - start).days + 1)

    out = []
    for zone in zones:
        result = ZoneScore(zone=zone, year=year, as_of=as_of)
        zone_records = records.get(zone.pk, {})
        for indicator in indicators:
            item = _item(
                indicator,
                year=year,
                figures=figures.get((zone.pk, indicator.pk), []),
                record=zone_records.get(indicator.computed_from)
                if indicator.computed_from
                else None,
                end=end,
                elapsed=elapsed,
                target=targets.get((zone.pk, indicator.pk, str(year))),
                plan_target=targets.get((zone.pk, indicator.pk, TRAJECTORY_PLAN)),
            )
            result.items.append(item)
            result.flagged += sum(1 for m in figures.get((zone.pk, indicator.pk), []) if m.flags)
            result.pending += item.pending
        _sum_up(result)
        if not with_items:
            result.items = []
        out.append(result)
    return out


def _item(
    indicator: Indicator,
    *,
    year: int,
    figures: list[Measurement],
    record: Decimal | None,
    end: dt.date,
    elapsed: Decimal,
    target: Target | None,
    plan_target: Target | None,
) -> ItemScore:
    item = ItemScore(indicator=indicator, target=target, plan_target=plan_target)
    confirmed = [m for m in figures if m.status == MeasurementStatus.CONFIRMED]
    item.pending = len(figures) - len(confirmed)
    share = ONE  # of the year's target the value is compared with
    if record is not None:
        item.basis, item.value = BASIS_RECORDS, Decimal(record)
        item.period = gettext("截至 %(day)s") % {"day": end.isoformat()}
        if not is_rate(indicator):
            share = elapsed
    elif indicator.period_kind == PeriodKind.YEAR:
        used = [m for m in confirmed if m.period == str(year)]
        if used:
            item.basis, item.value, item.periods = BASIS_YEAR, used[0].value, [used[0].period]
    elif confirmed and is_rate(indicator):
        latest = confirmed[-1]  # ordered by period
        item.basis, item.value, item.periods = BASIS_LATEST, latest.value, [latest.period]
    elif confirmed:
        kind = PeriodKind.QUARTER if indicator.period_kind == PeriodKind.QUARTER else "month"
        used = [m for m in confirmed if _kind_of(m.period) == kind]
        if used:
            item.basis = BASIS_SUM
            item.value = sum((m.value for m in used), Decimal(0))
            item.periods = [m.period for m in used]
            share = Decimal(len(used)) / PERIODS_PER_YEAR[indicator.period_kind]
    used_figures = [m for m in confirmed if m.period in item.periods]
    if used_figures:
        item.measurement = used_figures[-1]
        if not item.period:
            first, last = item.periods[0], item.periods[-1]
            item.period = first if first == last else f"{first}–{last}"
    for m in figures:
        for f in m.flags:
            item.flags.append(
                ItemFlag(
                    kind=f.get("kind", ""),
                    label=str(FLAG_KINDS.get(f.get("kind", ""), f.get("kind", ""))),
                    reason=f.get("reason", ""),
                    note=f.get("note", ""),
                    period=m.period,
                )
            )
    if item.value is not None and target is not None:
        item.target_compared = target.value * share
        ratio = progress_ratio(
            value=item.value,
            target=item.target_compared,
            higher_is_better=indicator.higher_is_better,
        )
        item.progress = ratio * HUNDRED
        item.on_track = ratio >= ONE
        item.score = min(ratio, ONE) * HUNDRED
    return item


def _kind_of(period: str) -> str:
    if "Q" in period:
        return PeriodKind.QUARTER
    return "month" if "-" in period else PeriodKind.YEAR


def _sum_up(result: ZoneScore) -> None:
    """Dimension scores, 显绩, 潜绩 and the composite from the items (their
    unrounded scores; every number given out is rounded to 0.1)."""
    totals: dict[tuple[str, str], list[ItemScore]] = defaultdict(list)
    for item in result.items:
        if item.score is not None:
            totals[(item.indicator.dimension, item.indicator.kind)].append(item)
    raw: dict[tuple[str, str], Decimal | None] = {}
    for key, items in totals.items():
        weight = sum((i.indicator.weight for i in items), Decimal(0))
        if weight <= 0:  # every weight zero: an equal split
            for i in items:
                i.weight_share = ONE / len(items)
        else:
            for i in items:
                i.weight_share = i.indicator.weight / weight
        total = Decimal(0)
        for i in items:
            if i.weight_share is not None and i.score is not None:
                total += i.weight_share * i.score
        raw[key] = total
    result.dimensions = [
        DimensionScore(
            code=code,
            label=str(label),
            visible=raw.get((code, IndicatorKind.VISIBLE)),
            latent=raw.get((code, IndicatorKind.LATENT)),
        )
        for code, label in Dimension.choices
    ]
    visible = _mean([d.visible for d in result.dimensions])
    latent = _mean([d.latent for d in result.dimensions])
    composite = (visible + latent) / 2 if visible is not None and latent is not None else None
    result.visible, result.latent, result.composite = (
        rounded(visible),
        rounded(latent),
        rounded(composite),
    )
    for d in result.dimensions:
        d.visible, d.latent = rounded(d.visible), rounded(d.latent)
    for item in result.items:
        item.progress, item.score = rounded(item.progress), rounded(item.score)
    result.has_targets = any(i.target is not None for i in result.items)
    result.has_figures = any(i.measurement is not None for i in result.items)
    result.placeholder_weights = any(
        i.counted and i.indicator.weight_is_placeholder for i in result.items
    )
