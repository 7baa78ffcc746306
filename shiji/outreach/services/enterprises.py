"""Writes to a zone's enterprise register (企业名录). Each runs in one
transaction with its audit event; the credit code is checked by its GB 32100
check characters and is unique within the zone."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext

from shiji.audit.kinds import EventKind
from shiji.audit.services import audit_record, created, diff, snapshot
from shiji.core.errors import Invalid, invalid
from shiji.core.validation import clean_text
from shiji.orgs import policy
from shiji.orgs.models import Zone
from shiji.outreach.models import Enterprise
from shiji.outreach.services.intake import clean_phone
from shiji.outreach.uscc import clean_credit_code

FIELDS = ["name", "credit_code", "industry", "contact_name", "contact_phone"]


def clean_contact_phone(value: Any) -> str:
    try:
        return clean_phone(value)
    except Invalid as exc:
        raise invalid(contact_phone=exc.fields.get("phone", exc.message)) from None


def _clean(data: dict[str, Any]) -> dict[str, Any]:
    """Every field given, checked; all mistakes at once, so a form shows each
    next to its input."""
    out: dict[str, Any] = {}
    errors: dict[str, str] = {}
    checks = {
        "name": lambda v: clean_text(v, field="name", label=gettext("企业名称"), max_length=200),
        "credit_code": clean_credit_code,
        "industry": lambda v: clean_text(
            v, field="industry", label=gettext("所属行业"), max_length=100, required=False
        ),
        "contact_name": lambda v: clean_text(
            v, field="contact_name", label=gettext("联系人"), max_length=50, required=False
        ),
        "contact_phone": clean_contact_phone,
    }
    for key, check in checks.items():
        if key in data:
            try:
                out[key] = check(data[key])
            except Invalid as exc:
                errors.update(exc.fields)
    if errors:
        raise Invalid(None, fields=errors)
    return out


def _unique(zone: Zone, code: str, current: Enterprise | None) -> None:
    taken = Enterprise.objects.filter(zone=zone, credit_code=code)
    if current is not None:
        taken = taken.exclude(pk=current.pk)
    other = taken.first()
    if other is not None:
        raise invalid(
            credit_code=gettext("本区已登记统一社会信用代码为 %(code)s 的企业“%(name)s”")
            % {"code": code, "name": other.name}
        )


def _duplicate(code: str) -> Invalid:
    # Two people registering the same enterprise at once: the constraint
    # answers for the second, in the same words as the check above.
    return invalid(
        credit_code=gettext("本区已登记统一社会信用代码为 %(code)s 的企业") % {"code": code}
    )


@transaction.atomic
def enterprise_create(
    *,
    actor: policy.Actor,
    zone: Zone,
    name: Any,
    credit_code: Any,
    industry: Any = "",
    contact_name: Any = "",
    contact_phone: Any = "",
) -> Enterprise:
    policy.require(actor, "enterprise.manage", zone)
    values = _clean(
        {
            "name": name,
            "credit_code": credit_code,
            "industry": industry,
            "contact_name": contact_name,
            "contact_phone": contact_phone,
        }
    )
    _unique(zone, values["credit_code"], None)
    try:
        with transaction.atomic():
            enterprise = Enterprise.objects.create(zone=zone, **values)
    except IntegrityError:
        raise _duplicate(values["credit_code"]) from None
    audit_record(
        actor=actor,
        action=EventKind.ENTERPRISE_CREATE,
        obj=enterprise,
        changes=created(enterprise, FIELDS),
    )
    return enterprise


@transaction.atomic
def enterprise_update(*, actor: policy.Actor, enterprise: Enterprise, **fields: Any) -> Enterprise:
    enterprise = Enterprise.objects.select_for_update().select_related("zone").get(pk=enterprise.pk)
    policy.require(actor, "enterprise.manage", enterprise)
    unknown = set(fields) - set(FIELDS)
    if unknown:
        raise invalid(**dict.fromkeys(sorted(unknown), gettext("不能修改此字段")))
    values = _clean(fields)
    if "credit_code" in values:
        _unique(enterprise.zone, values["credit_code"], enterprise)
    before = snapshot(enterprise, FIELDS)
    for key, value in values.items():
        setattr(enterprise, key, value)
    changes = diff(before, snapshot(enterprise, FIELDS))
    if changes:
        try:
            with transaction.atomic():
                enterprise.save(update_fields=[*changes, "updated_at"])
        except IntegrityError:
            raise _duplicate(enterprise.credit_code) from None
        audit_record(
            actor=actor, action=EventKind.ENTERPRISE_UPDATE, obj=enterprise, changes=changes
        )
    return enterprise
