"""Scoped reads of the rule-making register, and the ledger problems that
need a rule change but have no regulation yet."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext

from shiji.core.errors import Invalid, NotFound
from shiji.core.validation import clean_date, clean_search, parse_id
from shiji.core.workflow import Move
from shiji.ledger.models import Problem
from shiji.ledger.models import Status as ProblemStatus
from shiji.ledger.selectors import problems_visible_to
from shiji.orgs import policy
from shiji.regulations import workflow
from shiji.regulations.models import Regulation


def regulations_visible_to(
    *, user: policy.Actor, action: str = "regulation.view"
) -> QuerySet[Regulation]:
    qs = Regulation.objects.select_related("zone", "org").annotate(
        problem_count=Count("problems", distinct=True)
    )
    return policy.scoped(qs, user, action)


def regulation_get_for_user(*, user: policy.Actor, pk: Any) -> Regulation:
    found = regulations_visible_to(user=user).filter(pk=parse_id(pk)).first()
    if found is None:
        raise NotFound(gettext("制度不存在"))
    return found


def parse_day(value: Any) -> dt.date | None:
    try:
        return clean_date(value, field="date", label="date")
    except Invalid:
        return None


def regulation_filter(
    qs: QuerySet[Regulation], params: dict[str, Any], *, user: policy.Actor
) -> QuerySet[Regulation]:
    """The register's filters (page, export and API). Unknown values match nothing."""
    if params.get("zone"):
        qs = qs.filter(zone_id=parse_id(params["zone"]))
    if params.get("org"):
        from shiji.orgs.selectors import orgs_visible_to

        org = orgs_visible_to(user=user).filter(pk=parse_id(params["org"])).first()
        qs = qs.filter(org__path__startswith=org.path) if org else qs.none()
    for key in ("status", "action"):
        if params.get(key):
            qs = qs.filter(**{key: str(params[key])})
    # Issued from/to: the campaign scores' "rules made" links here.
    for key, lookup in (("issued_from", "issued_on__gte"), ("issued_to", "issued_on__lte")):
        if params.get(key):
            day = parse_day(params[key])
            qs = qs.filter(**{lookup: day}) if day else qs.none()
    if params.get("q"):
        term = clean_search(params["q"])
        qs = qs.filter(Q(title__icontains=term) | Q(doc_number__icontains=term))
    return qs.order_by("-issued_on", "-pk")


def problems_needing_rules(*, user: policy.Actor, zone: Any = None) -> QuerySet[Problem]:
    """需建章立制但尚无制度: visible problems marked ``needs_rule_change`` that
    are not cancelled and are linked to no regulation at all."""
    linked = Regulation.problems.through.objects.filter(problem_id=OuterRef("pk"))
    qs = (
        problems_visible_to(user=user)
        .filter(needs_rule_change=True)
        .exclude(status=ProblemStatus.CANCELLED)
        .filter(~Exists(linked))
    )
    if zone is not None:
        qs = qs.filter(zone=zone)
    return qs.order_by("zone", "code")


def linkable_problems(*, user: policy.Actor, regulation: Regulation) -> QuerySet[Problem]:
    """Problems of the regulation's zone the user can see and that are not yet
    linked to it (those marked 需建章立制 first)."""
    return (
        problems_visible_to(user=user)
        .filter(zone_id=regulation.zone_id)
        .exclude(regulations=regulation)
        .exclude(status=ProblemStatus.CANCELLED)
        .order_by("-needs_rule_change", "code")
    )


def linked_problems(*, user: policy.Actor, regulation: Regulation) -> list[Problem | None]:
    """The regulation's problems; ones the user may not see count as None."""
    ids = list(regulation.problems.order_by("code").values_list("pk", flat=True))
    visible = {p.pk: p for p in problems_visible_to(user=user).filter(pk__in=ids)}
    return [visible.get(pk) for pk in ids]


def available_moves(*, user: policy.Actor, regulation: Regulation) -> list[Move]:
    return [
        m
        for m in workflow.moves_from(regulation.status)
        if policy.can(user, m.permission, regulation)
    ]


def with_visible_problems(regulations: list[Regulation], *, user: policy.Actor) -> list[Regulation]:
    """Set ``visible_problem_ids`` on each regulation: its linked problems that
    ``user`` may see, in id order (one query for all of them)."""
    links = (
        Regulation.problems.through.objects.filter(
            regulation_id__in=[r.pk for r in regulations],
            problem_id__in=problems_visible_to(user=user).values("pk"),
        )
        .order_by("problem_id")
        .values_list("regulation_id", "problem_id")
    )
    by_regulation: dict[int, list[int]] = {r.pk: [] for r in regulations}
    for regulation_id, problem_id in links:
        by_regulation[regulation_id].append(problem_id)
    for regulation in regulations:
        # Read by the register's templates and the API's output.
        regulation.visible_problem_ids = by_regulation[regulation.pk]  # type: ignore[attr-defined]
    return regulations
