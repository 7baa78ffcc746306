"""Sample targets for the demo zones: a 2026–2030 trajectory (十五五) per
zone, every row marked ``is_sample``.

Only 清远高新区's end points come from the seed (“十五五”规模以上工业总产值超
1000亿元、工业增加值超200亿元; the demo stores them as real targets for the
period ``十五五``); the year-by-year steps towards them, and every figure of
the other zones, are invented and plausible, nothing more.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction

from shiji.assessment.models import Measurement
from shiji.assessment.periods import Period
from shiji.assessment.services import (
    measurement_confirm,
    measurement_correct,
    measurement_enter,
    target_set,
)
from shiji.orgs import policy
from shiji.orgs.models import Zone

YEARS = (2026, 2027, 2028, 2029, 2030)
SOURCE = "示例数据：按“十五五”目标倒排的年度轨迹（非官方数据）"

# The other zones' 问题整改完成率 (drawn from their ledgers) towards the
# same kind of yearly steps as 清远's.
_CLOSURE = ("gte", ("85.0", "88.0", "91.0", "94.0", "97.0"))

# zone code -> indicator code -> (comparator, five yearly values)
TRAJECTORIES: dict[str, dict[str, tuple[str, tuple[int | str, ...]]]] = {
    "qingyuan": {
        # Ends where the seed's 十五五 targets are: above 1000 and 200 (亿元).
        "industrial-output": ("gte", (620, 700, 790, 890, 1000)),
        "industrial-value-added": ("gte", (125, 140, 158, 178, 200)),
        "rd-staff-share": ("gte", ("6.0", "6.5", "7.0", "7.5", "8.0")),
        "rd-institutes": ("gte", (40, 44, 48, 52, 56)),
        "high-tech-firms": ("gte", (150, 170, 190, 210, 230)),
        "energy-intensity": ("lte", ("0.45", "0.43", "0.41", "0.39", "0.37")),
        "good-air-days": ("gte", ("90.0", "90.5", "91.0", "91.5", "92.0")),
        "satisfaction": ("gte", ("90.0", "91.0", "92.0", "93.0", "94.0")),
        "tech-service-export-share": ("gte", ("12.0", "13.0", "14.0", "15.0", "16.0")),
        "revenue": ("gte", (1900, 2100, 2300, 2500, 2700)),
        "labor-productivity": ("gte", (45, 48, 51, 54, 57)),
        "rectification-rate": ("gte", ("90.0", "92.0", "94.0", "96.0", "98.0")),
    },
    "wuxi": {
        "revenue": ("gte", (9200, 9800, 10400, 11000, 11600)),
        "rd-staff-share": ("gte", ("11.0", "11.5", "12.0", "12.5", "13.0")),
        "rectification-rate": _CLOSURE,
    },
    "guiyang": {
        "revenue": ("gte", (3100, 3350, 3600, 3850, 4100)),
        "gazelle-firms": ("gte", (60, 68, 76, 84, 92)),
        "rectification-rate": _CLOSURE,
    },
    "jingdezhen": {
        "industrial-output": ("gte", (560, 610, 660, 715, 770)),
        "energy-intensity": ("lte", ("0.42", "0.40", "0.38", "0.36", "0.34")),
        "rectification-rate": _CLOSURE,
    },
    "longyan": {
        "industrial-output": ("gte", (830, 900, 975, 1050, 1130)),
        "high-tech-firms": ("gte", (310, 340, 370, 400, 430)),
        "rectification-rate": _CLOSURE,
    },
}


@transaction.atomic
def sample_targets_load(*, actor: policy.Actor) -> int:
    """Set the sample trajectories of the demo zones that exist (others are
    skipped); returns how many targets were set. Loading again changes nothing."""
    zones = Zone.objects.in_bulk(list(TRAJECTORIES), field_name="code")
    made = 0
    for code, indicators in TRAJECTORIES.items():
        zone = zones.get(code)
        if zone is None:
            continue
        for indicator, (comparator, values) in indicators.items():
            for year, value in zip(YEARS, values, strict=True):
                target_set(
                    actor=actor,
                    zone=zone,
                    indicator=indicator,
                    period=str(year),
                    comparator=comparator,
                    value=Decimal(str(value)),
                    source=SOURCE,
                    is_sample=True,
                )
                made += 1
    return made


# A zone's sample figures (清远): a quarter a year ago confirmed, the last
# quarter with a jump the task force confirmed with a note, and a figure
# corrected after lock whose correction awaits confirmation.
SAMPLE_SOURCE = "清远市统计局"
SAMPLE_REPORT = "规模以上工业企业主要经济指标（示例数据）"
FIGURES_BEFORE = {"industrial-output": "148.6", "industrial-value-added": "31.2",
                  "revenue": "260.4"}  # fmt: skip
FIGURES_NOW = {
    "industrial-output": "171.3",
    "industrial-value-added": "36.8",
    "revenue": "520.0",
    "satisfaction": "91.5",
    "rectification-rate": "86.0",
}
JUMP_NOTE = "本季度新投产企业首次纳入规上统计，已与统计局核实"
CORRECTION = ("industrial-value-added", "35.9", "统计局发布修订数")


@transaction.atomic
def sample_figures_load(*, zone: Zone, enterer: policy.Actor, confirmer: policy.Actor,
                        quarter: Period) -> int:  # fmt: skip
    """Sample figures of ``zone`` for ``quarter`` and the same quarter a year
    before, entered by ``enterer`` and confirmed by ``confirmer`` (who also
    corrects one after lock). Skipped when the zone has figures already."""
    if Measurement.objects.filter(zone=zone).exists():
        return 0
    made = 0
    for period, figures in ((quarter.year_before(), FIGURES_BEFORE), (quarter, FIGURES_NOW)):
        for code, value in figures.items():
            m = measurement_enter(
                actor=enterer, zone=zone, indicator=code, period=period, value=value,
                source="实绩平台" if code in ("satisfaction", "rectification-rate")
                else SAMPLE_SOURCE,
                report=SAMPLE_REPORT, is_sample=True,
            )  # fmt: skip
            measurement_confirm(actor=confirmer, measurement=m, note=JUMP_NOTE if m.flags else "")
            made += 1
    code, value, reason = CORRECTION
    locked = Measurement.objects.get(zone=zone, indicator__code=code, period=str(quarter),
                                     is_current=True)  # fmt: skip
    measurement_correct(actor=confirmer, measurement=locked, value=value, reason=reason)
    return made + 1


# Each zone's yearly figures (统计年报), a little below or above its sample
# targets above, so that the assessment page and the comparison have a 显绩
# and a 潜绩 to show; and the other zones' quarterly amounts (累计 by quarter).
YEAR_FIGURES = {
    "rd-staff-share": "5.4",
    "rd-institutes": "36",
    "high-tech-firms": "138",
    "energy-intensity": "0.48",
    "good-air-days": "92.3",
    "tech-service-export-share": "10.2",
    "labor-productivity": "41.4",
}
YEAR_FIGURES_BY_ZONE = {
    "qingyuan": YEAR_FIGURES,
    "wuxi": {"rd-staff-share": "11.3"},
    "guiyang": {"gazelle-firms": "64"},
    "jingdezhen": {"energy-intensity": "0.41"},
    "longyan": {"high-tech-firms": "296"},
}
QUARTER_FIGURES_BY_ZONE = {
    "wuxi": ("revenue", ("2187.4", "2342.6", "2418.9", "2496.3")),
    "guiyang": ("revenue", ("741.2", "783.5", "806.3", "842.7")),
    "jingdezhen": ("industrial-output", ("131.7", "142.3", "137.9", "149.2")),
    "longyan": ("industrial-output", ("196.4", "214.8", "208.1", "223.6")),
}
YEAR_REPORT = "国家高新区统计年报（示例数据）"
YEAR_NOTE = "已与统计部门核对年报数据"


@transaction.atomic
def sample_year_figures_load(
    *, zone: Zone, enterer: policy.Actor, confirmer: policy.Actor, year: int
) -> int:
    """Confirmed sample figures of ``zone`` for its yearly indicators of
    ``YEAR_FIGURES_BY_ZONE`` in ``year``; skipped when the zone has any of them."""
    figures = YEAR_FIGURES_BY_ZONE.get(zone.code, {})
    if Measurement.objects.filter(
        zone=zone, period=str(year), indicator__code__in=list(figures)
    ).exists():
        return 0
    for code, value in figures.items():
        m = measurement_enter(
            actor=enterer, zone=zone, indicator=code, period=str(year), value=value,
            source=SAMPLE_SOURCE, report=YEAR_REPORT, is_sample=True,
        )  # fmt: skip
        measurement_confirm(actor=confirmer, measurement=m, note=YEAR_NOTE if m.flags else "")
    return len(figures)


@transaction.atomic
def sample_quarter_figures_load(
    *, zone: Zone, enterer: policy.Actor, confirmer: policy.Actor, upto: Period
) -> int:
    """Confirmed sample figures of ``zone``'s quarterly amount of
    ``QUARTER_FIGURES_BY_ZONE`` for each quarter of ``upto``'s year up to
    ``upto``; skipped when the zone has figures already."""
    if zone.code not in QUARTER_FIGURES_BY_ZONE or Measurement.objects.filter(zone=zone).exists():
        return 0
    code, values = QUARTER_FIGURES_BY_ZONE[zone.code]
    for part, value in enumerate(values[: upto.part], start=1):
        m = measurement_enter(
            actor=enterer, zone=zone, indicator=code, period=Period(upto.year, part, upto.kind),
            value=value, source=f"{zone.short_name or zone.name}统计局", report=SAMPLE_REPORT,
            is_sample=True,
        )  # fmt: skip
        measurement_confirm(actor=confirmer, measurement=m, note=YEAR_NOTE if m.flags else "")
    return min(upto.part, len(values))
