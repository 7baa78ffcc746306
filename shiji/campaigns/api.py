"""The task list's JSON API: tasks, their assignments, and the report and
review moves. Reads go through ``campaigns.selectors`` (out of scope is a
404), writes through ``campaigns.services``, the same functions the pages call."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.utils.translation import gettext
from ninja import Field, File, Form, Query, Router, Schema
from ninja.files import UploadedFile
from ninja.responses import Status as Respond

from shiji.campaigns import selectors, services
from shiji.campaigns.models import Task, TaskAssignment
from shiji.core.errors import NotFound
from shiji.core.schemas import COMMON_ERRORS, Day, ErrorOut, Id, In, Text
from shiji.core.validation import parse_id
from shiji.orgs.models import Sector
from shiji.orgs.selectors import zone_get_for_user

router = Router(tags=["任务清单"])

READ = {404: ErrorOut, **COMMON_ERRORS}
WRITE = {403: ErrorOut, 404: ErrorOut, **COMMON_ERRORS}
MOVE = {409: ErrorOut, **WRITE}
PAGE_SIZE_MAX = 200
# The report is multipart (a note and a file); the service requires the note.
REPORT_NOTE = Form("", max_length=services.TASK_TEXT_LIMIT)


class TaskFilters(Schema):
    zone: Id | None = Field(None, description="高新区 id；不可见的高新区返回 404")
    arrangement: Id | None = None
    sector: Literal[tuple(Sector.values)] | None = None  # type: ignore[valid-type]
    q: Text | None = Field(None, max_length=100)


class TaskIn(In):
    zone: Id
    arrangement: Id = Field(description="工作安排 id（本区已启用的学习教育中的）")
    title: Text = Field(max_length=200)
    description: Text = Field("", max_length=services.TASK_TEXT_LIMIT)
    deadline: Day | None = None
    sectors: list[Text] = Field(
        description="适用领域：organ、soe、institution、private、social 或中文名称", max_length=5
    )


class TaskOut(Schema):
    id: int
    zone: int
    campaign: int
    arrangement: int
    arrangement_name: str
    title: str
    description: str
    deadline: dt.date | None
    sectors: list[str]
    from_template: bool
    total: int = Field(description="调用者可见的分派单位数")
    done: int = Field(description="其中已通过的")

    @staticmethod
    def resolve_zone(obj: Task) -> int:
        return obj.zone_id

    @staticmethod
    def resolve_campaign(obj: Task) -> int:
        return obj.campaign_id

    @staticmethod
    def resolve_arrangement(obj: Task) -> int:
        return obj.arrangement_id

    @staticmethod
    def resolve_arrangement_name(obj: Task) -> str:
        return obj.arrangement.name

    @staticmethod
    def resolve_from_template(obj: Task) -> bool:
        return obj.template_id is not None


class TaskList(Schema):
    count: int
    items: list[TaskOut]


# Schema names are unique across the API: django-ninja files each under its
# class name and keeps the last, so a second "EvidenceOut" or "ReviewIn" would
# make the OpenAPI document describe another app's schema here.
class AssignmentEvidenceOut(Schema):
    id: int
    name: str = Field(alias="original_name")
    kind: str = Field(alias="content_kind", description="按内容识别的类型：jpeg、pdf、docx 等")
    sha256: str
    size: int


class AssignmentOut(Schema):
    id: int
    task: int
    org: int
    org_name: str
    status: str = Field(description="pending, reported, accepted, returned")
    status_label: str
    light: str = Field(description="red, yellow, green")
    report_note: str
    reported_at: dt.datetime | None
    reviewed_at: dt.datetime | None
    return_reason: str
    evidence: list[AssignmentEvidenceOut]

    @staticmethod
    def resolve_task(obj: TaskAssignment) -> int:
        return obj.task_id

    @staticmethod
    def resolve_org(obj: TaskAssignment) -> int:
        return obj.org_id

    @staticmethod
    def resolve_org_name(obj: TaskAssignment) -> str:
        return obj.org.name

    @staticmethod
    def resolve_status_label(obj: TaskAssignment) -> str:
        return obj.get_status_display()

    @staticmethod
    def resolve_evidence(obj: TaskAssignment) -> list:
        return list(obj.evidence.all())


class AssignmentReviewIn(In):
    decision: Literal["accept", "return"]
    reason: Text = Field("", max_length=services.TASK_TEXT_LIMIT)


def _task(request, pk: Any) -> Task:
    qs = selectors.with_progress(selectors.tasks_visible_to(user=request.user), user=request.user)
    task = qs.filter(pk=parse_id(pk)).first()
    if task is None:
        raise NotFound(gettext("任务不存在"))
    return task


def _assignment(request, pk: Any) -> TaskAssignment:
    return selectors.assignment_get_for_user(user=request.user, pk=pk)


@router.get("tasks", response={200: TaskList, **READ}, summary="任务清单")
def task_list(request, filters: Query[TaskFilters], page: int = Query(1, ge=1, le=100_000)):
    params = filters.dict(exclude_none=True)
    if "zone" in params:
        zone_get_for_user(user=request.user, pk=params["zone"])
    qs = selectors.with_progress(
        selectors.task_filter(selectors.tasks_visible_to(user=request.user), params),
        user=request.user,
    )
    start = (page - 1) * PAGE_SIZE_MAX
    return {"count": qs.count(), "items": list(qs[start : start + PAGE_SIZE_MAX])}


@router.post(
    "tasks",
    response={201: TaskOut, **WRITE},
    summary="新增任务并按领域分派",
    description=(
        "保存后分派给本区所选领域的党委、党总支、党支部和企业（党工委与部门不分派）。"
        "未知领域返回 422（字段 sectors）；非工作专班返回 403；不可见的高新区返回 404。"
    ),
)
def task_create(request, payload: TaskIn):
    zone = zone_get_for_user(user=request.user, pk=payload.zone)
    task = services.task_create(
        actor=request.user,
        zone=zone,
        arrangement=payload.arrangement,
        title=payload.title,
        description=payload.description,
        deadline=payload.deadline,
        sectors=payload.sectors,
    )
    return Respond(201, _task(request, task.pk))


@router.get(
    "tasks/{task_id}/assignments",
    response={200: list[AssignmentOut], **READ},
    summary="任务的分派单位及完成情况",
)
def task_assignments(request, task_id: int):
    task = _task(request, task_id)
    return list(
        selectors.assignments_visible_to(user=request.user)
        .filter(task=task)
        .prefetch_related("evidence")
        .order_by("org__path")
    )


@router.post(
    "assignments/{assignment_id}/report",
    response={200: AssignmentOut, 503: ErrorOut, **MOVE},  # 503: the file store refused it
    summary="报送完成情况（附凭证）",
    description=(
        "multipart：`note`（完成情况，必填）、`file`（可选，图片、PDF 或 Office 文件）。"
        "报送时须至少已有一份凭证（422，字段 file）。本单位以外的分派返回 404；"
        "已报送或已通过的返回 409。"
    ),
)
def assignment_report(
    request,
    assignment_id: int,
    note: Text = REPORT_NOTE,
    # Bare File[...]: django-ninja reads the upload only with this annotation
    # ("| None" turns it into a missing form field), so mypy is told None is fine.
    file: File[UploadedFile] = None,  # type: ignore[assignment]
):
    assignment = _assignment(request, assignment_id)
    services.assignment_transition(
        actor=request.user,
        assignment=assignment,
        action="report",
        note=note,
        files=[file] if file is not None else [],
    )
    return _assignment(request, assignment_id)


@router.post(
    "assignments/{assignment_id}/review",
    response={200: AssignmentOut, **MOVE},
    summary="审核：通过或退回",
    description="`decision`：accept 或 return（须填写 `reason`）。未报送的返回 409。",
)
def assignment_review(request, assignment_id: int, payload: AssignmentReviewIn):
    assignment = _assignment(request, assignment_id)
    services.assignment_transition(
        actor=request.user,
        assignment=assignment,
        action=payload.decision,
        note=payload.reason,
    )
    return _assignment(request, assignment_id)
