"""A zone's targets: per indicator, a value for each year of the 十五五 plan
(2026–2030, the trajectory) and for the plan as a whole (``十五五``)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext

from shiji.assessment.models import Comparator, Target
from shiji.assessment.periods import YEAR_MAX, YEAR_MIN
from shiji.assessment.services.measurements import clean_value, indicator_reference
from shiji.audit.kinds import EventKind
from shiji.audit.services import audit_record, created, diff, snapshot
from shiji.core.errors import invalid
from shiji.core.validation import clean_choice, clean_text
from shiji.orgs import policy
from shiji.orgs.models import Zone

TARGET_FIELDS = ["zone", "indicator", "period", "comparator", "value", "source", "is_sample"]
# The five-year plans a target may name as its period, and their years.
PLANS = {  # zh-only: the plans as typed and stored (十五五)
    "十四五": range(2021, 2026),  # zh-only: a plan name
    "十五五": range(2026, 2031),  # zh-only: a plan name
    "十六五": range(2031, 2036),  # zh-only: a plan name
}
TRAJECTORY_PLAN = "十五五"  # zh-only: a plan name
TRAJECTORY_YEARS = tuple(PLANS[TRAJECTORY_PLAN])
_CENTS = Decimal("0.01")


def clean_target_period(value: Any) -> str:
    text = "" if value is None else str(value).strip()
    if text in PLANS:
        return text
    if text.isdigit() and len(text) == 4 and YEAR_MIN <= int(text) <= YEAR_MAX:
        return text
    raise invalid(period=gettext("目标期间应为年份（如 2026）或规划期（如 十五五）"))


@transaction.atomic
def target_set(
    *,
    actor: policy.Actor,
    zone: Zone,
    indicator: Any,
    period: Any,
    comparator: Any,
    value: Any,
    source: Any = "",
    is_sample: bool = False,
) -> Target:
    """The zone's target for ``indicator`` over ``period``, created or updated."""
    policy.require(actor, "target.manage", zone, view="assessment.view")
    indicator = indicator_reference(indicator)
    number = clean_value(value, indicator=indicator)
    if number != number.quantize(_CENTS):
        raise invalid(value=gettext("目标值最多保留两位小数"))
    values: dict[str, Any] = {
        "comparator": clean_choice(
            comparator, field="comparator", label=gettext("比较"), choices=Comparator
        ),
        "value": number.quantize(_CENTS),
        "source": clean_text(source, field="source", label=gettext("来源"), max_length=200,
                             required=False),
        "is_sample": bool(is_sample),
    }  # fmt: skip
    period = clean_target_period(period)
    target = (
        Target.objects.select_for_update()
        .filter(zone=zone, indicator=indicator, period=period)
        .first()
    )
    if target is None:
        target = Target.objects.create(zone=zone, indicator=indicator, period=period, **values)
        audit_record(
            actor=actor,
            action=EventKind.TARGET_CREATE,
            obj=target,
            changes=created(target, TARGET_FIELDS),
        )
        return target
    before = snapshot(target, TARGET_FIELDS)
    for key, val in values.items():
        setattr(target, key, val)
    changes = diff(before, snapshot(target, TARGET_FIELDS))
    if changes:
        target.save(update_fields=list(changes))
        audit_record(actor=actor, action=EventKind.TARGET_UPDATE, obj=target, changes=changes)
    return target
