"""Scoped reads for study and discussion, and the coverage figures.

Sessions and attendee groups are scoped by their org's path, so a branch
secretary sees the branch's and a zone admin the zone's; another zone's
record is "not found", the same as a missing one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypedDict

from django.db.models import (
    Count,
    DecimalField,
    Exists,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, Substr
from django.utils.translation import gettext

from shiji.core.errors import NotFound
from shiji.core.validation import parse_id
from shiji.orgs import policy
from shiji.orgs.models import Organization, Person
from shiji.study.models import Attendance, AttendeeGroup, AttendeeScope, StudySession

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

NEVER_REACHED_LIMIT = 200
# Each level of an org path is eight digits and a dot (orgs.models.Organization).
PATH_STEP = 9


def sessions_visible_to(
    *, user: policy.Actor, action: str = "study.view"
) -> QuerySet[StudySession]:
    qs = StudySession.objects.select_related("zone", "org", "kind", "attendee_group")
    return policy.scoped(qs, user, action)


def session_get_for_user(
    *, user: policy.Actor, pk: Any, action: str = "study.view"
) -> StudySession:
    session = sessions_visible_to(user=user, action=action).filter(pk=parse_id(pk)).first()
    if session is None:
        raise NotFound(gettext("学习研讨记录不存在"))
    return session


def session_filter(qs: QuerySet[StudySession], params: Mapping[str, Any]) -> QuerySet[StudySession]:
    """Filter by ``zone``, ``org`` (an Organization the caller may see: its
    subtree), ``kind`` (id), ``date_from``
    and ``date_to`` (dates); a value that matches nothing gives an empty list."""
    if params.get("zone"):
        qs = qs.filter(zone_id=parse_id(params["zone"]))
    org = params.get("org")
    if isinstance(org, Organization):
        qs = qs.filter(zone_id=org.zone_id, org__path__startswith=org.path)
    if params.get("kind"):
        qs = qs.filter(kind_id=parse_id(params["kind"]))
    if params.get("date_from"):
        qs = qs.filter(date__gte=params["date_from"])
    if params.get("date_to"):
        qs = qs.filter(date__lte=params["date_to"])
    return qs


class Counts(TypedDict):
    """What with_counts annotates."""

    expected_count: int
    present_count: int
    absent_count: int
    pending_count: int


def with_counts(
    qs: QuerySet[StudySession],
) -> QuerySet[WithAnnotations[StudySession, Counts]]:
    """Each session with ``expected_count`` (应到), ``present_count``,
    ``absent_count`` and ``pending_count`` (not recorded yet, 待补录)."""
    # Meta.ordering does not apply to grouped queries: order explicitly.
    ordering = qs.query.order_by or StudySession._meta.ordering or ()
    return qs.annotate(
        expected_count=Count("attendance"),
        present_count=Count("attendance", filter=Q(attendance__present=True)),
        absent_count=Count("attendance", filter=Q(attendance__present=False)),
        pending_count=Count("attendance", filter=Q(attendance__present__isnull=True)),
    ).order_by(*ordering)


def roster_of(org: Organization) -> QuerySet[Person]:
    """The active people of ``org``'s subtree, in tree order: the people a
    session of ``org`` takes attendance from."""
    return (
        Person.objects.filter(zone_id=org.zone_id, org__path__startswith=org.path, is_active=True)
        .select_related("org")
        .order_by("org__path", "name", "pk")
    )


def expected_people(
    *, org: Organization, scope: str, group: AttendeeGroup | None = None
) -> QuerySet[Person]:
    """Who a session of ``org`` expects for an attendee choice: the org's own
    active people, its whole subtree's, or a group's active members (those
    still in the org's subtree), in tree order."""
    people = roster_of(org)
    if scope == AttendeeScope.ORG:
        return people.filter(org=org)
    if scope == AttendeeScope.GROUP:
        return people.filter(attendee_groups=group) if group is not None else people.none()
    return people


def attendance_of(session: StudySession) -> QuerySet[Attendance]:
    return session.attendance.select_related("person__org").order_by(
        "person__org__path", "person__name", "person__pk"
    )


# Attendee groups ---------------------------------------------------------------


def groups_visible_to(*, user: policy.Actor, action: str = "study.view") -> QuerySet[AttendeeGroup]:
    qs = AttendeeGroup.objects.select_related("zone", "org")
    return policy.scoped(qs, user, action)


def group_get_for_user(*, user: policy.Actor, pk: Any, action: str = "study.view") -> AttendeeGroup:
    group = groups_visible_to(user=user, action=action).filter(pk=parse_id(pk)).first()
    if group is None:
        raise NotFound(gettext("参会名单不存在"))
    return group


def with_member_counts(qs: QuerySet[AttendeeGroup]) -> QuerySet[AttendeeGroup]:
    """Each group with ``member_count``: its members still on the roster."""
    ordering = qs.query.order_by or AttendeeGroup._meta.ordering or ()
    return qs.annotate(member_count=Count("members", filter=Q(members__is_active=True))).order_by(
        *ordering
    )


def groups_usable_for(org: Organization) -> QuerySet[AttendeeGroup]:
    """The active groups a session of ``org`` may draw its attendees from:
    those of ``org`` and of its sub-orgs (their members are all within the
    session's subtree), with ``member_count``."""
    return with_member_counts(
        AttendeeGroup.objects.filter(
            zone_id=org.zone_id, org__path__startswith=org.path, is_active=True
        ).select_related("org")
    )


# Coverage --------------------------------------------------------------------


@dataclass
class CoverageRow:
    org: Organization | None  # None: people sitting directly in the chosen org
    label: str
    members: int
    reached: int
    hours: Decimal

    @property
    def share(self) -> float:
        return self.reached / self.members if self.members else 0.0

    @property
    def percent(self) -> int:
        return round(self.share * 100)

    @property
    def hours_per_member(self) -> Decimal:
        if not self.members:
            return Decimal(0)
        return (self.hours / self.members).quantize(Decimal("0.01"))


@dataclass
class Coverage:
    org: Organization
    date_from: dt.date | None
    date_to: dt.date | None
    total: CoverageRow
    rows: list[CoverageRow] = field(default_factory=list)
    never_reached: Sequence[Person] = field(default_factory=list)
    never_reached_count: int = 0


def coverage(
    *, org: Organization, date_from: dt.date | None = None, date_to: dt.date | None = None
) -> Coverage:
    """Who of ``org``'s subtree was reached by study between the dates.

    Members are the subtree's active people; a member is reached when marked
    present at one session or more (of any org) in the range, and their hours
    are the durations of those sessions. Rows per child org (plus one for
    people directly in ``org``) show who is behind. Three queries: the rows
    (aggregated in the database), the child orgs' names, the never reached.
    """
    members, grouped = _coverage_groups(org, date_from, date_to)
    children = {o.path: o for o in Organization.objects.filter(zone_id=org.zone_id, parent=org)}
    rows: list[CoverageRow] = []
    for group in grouped:
        child = children.pop(group["branch"], None)
        rows.append(
            CoverageRow(
                org=child,
                label=child.name if child else gettext("%(org)s（本级）") % {"org": org.name},
                members=group["n"],
                reached=group["reached_n"],
                hours=Decimal(group["hours_sum"] or 0),
            )
        )
    # Child orgs with nobody on the roster still get a row: "0 members" is news.
    rows.extend(
        CoverageRow(org=child, label=child.name, members=0, reached=0, hours=Decimal(0))
        for child in children.values()
    )
    rows.sort(key=lambda r: (r.org is not None, r.org.path if r.org else ""))
    total = CoverageRow(
        org=org,
        label=org.name,
        members=sum(r.members for r in rows),
        reached=sum(r.reached for r in rows),
        hours=sum((r.hours for r in rows), Decimal(0)),
    )
    never = list(
        members.filter(was_reached=False).order_by("org__path", "name")[:NEVER_REACHED_LIMIT]
    )
    never_count = total.members - total.reached
    return Coverage(
        org=org,
        date_from=date_from,
        date_to=date_to,
        total=total,
        rows=rows,
        never_reached=never,
        never_reached_count=never_count,
    )


def coverage_total(
    *, org: Organization, date_from: dt.date | None = None, date_to: dt.date | None = None
) -> CoverageRow:
    """``coverage(...).total`` alone, in one query (the home page's panel):
    the same groups summed, without the child orgs' names and the list of
    those never reached."""
    _, grouped = _coverage_groups(org, date_from, date_to)
    return CoverageRow(
        org=org,
        label=org.name,
        members=sum(g["n"] for g in grouped),
        reached=sum(g["reached_n"] for g in grouped),
        hours=sum((Decimal(g["hours_sum"] or 0) for g in grouped), Decimal(0)),
    )


def _coverage_groups(
    org: Organization, date_from: dt.date | None, date_to: dt.date | None
) -> tuple[QuerySet[Any], Sequence[Mapping[str, Any]]]:
    """The subtree's active people annotated with ``was_reached`` and
    ``hours`` in the range, and their counts per child org (``branch``)."""
    attended = Q(present=True)
    if date_from:
        attended &= Q(session__date__gte=date_from)
    if date_to:
        attended &= Q(session__date__lte=date_to)
    mine = Attendance.objects.filter(attended, person=OuterRef("pk"))
    hours = (
        mine.order_by()
        .values("person")
        .annotate(total=Sum("session__duration_hours"))
        .values("total")
    )
    decimal = DecimalField(max_digits=12, decimal_places=1)
    members = (
        roster_of(org)
        .order_by()
        .annotate(
            was_reached=Exists(mine),
            hours=Coalesce(
                Subquery(hours, output_field=decimal), Value(Decimal(0)), output_field=decimal
            ),
            branch=Substr("org__path", 1, len(org.path) + PATH_STEP),
        )
    )
    grouped = list(
        members.values("branch")
        .annotate(
            n=Count("pk"),
            reached_n=Count("pk", filter=Q(was_reached=True)),
            hours_sum=Sum("hours"),
        )
        .order_by("branch")
    )
    return members, grouped
