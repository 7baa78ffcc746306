"""Writes for zones, their organization tree and their roster of people."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Concat, Substr
from django.utils.translation import gettext

from shiji.audit.kinds import EventKind
from shiji.audit.services import audit_record, created, diff, snapshot
from shiji.core.errors import NotFound, invalid
from shiji.core.validation import clean_choice, clean_text
from shiji.orgs import policy
from shiji.orgs.models import (
    Organization,
    OrgKind,
    Person,
    Sector,
    User,
    Zone,
)

ZONE_FIELDS = ["code", "name", "short_name", "province", "city", "is_sample"]
ORG_FIELDS = ["name", "parent", "kind", "sector", "is_sample"]
PERSON_FIELDS = ["name", "org", "position", "is_party_member", "phone", "is_active", "user"]


# Zones -----------------------------------------------------------------------


@transaction.atomic
def zone_create(
    *,
    actor: policy.Actor,
    code: str,
    name: str,
    short_name: str,
    province: str,
    city: str,
    is_sample: bool = False,
) -> Zone:
    policy.require(actor, "zone.manage")
    zone = Zone(
        code=clean_text(code, field="code", label=gettext("代码"), max_length=16).lower(),
        name=clean_text(name, field="name", label=gettext("名称"), max_length=100),
        short_name=clean_text(short_name, field="short_name", label=gettext("简称"), max_length=30),
        province=clean_text(province, field="province", label=gettext("省份"), max_length=20),
        city=clean_text(city, field="city", label=gettext("城市"), max_length=30),
        is_sample=is_sample,
    )
    if Zone.objects.filter(code=zone.code).exists():
        raise invalid(code=gettext("该代码已被使用"))
    if Zone.objects.filter(name=zone.name).exists():
        raise invalid(name=gettext("该名称已被使用"))
    zone.save()
    audit_record(
        actor=actor, action=EventKind.ZONE_CREATE, obj=zone, changes=created(zone, ZONE_FIELDS)
    )
    return zone


# Organizations ----------------------------------------------------------------


def _set_path(org: Organization) -> None:
    parent_path = org.parent.path if org.parent is not None else ""
    org.path = f"{parent_path}{org.pk:08d}."
    org.depth = parent_path.count(".")


def _check_org_name(zone: Zone, name: str, exclude_pk: int | None = None) -> None:
    qs = Organization.objects.filter(zone=zone, name=name)
    if exclude_pk:
        qs = qs.exclude(pk=exclude_pk)
    if qs.exists():
        raise invalid(name=gettext("本区已有名为“%(name)s”的组织") % {"name": name})


@transaction.atomic
def org_create(
    *,
    actor: policy.Actor,
    zone: Zone,
    parent: Organization | None,
    name: str,
    kind: str,
    sector: str,
    is_sample: bool = False,
) -> Organization:
    if parent is not None and parent.zone_id != zone.pk:
        raise NotFound(gettext("上级组织不存在"))
    policy.require(actor, "org.manage", parent or zone)
    org = Organization(
        zone=zone,
        parent=parent,
        name=clean_text(name, field="name", label=gettext("组织名称"), max_length=100),
        kind=clean_choice(kind, field="kind", label=gettext("组织类型"), choices=OrgKind),
        sector=clean_choice(sector, field="sector", label=gettext("领域"), choices=Sector),
        is_sample=is_sample,
    )
    _check_org_name(zone, org.name)
    org.save()
    _set_path(org)
    org.save(update_fields=["path", "depth"])
    audit_record(
        actor=actor, action=EventKind.ORG_CREATE, obj=org, changes=created(org, ORG_FIELDS)
    )
    return org


@transaction.atomic
def org_update(*, actor: policy.Actor, org: Organization, **fields: Any) -> Organization:
    """Rename, reclassify or move an org (with its subtree)."""
    org = Organization.objects.select_for_update().select_related("zone").get(pk=org.pk)
    policy.require(actor, "org.manage", org)
    before = snapshot(org, ORG_FIELDS)
    if "name" in fields:
        org.name = clean_text(
            fields["name"], field="name", label=gettext("组织名称"), max_length=100
        )
        _check_org_name(org.zone, org.name, exclude_pk=org.pk)
    if "kind" in fields:
        org.kind = clean_choice(
            fields["kind"], field="kind", label=gettext("组织类型"), choices=OrgKind
        )
    if "sector" in fields:
        org.sector = clean_choice(
            fields["sector"], field="sector", label=gettext("领域"), choices=Sector
        )
    old_path = org.path
    if "parent" in fields:
        parent = fields["parent"]
        if parent is not None:
            if parent.zone_id != org.zone_id:
                raise NotFound(gettext("上级组织不存在"))
            if parent.path.startswith(org.path):
                raise invalid(parent=gettext("不能把组织移到它自己或其下级组织之下"))
            policy.require(actor, "org.manage", parent)
        org.parent = parent
        _set_path(org)
    changes = diff(before, snapshot(org, ORG_FIELDS))
    if not changes:
        return org
    org.save(update_fields=["name", "kind", "sector", "parent", "path", "depth"])
    if org.path != old_path:
        # Re-root the subtree's paths in one statement.
        descendants = Organization.objects.filter(zone=org.zone, path__startswith=old_path).exclude(
            pk=org.pk
        )
        shift = org.depth - old_path.count(".") + 1
        descendants.update(
            path=Concat(Value(org.path), Substr("path", len(old_path) + 1)),
            depth=F("depth") + shift,
        )
    audit_record(actor=actor, action=EventKind.ORG_UPDATE, obj=org, changes=changes)
    return org


# People ------------------------------------------------------------------------


def _person_values(fields: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "name" in fields:
        out["name"] = clean_text(fields["name"], field="name", label=gettext("姓名"), max_length=50)
    if "position" in fields:
        out["position"] = clean_text(
            fields["position"],
            field="position",
            label=gettext("职务"),
            max_length=100,
            required=False,
        )
    if "phone" in fields:
        out["phone"] = clean_text(
            fields["phone"], field="phone", label=gettext("联系电话"), max_length=30, required=False
        )
    for flag in ("is_party_member", "is_active"):
        if flag in fields:
            out[flag] = bool(fields[flag])
    return out


@transaction.atomic
def person_create(
    *,
    actor: policy.Actor,
    org: Organization,
    name: str,
    position: str = "",
    is_party_member: bool = True,
    phone: str = "",
    user: User | None = None,
    is_sample: bool = False,
) -> Person:
    policy.require(actor, "person.manage", org)
    values = _person_values(
        {"name": name, "position": position, "phone": phone, "is_party_member": is_party_member}
    )
    if Person.objects.filter(org=org, name=values["name"]).exists():
        raise invalid(
            name=gettext("“%(org)s”已有名为“%(name)s”的人员")
            % {"org": org.name, "name": values["name"]}
        )
    person = Person.objects.create(
        zone_id=org.zone_id, org=org, user=user, is_sample=is_sample, **values
    )
    audit_record(
        actor=actor,
        action=EventKind.PERSON_CREATE,
        obj=person,
        changes=created(person, PERSON_FIELDS),
    )
    return person


@transaction.atomic
def person_update(*, actor: policy.Actor, person: Person, **fields: Any) -> Person:
    person = Person.objects.select_for_update().select_related("org").get(pk=person.pk)
    policy.require(actor, "person.manage", person)
    before = snapshot(person, PERSON_FIELDS)
    for key, value in _person_values(fields).items():
        setattr(person, key, value)
    if "org" in fields and fields["org"].pk != person.org_id:
        new_org = fields["org"]
        if new_org.zone_id != person.zone_id:
            raise NotFound(gettext("组织不存在"))
        policy.require(actor, "person.manage", new_org)
        person.org = new_org
    if Person.objects.filter(org=person.org, name=person.name).exclude(pk=person.pk).exists():
        raise invalid(
            name=gettext("“%(org)s”已有名为“%(name)s”的人员")
            % {"org": person.org.name, "name": person.name}
        )
    changes = diff(before, snapshot(person, PERSON_FIELDS))
    if changes:
        person.save(update_fields=[f for f in PERSON_FIELDS if f in changes])
        audit_record(actor=actor, action=EventKind.PERSON_UPDATE, obj=person, changes=changes)
    return person
