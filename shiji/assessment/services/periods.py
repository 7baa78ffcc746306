"""Locking a zone's period (2026, 2026Q1, 2026-03) once its figures are all
confirmed: the task force closes it, after which no figure may be entered
for it and the only change is a correction with its reason (flagged, and
confirmed by another person, see ``measurements``).

There is no unlock, on purpose: the lock is what makes a period's figures
count (the scores and roll-ups read locked periods as final), so a period
that could be reopened and refilled quietly would defeat it. A wrong figure
in a locked period is corrected in the open, with the original kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from shiji.assessment.models import Measurement, MeasurementStatus, PeriodLock
from shiji.assessment.periods import Period, parse_period
from shiji.audit.kinds import EventKind
from shiji.audit.services import audit_record
from shiji.core.errors import Conflict
from shiji.core.validation import clean_text
from shiji.orgs import policy
from shiji.orgs.models import Zone

NOTE_LIMIT = 2000
# Locking is the task force's, like correcting a locked figure: the same
# people answer for a period's figures once they are final.
LOCK_ACTION = "measurement.correct"


def period_lock_get(*, zone: Zone | int, period: Period | str) -> PeriodLock | None:
    """The lock of ``zone``'s ``period``, or None while it is open. The
    caller has fetched the zone through a scoped selector."""
    return (
        PeriodLock.objects.select_related("locked_by").filter(zone=zone, period=str(period)).first()
    )


def locked_message(lock: PeriodLock) -> str:
    return gettext("%(period)s 本期已锁定，不能再填报；如需修改请由工作专班提交更正") % {
        "period": lock.period
    }


def require_open(*, zone: Zone | int, period: Period | str) -> None:
    """409 when ``zone``'s ``period`` is locked: nothing new is entered into it."""
    lock = period_lock_get(zone=zone, period=period)
    if lock is not None:
        raise Conflict(locked_message(lock))


def serialize_zone(zone: Zone) -> None:
    """Hold ``zone``'s row until the transaction ends, so a lock and an
    entry of the same zone never run side by side: each sees the other's
    result (an entry after a lock is refused; a lock after an entry sees the
    unconfirmed figure). The figure import takes the same lock."""
    Zone.objects.select_for_update(of=("self",)).filter(pk=zone.pk).first()


@dataclass(frozen=True)
class LockState:
    """What stands between a period and its lock, for the page to explain
    a disabled button (the service checks the same things)."""

    figures: int  # current figures of the period
    pending: int  # of which not yet confirmed

    @property
    def reason(self) -> str:
        if not self.figures:
            return gettext("本期尚无数据，无法锁定")
        if self.pending:
            return gettext("还有 %(n)d 项数据待确认，全部确认后才能锁定") % {"n": self.pending}
        return ""


def period_lock_state(*, zone: Zone, period: Period | str) -> LockState:
    current = Measurement.objects.filter(zone=zone, period=str(period), is_current=True)
    figures = pending = 0
    for status in current.values_list("status", flat=True):
        figures += 1
        pending += status != MeasurementStatus.CONFIRMED
    return LockState(figures=figures, pending=pending)


@transaction.atomic
def period_lock(*, actor: policy.Actor, zone: Zone, period: Any, note: Any = "") -> PeriodLock:
    """Lock ``zone``'s ``period``: only its task force, only when every
    current figure of it is confirmed (and there is at least one), only
    once (409 otherwise). Audited with the number of figures it locks."""
    policy.require(
        actor, LOCK_ACTION, zone, view="assessment.view",
        missing=gettext_lazy("高新区不存在"), message=gettext_lazy("只有本区工作专班可以锁定期间"),
    )  # fmt: skip
    when = parse_period(period)
    note = clean_text(note, field="note", label=gettext("锁定说明"), max_length=NOTE_LIMIT,
                      required=False)  # fmt: skip
    serialize_zone(zone)
    require_open(zone=zone, period=when)
    state = period_lock_state(zone=zone, period=when)
    if state.reason:
        raise Conflict(state.reason)
    lock = PeriodLock(
        zone=zone,
        period=str(when),
        locked_by=policy.user_of(actor),
        locked_at=timezone.now(),
        note=note,
    )
    try:
        with transaction.atomic():
            lock.save()
    except IntegrityError:
        # Another request locked it first (where the zone lock does not hold).
        raise Conflict(gettext("%(period)s 本期已锁定") % {"period": when}) from None
    audit_record(
        actor=actor,
        action=EventKind.MEASUREMENT_PERIOD_LOCK,
        obj=lock,
        changes={"period": [None, lock.period], "figures": [None, state.figures]},
        note=note,
    )
    return lock
