"""Scoped reads for campaign settings and the task list (任务清单).

Tasks belong to a zone (everyone in the zone sees the list); assignments
belong to an organization and are scoped by its subtree, so a branch
secretary sees and reports only their own share. The traffic light is
computed in the query, as in ledger/selectors.py.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypedDict

from django.db.models import Case, CharField, Count, Q, QuerySet, Value, When
from django.utils import timezone
from django.utils.translation import gettext

from shiji.campaigns.models import (
    AssignmentStatus,
    Campaign,
    ProblemCategory,
    Task,
    TaskAssignment,
    ZoneCampaign,
)
from shiji.core.errors import NotFound
from shiji.core.lights import Light
from shiji.core.validation import clean_search, parse_id
from shiji.orgs import policy
from shiji.orgs.models import Organization, Zone

if TYPE_CHECKING:
    from django_stubs_ext import StrPromise, WithAnnotations

    from shiji.core.workflow import Move

YELLOW_DAYS = 7
DONE = AssignmentStatus.ACCEPTED


def assignment_light(today: dt.date | None = None, prefix: str = "") -> Case:
    """red = past the task's deadline and not accepted; yellow = due within 7
    days and not accepted; green otherwise (accepted, or no deadline)."""
    today = today or timezone.localdate()
    deadline = f"{prefix}task__deadline"
    return Case(
        When(Q(**{f"{prefix}status": DONE}) | Q(**{f"{deadline}__isnull": True}),
             then=Value(Light.GREEN)),
        When(**{f"{deadline}__lt": today}, then=Value(Light.RED)),
        When(**{f"{deadline}__lte": today + dt.timedelta(days=YELLOW_DAYS)},
             then=Value(Light.YELLOW)),
        default=Value(Light.GREEN),
        output_field=CharField(),
    )  # fmt: skip


# Campaign settings ---------------------------------------------------------------


def adoptions_for(*, user: policy.Actor, zone: Zone) -> QuerySet[ZoneCampaign]:
    """The zone's adopted campaigns, newest first (empty outside the user's scope)."""
    qs = policy.scoped(ZoneCampaign.objects.all(), user, "campaign.view", org_path=None)
    return (
        qs.filter(zone=zone)
        .select_related("campaign")
        .prefetch_related("campaign__arrangements")
        .order_by("-campaign__year", "-adopted_at")
    )


def adoption_get_for_user(*, user: policy.Actor, pk: Any) -> ZoneCampaign:
    found = (
        policy.scoped(ZoneCampaign.objects.all(), user, "campaign.view", org_path=None)
        .select_related("zone", "campaign")
        .filter(pk=parse_id(pk))
        .first()
    )
    if found is None:
        raise NotFound(gettext("该学习教育不存在"))
    return found


# The campaign's study kind that a zone's deployment meeting is recorded as.
DEPLOYMENT_KIND = "deployment"


def deployment_meetings(*, user: policy.Actor, adoption: ZoneCampaign) -> QuerySet[Any]:
    """The zone's deployment meeting(s) of the campaign, earliest first: study
    sessions of the ``deployment`` kind, the one place the meeting is stored
    (only those the user may see in 学习研讨)."""
    qs = adoption.zone.study_sessions.filter(
        kind__campaign_id=adoption.campaign_id, kind__code=DEPLOYMENT_KIND
    )
    return policy.scoped(qs, user, "study.view").order_by("date", "pk")


def templates_to_adopt(*, adoption: ZoneCampaign) -> QuerySet[Any]:
    """The campaign's task templates not yet on the zone's task list: what
    generating the task list would add (see services.tasks_adopt_templates)."""
    have = Task.objects.filter(zone_id=adoption.zone_id, template__isnull=False)
    return (
        adoption.campaign.task_templates.exclude(pk__in=have.values("template_id"))
        .select_related("arrangement")
        .order_by("order", "pk")
    )


def campaigns_available(*, zone: Zone) -> QuerySet[Campaign]:
    """Loaded campaigns the zone has not adopted yet (presets are national)."""
    return Campaign.objects.exclude(adoptions__zone=zone).order_by("-year", "code")


def categories_for(*, zone: Zone, campaign: Campaign) -> QuerySet[ProblemCategory]:
    return ProblemCategory.objects.filter(zone=zone, campaign=campaign).order_by("order", "pk")


# Tasks ---------------------------------------------------------------------------


def tasks_visible_to(*, user: policy.Actor, action: str = "task.view") -> QuerySet[Task]:
    qs = Task.objects.select_related("zone", "campaign", "arrangement")
    return policy.scoped(qs, user, action, org_path=None)


def task_get_for_user(*, user: policy.Actor, pk: Any) -> Task:
    task = tasks_visible_to(user=user).filter(pk=parse_id(pk)).first()
    if task is None:
        raise NotFound(gettext("任务不存在"))
    return task


def with_progress(qs: QuerySet[Task], *, user: policy.Actor) -> QuerySet[Task]:
    """Each task with ``total``, ``done`` (accepted), ``reported`` and
    ``red`` counts over the assignments the user may see."""
    q = policy.scope_q(
        user, "task.view", zone="assignments__org__zone", org_path="assignments__org__path"
    )
    seen = Q(pk__in=[]) if q is None else q
    today = timezone.localdate()
    open_ = Q(assignments__status__in=[s for s in AssignmentStatus.values if s != DONE])
    return qs.annotate(
        total=Count("assignments", filter=seen),
        done=Count("assignments", filter=seen & Q(assignments__status=DONE)),
        reported=Count(
            "assignments", filter=seen & Q(assignments__status=AssignmentStatus.REPORTED)
        ),
        red=Count("assignments", filter=seen & open_ & Q(deadline__lt=today)),
    )


TASK_SORTS = {
    "deadline": ("deadline", "pk"),
    "-deadline": ("-deadline", "pk"),
    "arrangement": ("arrangement__order", "deadline", "pk"),
}


def task_filter(qs: QuerySet[Task], params: dict[str, Any]) -> QuerySet[Task]:
    """The task list's filters (page and API). Unknown values match nothing."""
    if params.get("zone"):
        qs = qs.filter(zone_id=parse_id(params["zone"]))
    if params.get("campaign"):
        qs = qs.filter(campaign_id=parse_id(params["campaign"]))
    if params.get("arrangement"):
        qs = qs.filter(arrangement_id=parse_id(params["arrangement"]))
    if params.get("sector"):
        # JSON containment is not portable to SQLite; the codes are distinct
        # words, so the quoted code inside the stored list is a safe match.
        code = clean_search(params["sector"], max_length=20)
        qs = qs.filter(sectors__icontains=f'"{code}"')
    if params.get("q"):
        term = clean_search(params["q"])
        qs = qs.filter(Q(title__icontains=term) | Q(description__icontains=term))
    return qs.order_by(*TASK_SORTS.get(params.get("sort") or "deadline", TASK_SORTS["deadline"]))


class Lit(TypedDict):
    """What assignments_visible_to annotates: the traffic light (a Light)."""

    light: str


def assignments_visible_to(
    *, user: policy.Actor, action: str = "task.view"
) -> QuerySet[WithAnnotations[TaskAssignment, Lit]]:
    qs = TaskAssignment.objects.select_related(
        "task__zone", "task__arrangement", "org", "reported_by", "reviewed_by"
    ).annotate(light=assignment_light())
    return policy.scoped(qs, user, action, zone="org__zone", org_path="org__path")


def assignment_get_for_user(*, user: policy.Actor, pk: Any) -> TaskAssignment:
    found = assignments_visible_to(user=user).filter(pk=parse_id(pk)).first()
    if found is None:
        raise NotFound(gettext("任务分派不存在"))
    return found


def available_moves(*, user: policy.Actor, assignment: TaskAssignment) -> list[Move]:
    from shiji.campaigns import workflow

    return [
        m
        for m in workflow.moves_from(assignment.status)
        if policy.can(user, m.permission, assignment)
    ]


# The org × task matrix -----------------------------------------------------------


class MatrixCell(TypedDict):
    """One assignment in the matrix (None where the org has no share of the task)."""

    pk: int
    task_id: int
    org_id: int
    status: str
    label: str | StrPromise
    light: str


@dataclass
class MatrixRow:
    org: Organization
    indent: int
    cells: list[MatrixCell | None] = field(default_factory=list)
    red: int = 0
    yellow: int = 0
    done: int = 0
    total: int = 0


@dataclass
class Matrix:
    tasks: list[Task]
    rows: list[MatrixRow]
    done: list[int]  # per task, accepted assignments
    totals: list[int]  # per task, assignments
    behind: list[MatrixRow]  # rows with red cells, most red first


def task_matrix(*, user: policy.Actor, zone: Zone, params: dict[str, Any] | None = None) -> Matrix:
    """Rows = the zone's organizations with assignments the user may see, in
    tree order; columns = the zone's tasks; three queries whatever the size."""
    params = {k: v for k, v in (params or {}).items() if k in ("arrangement", "campaign")}
    tasks = list(task_filter(tasks_visible_to(user=user).filter(zone=zone), params))
    index = {t.pk: i for i, t in enumerate(tasks)}
    cells = (
        assignments_visible_to(user=user)
        .filter(task__zone=zone, task_id__in=list(index))
        .order_by()
        .values("pk", "task_id", "org_id", "status", "light")
    )
    statuses = dict(AssignmentStatus.choices)
    by_org: dict[int, list[MatrixCell | None]] = {}
    for cell in cells:
        line = by_org.setdefault(cell["org_id"], [None] * len(tasks))
        line[index[cell["task_id"]]] = MatrixCell(
            pk=cell["pk"],
            task_id=cell["task_id"],
            org_id=cell["org_id"],
            status=cell["status"],
            label=statuses.get(cell["status"], cell["status"]),
            light=cell["light"],
        )
    orgs = list(Organization.objects.filter(pk__in=list(by_org)).order_by("path"))
    top = min((o.depth for o in orgs), default=0)
    rows: list[MatrixRow] = []
    done = [0] * len(tasks)
    totals = [0] * len(tasks)
    for org in orgs:
        row = MatrixRow(org=org, indent=org.depth - top, cells=by_org[org.pk])
        for i, share in enumerate(row.cells):
            if share is None:
                continue
            row.total += 1
            totals[i] += 1
            if share["status"] == DONE:
                row.done += 1
                done[i] += 1
            if share["light"] == Light.RED:
                row.red += 1
            elif share["light"] == Light.YELLOW:
                row.yellow += 1
        rows.append(row)
    behind = sorted((r for r in rows if r.red), key=lambda r: (-r.red, -r.yellow, r.org.path))
    return Matrix(tasks=tasks, rows=rows, done=done, totals=totals, behind=behind)
