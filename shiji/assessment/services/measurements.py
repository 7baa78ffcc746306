"""Writes of a zone's figures: enter, confirm, correct.

Two people stand behind every locked figure: one enters it, another (never
the same account) confirms it after reading every plausibility flag and
writing a note on each. Confirmation locks the row; a later change is a
correction — a new row with its reason, the replaced one kept as history —
which needs confirming in turn. Each write runs in one transaction with its
audit event.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext

from shiji.assessment import plausibility
from shiji.assessment.models import Indicator, Measurement, MeasurementStatus
from shiji.assessment.periods import parse_period
from shiji.assessment.services.periods import period_lock_get, require_open, serialize_zone
from shiji.audit.kinds import EventKind
from shiji.audit.services import audit_record, created
from shiji.core.errors import Conflict, Forbidden, NotFound, invalid
from shiji.core.i18n import recorded
from shiji.core.uploads import EVIDENCE, MB, check_upload, stored_upload, upload_name
from shiji.core.validation import clean_text
from shiji.orgs import policy
from shiji.orgs.models import Zone

MEASUREMENT_FIELDS = [
    "zone", "indicator", "period", "value", "source", "report", "status", "flags", "corrects",
    "correction_reason", "is_sample",
]  # fmt: skip
NOTE_LIMIT = 2000
VALUE_LIMIT = Decimal("1e14")


def indicator_reference(value: Any, *, field: str = "indicator") -> Indicator:
    """An active indicator by its code (or the Indicator itself); 422 otherwise."""
    if isinstance(value, Indicator):
        return value
    code = "" if value is None else str(value).strip()
    found = Indicator.objects.filter(code=code, is_active=True).first() if code else None
    if found is None:
        raise invalid(**{field: gettext("未知的考核指标“%(code)s”") % {"code": code[:40]}})
    return found


def clean_value(value: Any, *, indicator: Indicator, field: str = "value") -> Decimal:
    """A number within the indicator's declared range, to four decimals."""
    if isinstance(value, bool):
        raise invalid(**{field: gettext("数值应为数字")})
    text = "" if value is None else str(value).strip().replace(",", "")
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise invalid(**{field: gettext("数值应为数字")}) from None
    if not number.is_finite() or abs(number) >= VALUE_LIMIT:
        raise invalid(**{field: gettext("数值超出范围")})
    if number != number.quantize(Decimal("0.0001")):
        raise invalid(**{field: gettext("数值最多保留四位小数")})
    low, high = indicator.min_value, indicator.max_value
    if (low is not None and number < low) or (high is not None and number > high):
        low_text, high_text = (plausibility.number(b) if b is not None else "" for b in (low, high))
        bounds = gettext("%(low)s～%(high)s") % {"low": low_text, "high": high_text}
        raise invalid(
            **{field: gettext("%(name)s应在 %(bounds)s %(unit)s之间，请检查单位和数值")
               % {"name": indicator.name, "bounds": bounds, "unit": indicator.unit}}
        )  # fmt: skip
    return number.quantize(Decimal("0.0001"))


def _clean_source(source: Any, report: Any) -> tuple[str, str]:
    return (
        clean_text(source, field="source", label=gettext("统计部门"), max_length=100),
        clean_text(report, field="report", label=gettext("报表名"), max_length=200,
                   required=False),
    )  # fmt: skip


def _store_evidence(measurement: Measurement, file: Any) -> None:
    info = check_upload(file, allowed=EVIDENCE, max_bytes=settings.MAX_UPLOAD_MB * MB)
    measurement.evidence_name = upload_name(file, default=recorded("佐证材料"))
    measurement.evidence_sha256 = info.sha256
    measurement.evidence_kind, measurement.evidence_size = info.kind, info.size


def _save_new(actor: policy.Actor, measurement: Measurement, file: Any, kind: EventKind,
              note: str = "") -> Measurement:  # fmt: skip
    def write() -> None:
        try:
            with transaction.atomic():
                measurement.save()
        except IntegrityError:
            # Another request entered this period's figure first.
            raise Conflict(gettext("该期数据刚被他人填报，请刷新后查看")) from None
        changes = created(measurement, MEASUREMENT_FIELDS)
        if measurement.evidence_sha256:
            changes["file"] = [None, {"name": measurement.evidence_name,
                                      "sha256": measurement.evidence_sha256}]  # fmt: skip
        audit_record(actor=actor, action=kind, obj=measurement, changes=changes, note=note)

    if file is None:
        write()
    else:
        _store_evidence(measurement, file)
        with stored_upload(measurement.evidence, file, name=measurement.evidence_name):
            write()
    return measurement


@transaction.atomic
def measurement_enter(
    *,
    actor: policy.Actor,
    zone: Zone,
    indicator: Any,
    period: Any,
    value: Any,
    source: Any,
    report: Any = "",
    file: Any = None,
    is_sample: bool = False,
) -> Measurement:
    """The zone's figure of ``indicator`` (a code) for ``period``, to be
    confirmed by someone else. 409 when the zone's period is locked, or
    when it already has a figure: a confirmed one is locked (correct it),
    an unconfirmed one awaits its confirmation."""
    policy.require(actor, "measurement.enter", zone, view="assessment.view")
    indicator = indicator_reference(indicator)
    when = parse_period(period, kind=indicator.period_kind)
    number = clean_value(value, indicator=indicator)
    source, report = _clean_source(source, report)
    serialize_zone(zone)  # against a period lock of the zone running beside it
    require_open(zone=zone, period=when)
    existing = (
        Measurement.objects.select_for_update()
        .filter(zone=zone, indicator=indicator, period=str(when), is_current=True)
        .first()
    )
    if existing is not None:
        if existing.is_locked:
            raise Conflict(gettext("%(period)s 的%(name)s已确认锁定，如需修改请提交更正")
                           % {"period": when, "name": indicator.name})  # fmt: skip
        raise Conflict(gettext("%(period)s 的%(name)s已填报，待确认；如需修改请提交更正")
                       % {"period": when, "name": indicator.name})  # fmt: skip
    measurement = Measurement(
        zone=zone,
        indicator=indicator,
        period=str(when),
        value=number,
        source=source,
        report=report,
        flags=plausibility.check(zone=zone, indicator=indicator, period=when, value=number),
        entered_by=policy.user_of(actor),
        entered_at=timezone.now(),
        is_sample=is_sample,
    )
    return _save_new(actor, measurement, file, EventKind.MEASUREMENT_ENTER)


def _locked(measurement: Measurement) -> Measurement:
    return (
        # of=self: PostgreSQL cannot lock the nullable side of the outer
        # join to ``corrects``, and only the figure's row needs the lock.
        Measurement.objects.select_for_update(of=("self",))
        .select_related("zone", "indicator", "corrects")
        .get(pk=measurement.pk)
    )


@transaction.atomic
def measurement_confirm(
    *,
    actor: policy.Actor,
    measurement: Measurement,
    note: Any = "",
    flag_notes: Mapping[str, Any] | None = None,
) -> Measurement:
    """Confirm (and lock) a figure someone else entered.

    The flags are checked again now (the figures they compare may have
    changed since entry); each needs a note — its own from ``flag_notes``
    (by flag kind, the page's fields) or else ``note`` (the API's one
    field) — saying how the figure was verified.
    """
    policy.require(
        actor, "measurement.confirm", measurement, view="assessment.view",
        message=gettext("您没有确认指标数据的权限"),
    )  # fmt: skip
    measurement = _locked(measurement)
    if measurement.status == MeasurementStatus.CONFIRMED:
        raise Conflict(gettext("该数据已确认锁定"))
    if not measurement.is_current:
        raise Conflict(gettext("该数据已被更正，请确认更正后的数据"))
    if measurement.corrects_id is None and period_lock_get(
        zone=measurement.zone_id, period=measurement.period
    ):
        # In a locked period only corrections (made in the open, with a
        # reason) are confirmed; nothing else may be added to it.
        raise Conflict(gettext("本期已锁定，只能确认更正后的数据"))
    user = policy.user_of(actor)
    if user is not None and user.pk == measurement.entered_by_id:
        raise Forbidden(gettext("填报人不能确认自己填报的数据，须由他人确认"))
    note = clean_text(note, field="note", label=gettext("确认说明"), max_length=NOTE_LIMIT,
                      required=False)  # fmt: skip
    flags = plausibility.check(
        zone=measurement.zone,
        indicator=measurement.indicator,
        period=parse_period(measurement.period),
        value=measurement.value,
        corrects=measurement.corrects,
    )
    missing: dict[str, str] = {}
    for flag in flags:
        own = (flag_notes or {}).get(flag["kind"])
        text = clean_text(own, field=f"note_{flag['kind']}", label=gettext("核实说明"),
                          max_length=NOTE_LIMIT, required=False) or note  # fmt: skip
        if not text:
            field = "note" if flag_notes is None else f"note_{flag['kind']}"
            missing[field] = gettext("该数据有疑点“%(reason)s”，确认前须写明核实情况") % {
                "reason": flag["reason"]
            }
        flag["note"] = text
    if missing:
        raise invalid(**missing)
    before_flags = measurement.flags
    measurement.flags = flags
    measurement.status = MeasurementStatus.CONFIRMED
    measurement.confirmed_by = user
    measurement.confirmed_at = timezone.now()
    measurement.confirm_note = note
    measurement.save(
        update_fields=["flags", "status", "confirmed_by", "confirmed_at", "confirm_note"]
    )
    changes: dict[str, list[Any]] = {
        "status": [MeasurementStatus.ENTERED.value, MeasurementStatus.CONFIRMED.value]
    }
    if flags != before_flags:
        changes["flags"] = [before_flags, flags]
    audit_record(
        actor=actor,
        action=EventKind.MEASUREMENT_CONFIRM,
        obj=measurement,
        changes=changes,
        note=note,
    )
    return measurement


@transaction.atomic
def measurement_correct(
    *,
    actor: policy.Actor,
    measurement: Measurement,
    value: Any,
    reason: Any,
    source: Any = None,
    report: Any = None,
    file: Any = None,
) -> Measurement:
    """Replace a figure with a corrected one, kept next to it in the history.

    A confirmed (locked) figure, or a pending correction of one, may be
    corrected by the zone's task force only, and the correction is flagged;
    an unconfirmed one by whoever may enter figures. Either way the
    correction needs a reason and another person's confirmation.
    """
    if not policy.can(actor, "assessment.view", measurement):
        raise NotFound(gettext("指标数据不存在"))
    # Decided on the locked row: the status may have changed since it was read.
    measurement = _locked(measurement)
    # A figure that is locked, or stands in for one, or of a locked period,
    # is the task force's to correct.
    locked = (
        plausibility.replaces_locked(measurement)
        or period_lock_get(zone=measurement.zone_id, period=measurement.period) is not None
    )
    policy.require(actor, "measurement.correct" if locked else "measurement.enter", measurement)
    if not measurement.is_current:
        raise Conflict(gettext("该数据已被更正，请在最新数据上更正"))
    reason = clean_text(reason, field="reason", label=gettext("更正理由"), max_length=NOTE_LIMIT)
    number = clean_value(value, indicator=measurement.indicator)
    new_source, new_report = _clean_source(
        measurement.source if source is None else source,
        measurement.report if report is None else report,
    )
    if number == measurement.value and new_source == measurement.source and file is None:
        raise invalid(value=gettext("更正后的数值与原值相同"))
    measurement.is_current = False
    measurement.save(update_fields=["is_current"])
    correction = Measurement(
        zone=measurement.zone,
        indicator=measurement.indicator,
        period=measurement.period,
        value=number,
        source=new_source,
        report=new_report,
        flags=plausibility.check(
            zone=measurement.zone,
            indicator=measurement.indicator,
            period=parse_period(measurement.period),
            value=number,
            corrects=measurement,
        ),
        entered_by=policy.user_of(actor),
        entered_at=timezone.now(),
        corrects=measurement,
        correction_reason=reason,
        is_sample=measurement.is_sample,
    )
    return _save_new(actor, correction, file, EventKind.MEASUREMENT_CORRECT, note=reason)
