"""Writes the demo needs that no app offers as a service yet: the first
superuser, and the indicators and targets the seed states. Each validates,
runs in one transaction and records its audit event like any service."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.db import transaction

from shiji.assessment.models import Dimension, Indicator, IndicatorKind
from shiji.audit.kinds import EventKind
from shiji.audit.services import audit_record, created
from shiji.core.errors import invalid
from shiji.core.validation import clean_choice, clean_text
from shiji.orgs.models import User
from shiji.orgs.services import USER_FIELDS, username_clean_new

if TYPE_CHECKING:
    from shiji.orgs.policy import Actor

INDICATOR_FIELDS = ["code", "name", "kind", "dimension", "unit", "higher_is_better", "weight"]


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
