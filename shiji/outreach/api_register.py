"""The JSON API of the enterprise register, 政企圆桌会, 三员入企 and 为民实事.
Reads through ``outreach.selectors.enterprises`` / ``.projects`` (another
zone's record is a 404), writes through the services."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

from ninja import Field, File, Form, Query, Router, Schema
from ninja.files import UploadedFile
from ninja.responses import Status as Respond

from shiji.core.i18n import codes_and_labels
from shiji.core.lights import Light
from shiji.core.schemas import COMMON_ERRORS, Day, ErrorOut, Id, In, SomeText, Text
from shiji.ledger.models import Kind as ProblemKind
from shiji.orgs.selectors import org_get_for_user, zone_get_for_user
from shiji.outreach.models import (
    Category,
    Enterprise,
    EnterpriseVisit,
    Feedback,
    Kind,
    PracticalProject,
    ProjectProgress,
    ProjectStatus,
    Roundtable,
    Satisfaction,
)
from shiji.outreach.selectors import enterprises as sel
from shiji.outreach.selectors import projects as project_sel
from shiji.outreach.services import enterprises as enterprise_svc
from shiji.outreach.services import projects as project_svc
from shiji.outreach.services import roundtables as roundtable_svc
from shiji.outreach.services.intake import CONTENT_MAX

router = Router(tags=["政企圆桌会与为民实事"])

READ = {404: ErrorOut, **COMMON_ERRORS}
WRITE = {403: ErrorOut, 404: ErrorOut, **COMMON_ERRORS}
UPLOAD = {503: ErrorOut, **WRITE}  # 503: the file store refused the bytes
PAGE_SIZE = 200
PAGE_MAX = 100_000

# Choice fields take the codes and the Chinese labels; built at run time, so
# the type checker sees them as the strings they are.
if TYPE_CHECKING:
    SatisfactionIn: TypeAlias = str
    DemandKindIn: TypeAlias = str
    DemandCategoryIn: TypeAlias = str
    ProblemKindIn: TypeAlias = str
else:
    SatisfactionIn = Literal[("", *codes_and_labels(Satisfaction))]
    DemandKindIn = Literal[tuple(codes_and_labels(Kind))]
    DemandCategoryIn = Literal[tuple(codes_and_labels(Category))]
    ProblemKindIn = Literal[tuple(codes_and_labels(ProblemKind))]


def _page(qs: Any, page: int) -> dict[str, Any]:
    start = (page - 1) * PAGE_SIZE
    return {"count": qs.count(), "items": list(qs[start : start + PAGE_SIZE])}


# Enterprises ---------------------------------------------------------------------


class EnterpriseFilters(Schema):
    zone: Id | None = Field(None, description="高新区 id；不可见的返回 404")
    industry: Text | None = Field(None, max_length=100)
    q: Text | None = Field(None, max_length=100, description="企业名称、信用代码、行业或联系人")


class EnterpriseIn(In):
    zone: Id
    name: Text = Field(max_length=200)
    credit_code: Text = Field(max_length=40, description="18 位统一社会信用代码（GB 32100）")
    industry: Text = Field("", max_length=100)
    contact_name: Text = Field("", max_length=50)
    contact_phone: Text = Field("", max_length=30)


class EnterprisePatch(In):
    name: Text | None = Field(None, max_length=200)
    credit_code: Text | None = Field(None, max_length=40)
    industry: Text | None = Field(None, max_length=100)
    contact_name: Text | None = Field(None, max_length=50)
    contact_phone: Text | None = Field(None, max_length=30)


class EnterpriseOut(Schema):
    id: int
    zone: int
    name: str
    credit_code: str
    industry: str
    contact_name: str
    contact_phone: str

    @staticmethod
    def resolve_zone(obj: Enterprise) -> int:
        return obj.zone_id


class EnterpriseList(Schema):
    count: int
    items: list[EnterpriseOut]


@router.get("enterprises", response={200: EnterpriseList, **READ}, summary="企业名录")
def enterprise_list(
    request, filters: Query[EnterpriseFilters], page: int = Query(1, ge=1, le=PAGE_MAX)
):
    params = filters.dict(exclude_none=True)
    if "zone" in params:
        zone_get_for_user(user=request.user, pk=params["zone"])
    qs = sel.enterprise_filter(sel.enterprises_visible_to(user=request.user), params)
    return _page(qs, page)


@router.post(
    "enterprises",
    response={201: EnterpriseOut, **WRITE},
    summary="登记企业",
    description="信用代码校验位不对、本区已登记同一代码时返回 422（字段 `credit_code`）。",
)
def enterprise_create(request, payload: EnterpriseIn):
    zone = zone_get_for_user(user=request.user, pk=payload.zone)
    made = enterprise_svc.enterprise_create(
        actor=request.user, **payload.dict(exclude={"zone"}), zone=zone
    )
    return Respond(201, sel.enterprise_get_for_user(user=request.user, pk=made.pk))


@router.get("enterprises/{enterprise_id}", response={200: EnterpriseOut, **READ})
def enterprise_detail(request, enterprise_id: int):
    return sel.enterprise_get_for_user(user=request.user, pk=enterprise_id)


@router.patch("enterprises/{enterprise_id}", response={200: EnterpriseOut, **WRITE})
def enterprise_patch(request, enterprise_id: int, payload: EnterprisePatch):
    enterprise = sel.enterprise_get_for_user(user=request.user, pk=enterprise_id)
    data = {k: v for k, v in payload.dict(exclude_unset=True).items() if v is not None}
    if data:
        enterprise_svc.enterprise_update(actor=request.user, enterprise=enterprise, **data)
    return sel.enterprise_get_for_user(user=request.user, pk=enterprise_id)


# Demands (shared by roundtables and visits) ---------------------------------------


class DemandProblemIn(In):
    org: Id = Field(description="责任单位 id")
    category: Id = Field(description="本区问题类别 id")
    kind: ProblemKindIn = Field(description="immediate、deadline、long_term")
    deadline: Day | None = None
    measures: Text = Field("", max_length=4000)


class DemandIn(In):
    content: SomeText = Field(max_length=CONTENT_MAX)
    kind: DemandKindIn = "help"
    category: DemandCategoryIn = "business"
    route: Literal["feedback", "problem"] = Field(
        "feedback", description="feedback：转为群众反映事项；problem：直接列入整改台账"
    )
    problem: DemandProblemIn | None = Field(None, description="route 为 problem 时必填")


class RoundtableDemandIn(DemandIn):
    enterprise: Id | None = Field(None, description="提出诉求的参会企业 id")


class DemandOut(Schema):
    id: int
    number: str
    status: str
    status_label: str
    channel: str
    kind: str
    category: str
    content: str
    enterprise: int | None
    enterprise_name: str
    received_at: dt.datetime
    due_on: dt.date
    problem: int | None = Field(description="整改台账问题 id（调用者无权查看时为 null）")
    problem_code: str
    problem_status: str

    @staticmethod
    def resolve_status_label(obj: Feedback) -> str:
        return obj.get_status_display()

    @staticmethod
    def resolve_enterprise(obj: Feedback) -> int | None:
        return obj.enterprise_id

    @staticmethod
    def resolve_enterprise_name(obj: Feedback) -> str:
        return obj.enterprise.name if obj.enterprise else ""

    @staticmethod
    def resolve_problem(obj: Feedback) -> int | None:
        return obj.problem_id if getattr(obj, "problem_visible", False) else None

    @staticmethod
    def resolve_problem_code(obj: Feedback) -> str:
        return obj.problem.code if getattr(obj, "problem_visible", False) and obj.problem else ""

    @staticmethod
    def resolve_problem_status(obj: Feedback) -> str:
        return obj.problem.status if getattr(obj, "problem_visible", False) and obj.problem else ""


def _problem_fields(payload: DemandIn) -> dict[str, Any] | None:
    return payload.problem.dict() if payload.problem is not None else None


def _demand_out(request, item: Feedback, **where: Any) -> Feedback:
    return next(d for d in sel.demands_of(user=request.user, **where) if d.pk == item.pk)


# Roundtables ---------------------------------------------------------------------


class RoundtableFilters(Schema):
    zone: Id | None = Field(None, description="高新区 id；不可见的返回 404")
    enterprise: Id | None = Field(None, description="参会企业 id")
    q: Text | None = Field(None, max_length=100)
    date_from: Day | None = Field(None, alias="from")
    date_to: Day | None = Field(None, alias="to")


class EnterpriseRef(Schema):
    id: int
    name: str


class RoundtableFileOut(Schema):
    id: int
    name: str
    kind: str
    size: int
    sha256: str


class RoundtableIn(In):
    zone: Id
    title: Text = Field(max_length=200)
    held_on: Day = Field(description="召开日期，不能晚于今天")
    hosts: Text = Field(max_length=300)
    enterprises: list[Id] = Field([], max_length=500, description="本区参会企业 id")
    minutes: Text = Field("", max_length=roundtable_svc.TEXT_LIMIT)
    satisfaction: SatisfactionIn = ""


class RoundtableItem(Schema):
    id: int
    zone: int
    title: str
    held_on: dt.date
    hosts: str
    satisfaction: str = Field(description="satisfied、basically_satisfied、unsatisfied 或空")
    enterprise_count: int
    demand_count: int

    @staticmethod
    def resolve_zone(obj: Roundtable) -> int:
        return obj.zone_id


class RoundtableList(Schema):
    count: int
    items: list[RoundtableItem]


class RoundtableOut(RoundtableItem):
    minutes: str
    enterprises: list[EnterpriseRef]
    files: list[RoundtableFileOut]
    demands: list[DemandOut]

    # Set by _roundtable_out (one query each, demands with their problems).
    @staticmethod
    def resolve_enterprises(obj: Roundtable) -> list[Enterprise]:
        return obj.present  # type: ignore[attr-defined]

    @staticmethod
    def resolve_files(obj: Roundtable) -> list[Any]:
        return obj.file_rows  # type: ignore[attr-defined]

    @staticmethod
    def resolve_demands(obj: Roundtable) -> list[Feedback]:
        return obj.demand_rows  # type: ignore[attr-defined]


def _roundtable(request, pk: Any) -> Roundtable:
    return sel.roundtable_get_for_user(user=request.user, pk=pk)


def _roundtable_out(request, pk: Any) -> Roundtable:
    table = _roundtable(request, pk)
    table.present = list(table.enterprises.order_by("name", "pk"))  # type: ignore[attr-defined]
    table.file_rows = list(table.files.order_by("pk"))  # type: ignore[attr-defined]
    table.demand_rows = sel.demands_of(  # type: ignore[attr-defined]
        user=request.user, roundtable=table
    )
    return table


@router.get("roundtables", response={200: RoundtableList, **READ}, summary="政企圆桌会")
def roundtable_list(
    request, filters: Query[RoundtableFilters], page: int = Query(1, ge=1, le=PAGE_MAX)
):
    params = filters.dict(exclude_none=True)
    params["from"], params["to"] = params.pop("date_from", None), params.pop("date_to", None)
    if params.get("zone"):
        zone_get_for_user(user=request.user, pk=params["zone"])
    qs = sel.roundtable_filter(sel.roundtables_visible_to(user=request.user), params)
    return _page(qs, page)


@router.post(
    "roundtables",
    response={201: RoundtableOut, **WRITE},
    summary="记录政企圆桌会",
    description="会议材料请在页面上传。他区企业返回 422（字段 `enterprises`）。",
)
def roundtable_create(request, payload: RoundtableIn):
    zone = zone_get_for_user(user=request.user, pk=payload.zone)
    made = roundtable_svc.roundtable_create(
        actor=request.user, **payload.dict(exclude={"zone"}), zone=zone
    )
    return Respond(201, _roundtable_out(request, made.pk))


@router.get("roundtables/{roundtable_id}", response={200: RoundtableOut, **READ})
def roundtable_detail(request, roundtable_id: int):
    return _roundtable_out(request, roundtable_id)


@router.post(
    "roundtables/{roundtable_id}/demands",
    response={201: DemandOut, **WRITE},
    summary="登记会上企业诉求",
    description=(
        "每条诉求成为跟踪事项：`route=feedback` 转为群众反映事项（渠道 政企圆桌会）；"
        "`route=problem` 直接列入整改台账（来源 政企圆桌会），须给出 `problem`。"
    ),
)
def roundtable_demand(request, roundtable_id: int, payload: RoundtableDemandIn):
    table = _roundtable(request, roundtable_id)
    item = roundtable_svc.roundtable_demand_add(
        actor=request.user,
        roundtable=table,
        content=payload.content,
        enterprise=payload.enterprise,
        kind=payload.kind,
        category=payload.category,
        route=payload.route,
        problem=_problem_fields(payload),
    )
    return Respond(201, _demand_out(request, item, roundtable=table))


# Visits --------------------------------------------------------------------------


class VisitFilters(Schema):
    zone: Id | None = Field(None, description="高新区 id；不可见的返回 404")
    enterprise: Id | None = None
    q: Text | None = Field(None, max_length=100)
    date_from: Day | None = Field(None, alias="from")
    date_to: Day | None = Field(None, alias="to")


class VisitIn(In):
    zone: Id
    enterprise: Id
    visited_on: Day = Field(description="走访日期，不能晚于今天")
    visitors: Text = Field(max_length=300)
    org: Id | None = Field(None, description="走访单位 id")
    summary: Text = Field("", max_length=roundtable_svc.TEXT_LIMIT)
    satisfaction: SatisfactionIn = ""


class VisitOut(Schema):
    id: int
    zone: int
    enterprise: int
    enterprise_name: str
    visited_on: dt.date
    visitors: str
    org: int | None
    org_name: str
    summary: str
    satisfaction: str = Field(description="satisfied、basically_satisfied、unsatisfied 或空")
    demand_count: int

    @staticmethod
    def resolve_zone(obj: EnterpriseVisit) -> int:
        return obj.zone_id

    @staticmethod
    def resolve_enterprise(obj: EnterpriseVisit) -> int:
        return obj.enterprise_id

    @staticmethod
    def resolve_enterprise_name(obj: EnterpriseVisit) -> str:
        return obj.enterprise.name

    @staticmethod
    def resolve_org(obj: EnterpriseVisit) -> int | None:
        return obj.org_id

    @staticmethod
    def resolve_org_name(obj: EnterpriseVisit) -> str:
        return obj.org.name if obj.org else ""


class VisitList(Schema):
    count: int
    items: list[VisitOut]


@router.get("visits", response={200: VisitList, **READ}, summary="三员入企走访记录")
def visit_list(request, filters: Query[VisitFilters], page: int = Query(1, ge=1, le=PAGE_MAX)):
    params = filters.dict(exclude_none=True)
    params["from"], params["to"] = params.pop("date_from", None), params.pop("date_to", None)
    if params.get("zone"):
        zone_get_for_user(user=request.user, pk=params["zone"])
    qs = sel.visit_filter(sel.visits_visible_to(user=request.user), params)
    return _page(qs, page)


@router.post("visits", response={201: VisitOut, **WRITE}, summary="记录入企走访")
def visit_create(request, payload: VisitIn):
    zone = zone_get_for_user(user=request.user, pk=payload.zone)
    made = roundtable_svc.visit_create(
        actor=request.user, **payload.dict(exclude={"zone"}), zone=zone
    )
    return Respond(201, sel.visit_get_for_user(user=request.user, pk=made.pk))


@router.post(
    "visits/{visit_id}/demands",
    response={201: DemandOut, **WRITE},
    summary="登记走访中企业诉求",
    description=(
        "`route=feedback` 转为群众反映事项（渠道 入企走访）；`route=problem` 直接列入"
        "整改台账（来源 调查研究），须给出 `problem`。"
    ),
)
def visit_demand(request, visit_id: int, payload: DemandIn):
    visit = sel.visit_get_for_user(user=request.user, pk=visit_id)
    item = roundtable_svc.visit_demand_add(
        actor=request.user,
        visit=visit,
        content=payload.content,
        kind=payload.kind,
        category=payload.category,
        route=payload.route,
        problem=_problem_fields(payload),
    )
    return Respond(201, _demand_out(request, item, visit=visit))


# 为民实事 --------------------------------------------------------------------------


class ProjectFilters(Schema):
    zone: Id | None = Field(None, description="高新区 id；不可见的返回 404")
    org: Id | None = Field(None, description="责任单位 id（含下级）；不可见的返回 404")
    status: Literal[tuple(ProjectStatus.values)] | None = None  # type: ignore[valid-type]
    light: Literal[tuple(Light.values)] | None = None  # type: ignore[valid-type]
    public: bool | None = None
    q: Text | None = Field(None, max_length=100)


class ProjectIn(In):
    zone: Id
    title: Text = Field(max_length=200)
    org: Id
    leader: Id | None = Field(None, description="责任领导（本区花名册人员 id）")
    target: Text = Field(max_length=project_svc.TEXT_LIMIT)
    deadline: Day
    public: bool = True


class ProjectOut(Schema):
    id: int
    zone: int
    title: str
    org: int
    org_name: str
    leader: int | None
    leader_name: str
    target: str
    deadline: dt.date
    status: str = Field(description="planned、in_progress、done")
    status_label: str
    percent: int
    public: bool
    done_on: dt.date | None
    light: str = Field(description="red、yellow、green")

    @staticmethod
    def resolve_zone(obj: PracticalProject) -> int:
        return obj.zone_id

    @staticmethod
    def resolve_org(obj: PracticalProject) -> int:
        return obj.org_id

    @staticmethod
    def resolve_org_name(obj: PracticalProject) -> str:
        return obj.org.name

    @staticmethod
    def resolve_leader(obj: PracticalProject) -> int | None:
        return obj.leader_id

    @staticmethod
    def resolve_leader_name(obj: PracticalProject) -> str:
        return obj.leader.name if obj.leader else ""

    @staticmethod
    def resolve_status_label(obj: PracticalProject) -> str:
        return obj.get_status_display()


class ProjectList(Schema):
    count: int
    items: list[ProjectOut]


class ProjectProgressOut(Schema):
    id: int
    text: str
    percent: int
    file_name: str
    file_kind: str
    sha256: str
    author: str
    created_at: dt.datetime

    @staticmethod
    def resolve_file_name(obj: ProjectProgress) -> str:
        return obj.name

    @staticmethod
    def resolve_file_kind(obj: ProjectProgress) -> str:
        return obj.kind

    @staticmethod
    def resolve_author(obj: ProjectProgress) -> str:
        return obj.author.display_name if obj.author else ""


class ProjectDetailOut(ProjectOut):
    progress: list[ProjectProgressOut]

    @staticmethod
    def resolve_progress(obj: PracticalProject) -> list[ProjectProgress]:
        return obj.progress_rows  # type: ignore[attr-defined]


class ProjectProgressForm(Schema):
    text: SomeText = Field(max_length=project_svc.TEXT_LIMIT)
    percent: int = Field(ge=0, le=100, description="完成进度（%），低于上次须填 reason")
    reason: Text = Field("", max_length=500, description="进度回退的原因")


def _project_out(request, pk: Any) -> PracticalProject:
    project = project_sel.project_get_for_user(user=request.user, pk=pk)
    project.progress_rows = project_sel.progress_of(project)  # type: ignore[attr-defined]
    return project


@router.get("projects", response={200: ProjectList, **READ}, summary="为民实事")
def project_list(request, filters: Query[ProjectFilters], page: int = Query(1, ge=1, le=PAGE_MAX)):
    params = filters.dict(exclude_none=True)
    if "zone" in params:
        zone_get_for_user(user=request.user, pk=params["zone"])
    if "org" in params:
        org_get_for_user(user=request.user, pk=params["org"])
    if "public" in params:
        params["public"] = "1" if params["public"] else "0"
    qs = project_sel.project_filter(
        project_sel.projects_visible_to(user=request.user), params, user=request.user
    )
    return _page(qs, page)


@router.post("projects", response={201: ProjectDetailOut, **WRITE}, summary="新增为民实事")
def project_create(request, payload: ProjectIn):
    zone = zone_get_for_user(user=request.user, pk=payload.zone)
    made = project_svc.project_create(
        actor=request.user, **payload.dict(exclude={"zone"}), zone=zone
    )
    return Respond(201, _project_out(request, made.pk))


@router.get("projects/{project_id}", response={200: ProjectDetailOut, **READ})
def project_detail(request, project_id: int):
    return _project_out(request, project_id)


@router.post(
    "projects/{project_id}/progress",
    response={201: ProjectProgressOut, **UPLOAD},
    summary="记录为民实事进展",
    description=(
        "multipart：`text`、`percent`（0–100；低于上次时须填 `reason`，否则 422）、"
        "可选 `file`（图片、PDF 或 Office 文件，按内容识别；返回其 `sha256`）。"
        "100% 即标记为已完成。"
    ),
)
def project_progress(
    request,
    project_id: int,
    form: Form[ProjectProgressForm],
    file: File[UploadedFile | None] = None,
):
    project = project_sel.project_get_for_user(user=request.user, pk=project_id)
    note = project_svc.project_progress_add(
        actor=request.user,
        project=project,
        text=form.text,
        percent=form.percent,
        reason=form.reason,
        file=file,
    )
    return Respond(201, note)
