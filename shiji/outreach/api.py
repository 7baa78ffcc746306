"""The back-office feedback API (DESIGN.md §6): the inbox, one item, its
moves, and the submitter's contact for those allowed to see it.

Reads go through ``outreach.selectors.feedback`` (another zone's item, or a
restricted 举报 for someone without ``feedback.restricted``, is a 404 like a
missing one); moves go through ``outreach.services.handling``, which the
pages call too. No response but ``/contact`` carries the submitter's name or
phone, and every call of ``/contact`` is written to the audit trail.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.db.models import Prefetch
from ninja import Field, Query, Router, Schema

from shiji.core.schemas import COMMON_ERRORS, Day, ErrorOut, Id, In, Text
from shiji.orgs.selectors import org_get_for_user, zone_get_for_user
from shiji.outreach import access
from shiji.outreach.models import Feedback, FeedbackRating, FeedbackStep
from shiji.outreach.selectors import feedback as selectors
from shiji.outreach.services import handling

router = Router(tags=["群众反映（后台）"])

PAGE_SIZE_MAX = 200
PAGE_MAX = 100_000
TEXT_MAX = handling.TEXT_LIMIT

READ = {404: ErrorOut, **COMMON_ERRORS}
MOVE = {403: ErrorOut, 404: ErrorOut, 409: ErrorOut, **COMMON_ERRORS}


# The codes, written out for the type checker (tests/outreach/test_api.py
# checks they are the models' own).
StatusCode = Literal[
    "received",
    "accepted",
    "declined",
    "forwarded",
    "reply_pending",
    "answered",
    "in_ledger",
    "merged",
]
KindCode = Literal["consult", "help", "complaint", "suggestion", "report"]
ChannelCode = Literal[
    "portal", "phone", "letter", "mailbox", "visit", "roundtable", "enterprise_visit"
]
LightCode = Literal["red", "yellow", "green"]
Action = Literal["accept", "decline", "forward", "reply", "publish_reply", "to_problem", "merge"]
ProblemKindCode = Literal["immediate", "deadline", "long_term"]


class FeedbackFilters(Schema):
    zone: Id = Field(None, description="高新区 id；不可见的高新区返回 404")  # type: ignore[assignment]
    status: StatusCode = None  # type: ignore[assignment]
    kind: KindCode = None  # type: ignore[assignment]
    channel: ChannelCode = None  # type: ignore[assignment]
    light: LightCode = None  # type: ignore[assignment]
    org: Id = Field(None, description="承办单位 id（含下级）；不可见的组织返回 404")  # type: ignore[assignment]
    q: Text = Field(None, max_length=100, description="在编号、反映内容中查找")  # type: ignore[assignment]


class ActionIn(In):
    action: Action
    note: Text = Field(
        "", max_length=TEXT_MAX, description="说明；decline 时为不予受理理由（必填，告知反映人）"
    )
    org: Id | None = Field(
        None,
        description="forward：承办单位（本区组织，必填）；to_problem：责任单位（反映未转办时必填）",
    )
    reply: Text = Field(
        "", max_length=TEXT_MAX, description="reply：答复稿（必填）；publish_reply：可修改后发布"
    )
    into: Id | None = Field(
        None, description="merge：合并到的反映 id（本区待受理、已受理或已转办）"
    )
    category: Id | None = Field(
        None, description="to_problem：问题类别 id；不传时用本区第一个在用的问题类别"
    )
    problem_kind: ProblemKindCode | None = Field(
        None, description="to_problem：整改类型，默认 deadline（限期整改）"
    )
    deadline: Day | None = Field(
        None, description="to_problem：整改时限，默认 30 天后（long_term 不填）"
    )
    description: Text | None = Field(
        None, max_length=TEXT_MAX, description="to_problem：问题描述，默认为反映内容"
    )


class StepOut(Schema):
    at: dt.datetime
    action: str
    public_label: str = Field(description="反映人看到的步骤名称；空表示内部步骤")
    note: str
    actor: str | None

    @staticmethod
    def resolve_actor(obj: FeedbackStep) -> str | None:
        return obj.actor.display_name if obj.actor else None


class RatingOut(Schema):
    rating: str = Field(description="satisfied, basically_satisfied, unsatisfied")
    comment: str
    via: str = Field(description="portal, return_call")
    created_at: dt.datetime


class FeedbackOut(Schema):
    """One item, never with the submitter's name or phone."""

    id: int
    number: str
    zone: int
    kind: str = Field(description="consult, help, complaint, suggestion, report")
    kind_label: str
    category: str
    category_label: str
    channel: str
    channel_label: str
    content: str
    status: str = Field(
        description="received, accepted, declined, forwarded, reply_pending, answered, "
        "in_ledger, merged"
    )
    status_label: str
    light: str | None = Field(description="red, yellow, green；已办结的为 null")
    received_at: dt.datetime
    due_on: dt.date
    org: int | None
    org_name: str | None
    decline_reason: str
    reply_draft: str
    reply: str
    replied_at: dt.datetime | None
    problem: int | None
    problem_code: str | None
    problem_status: str | None
    merged_into: int | None
    anonymous: bool
    restricted: bool
    accused: str | None = Field(description="被举报人：仅有受限举报查看权限的用户可见，否则为 null")
    escalated: bool
    unsatisfied_count: int
    disclosed: bool
    public_summary: str

    @staticmethod
    def resolve_zone(obj: Feedback) -> int:
        return obj.zone_id

    @staticmethod
    def resolve_kind_label(obj: Feedback) -> str:
        return obj.get_kind_display()

    @staticmethod
    def resolve_category_label(obj: Feedback) -> str:
        return obj.get_category_display()

    @staticmethod
    def resolve_channel_label(obj: Feedback) -> str:
        return obj.get_channel_display()

    @staticmethod
    def resolve_status_label(obj: Feedback) -> str:
        return obj.get_status_display()

    @staticmethod
    def resolve_org(obj: Feedback) -> int | None:
        return obj.org_id

    @staticmethod
    def resolve_org_name(obj: Feedback) -> str | None:
        return obj.org.name if obj.org else None

    @staticmethod
    def resolve_problem(obj: Feedback) -> int | None:
        return obj.problem_id

    @staticmethod
    def resolve_problem_code(obj: Feedback) -> str | None:
        return obj.problem.code if obj.problem else None

    @staticmethod
    def resolve_problem_status(obj: Feedback) -> str | None:
        return obj.problem.status if obj.problem else None

    @staticmethod
    def resolve_merged_into(obj: Feedback) -> int | None:
        return obj.merged_into_id

    @staticmethod
    def resolve_accused(obj: Feedback) -> str | None:
        # The list and the page set this from the caller's permission.
        return getattr(obj, "accused_shown", None)


class FeedbackDetailOut(FeedbackOut):
    steps: list[StepOut]
    ratings: list[RatingOut]
    merged_items: list[int] = Field(description="合并到本反映的反映 id")

    @staticmethod
    def resolve_steps(obj: Feedback) -> list[FeedbackStep]:
        return list(obj.steps.all())

    @staticmethod
    def resolve_ratings(obj: Feedback) -> list[FeedbackRating]:
        return list(obj.ratings.all())

    @staticmethod
    def resolve_merged_items(obj: Feedback) -> list[int]:
        return [m.pk for m in obj.merged_items.all()]


class FeedbackList(Schema):
    count: int
    items: list[FeedbackOut]


class ContactOut(Schema):
    name: str
    phone: str


def _shown(request, item: Feedback) -> Feedback:
    item.accused_shown = (  # type: ignore[attr-defined]
        item.accused if item.accused and access.may_see_restricted(request.user, item) else None
    )
    return item


def _item(request, feedback_id: Any) -> Feedback:
    return selectors.feedback_get_for_user(user=request.user, pk=feedback_id)


def _detail(request, feedback_id: Any) -> Feedback:
    item = (
        selectors.feedback_visible_to(user=request.user)
        .prefetch_related(
            Prefetch("steps", queryset=FeedbackStep.objects.select_related("actor")),
            "ratings",
            Prefetch("merged_items", queryset=Feedback.objects.only("pk", "merged_into")),
        )
        .filter(pk=_item(request, feedback_id).pk)
        .first()
    )
    return _shown(request, item or _item(request, feedback_id))


@router.get(
    "feedback",
    response={200: FeedbackList, **READ},
    summary="群众反映（后台收件箱）",
    description=(
        "调用者可见的群众反映：超期（红灯）在前，其余按办理时限。`zone` 或 `org` 超出调用者"
        "范围时返回 404。响应不含反映人的姓名和联系电话；被举报人仅对有受限举报查看权限的用户"
        "显示。`page_size` 最大 200。"
    ),
)
def feedback_list(
    request,
    filters: Query[FeedbackFilters],
    page: int = Query(1, ge=1, le=PAGE_MAX),
    page_size: int = Query(50, ge=1, description="每页条数，最大 200"),
):
    params = filters.dict(exclude_none=True)
    if "zone" in params:
        zone_get_for_user(user=request.user, pk=params["zone"])
    if "org" in params:
        org_get_for_user(user=request.user, pk=params["org"])
    rows, _counts = selectors.feedback_inbox(user=request.user, params=params)
    page_size = min(page_size, PAGE_SIZE_MAX)
    start = (page - 1) * page_size
    items = [_shown(request, item) for item in rows[start : start + page_size]]
    return {"count": rows.count(), "items": items}


@router.get(
    "feedback/{feedback_id}",
    response={200: FeedbackDetailOut, **READ},
    summary="一条群众反映：内容、步骤、评价",
    description="不含反映人的姓名和联系电话（见 `/contact`）。",
)
def feedback_detail(request, feedback_id: int):
    return _detail(request, feedback_id)


@router.post(
    "feedback/{feedback_id}/actions",
    response={200: FeedbackDetailOut, **MOVE},
    summary="办理：受理、不予受理、转办、答复、审核发布答复、转入整改台账、合并",
    description=(
        "`action`：accept、decline（`note` 为理由，必填，告知反映人）、forward（`org`：本区组织，"
        "其书记、联络员随后可见并拟写答复）、reply（`reply`：答复稿，状态变为答复待审核）、"
        "publish_reply（工作专班审核，可修改 `reply` 后发布）、to_problem（生成整改台账问题，来源"
        "群众反映，政企圆桌会、入企走访渠道的为政企圆桌会；责任单位为反映的承办单位或 `org`；"
        "`category` 默认本区第一个在用的问题类别，`problem_kind` 默认 deadline，`deadline` 默认 "
        "30 天后，`description` 默认反映内容；已合并的反映指向同一问题）、merge（`into`：本区另一"
        "条待受理、已受理或已转办的反映）。当前状态不允许时返回 409，角色无权时返回 403，"
        "超出范围返回 404，字段错误返回 422。"
    ),
)
def feedback_action(request, feedback_id: int, payload: ActionIn):
    item = _item(request, feedback_id)
    handling.feedback_act(
        actor=request.user,
        feedback=item,
        action=payload.action,
        note=payload.note,
        org=payload.org,
        reply=payload.reply,
        into=payload.into,
        category=payload.category,
        problem_kind=payload.problem_kind,
        deadline=payload.deadline,
        description=payload.description,
    )
    return _detail(request, feedback_id)


@router.get(
    "feedback/{feedback_id}/contact",
    response={200: ContactOut, 403: ErrorOut, **READ},
    summary="反映人的姓名和联系电话（须有查看权限，每次查看均记入审计日志）",
    description=(
        "仅工作专班（默认）或被指定可查看联系方式的人员可用，其他人返回 403；匿名反映返回空字符串。"
        "每次调用都记入审计日志（谁、何时）。"
    ),
)
def feedback_contact(request, feedback_id: int):
    item = _item(request, feedback_id)
    return selectors.feedback_contact(user=request.user, feedback=item)
