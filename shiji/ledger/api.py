"""The ledger's JSON API (DESIGN.md §6): problems, their lifecycle, progress
notes, evidence, history, and the ledger workbook.

Every operation reads through ``ledger.selectors`` (out of scope and missing
are the same 404) and writes through ``ledger.services``, the functions the
HTML pages and the Excel import call, so each rule lives in one place; the
errors those raise become 403/404/409/422 in ``shiji/api.py``.

References in a request body (category, org, leader, owner) are ids inside
the problem's zone, which the services resolve as they do for the pages and
the Excel import: a category the zone does not use (or has retired), an org
the caller cannot see, or someone not on the zone's active roster is a 422
field error under the field's name. The zone itself is addressed like any
other object: a zone outside the caller's scope is a 404.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, Literal

from django.db.models import QuerySet
from django.http import HttpResponse
from django.utils.translation import gettext
from ninja import Field, File, Form, Query, Router, Schema
from ninja.files import UploadedFile
from ninja.responses import NinjaJSONEncoder
from ninja.responses import Status as Respond
from pydantic import StrictBool

from shiji.audit.selectors import timeline_for
from shiji.core.downloads import export_response
from shiji.core.i18n import codes_and_labels
from shiji.core.schemas import COMMON_ERRORS, Day, ErrorOut, Id, In, SomeText, Text
from shiji.core.uploads import CONTENT_TYPES
from shiji.ledger import excel, selectors, services, tasks, workflow
from shiji.ledger.models import (
    JobKind,
    JobState,
    Kind,
    LedgerJob,
    Problem,
    ProgressNote,
    Source,
    Stage,
    Status,
)
from shiji.orgs.models import Person
from shiji.orgs.selectors import org_get_for_user, zone_get_for_user

router = Router(tags=["问题整改台账"])

PAGE_SIZE_MAX = 200
PAGE_MAX = 100_000
TEXT_MAX = services.TEXT_LIMIT

# The error responses each kind of operation can give (COMMON_ERRORS holds
# ninja's own 400 and 422, which it does not list by itself). Writes can meet
# a 403 from the role table, and a 403 from the CSRF check of a session.
READ = {404: ErrorOut, **COMMON_ERRORS}
WRITE = {403: ErrorOut, 404: ErrorOut, **COMMON_ERRORS}
MOVE = {409: ErrorOut, **WRITE}


# Input types ---------------------------------------------------------------------


def _literal(values: list[str]) -> Any:
    return Literal[tuple(values)]


StatusCode = _literal(Status.values)
LightCode = _literal(["red", "yellow", "green"])
SourceCode = _literal(Source.values)
KindCode = _literal(Kind.values)
SortKey = _literal(list(selectors.SORTS))
ReviewCode = _literal(["pending", "approved", "rework"])
# Writes take a code or its Chinese label, as the services and the workbook do.
SourceIn = _literal(codes_and_labels(Source))
KindIn = _literal(codes_and_labels(Kind))
StageIn = _literal(codes_and_labels(Stage))
Action = _literal(list(workflow.ACTIONS))


class ProblemFilters(Schema):
    # Typed without "| None" so the OpenAPI document offers no null, which a
    # query string cannot carry; leaving a parameter out means "any".
    zone: Id = Field(None, description="高新区 id；不可见的高新区返回 404")
    org: Id = Field(None, description="责任单位 id（含下级）；不可见的组织返回 404")
    status: StatusCode = None
    category: Id = None
    source: SourceCode = None
    kind: KindCode = None
    light: LightCode = None
    review: ReviewCode = Field(None, description="问题清单审核状态")
    q: Text = Field(None, max_length=100, description="在编号、描述、措施、责任单位中查找")
    sort: SortKey = Field(None, description="默认按台账编号")
    # The campaign scores' figures (assessment/campaign.py) link here.
    found_from: Day = Field(None, description="发现日期不早于")
    found_to: Day = Field(None, description="发现日期不晚于")
    cancelled: Literal["0"] = Field(None, description="0：不含已撤销")
    late: Literal["0", "1", "all"] = Field(
        None, description="1：超过整改时限销号；0：按时限销号；all：有整改时限且已销号"
    )
    relapsed: Literal["1"] = Field(None, description="销号后经回头看重新整改")
    extended: Literal["1"] = Field(None, description="延期过")
    ever_closed: Literal["1"] = Field(None, description="曾经销号")


class ProblemIn(In):
    zone: Id
    source: SourceIn
    category: Id
    description: SomeText = Field(max_length=TEXT_MAX)
    org: Id
    kind: KindIn
    found_on: Day
    deadline: Day | None = None
    measures: Text = Field("", max_length=TEXT_MAX)
    goal: Text = Field("", max_length=TEXT_MAX)
    leader: Id | None = None
    owner: Id | None = None
    needs_rule_change: StrictBool = False  # 0 and 1 are no booleans here


class ProblemPatch(In):
    """Every field optional; only the ones sent change. ``leader``, ``owner``
    and ``deadline`` may be null (none); moving an existing deadline needs
    ``POST /problems/{id}/extensions``."""

    source: SourceIn = None
    category: Id = None
    description: SomeText = Field(None, max_length=TEXT_MAX)
    measures: Text = Field(None, max_length=TEXT_MAX)
    goal: Text = Field(None, max_length=TEXT_MAX)
    org: Id = None
    leader: Id | None = None
    owner: Id | None = None
    kind: KindIn = None
    found_on: Day = None
    deadline: Day | None = None
    needs_rule_change: StrictBool = None
    updated_at: dt.datetime | None = Field(
        None,
        description=(
            "可选：读取问题时得到的 `updated_at`。此后问题已被他人修改则不保存，返回 409"
            "（避免覆盖他人的修改）；不传则不检查。"
        ),
    )


class TransitionIn(In):
    action: Action
    note: Text = Field("", max_length=TEXT_MAX)


class ReviewIn(In):
    decision: Literal["approve", "send_back"]
    note: Text = Field("", max_length=TEXT_MAX)


class ExtensionIn(In):
    new_deadline: Day
    reason: SomeText = Field(max_length=TEXT_MAX)


class EvidenceForm(Schema):
    note: Text = Field("", max_length=200)
    stage: StageIn = Field(
        "after", description="before、during、after（或 整改前、整改中、整改后）"
    )


class ImportForm(Schema):
    zone: Id
    dry_run: bool = Field(False, description="true：只检查、报告，不写入")


class ProgressIn(In):
    text: SomeText = Field(max_length=TEXT_MAX)


# Output types --------------------------------------------------------------------


def _person_name(person: Person | None) -> str | None:
    return None if person is None else person.name


class ProblemOut(Schema):
    id: int
    code: str
    zone: int
    source: str
    source_label: str
    category: int
    category_name: str
    description: str
    measures: str
    goal: str
    org: int
    org_name: str
    leader: int | None
    leader_name: str | None
    owner: int | None
    owner_name: str | None
    kind: str
    kind_label: str
    found_on: dt.date
    deadline: dt.date | None
    status: str = Field(description="open, in_progress, submitted, closed, cancelled")
    status_label: str
    light: str = Field(description="red, yellow, green")
    review_state: str = Field(description="pending, approved, rework")
    review_note: str
    progress_summary: str
    completion_note: str
    closed_on: dt.date | None
    extension_count: int
    needs_rule_change: bool
    reused_evidence: bool = Field(description="凭证与本区其他问题的凭证内容相同（疑似重复使用）")
    created_at: dt.datetime
    updated_at: dt.datetime

    # Every value below comes from the selector's row (joins and annotations),
    # so a page of problems is one query however many rows it has.
    @staticmethod
    def resolve_zone(obj: Problem) -> int:
        return obj.zone_id

    @staticmethod
    def resolve_source_label(obj: Problem) -> str:
        return obj.get_source_display()

    @staticmethod
    def resolve_category(obj: Problem) -> int:
        return obj.category_id

    @staticmethod
    def resolve_category_name(obj: Problem) -> str:
        return obj.category.name

    @staticmethod
    def resolve_org(obj: Problem) -> int:
        return obj.org_id

    @staticmethod
    def resolve_org_name(obj: Problem) -> str:
        return obj.org.name

    @staticmethod
    def resolve_leader(obj: Problem) -> int | None:
        return obj.leader_id

    @staticmethod
    def resolve_leader_name(obj: Problem) -> str | None:
        return _person_name(obj.leader)

    @staticmethod
    def resolve_owner(obj: Problem) -> int | None:
        return obj.owner_id

    @staticmethod
    def resolve_owner_name(obj: Problem) -> str | None:
        return _person_name(obj.owner)

    @staticmethod
    def resolve_kind_label(obj: Problem) -> str:
        return obj.get_kind_display()

    @staticmethod
    def resolve_status_label(obj: Problem) -> str:
        return obj.get_status_display()


PROBLEM_FIELDS = tuple(ProblemOut.model_fields)
JSON = "application/json; charset=utf-8"  # what ninja's renderer answers


class ProblemList(Schema):
    count: int
    page: int
    page_size: int
    items: list[ProblemOut]


class ProgressOut(Schema):
    id: int
    text: str
    created_at: dt.datetime
    author: str | None = Field(description="记录人姓名")
    author_id: int | None

    @staticmethod
    def resolve_author(obj: ProgressNote) -> str | None:
        return obj.author.display_name if obj.author else None


class EvidenceOut(Schema):
    id: int
    sha256: str
    name: str = Field(alias="original_name")
    kind: str = Field(alias="content_kind")
    size: int
    stage: str = Field(description="before, during, after")
    note: str
    uploaded_at: dt.datetime
    reused: bool = Field(description="本区其他问题已使用内容相同的文件")


class ExtensionOut(Schema):
    id: int
    old_deadline: dt.date | None
    new_deadline: dt.date
    reason: str
    created_at: dt.datetime
    problem: ProblemOut


class EventOut(Schema):
    seq: int
    at: dt.datetime = Field(alias="created_at")
    actor: str = Field(alias="actor_label")
    actor_id: int | None
    action: str
    changes: dict[str, Any]
    note: str


class ReviewOut(Schema):
    id: int
    action: str = Field(
        description="start, submit, verify, return, reopen, cancel, approve, send_back"
    )
    from_status: str
    to_status: str
    note: str
    actor: str | None
    actor_id: int | None
    flagged: bool = Field(description="独立性存疑的销号：审核人创建或授权了参与整改的账号")
    independence_note: str
    created_at: dt.datetime

    @staticmethod
    def resolve_actor(obj: Any) -> str | None:
        return obj.actor.display_name if obj.actor else None


class HistoryOut(Schema):
    events: list[EventOut] = Field(description="审计链中关于本问题的全部事件，按时间先后")
    reviews: list[ReviewOut] = Field(description="流转与审核记录，按时间先后")


class ImportRowError(Schema):
    row: int = Field(description="Excel 行号；0 表示整个文件")
    column: str = Field(description="表头名称；空表示整行")
    message: str


class ImportOut(Schema):
    created: int
    updated: int
    errors: list[ImportRowError]


class ImportRejectedOut(ImportOut):
    """A workbook with errors: the same body, plus the usual detail and code."""

    detail: str
    code: str


class JobStartedOut(Schema):
    """A large import handed to the background worker."""

    job: int
    url: str = Field(description="任务状态：GET 此地址")
    status: Literal[tuple(JobState.values)]


class JobOut(Schema):
    id: int
    kind: Literal[tuple(JobKind.values)]
    status: Literal[tuple(JobState.values)]
    phase: str
    done: int
    total: int | None
    error: str = Field(description="失败时的原因")
    result: ImportOut | None = Field(
        description="导入（或只检查）完成后：与同步导入相同的 `{created, updated, errors}`"
    )


# Helpers ---------------------------------------------------------------------


def _problem(request, problem_id: Any) -> Problem:
    return selectors.problem_get_for_user(user=request.user, pk=problem_id)


def _check_named_scope(request, params: dict[str, Any]) -> None:
    """The zone and the org a filter names are records like any other: outside
    the caller's scope they are "not found", rather than an empty result."""
    if "zone" in params:
        zone_get_for_user(user=request.user, pk=params["zone"])
    if "org" in params:
        org_get_for_user(user=request.user, pk=params["org"])


def _filtered(request, params: dict[str, Any]) -> QuerySet[Problem]:
    _check_named_scope(request, params)
    qs = selectors.problems_in_scope(user=request.user)
    return selectors.problem_filter(qs, params, user=request.user)


# Problems ------------------------------------------------------------------------


@router.get(
    "problems",
    response={200: ProblemList, 404: ErrorOut, **COMMON_ERRORS},
    summary="问题清单（整改台账）",
    description=(
        "调用者可见的问题，按筛选条件分页。`page_size` 最大 200（更大的值按 200 处理）。"
        "`zone` 或 `org` 超出调用者范围时返回 404；其他筛选值不匹配时返回空列表。"
    ),
)
def problem_list(
    request,
    filters: Query[ProblemFilters],
    page: int = Query(1, ge=1, le=PAGE_MAX),
    page_size: int = Query(50, ge=1, description="每页条数，最大 200"),
):
    qs = _filtered(request, filters.dict(exclude_none=True))
    page_size = min(page_size, PAGE_SIZE_MAX)
    start = (page - 1) * page_size
    # A deferred join: the page's ids by index, then their rows, which hold
    # every field of ProblemOut already. They are written out as they are:
    # validating them into the schema row by row (a Python call per field)
    # took longer than the rest of the request; tests/ledger/test_api.py
    # holds each item equal to GET /problems/{id}, which goes through it.
    rows = selectors.problem_page(qs, start, start + page_size)
    body = {
        "count": qs.count(),
        "page": page,
        "page_size": page_size,
        "items": [{name: row[name] for name in PROBLEM_FIELDS} for row in rows],
    }
    return HttpResponse(json.dumps(body, cls=NinjaJSONEncoder), content_type=JSON)


@router.post(
    "problems",
    response={201: ProblemOut, **WRITE},
    summary="新建问题",
    description=(
        "`source`、`kind` 可用代码或中文名称。`zone` 超出调用者范围时返回 404；"
        "`category` 须是该高新区在用的问题类别，`org` 须是调用者可见的本区组织，`leader`、"
        "`owner` 须是本区在册人员，否则返回 422（字段错误）。调用者的角色不能在该责任单位新建"
        "问题时返回 403。"
    ),
)
def problem_create(request, payload: ProblemIn):
    data = payload.dict()
    zone = zone_get_for_user(user=request.user, pk=data.pop("zone"))
    problem = services.problem_create(actor=request.user, zone=zone, **data)
    return Respond(201, _problem(request, problem.pk))


@router.get("problems/{problem_id}", response={200: ProblemOut, **READ}, summary="问题详情")
def problem_detail(request, problem_id: int):
    return _problem(request, problem_id)


@router.patch(
    "problems/{problem_id}",
    response={200: ProblemOut, **MOVE},
    summary="修改问题",
    description=(
        "只修改请求中给出的字段。待销号、已销号、已撤销的问题不能修改（409）。"
        "已有整改时限的问题改时限须走 `POST /problems/{id}/extensions`（否则 422）。"
        "传入读取时的 `updated_at`，问题此后已被他人修改则返回 409，不覆盖。"
    ),
)
def problem_patch(request, problem_id: int, payload: ProblemPatch):
    problem = _problem(request, problem_id)
    fields = payload.dict(exclude_unset=True)
    read_at = fields.pop("updated_at", None)
    services.problem_update(
        actor=request.user, problem=problem, expected_updated_at=read_at, **fields
    )
    return _problem(request, problem_id)


@router.post(
    "problems/{problem_id}/transitions",
    response={200: ProblemOut, **MOVE},
    summary="流转：开始整改、提交销号、审核销号、退回、回头看重新整改、撤销",
    description=(
        "`action`：start、submit、verify、return、reopen、cancel。角色无权执行时返回 403；"
        "当前状态不允许、提交时没有整改凭证、问题清单尚未审核通过（本区要求时）就开始整改、"
        "审核人曾参与整改（责任人、上传凭证、填写进展、修改整改措施、提交销号）时返回 409；"
        "submit 缺完成情况，return、reopen、cancel 缺理由（`note`）时返回 422。"
        "审核人创建或授权了参与整改的账号时，verify 须在 `note` 写明理由（否则 422），"
        "该次销号标记为独立性存疑（见 history 的 `flagged`）。"
    ),
)
def problem_transition(request, problem_id: int, payload: TransitionIn):
    problem = _problem(request, problem_id)
    services.problem_transition(
        actor=request.user, problem=problem, action=payload.action, note=payload.note
    )
    return _problem(request, problem_id)


@router.post(
    "problems/{problem_id}/review",
    response={200: ProblemOut, **MOVE},
    summary="审核问题清单：通过或退回重查",
    description="`decision`：approve 或 send_back（须填写 `note`）。问题已开始整改时返回 409。",
)
def problem_review(request, problem_id: int, payload: ReviewIn):
    problem = _problem(request, problem_id)
    services.problem_review(
        actor=request.user, problem=problem, decision=payload.decision, note=payload.note
    )
    return _problem(request, problem_id)


@router.post(
    "problems/{problem_id}/extensions",
    response={201: ExtensionOut, **MOVE},
    summary="申请延期（记录理由并计数）",
    description="新的时限须晚于原时限。待销号、已销号、已撤销的问题不能延期（409）。",
)
def problem_extend(request, problem_id: int, payload: ExtensionIn):
    problem = _problem(request, problem_id)
    ext = services.problem_extend_deadline(
        actor=request.user,
        problem=problem,
        new_deadline=payload.new_deadline,
        reason=payload.reason,
    )
    return Respond(
        201,
        {
            "id": ext.pk,
            "old_deadline": ext.old_deadline,
            "new_deadline": ext.new_deadline,
            "reason": ext.reason,
            "created_at": ext.created_at,
            "problem": _problem(request, problem_id),
        },
    )


@router.post(
    "problems/{problem_id}/progress",
    response={201: ProgressOut, **MOVE},
    summary="记录整改进展",
    description="已销号、已撤销的问题不能再记录进展（409）。",
)
def problem_progress(request, problem_id: int, payload: ProgressIn):
    problem = _problem(request, problem_id)
    note = services.problem_add_progress(actor=request.user, problem=problem, text=payload.text)
    return Respond(201, note)


@router.post(
    "problems/{problem_id}/evidence",
    response={201: EvidenceOut, 503: ErrorOut, **MOVE},  # 503: the file store refused it
    summary="上传整改凭证",
    description=(
        "multipart：`file`（图片、PDF 或 Office 文件，按内容识别类型，不看扩展名）、"
        "`note`、`stage`（before、during、after，默认 after）。伪装的文件、空文件或超过大小"
        "上限的文件返回 422（字段 `file`）。`reused` 表示本区其他问题已使用内容相同的文件。"
        "待销号、已销号、已撤销的问题不能再上传（409）。"
    ),
)
def problem_evidence(
    request,
    problem_id: int,
    file: File[UploadedFile],
    form: Form[EvidenceForm],
):
    problem = _problem(request, problem_id)
    evidence = services.problem_add_evidence(
        actor=request.user, problem=problem, file=file, stage=form.stage, note=form.note
    )
    reused = selectors.evidence_reuse(problem=problem, user=request.user)
    return Respond(
        201,
        {
            "id": evidence.pk,
            "sha256": evidence.sha256,
            "original_name": evidence.original_name,
            "content_kind": evidence.content_kind,
            "size": evidence.size,
            "stage": evidence.stage,
            "note": evidence.note,
            "uploaded_at": evidence.uploaded_at,
            "reused": evidence.pk in reused,
        },
    )


@router.get(
    "problems/{problem_id}/history",
    response={200: HistoryOut, **READ},
    summary="问题的全部记录：审计事件与流转审核",
)
def problem_history(request, problem_id: int):
    problem = _problem(request, problem_id)
    return {
        "events": list(timeline_for(problem)),
        "reviews": list(problem.reviews.select_related("actor")),
    }


# The ledger workbook -------------------------------------------------------------

XLSX = CONTENT_TYPES["xlsx"]


@router.get(
    "ledger/export",
    response={403: ErrorOut, 404: ErrorOut, **COMMON_ERRORS},
    summary="导出整改台账（.xlsx）",
    description=(
        "与问题清单相同的筛选参数；导出调用者可见的问题。`zone` 或 `org` 超出调用者范围时"
        "返回 404。工作表“整改台账”的版式见 DESIGN.md §6，导出的文件可原样导入。"
    ),
    openapi_extra={
        "responses": {
            200: {
                "description": "整改台账工作簿",
                "content": {XLSX: {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    },
)
def ledger_export(request, filters: Query[ProblemFilters]):
    excel.require_export(request.user)
    params = filters.dict(exclude_none=True)
    _check_named_scope(request, params)
    zone = excel.export_zone(user=request.user, params=params)
    return export_response(
        lambda out: excel.export_workbook(user=request.user, params=params, out=out),
        filename=excel.export_filename(zone),
    )


@router.post(
    "ledger/import",
    response={
        200: ImportOut,
        202: JobStartedOut,
        403: ErrorOut,
        404: ErrorOut,
        409: ErrorOut,
        **COMMON_ERRORS,
        422: ImportRejectedOut | ErrorOut,
    },
    summary="导入整改台账（.xlsx）",
    description=(
        "multipart：`file`（与导出相同版式的 .xlsx）、`zone`、`dry_run`（true 时只检查不写入）。"
        "以台账编号为键：空编号新增，本区编号更新。全部成功才写入：工作簿中有任何错误时返回 "
        "422，响应体仍为 `{created: 0, updated: 0, errors: [{row, column, message}]}`"
        '（另有 `detail`、`code: "invalid_workbook"`），什么都不写入；`row` 为 Excel 行号'
        "（0 表示整个文件），`column` 为表头名称。不是有效的 .xlsx、超过大小上限或超过读取限制"
        "（行数、列数、单元格数、读取时间）时返回 422，字段 `file`。"
        "`zone` 超出调用者范围时返回 404，角色无权导入时返回 403。"
        f"文件超过 {tasks.IMPORT_SYNC_MAX_ROWS} 个数据行或 "
        f"{tasks.IMPORT_SYNC_MAX_BYTES // 1024 // 1024} MB 时由后台处理：返回 202 "
        "`{job, url, status}`，GET `url`（`/api/v1/jobs/{id}`）查看进度，完成后其 `result` "
        "即上述 `{created, updated, errors}`；"
        "每个账号同时排队或进行中的任务有上限，超过时返回 409。"
    ),
)
def ledger_import(
    request,
    file: File[UploadedFile],
    form: Form[ImportForm],
):
    zone = zone_get_for_user(user=request.user, pk=form.zone)
    excel.import_require(actor=request.user, zone=zone)
    info = excel.import_check_file(file)
    if tasks.import_is_large(file):
        job = tasks.job_start_import_upload(
            actor=request.user, zone=zone, file=file, info=info, dry_run=form.dry_run
        )
        return Respond(202, {"job": job.pk, "url": _job_url(job), "status": job.state})
    result = excel.import_workbook(actor=request.user, zone=zone, file=file, dry_run=form.dry_run)
    body = result.as_dict()
    if result.errors:
        count = len(body["errors"])
        detail = gettext("整改台账有 %(count)s 处错误，未导入任何内容") % {"count": count}
        return Respond(422, {**body, "detail": detail, "code": "invalid_workbook"})
    return body


def _job_url(job: LedgerJob) -> str:
    return f"/api/v1/jobs/{job.pk}"


@router.get(
    "jobs/{job_id}",
    response={200: JobOut, **READ},
    summary="后台任务的状态与结果",
    description=(
        "调用者自己的台账导入导出任务；别人的任务返回 404。`status` 为 "
        "`queued, running, done, failed`；导入任务完成后 `result` 为 "
        "`{created, updated, errors}`（与同步导入相同），失败时 `error` 说明原因。"
    ),
)
def job_detail(request, job_id: int):
    job = tasks.job_get_for_user(user=request.user, pk=job_id)
    result = None
    if job.kind != JobKind.EXPORT and job.state == JobState.DONE:
        result = {key: job.result.get(key) for key in ("created", "updated", "errors")}
    return {
        "id": job.pk,
        "kind": job.kind,
        "status": job.state,
        "phase": job.phase,
        "done": job.done,
        "total": job.total,
        "error": job.error,
        "result": result,
    }
