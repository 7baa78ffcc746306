"""Scoped reads for zones, organizations, people and accounts."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.db.models import Count, Max, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext

from shiji.audit.models import AuditEvent
from shiji.core.errors import NotFound, invalid
from shiji.core.validation import parse_id
from shiji.orgs import policy
from shiji.orgs.models import LoginThrottle, Organization, Person, User, Zone
from shiji.orgs.usernames import login_key

if TYPE_CHECKING:
    from django_stubs_ext import StrPromise


def zones_visible_to(*, user: policy.Actor) -> QuerySet[Zone]:
    return policy.scoped(
        Zone.objects.all(), user, "zone.view", zone="pk", org_path=None, province="province"
    )


def zone_get_for_user(*, user: policy.Actor, pk: Any) -> Zone:
    zone = zones_visible_to(user=user).filter(pk=parse_id(pk)).first()
    if zone is None:
        raise NotFound(gettext("高新区不存在"))
    return zone


def orgs_visible_to(*, user: policy.Actor, action: str = "org.view") -> QuerySet[Organization]:
    return policy.scoped(Organization.objects.select_related("zone"), user, action, org_path="path")


def org_options(
    *, user: policy.Actor, zone: Zone | None, action: str = "org.view"
) -> list[tuple[int, str]]:
    """``zone``'s orgs that ``user`` may see for ``action``, in tree order, as
    (pk, name indented by depth) pairs for a select; none without a zone."""
    if zone is None:
        return []
    orgs = list(orgs_visible_to(user=user, action=action).filter(zone=zone).order_by("path"))
    top = min((o.depth for o in orgs), default=0)
    return [(o.pk, "\u3000" * (o.depth - top) + o.name) for o in orgs]


def org_get_for_user(*, user: policy.Actor, pk: Any, action: str = "org.view") -> Organization:
    org = orgs_visible_to(user=user, action=action).filter(pk=parse_id(pk)).first()
    if org is None:
        raise NotFound(gettext("组织不存在"))
    return org


def org_tree(*, user: policy.Actor, zone: Zone) -> list[Organization]:
    """The zone's visible orgs in tree order, each with ``people_count`` (its
    own active people), ``subtree_people`` (its whole subtree) and ``kids``.
    One query whatever the size of the tree."""
    # Any: the nodes carry the tree's figures as attributes for the template,
    # which the model class does not declare.
    orgs: list[Any] = list(
        orgs_visible_to(user=user)
        .filter(zone=zone)
        .annotate(people_count=Count("people", filter=Q(people__is_active=True)))
        .order_by("path")
    )
    by_path = {o.path: o for o in orgs}
    for org in orgs:
        org.subtree_people, org.kids = org.people_count, []
    # Deepest first, add each node's subtree total into its parent's.
    for org in reversed(orgs):
        parent = by_path.get(parent_path(org.path))
        if parent is not None:
            parent.subtree_people += org.subtree_people
            parent.kids.insert(0, org)
    return orgs


def tree_roots(orgs: list[Organization]) -> list[Organization]:
    """The top nodes of an ``org_tree`` result (whose parents are not visible)."""
    paths = {o.path for o in orgs}
    return [o for o in orgs if parent_path(o.path) not in paths]


def parent_path(path: str) -> str:
    """ "00000001.00000007." -> "00000001."; a root's parent path is ""."""
    return path[: path[:-1].rfind(".") + 1]


def people_visible_to(*, user: policy.Actor, action: str = "person.view") -> QuerySet[Person]:
    return policy.scoped(Person.objects.select_related("org", "zone", "user"), user, action)


def person_get_for_user(*, user: policy.Actor, pk: Any, action: str = "person.view") -> Person:
    person = people_visible_to(user=user, action=action).filter(pk=parse_id(pk)).first()
    if person is None:
        raise NotFound(gettext("人员不存在"))
    return person


def users_visible_to(*, user: policy.Actor) -> QuerySet[User]:
    """Accounts the caller may manage: all for system admins, their zone's
    accounts for zone admins."""
    q = policy.scope_q(user, "user.view", org_path=None)
    if q is None:
        return User.objects.none()
    return (
        User.objects.filter(q)
        .select_related("zone")
        .prefetch_related("grants__zone", "grants__org")
        .annotate(locked_until=_latest_lock())
        .order_by("zone__code", "username")
    )


def _latest_lock() -> Subquery:
    """The end of the latest sign-in lock in force on the account, from any
    client address (one subquery, so account lists stay one query)."""
    locks = LoginThrottle.objects.filter(
        username=Lower(OuterRef("username")), locked_until__gt=timezone.now()
    )
    return Subquery(locks.order_by("-locked_until").values("locked_until")[:1])


def login_locked_until(*, user: User) -> dt.datetime | None:
    """When the latest sign-in lock on ``user`` ends, or None if none is in
    force. Accounts read through ``users_visible_to`` carry it already."""
    if hasattr(user, "locked_until"):
        locked: dt.datetime | None = user.locked_until
        return locked
    latest: dt.datetime | None = login_locks_for(user=user).aggregate(m=Max("locked_until"))["m"]
    return latest


def login_locks_for(*, user: User) -> QuerySet[LoginThrottle]:
    """The sign-in locks in force on ``user``, one per client address, for the
    account page (only callers that may see the account get here)."""
    return LoginThrottle.objects.filter(
        username=login_key(user.username), locked_until__gt=timezone.now()
    ).order_by("-locked_until")


def user_get_for_user(*, user: policy.Actor, pk: Any) -> User:
    found = users_visible_to(user=user).filter(pk=parse_id(pk)).first()
    if found is None:
        raise NotFound(gettext("账号不存在"))
    return found


# References in what clients send ------------------------------------------------------
# A service that takes an org or a person resolves it here, whether the caller
# passed a record (the Excel import matches names) or an id (the pages and the
# API): the same reference is accepted or refused the same way everywhere.


def org_in_zone(*, zone: Zone, value: Any, field: str, label: str | StrPromise) -> Organization:
    """``zone``'s organization named by ``value`` (an Organization or an id);
    otherwise ``Invalid`` on ``field``."""
    if value is None or value == "":
        raise invalid(**{field: gettext("请选择%(label)s") % {"label": label}})
    if isinstance(value, Organization):
        org = value if value.zone_id == zone.pk else None
    else:
        org = (
            Organization.objects.select_related("zone")
            .filter(zone=zone, pk=parse_id(value))
            .first()
        )
    if org is None:
        raise invalid(**{field: gettext("%(label)s不存在") % {"label": label}})
    return org


def org_reference(
    *, actor: policy.Actor, zone: Zone, value: Any, field: str, label: str
) -> Organization:
    """``org_in_zone``, and one that ``actor`` can see (an org out of sight is
    "not there", the same message). Whether the actor may act there is the
    service's own policy check (403)."""
    org = org_in_zone(zone=zone, value=value, field=field, label=label)
    if not policy.can(actor, "org.view", org):
        raise invalid(**{field: gettext("%(label)s不存在") % {"label": label}})
    return org


def person_reference(
    *, zone: Zone, value: Any, field: str, label: str | StrPromise, current_id: int | None = None
) -> Person | None:
    """A person of ``zone``'s active roster named by ``value`` (a Person, an id,
    or None for nobody); otherwise ``Invalid`` on ``field``. Someone who has
    left (inactive) is refused, unless they are already ``current_id`` (an
    edit that leaves the field as it is)."""
    if value is None or value == "":
        return None
    if isinstance(value, Person):
        person = value if value.zone_id == zone.pk else None
    else:
        person = Person.objects.filter(zone=zone, pk=parse_id(value)).first()
    if person is None:
        raise invalid(**{field: gettext("%(label)s不在本区花名册中") % {"label": label}})
    if not person.is_active and person.pk != current_id:
        raise invalid(
            **{
                field: gettext("%(label)s“%(name)s”已不在本区在册人员中，请重新选择")
                % {"label": label, "name": person.name}
            }
        )
    return person


def accounts_sponsored_by(*, actor: policy.Actor, user_ids: Any) -> set[int]:
    """Of ``user_ids``, the accounts ``actor`` created or gave roles to, read
    from the audit trail (the account's creation and its grant changes): a
    verifier is not independent of the people they brought in."""
    user = policy.user_of(actor)
    ids = [str(uid) for uid in user_ids if uid is not None]
    if user is None or not ids:
        return set()
    events = AuditEvent.objects.filter(
        object_type="orgs.user",
        object_id__in=ids,
        actor=user,
        action__in=("user.create", "user.update"),
    ).values_list("object_id", "action", "changes")
    return {
        int(object_id)
        for object_id, action, changes in events
        if action == "user.create" or "grants" in (changes or {})
    }


def export_zone(
    *,
    user: policy.Actor,
    action: str,
    qs: QuerySet[Any],
    field: str = "zone_id",
    requested: Zone | None = None,
) -> Zone | None:
    """The one zone an export covers, for its title and file name:
    ``requested`` (the zone the user chose, already checked), else the
    user's only zone for ``action``, else the zone all rows of ``qs`` share
    (``field`` names it); None when the rows span several zones, or none."""
    if requested is not None:
        return requested
    zone_ids = policy.zone_ids_for(user, action)
    if zone_ids is not None and len(zone_ids) == 1:
        return Zone.objects.filter(pk=next(iter(zone_ids))).first()
    found = list(qs.order_by().values_list(field, flat=True).distinct()[:2])
    return Zone.objects.filter(pk=found[0]).first() if len(found) == 1 else None
