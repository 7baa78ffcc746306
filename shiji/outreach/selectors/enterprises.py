"""Scoped reads of the enterprise register, roundtables, visits and the
demands raised at them. Out of scope and missing look the same (404)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext

from shiji.core.errors import NotFound
from shiji.core.validation import clean_search, parse_id
from shiji.orgs import policy
from shiji.outreach.models import Enterprise, EnterpriseVisit, Feedback, Roundtable


def enterprises_visible_to(
    *, user: policy.Actor, action: str = "enterprise.view"
) -> QuerySet[Enterprise]:
    return policy.scoped(Enterprise.objects.select_related("zone"), user, action, org_path=None)


def enterprise_get_for_user(*, user: policy.Actor, pk: Any) -> Enterprise:
    found = enterprises_visible_to(user=user).filter(pk=parse_id(pk)).first()
    if found is None:
        raise NotFound(gettext("企业不存在"))
    return found


def enterprise_filter(qs: QuerySet[Enterprise], params: dict[str, Any]) -> QuerySet[Enterprise]:
    """The register's filters (page and API): zone, industry, a search over
    name, credit code, industry and contact."""
    if params.get("zone"):
        qs = qs.filter(zone_id=parse_id(params["zone"]))
    if params.get("industry"):
        qs = qs.filter(industry=clean_search(params["industry"]))
    if params.get("q"):
        term = clean_search(params["q"])
        qs = qs.filter(
            Q(name__icontains=term)
            | Q(credit_code__icontains=term.upper())
            | Q(industry__icontains=term)
            | Q(contact_name__icontains=term)
        )
    return qs.order_by("name", "pk")


def industries(qs: QuerySet[Enterprise]) -> list[str]:
    """The industries in use, for the filter's select."""
    return list(
        qs.exclude(industry="").order_by("industry").values_list("industry", flat=True).distinct()
    )


def roundtables_visible_to(
    *, user: policy.Actor, action: str = "roundtable.view"
) -> QuerySet[Roundtable]:
    qs = Roundtable.objects.select_related("zone").annotate(
        enterprise_count=Count("enterprises", distinct=True),
        demand_count=Count("demands", distinct=True),
    )
    return policy.scoped(qs, user, action, org_path=None)


def roundtable_get_for_user(*, user: policy.Actor, pk: Any) -> Roundtable:
    found = roundtables_visible_to(user=user).filter(pk=parse_id(pk)).first()
    if found is None:
        raise NotFound(gettext("政企圆桌会记录不存在"))
    return found


def _dates(qs: QuerySet[Any], params: dict[str, Any], field: str) -> QuerySet[Any]:
    for key, lookup in (("from", "gte"), ("to", "lte")):
        value = params.get(key)
        if isinstance(value, dt.date):
            qs = qs.filter(**{f"{field}__{lookup}": value})
        elif value:
            try:
                qs = qs.filter(**{f"{field}__{lookup}": dt.date.fromisoformat(str(value))})
            except ValueError:
                return qs.none()
    return qs


def roundtable_filter(qs: QuerySet[Roundtable], params: dict[str, Any]) -> QuerySet[Roundtable]:
    if params.get("zone"):
        qs = qs.filter(zone_id=parse_id(params["zone"]))
    if params.get("enterprise"):
        qs = qs.filter(enterprises=parse_id(params["enterprise"]))
    if params.get("q"):
        term = clean_search(params["q"])
        qs = qs.filter(Q(title__icontains=term) | Q(hosts__icontains=term))
    return _dates(qs, params, "held_on").order_by("-held_on", "-pk")


def visits_visible_to(
    *, user: policy.Actor, action: str = "roundtable.view"
) -> QuerySet[EnterpriseVisit]:
    qs = EnterpriseVisit.objects.select_related("zone", "enterprise", "org").annotate(
        demand_count=Count("demands", distinct=True)
    )
    return policy.scoped(qs, user, action, org_path=None)


def visit_get_for_user(*, user: policy.Actor, pk: Any) -> EnterpriseVisit:
    found = visits_visible_to(user=user).filter(pk=parse_id(pk)).first()
    if found is None:
        raise NotFound(gettext("走访记录不存在"))
    return found


def visit_filter(
    qs: QuerySet[EnterpriseVisit], params: dict[str, Any]
) -> QuerySet[EnterpriseVisit]:
    if params.get("zone"):
        qs = qs.filter(zone_id=parse_id(params["zone"]))
    if params.get("enterprise"):
        qs = qs.filter(enterprise_id=parse_id(params["enterprise"]))
    if params.get("q"):
        term = clean_search(params["q"])
        qs = qs.filter(
            Q(enterprise__name__icontains=term)
            | Q(visitors__icontains=term)
            | Q(summary__icontains=term)
        )
    return _dates(qs, params, "visited_on").order_by("-visited_on", "-pk")


def demands_of(
    *,
    user: policy.Actor,
    roundtable: Roundtable | None = None,
    visit: EnterpriseVisit | None = None,
) -> list[Feedback]:
    """The tracked items raised at a roundtable or a visit, oldest first.
    Each carries ``problem_visible``: whether ``user`` may open its ledger
    problem (a problem outside their subtree is named by status only)."""
    qs = Feedback.objects.select_related("enterprise", "problem__org", "problem__zone")
    if roundtable is not None:
        qs = qs.filter(roundtable=roundtable)
    elif visit is not None:
        qs = qs.filter(visit=visit)
    else:
        return []
    items = list(qs.order_by("received_at", "pk"))
    for item in items:
        item.problem_visible = item.problem is not None and policy.can(  # type: ignore[attr-defined]
            user, "problem.view", item.problem
        )
    return items


def enterprise_options(*, user: policy.Actor, zone: Any) -> list[Enterprise]:
    """The zone's register for a select."""
    if zone is None:
        return []
    return list(enterprises_visible_to(user=user).filter(zone=zone).order_by("name", "pk"))
