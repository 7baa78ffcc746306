"""The study API (学习研讨): sessions, their attendance, attendee groups and
coverage.

Reads go through ``study.selectors`` (another zone's session is the same 404
as a missing one) and writes through ``study.services``, the functions the
pages and the sign-in sheet import call; their errors become 403/404/422 in
``shiji/api.py``.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.db.models import QuerySet
from django.utils.translation import gettext
from ninja import Field, Query, Router, Schema
from ninja.responses import Status as Respond

from shiji.core.errors import NotFound, invalid
from shiji.core.schemas import COMMON_ERRORS, Day, ErrorOut, Id, In, SomeText, Text
from shiji.core.validation import parse_id
from shiji.orgs.selectors import org_get_for_user, orgs_visible_to, zone_get_for_user
from shiji.study import selectors, services
from shiji.study.models import AttendeeGroup, StudySession

router = Router(tags=["学习研讨"])

PAGE_SIZE_MAX = 200
PAGE_MAX = 100_000
READ = {404: ErrorOut, **COMMON_ERRORS}
WRITE = {403: ErrorOut, 404: ErrorOut, 409: ErrorOut, **COMMON_ERRORS}


Hours = Annotated[Decimal, Field(gt=0, le=24, max_digits=3, decimal_places=1)]


class SessionFilters(Schema):
    zone: Id | None = Field(None, description="高新区 id；不可见的高新区返回 404")
    org: Id | None = Field(None, description="组织单位 id（含下级）；不可见的组织返回 404")
    kind: Id | None = Field(None, description="学习形式 id")
    date_from: Day | None = Field(None, alias="from")
    date_to: Day | None = Field(None, alias="to")


class CoverageFilters(Schema):
    org: Id = Field(description="组织 id（含下级）；不可见的组织返回 404")
    date_from: Day | None = Field(None, alias="from")
    date_to: Day | None = Field(None, alias="to")


Scope = Literal["org", "subtree", "group"]
# The OpenAPI document's words (see API_DOCS in tests/web/test_i18n_python.py).
ATTENDEES_HELP = (
    "应到人员：`org` 本单位人员（默认）、`subtree` 本单位及下级组织人员、"  # zh-only: API docs
    "`group` 常用参会名单（须同时给出 `group`）"  # zh-only: API docs
)
CONFIRM_HELP = "出勤记录中无人出席（全部缺席）时须为 true，否则 422"  # zh-only: API docs


class MarkIn(In):
    person: Id
    present: bool
    reason: Text = Field("", max_length=services.REASON_LIMIT, description="缺席时必填")


class SessionIn(In):
    org: Id = Field(description="组织单位；应到人员从该组织及其下级组织中确定")
    kind: Id = Field(description="学习形式（本区启用的学习教育活动中的）")
    date: Day = Field(description="不能晚于今天")
    topic: SomeText = Field(max_length=200)
    duration_hours: Hours
    place: Text = Field("", max_length=200)
    minutes: Text = Field("", max_length=services.TEXT_LIMIT)
    attendees: Scope = Field("org", description=ATTENDEES_HELP)
    group: Id | None = Field(None, description="参会名单 id（`attendees` 为 `group` 时）")
    attendance: list[MarkIn] | None = Field(
        None,
        max_length=5000,
        description="应到人员的出勤；未列出的应到人员为待补录，不计入覆盖率",
    )
    confirm_none_present: bool = Field(False, description=CONFIRM_HELP)


class SessionPatch(In):
    org: Id = None
    kind: Id = None
    date: Day = None
    topic: SomeText = Field(None, max_length=200)
    duration_hours: Hours = None
    place: Text = Field(None, max_length=200)
    minutes: Text = Field(None, max_length=services.TEXT_LIMIT)
    attendees: Scope = Field(None, description=f"{ATTENDEES_HELP}；改变后重新确定应到人员")
    group: Id | None = Field(None, description="参会名单 id（`attendees` 为 `group` 时）")


class MarkOut(Schema):
    person: int
    person_name: str
    org_name: str
    present: bool | None = Field(description="true 出席，false 缺席，null 待补录")
    reason: str


class SessionOut(Schema):
    id: int
    zone: int
    org: int
    org_name: str
    kind: int
    kind_name: str
    date: dt.date
    topic: str
    duration_hours: Decimal
    place: str
    minutes: str
    is_sample: bool
    attendees: str = Field(description="应到人员：org、subtree 或 group")
    group: int | None
    group_name: str | None
    expected_count: int = Field(description="应到人数")
    present_count: int
    absent_count: int
    pending_count: int = Field(description="待补录人数（未记录出勤，不计入覆盖率）")

    @staticmethod
    def resolve_zone(obj: StudySession) -> int:
        return obj.zone_id

    @staticmethod
    def resolve_org(obj: StudySession) -> int:
        return obj.org_id

    @staticmethod
    def resolve_org_name(obj: StudySession) -> str:
        return obj.org.name

    @staticmethod
    def resolve_kind(obj: StudySession) -> int:
        return obj.kind_id

    @staticmethod
    def resolve_kind_name(obj: StudySession) -> str:
        return obj.kind.name

    @staticmethod
    def resolve_attendees(obj: StudySession) -> str:
        return obj.attendee_scope

    @staticmethod
    def resolve_group(obj: StudySession) -> int | None:
        return obj.attendee_group_id

    @staticmethod
    def resolve_group_name(obj: StudySession) -> str | None:
        return obj.attendee_group.name if obj.attendee_group_id else None


class SessionDetail(SessionOut):
    attendance: list[MarkOut]

    @staticmethod
    def resolve_attendance(obj: StudySession) -> list[dict[str, Any]]:
        return obj.marks


class SessionList(Schema):
    count: int
    page: int
    page_size: int
    items: list[SessionOut]


class MemberOut(Schema):
    id: int
    name: str
    org: int
    org_name: str
    is_active: bool


class GroupOut(Schema):
    id: int
    zone: int
    org: int
    org_name: str
    name: str
    is_active: bool
    member_count: int = Field(description="在册成员数")
    members: list[MemberOut]

    @staticmethod
    def resolve_zone(obj: AttendeeGroup) -> int:
        return obj.zone_id

    @staticmethod
    def resolve_org(obj: AttendeeGroup) -> int:
        return obj.org_id

    @staticmethod
    def resolve_org_name(obj: AttendeeGroup) -> str:
        return obj.org.name

    @staticmethod
    def resolve_members(obj: AttendeeGroup) -> list[dict[str, Any]]:
        return [
            {
                "id": p.pk,
                "name": p.name,
                "org": p.org_id,
                "org_name": p.org.name,
                "is_active": p.is_active,
            }
            for p in obj.members.select_related("org").order_by("org__path", "name", "pk")
        ]


class GroupList(Schema):
    count: int
    items: list[GroupOut]


class GroupFilters(Schema):
    zone: Id | None = Field(None, description="高新区 id；不可见的高新区返回 404")
    org: Id | None = Field(None, description="组织 id（含下级）；不可见的组织返回 404")
    active: bool | None = Field(None, description="true 只列启用的，false 只列停用的")


class GroupIn(In):
    org: Id = Field(description="所属组织；成员须属于该组织及其下级组织")
    name: SomeText = Field(max_length=services.GROUP_NAME_LIMIT)
    members: list[Id] = Field(
        min_length=1, max_length=services.GROUP_SIZE_LIMIT, description="成员（花名册人员 id）"
    )


class GroupPatch(In):
    name: SomeText = Field(None, max_length=services.GROUP_NAME_LIMIT)
    members: list[Id] = Field(
        None, min_length=1, max_length=services.GROUP_SIZE_LIMIT, description="整体替换成员"
    )


class CoverageRowOut(Schema):
    org: int | None = Field(description="下级组织 id；null 表示直属本组织的人员")
    name: str
    members: int
    reached: int
    share: float = Field(description="参加过学习的人数 / 在册人数")
    hours: Decimal = Field(description="参加学习的总时长（小时）")
    hours_per_member: Decimal


class PersonOut(Schema):
    id: int
    name: str
    org: int
    org_name: str


class CoverageOut(Schema):
    org: int
    date_from: dt.date | None
    date_to: dt.date | None
    total: CoverageRowOut
    rows: list[CoverageRowOut]
    never_reached: list[PersonOut]
    never_reached_count: int


# Helpers -------------------------------------------------------------------------


def _visible(request) -> QuerySet[StudySession]:
    return selectors.with_counts(selectors.sessions_visible_to(user=request.user))


def _one(request, session_id: Any) -> StudySession:
    return selectors.session_get_for_user(user=request.user, pk=session_id)


def _detail(request, session_id: Any) -> StudySession:
    session = _visible(request).filter(pk=parse_id(session_id)).first()
    if session is None:
        raise NotFound(gettext("学习研讨记录不存在"))
    session.marks = [
        {
            "person": a.person_id,
            "person_name": a.person.name,
            "org_name": a.person.org.name,
            "present": a.present,
            "reason": a.reason,
        }
        for a in selectors.attendance_of(session)
    ]
    return session


def _org(request, pk: int) -> Any:
    """The org a new session is recorded for names its zone: one the caller
    may see (else a 422 under ``org``, as the service says it)."""
    org = orgs_visible_to(user=request.user).filter(pk=parse_id(pk)).first()
    if org is None:
        raise invalid(org=gettext("组织单位不存在"))
    return org


def _marks(items: list[MarkIn] | None) -> list[dict[str, Any]] | None:
    return None if items is None else [m.dict() for m in items]


# Sessions ------------------------------------------------------------------------


@router.get(
    "study/sessions",
    response={200: SessionList, **READ},
    summary="学习研讨记录",
    description="调用者可见的学习研讨，按日期倒序分页。`zone` 或 `org` 超出范围时返回 404。",
)
def session_list(
    request,
    filters: Query[SessionFilters],
    page: int = Query(1, ge=1, le=PAGE_MAX),
    page_size: int = Query(50, ge=1, description="每页条数，最大 200"),
):
    params = filters.dict(exclude_none=True)
    if "zone" in params:
        zone_get_for_user(user=request.user, pk=params["zone"])
    if "org" in params:
        params["org"] = org_get_for_user(user=request.user, pk=params["org"], action="study.view")
    qs = selectors.session_filter(_visible(request), params)
    page_size = min(page_size, PAGE_SIZE_MAX)
    start = (page - 1) * page_size
    return {
        "count": qs.count(),
        "page": page,
        "page_size": page_size,
        "items": list(qs[start : start + page_size]),
    }


@router.post(
    "study/sessions",
    response={201: SessionDetail, **WRITE},
    summary="记录学习研讨（可同时提交出勤）",
    description=(
        "`org` 须为调用者可见的组织（否则 422）；角色不能为该组织记录时返回 403。"
        "应到人员由 `attendees`（默认本单位人员）和 `group` 确定，未在 `attendance` 中"
        "列出的应到人员为待补录，不计入任何覆盖率。日期晚于今天、时长不在 (0, 24]、"
        "出勤人员不在应到人员中、同一人重复、缺席未填原因、名单已停用或不属于该组织、"
        "全部缺席而未确认时返回 422，且不写入任何记录。"
    ),
)
def session_create(request, payload: SessionIn):
    org = _org(request, payload.org)
    session = services.session_create(
        actor=request.user,
        zone=org.zone,
        org=org,
        kind=payload.kind,
        date=payload.date,
        topic=payload.topic,
        duration_hours=payload.duration_hours,
        place=payload.place,
        minutes=payload.minutes,
        attendees=payload.attendees,
        group=payload.group,
        attendance=_marks(payload.attendance),
        confirm_none_present=payload.confirm_none_present,
    )
    return Respond(201, _detail(request, session.pk))


@router.get(
    "study/sessions/{session_id}", response={200: SessionDetail, **READ}, summary="学习研讨详情"
)
def session_detail(request, session_id: int):
    return _detail(request, session_id)


@router.patch(
    "study/sessions/{session_id}",
    response={200: SessionDetail, **WRITE},
    summary="修改学习研讨",
    description=(
        "只修改请求中给出的字段。改变组织单位或应到人员（`attendees`、`group`）时重新确定"
        "应到人员，留下的人保留出勤记录；已记录出勤的人不在新的应到人员中时返回 409。"
    ),
)
def session_patch(request, session_id: int, payload: SessionPatch):
    session = _one(request, session_id)
    data = payload.dict(exclude_unset=True)
    if "group" in data and "attendees" not in data:
        data["attendees"] = "group"
    # The org and the kind are ids the service resolves, as for the pages.
    services.session_update(actor=request.user, session=session, **data)
    return _detail(request, session_id)


@router.put(
    "study/sessions/{session_id}/attendance",
    response={200: SessionDetail, **WRITE},
    summary="设置出勤（整体替换）",
    description=(
        "请求体为 `[{person, present, reason}]`，替换本次学习应到人员的出勤记录；"
        "未列出的应到人员为待补录。有任何一条不合格（不在应到人员中、重复、缺席未填原因）"
        "或全部缺席而未确认（`confirm_none_present`）时返回 422，不写入任何记录。"
    ),
)
def session_attendance(
    request,
    session_id: int,
    payload: list[MarkIn],
    confirm_none_present: bool = Query(False, description=CONFIRM_HELP),
):
    session = _one(request, session_id)
    services.session_set_attendance(
        actor=request.user,
        session=session,
        entries=_marks(payload) or [],
        confirm_none_present=confirm_none_present,
    )
    return _detail(request, session_id)


# Attendee groups -----------------------------------------------------------------


def _group_detail(request, group_id: Any) -> AttendeeGroup:
    qs = selectors.groups_visible_to(user=request.user).filter(pk=parse_id(group_id))
    group = selectors.with_member_counts(qs).first()
    if group is None:
        raise NotFound(gettext("参会名单不存在"))
    return group


@router.get(
    "study/groups",
    response={200: GroupList, **READ},
    summary="常用参会名单",
    description=(
        "调用者可见的参会名单（中心组、班子成员、支部党员等）。`zone` 或 `org` 超出范围时返回 404。"
    ),
)
def group_list(request, filters: Query[GroupFilters]):
    qs = selectors.groups_visible_to(user=request.user)
    if filters.zone is not None:
        qs = qs.filter(zone=zone_get_for_user(user=request.user, pk=filters.zone))
    if filters.org is not None:
        org = org_get_for_user(user=request.user, pk=filters.org, action="study.view")
        qs = qs.filter(zone_id=org.zone_id, org__path__startswith=org.path)
    if filters.active is not None:
        qs = qs.filter(is_active=filters.active)
    items = list(selectors.with_member_counts(qs.order_by("zone__code", "org__path", "name")))
    return {"count": len(items), "items": items}


@router.post(
    "study/groups",
    response={201: GroupOut, **WRITE},
    summary="新建参会名单",
    description=(
        "`org` 须为调用者可见的组织（否则 422）；不能为该组织记录学习研讨的角色返回 403。"
        "成员须为该组织及其下级组织的在册人员；同一组织下名称不能重复（422）。"
    ),
)
def group_create(request, payload: GroupIn):
    org = _org(request, payload.org)
    group = services.group_create(
        actor=request.user, org=org, name=payload.name, members=payload.members
    )
    return Respond(201, _group_detail(request, group.pk))


@router.get("study/groups/{group_id}", response={200: GroupOut, **READ}, summary="参会名单详情")
def group_detail(request, group_id: int):
    return _group_detail(request, group_id)


@router.patch(
    "study/groups/{group_id}",
    response={200: GroupOut, **WRITE},
    summary="修改参会名单",
    description="改名称或整体替换成员；已记录的学习研讨保留当时的应到人员。",
)
def group_patch(request, group_id: int, payload: GroupPatch):
    group = selectors.group_get_for_user(user=request.user, pk=group_id)
    data = payload.dict(exclude_unset=True)
    services.group_update(
        actor=request.user, group=group, name=data.get("name"), members=data.get("members")
    )
    return _group_detail(request, group_id)


@router.post(
    "study/groups/{group_id}/deactivate",
    response={200: GroupOut, **WRITE},
    summary="停用参会名单",
    description="停用后不能再用于新的学习研讨；已停用时返回 409。",
)
def group_deactivate(request, group_id: int):
    group = selectors.group_get_for_user(user=request.user, pk=group_id)
    services.group_set_active(actor=request.user, group=group, active=False)
    return _group_detail(request, group_id)


@router.post(
    "study/groups/{group_id}/reactivate",
    response={200: GroupOut, **WRITE},
    summary="启用参会名单",
    description="已启用时返回 409。",
)
def group_reactivate(request, group_id: int):
    group = selectors.group_get_for_user(user=request.user, pk=group_id)
    services.group_set_active(actor=request.user, group=group, active=True)
    return _group_detail(request, group_id)


# Coverage ------------------------------------------------------------------------


def _row(row: selectors.CoverageRow) -> dict[str, Any]:
    return {
        "org": row.org.pk if row.org else None,
        "name": row.label,
        "members": row.members,
        "reached": row.reached,
        "share": round(row.share, 4),
        "hours": row.hours,
        "hours_per_member": row.hours_per_member,
    }


@router.get(
    "study/coverage",
    response={200: CoverageOut, **READ},
    summary="学习覆盖情况",
    description=(
        "组织（含下级）在日期范围内的在册人员中参加过学习的比例、人均学习时长和从未参加的人员，"
        "并按下级组织分列。`org` 超出调用者范围时返回 404。"
    ),
)
def coverage(request, params: Query[CoverageFilters]):
    date_from, date_to = params.date_from, params.date_to
    found = org_get_for_user(user=request.user, pk=params.org, action="study.view")
    figures = selectors.coverage(org=found, date_from=date_from, date_to=date_to)
    return {
        "org": found.pk,
        "date_from": date_from,
        "date_to": date_to,
        "total": _row(figures.total),
        "rows": [_row(r) for r in figures.rows],
        "never_reached": [
            {"id": p.pk, "name": p.name, "org": p.org_id, "org_name": p.org.name}
            for p in figures.never_reached
        ],
        "never_reached_count": figures.never_reached_count,
    }
