"""Saved attendee groups (常用参会名单): 中心组, 班子成员, a branch — chosen
as a session's expected attendees."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils.translation import gettext

from shiji.audit.kinds import EventKind
from shiji.audit.services import audit_record
from shiji.core.errors import Conflict, invalid
from shiji.core.validation import clean_text
from shiji.orgs import policy
from shiji.orgs.models import Organization, Person
from shiji.study.models import (
    AttendeeGroup,
)
from shiji.study.services.sessions import REFUSED, person_label, record_id

# Attendee groups -----------------------------------------------------------------

GROUP_NAME_LIMIT = 60
GROUP_SIZE_LIMIT = 2000


def _group_members(org: Organization, members: Any) -> list[Person]:
    """The people ``members`` names (People or ids): active, of ``org``'s
    subtree, each once. Raises ``Invalid`` under ``members``."""
    if members is None or isinstance(members, (str, bytes)) or not isinstance(members, Iterable):
        raise invalid(members=gettext("请选择名单成员"))
    items = list(members)
    if not items:
        raise invalid(members=gettext("请至少选择一名成员"))
    if len(items) > GROUP_SIZE_LIMIT:
        raise invalid(
            members=gettext("名单成员不能超过 %(count)s 人") % {"count": GROUP_SIZE_LIMIT}
        )
    named = [m.pk if isinstance(m, Person) else record_id(m) for m in items]
    ids = [pk for pk in named if pk is not None]
    if len(ids) != len(named):
        raise invalid(members=gettext("成员应为花名册中的人员"))
    if len(set(ids)) != len(ids):
        raise invalid(members=gettext("同一人不能重复加入名单"))
    found = {
        p.pk: p
        for p in Person.objects.filter(pk__in=ids, zone_id=org.zone_id).select_related("org")
    }
    for pk in ids:
        person = found.get(pk)
        if person is None:
            raise invalid(members=gettext("成员不在本区花名册中"))
        if not person.org.path.startswith(org.path):
            raise invalid(
                members=gettext("%(person)s不属于%(org)s及其下级组织")
                % {"person": person_label(person), "org": org.name}
            )
        if not person.is_active:
            raise invalid(members=gettext("%(person)s已不在册") % {"person": person_label(person)})
    return sorted(found.values(), key=lambda p: (p.org.path, p.name, p.pk))


def _member_labels(people: Iterable[Person]) -> list[str]:
    return [person_label(p) for p in people]


def _group_name(org: Organization, name: Any, *, exclude: int | None = None) -> str:
    text = clean_text(name, field="name", label=gettext("名单名称"), max_length=GROUP_NAME_LIMIT)
    taken = AttendeeGroup.objects.filter(org=org, name=text)
    if exclude is not None:
        taken = taken.exclude(pk=exclude)
    if taken.exists():
        raise invalid(
            name=gettext("%(org)s已有名为“%(name)s”的参会名单（含已停用的），请换一个名称")
            % {"org": org.name, "name": text}
        )
    return text


@transaction.atomic
def group_create(*, actor: policy.Actor, org: Any, name: Any, members: Any) -> AttendeeGroup:
    """Save a group of expected attendees for ``org``'s sessions (中心组,
    班子成员, a branch); its members come from ``org``'s subtree."""
    if not isinstance(org, Organization):
        raise invalid(org=gettext("组织不存在"))
    policy.require(actor, "study.manage", org, message=REFUSED)
    name = _group_name(org, name)
    people = _group_members(org, members)
    group = AttendeeGroup.objects.create(
        zone_id=org.zone_id,
        org=org,
        name=name,
        created_by=policy.user_of(actor),
    )
    group.members.set(people)
    audit_record(
        actor=actor,
        action=EventKind.STUDY_GROUP_CREATE,
        obj=group,
        changes={
            "org": [None, org.name],
            "name": [None, name],
            "members": [None, _member_labels(people)],
        },
    )
    return group


def _locked_group(group: AttendeeGroup) -> AttendeeGroup:
    return (
        AttendeeGroup.objects.select_for_update(of=("self",))
        .select_related("org", "zone")
        .get(pk=group.pk)
    )


@transaction.atomic
def group_update(
    *, actor: policy.Actor, group: AttendeeGroup, name: Any = None, members: Any = None
) -> AttendeeGroup:
    """Rename a group or replace its members (``None`` leaves either as it
    is). Sessions already recorded keep the attendees they had."""
    group = _locked_group(group)
    policy.require(actor, "study.manage", group, message=REFUSED)
    changes: dict[str, Any] = {}
    if name is not None:
        new_name = _group_name(group.org, name, exclude=group.pk)
        if new_name != group.name:
            changes["name"] = [group.name, new_name]
            group.name = new_name
    if members is not None:
        people = _group_members(group.org, members)
        current = list(group.members.select_related("org").order_by("org__path", "name", "pk"))
        if [p.pk for p in current] != [p.pk for p in people]:
            changes["members"] = [_member_labels(current), _member_labels(people)]
            group.members.set(people)
    if not changes:
        return group
    group.save(update_fields=["name", "updated_at"])
    audit_record(actor=actor, action=EventKind.STUDY_GROUP_UPDATE, obj=group, changes=changes)
    return group


@transaction.atomic
def group_set_active(*, actor: policy.Actor, group: AttendeeGroup, active: bool) -> AttendeeGroup:
    """Stop offering a group for new sessions (停用), or offer it again (启用).
    Sessions that used it keep it."""
    group = _locked_group(group)
    policy.require(actor, "study.manage", group, message=REFUSED)
    if group.is_active == active:
        raise Conflict(gettext("参会名单已启用") if active else gettext("参会名单已停用"))
    group.is_active = active
    group.save(update_fields=["is_active", "updated_at"])
    audit_record(
        actor=actor,
        action=EventKind.STUDY_GROUP_REACTIVATE if active else EventKind.STUDY_GROUP_DEACTIVATE,
        obj=group,
        changes={"is_active": [not active, active]},
    )
    return group
