"""Writes the demo needs that no app offers as a service yet: the first
superuser, and the indicators and targets the seed states. Each validates,
runs in one transaction and records its audit event like any service."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.db import transaction

from shiji.assessment.models import Comparator, Dimension, Indicator, IndicatorKind, Target
from shiji.audit.kinds import EventKind
from shiji.audit.services import audit_record, created, diff, snapshot
from shiji.core.errors import invalid
from shiji.core.validation import clean_choice, clean_text
from shiji.orgs.models import User, Zone
from shiji.orgs.services import USER_FIELDS, username_clean_new

if TYPE_CHECKING:
    from shiji.orgs.policy import Actor

INDICATOR_FIELDS = ["code", "name", "kind", "dimension", "unit", "higher_is_better", "weight"]
TARGET_FIELDS = ["zone", "indicator", "period", "comparator", "value", "source", "is_sample"]


@transaction.atomic
def superuser_create(*, actor: Actor, username: str, password: str, name: str) -> User:
    """The first account of an empty installation. ``user_create`` needs a
    system admin as its actor, and Django's ``createsuperuser`` writes no
    audit event; this does, so the trail starts with the admin's creation."""
    username = username_clean_new(actor=actor, username=username)
    user = User(
        username=username,
        name=clean_text(name, field="name", label="姓名", max_length=50, required=False),
        is_staff=True,
        is_superuser=True,
    )
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        raise invalid(password="；".join(exc.messages)) from None
    user.set_password(password)
    user.save()
    changes = created(user, [*USER_FIELDS, "is_superuser"])
    audit_record(actor=actor, action=EventKind.USER_CREATE, obj=user, changes=changes)
    return user


@transaction.atomic
def indicator_ensure(
    *,
    actor: Actor,
    code: str,
    name: str,
    kind: str,
    dimension: str,
    unit: str,
    higher_is_better: bool = True,
) -> Indicator:
    """The indicator of ``code``, created if missing (an existing one is kept
    as it is: indicators are shared by every zone and edited elsewhere)."""
    code = clean_text(code, field="code", label="代码", max_length=40)
    found = Indicator.objects.filter(code=code).first()
    if found is not None:
        return found
    indicator = Indicator.objects.create(
        code=code,
        name=clean_text(name, field="name", label="名称", max_length=100),
        kind=clean_choice(kind, field="kind", label="类型", choices=IndicatorKind),
        dimension=clean_choice(dimension, field="dimension", label="维度", choices=Dimension),
        unit=clean_text(unit, field="unit", label="单位", max_length=20),
        higher_is_better=higher_is_better,
    )
    audit_record(
        actor=actor,
        action=EventKind.INDICATOR_CREATE,
        obj=indicator,
        changes=created(indicator, INDICATOR_FIELDS),
    )
    return indicator


@transaction.atomic
def target_set(
    *,
    actor: Actor,
    zone: Zone,
    indicator: Indicator,
    period: str,
    comparator: str,
    value: Decimal | str | int,
    source: str = "",
    is_sample: bool = False,
) -> Target:
    """The zone's target for ``indicator`` over ``period``, created or updated."""
    period = clean_text(period, field="period", label="期间", max_length=20)
    values = {
        "comparator": clean_choice(
            comparator, field="comparator", label="比较", choices=Comparator
        ),
        "source": clean_text(source, field="source", label="来源", max_length=200, required=False),
        "is_sample": bool(is_sample),
    }
    try:
        number = Decimal(str(value)).quantize(Decimal("0.01"))
    except InvalidOperation:
        raise invalid(value="目标值应为数字") from None
    if not number.is_finite() or abs(number) >= Decimal("1e14"):
        raise invalid(value="目标值超出范围")
    values["value"] = number
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
