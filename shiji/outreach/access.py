"""Who may handle feedback and who may see what of it, beyond the role table.

The role table (``orgs/policy.py``) gives ``feedback.handle`` to the zone
admin; the zone admin may also name staff in the zone's feedback settings
(``OutreachSettings.handlers``, ``contact_viewers``). Both count here, in one
place, so the pages, the API and the services ask the same questions.

Two protections sit on top of scope:

- the submitter's name and phone: only ``feedback.contact`` holders (the zone
  admin by default; never the system admin, never the organization an item
  was forwarded to) or the named contact viewers (``may_see_contact``);
- a 举报 naming an official (``Feedback.restricted``): only
  ``feedback.restricted`` holders (the zone admin and the supervisors).

A grant over an organization subtree covers a record without an
organization in ``policy.can`` (the zone itself); an item not yet forwarded
has none, and is meant for zone-level grants only, so the questions about
one item here never ask ``policy.can`` about an org-scoped role with an item
that has no organization.
"""

from __future__ import annotations

from django.db.models import Q

from shiji.orgs import policy
from shiji.orgs.models import User, Zone
from shiji.outreach.models import Feedback, OutreachSettings


def _naming(user: policy.Actor) -> dict[str, set[int]]:
    """The zones whose feedback settings name ``user``, per relation
    (``handlers``, ``contact_viewers``): one query, kept on the user object
    for the request like its grants (``policy.grants_of``)."""
    empty: dict[str, set[int]] = {"handlers": set(), "contact_viewers": set()}
    if not isinstance(user, User) or not user.is_active:
        return empty
    cached = getattr(user, "_shiji_feedback_naming", None)
    if cached is None:
        cached = empty
        rows = OutreachSettings.objects.filter(
            Q(handlers=user) | Q(contact_viewers=user)
        ).values_list("zone_id", "handlers", "contact_viewers")
        for zone_id, handler, viewer in rows:
            if handler == user.pk:
                cached["handlers"].add(zone_id)
            if viewer == user.pk:
                cached["contact_viewers"].add(zone_id)
        user._shiji_feedback_naming = cached  # type: ignore[attr-defined]
    return cached


def _named(user: policy.Actor, zone_id: int, relation: str) -> bool:
    return zone_id in _naming(user)[relation]


def named_zone_ids(user: policy.Actor) -> set[int]:
    """Zones whose feedback settings name ``user`` as a handler or a contact
    viewer: they see the zone's items as the zone's own staff do."""
    naming = _naming(user)
    return naming["handlers"] | naming["contact_viewers"]


def _zone_level(user: policy.Actor, action: str, zone_id: int) -> bool:
    """Does ``user`` hold ``action`` over the whole zone (not a subtree)?"""
    if policy.is_system(user):
        return True
    for grant in policy.grants_of(user):
        if grant.role not in policy.TABLE[action]:
            continue
        kind = policy.grant_scope_kind(grant)
        if kind == "all" or (kind == "zone" and grant.zone_id == zone_id):
            return True
        if kind == "province" and grant.zone_id is None:
            zone = Zone.objects.filter(pk=zone_id).only("province").first()
            if zone is not None and zone.province == grant.province:
                return True
    return False


def may_handle(user: policy.Actor, zone: Zone | int) -> bool:
    """May ``user`` handle the zone's feedback (accept, decline, forward,
    draft replies, turn into problems, merge, enter items on someone's
    behalf, choose what is disclosed)?"""
    zone_id = zone if isinstance(zone, int) else zone.pk
    return _zone_level(user, "feedback.handle", zone_id) or _named(user, zone_id, "handlers")


def may_see_contact(user: policy.Actor, zone: Zone | int) -> bool:
    """May ``user`` see the submitters' names and phones in the zone?"""
    zone_id = zone if isinstance(zone, int) else zone.pk
    return _zone_level(user, "feedback.contact", zone_id) or _named(
        user, zone_id, "contact_viewers"
    )


def may_see_restricted(user: policy.Actor, item: Feedback) -> bool:
    """A 举报 naming an official: the zone admin and the supervisors only."""
    if not item.restricted:
        return True
    if item.org_id is None:
        return _zone_level(user, "feedback.restricted", item.zone_id)
    return policy.can(user, "feedback.restricted", item)


def may_answer(user: policy.Actor, item: Feedback) -> bool:
    """Draft a reply: the zone's handlers, or the secretary or liaison of the
    organization the item was forwarded to."""
    if may_handle(user, item.zone_id):
        return True
    return item.org_id is not None and policy.can(user, "feedback.answer", item)


def may_publish(user: policy.Actor, item: Feedback) -> bool:
    """Review and publish a reply: the zone admin (a zone-level grant)."""
    return _zone_level(user, "feedback.publish", item.zone_id)


def may_move(user: policy.Actor, item: Feedback, permission: str) -> bool:
    """The check behind each move's ``permission`` (see workflow.MOVES)."""
    if permission == "feedback.handle":
        return may_handle(user, item.zone_id)
    if permission == "feedback.answer":
        return may_answer(user, item)
    if permission == "feedback.publish":
        return may_publish(user, item)
    return policy.can(user, permission, item)


def may_configure(user: policy.Actor, zone: Zone | int) -> bool:
    """Change the zone's feedback settings (time limits, named staff)."""
    zone_id = zone if isinstance(zone, int) else zone.pk
    return _zone_level(user, "feedback.settings", zone_id)


def handles_anywhere(user: policy.Actor) -> bool:
    """Does ``user`` handle feedback in any zone (for to-dos and the nav)?"""
    return policy.can(user, "feedback.handle") or bool(_naming(user)["handlers"])
