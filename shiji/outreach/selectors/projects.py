"""Scoped reads of 为民实事 and their traffic light."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Case, CharField, IntegerField, Q, QuerySet, Value, When
from django.utils import timezone
from django.utils.translation import gettext

from shiji.core.errors import NotFound
from shiji.core.lights import Light
from shiji.core.validation import clean_search, parse_id
from shiji.orgs import policy
from shiji.outreach.models import PracticalProject, ProjectProgress, ProjectStatus

YELLOW_DAYS = 7


def light_expression(today: dt.date | None = None) -> Case:
    """The light of a 为民实事, the ledger's rule: red = past its deadline and
    not done; yellow = due within 7 days; green otherwise (a done project
    owes nothing). The one place the rule lives: lists, the detail page and
    the API all read the annotation."""
    today = today or timezone.localdate()
    return Case(
        When(status=ProjectStatus.DONE, then=Value(Light.GREEN)),
        When(deadline__lt=today, then=Value(Light.RED)),
        When(deadline__lte=today + dt.timedelta(days=YELLOW_DAYS), then=Value(Light.YELLOW)),
        default=Value(Light.GREEN),
        output_field=CharField(),
    )


LIGHT_ORDER = Case(
    When(light=Light.RED, then=Value(0)),
    When(light=Light.YELLOW, then=Value(1)),
    default=Value(2),
    output_field=IntegerField(),
)


def projects_visible_to(
    *, user: policy.Actor, action: str = "project.view", today: dt.date | None = None
) -> QuerySet[PracticalProject]:
    qs = PracticalProject.objects.select_related("zone", "org", "leader").annotate(
        light=light_expression(today)
    )
    return policy.scoped(qs, user, action)


def project_get_for_user(*, user: policy.Actor, pk: Any) -> PracticalProject:
    found = projects_visible_to(user=user).filter(pk=parse_id(pk)).first()
    if found is None:
        raise NotFound(gettext("为民实事不存在"))
    return found


def project_filter(
    qs: QuerySet[PracticalProject], params: dict[str, Any], *, user: policy.Actor
) -> QuerySet[PracticalProject]:
    """Red first, then by deadline. Unknown values match nothing."""
    if params.get("zone"):
        qs = qs.filter(zone_id=parse_id(params["zone"]))
    if params.get("org"):
        from shiji.orgs.selectors import orgs_visible_to

        org = orgs_visible_to(user=user).filter(pk=parse_id(params["org"])).first()
        qs = qs.filter(org__path__startswith=org.path) if org else qs.none()
    for key in ("status", "light"):
        if params.get(key):
            qs = qs.filter(**{key: str(params[key])})
    if params.get("public") not in (None, ""):
        qs = qs.filter(public=str(params["public"]).lower() in ("1", "true", "yes"))
    if params.get("q"):
        term = clean_search(params["q"])
        qs = qs.filter(Q(title__icontains=term) | Q(target__icontains=term))
    return qs.annotate(light_order=LIGHT_ORDER).order_by("light_order", "deadline", "pk")


def progress_of(project: PracticalProject) -> list[ProjectProgress]:
    return list(project.progress.select_related("author").order_by("-created_at", "-pk"))
