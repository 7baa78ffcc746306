"""Scoped reads of feedback for the back office (pages and API).

Scope: ``feedback.view`` over the item's zone and its organization's path.
An item not yet forwarded has no organization, so only zone-level grants
see it; once forwarded (转办) the organization's subtree sees it too. Staff
named in the zone's feedback settings see the zone's items. A 举报 naming
an official (``restricted``) is seen only by ``feedback.restricted``
holders. None of these reads touches the submitter's contact, which only
``feedback_contact`` returns, and records each time it does.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.db.models import Case, CharField, Count, IntegerField, Q, QuerySet, Value, When
from django.utils import timezone
from django.utils.translation import gettext

from shiji.audit.kinds import EventKind
from shiji.audit.services import audit_record
from shiji.core.errors import Forbidden, Invalid, NotFound
from shiji.core.lights import Light
from shiji.core.validation import clean_date, clean_search, parse_id
from shiji.core.workdays import add_working_days
from shiji.orgs import policy
from shiji.outreach import access
from shiji.outreach.limits import YELLOW_WORKING_DAYS
from shiji.outreach.models import Feedback, FeedbackContact, Status
from shiji.outreach.workflow import PENDING


def light_expression(today: dt.date | None = None) -> Case:
    """``limits.light`` in the query: red past the limit and still waiting
    on the zone, yellow within a working day of it, green otherwise; null
    once nothing is owed (answered, declined, in the ledger, merged)."""
    today = today or timezone.localdate()
    soon = add_working_days(today, YELLOW_WORKING_DAYS)
    return Case(
        When(~Q(status__in=PENDING), then=Value(None)),
        When(due_on__lt=today, then=Value(Light.RED)),
        When(due_on__lte=soon, then=Value(Light.YELLOW)),
        default=Value(Light.GREEN),
        output_field=CharField(null=True),
    )


# Overdue first, then what still waits by its due date, then the rest.
URGENCY = Case(
    When(light=Light.RED, then=Value(0)),
    When(status__in=PENDING, then=Value(1)),
    default=Value(2),
    output_field=IntegerField(),
)


def _scope(user: policy.Actor) -> Q | None:
    base = policy.scope_q(user, "feedback.view", zone="zone", org_path="org__path")
    named = access.named_zone_ids(user)
    if named:
        extra = Q(zone_id__in=named)
        base = extra if base is None else base | extra
    if base is None:
        return None
    restricted = policy.scope_q(user, "feedback.restricted", zone="zone", org_path="org__path")
    allowed = Q(restricted=False) if restricted is None else Q(restricted=False) | restricted
    return base & allowed


def feedback_visible_to(*, user: policy.Actor) -> QuerySet[Feedback]:
    qs = Feedback.objects.select_related("zone", "org", "problem", "merged_into").annotate(
        light=light_expression()
    )
    q = _scope(user)
    return qs.none() if q is None else qs.filter(q)


def feedback_get_for_user(*, user: policy.Actor, pk: Any) -> Feedback:
    item = feedback_visible_to(user=user).filter(pk=parse_id(pk)).first()
    if item is None:
        raise NotFound(gettext("群众反映不存在"))
    return item


def feedback_filter(
    qs: QuerySet[Feedback], params: Mapping[str, Any], *, user: policy.Actor
) -> QuerySet[Feedback]:
    """The inbox's filters (and the API's): unknown values match nothing."""
    if params.get("zone"):
        qs = qs.filter(zone_id=parse_id(params["zone"]))
    if params.get("org"):
        from shiji.orgs.selectors import orgs_visible_to

        org = orgs_visible_to(user=user).filter(pk=parse_id(params["org"])).first()
        qs = qs.filter(org__path__startswith=org.path) if org else qs.none()
    for key in ("status", "kind", "channel", "category"):
        if params.get(key):
            qs = qs.filter(**{key: params[key]})
    if params.get("light"):
        qs = qs.filter(light=params["light"])  # type: ignore[misc]  # annotated
    if params.get("escalated"):
        qs = qs.filter(escalated=True)
    # Received from/to: the campaign scores' feedback figures link here.
    for key, lookup in (
        ("received_from", "received_at__date__gte"),
        ("received_to", "received_at__date__lte"),
    ):
        if params.get(key):
            try:
                day = clean_date(params[key], field=key, label=key)
            except Invalid:
                return qs.none()
            qs = qs.filter(**{lookup: day})
    if params.get("q"):
        # Number and content only: a search never reads the contact table.
        term = clean_search(params["q"])
        qs = qs.filter(Q(number__icontains=term) | Q(content__icontains=term))
    return qs


def feedback_inbox(
    *, user: policy.Actor, params: Mapping[str, Any]
) -> tuple[QuerySet[Feedback], dict[str, int]]:
    """The inbox rows (overdue first, then by due date) and the count of
    each status under the other filters (the tabs)."""
    visible = feedback_visible_to(user=user)
    rows = feedback_filter(visible, params, user=user).order_by(URGENCY, "due_on", "-pk")
    counts = status_counts(feedback_filter(visible, {**params, "status": ""}, user=user))
    return rows, counts


def status_counts(qs: QuerySet[Feedback]) -> dict[str, int]:
    counts = dict.fromkeys(Status.values, 0)
    for row in qs.order_by().values("status").annotate(n=Count("pk")):
        counts[row["status"]] = row["n"]
    counts["all"] = sum(counts[s] for s in Status.values)
    return counts


def feedback_contact(*, user: policy.Actor, feedback: Feedback) -> dict[str, str]:
    """The submitter's name and phone, for ``may_see_contact`` users only;
    every call is written to the audit trail (who, when), refused ones not
    being views. An anonymous item gives empty strings."""
    if not access.may_see_contact(user, feedback.zone_id):
        raise Forbidden(gettext("您没有查看反映人联系方式的权限"))
    with transaction.atomic():
        contact = FeedbackContact.objects.filter(feedback=feedback).first()
        audit_record(actor=user, action=EventKind.FEEDBACK_CONTACT_VIEW, obj=feedback)
    if contact is None:
        return {"name": "", "phone": ""}
    return {"name": contact.name, "phone": contact.phone}


def merge_targets(*, user: policy.Actor, feedback: Feedback) -> QuerySet[Feedback]:
    """Open items of the same zone this one may be merged into."""
    from shiji.outreach.workflow import OPEN

    return (
        feedback_visible_to(user=user)
        .filter(zone_id=feedback.zone_id, status__in=OPEN)
        .exclude(pk=feedback.pk)
        .order_by("-received_at", "-pk")
    )
