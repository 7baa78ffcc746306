"""The rule-making register's JSON API. Reads through ``regulations.selectors``
(out of scope is a 404), writes through ``regulations.services``."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from ninja import Field, Query, Router, Schema
from ninja.responses import Status as Respond

from shiji.core.i18n import codes_and_labels
from shiji.core.schemas import COMMON_ERRORS, Day, ErrorOut, Id, In, Text
from shiji.orgs.selectors import org_get_for_user, zone_get_for_user
from shiji.regulations import selectors, services, workflow
from shiji.regulations.models import Action, Regulation, Status

router = Router(tags=["建章立制"])

READ = {404: ErrorOut, **COMMON_ERRORS}
WRITE = {403: ErrorOut, 404: ErrorOut, **COMMON_ERRORS}
MOVE = {409: ErrorOut, **WRITE}
PAGE_SIZE = 200


ActionIn = Literal[tuple(codes_and_labels(Action))]  # type: ignore[valid-type]


class RegulationFilters(Schema):
    zone: Id | None = Field(None, description="高新区 id；不可见的返回 404")
    org: Id | None = Field(None, description="制定单位 id（含下级）；不可见的返回 404")
    status: Literal[tuple(Status.values)] | None = None  # type: ignore[valid-type]
    action: Literal[tuple(Action.values)] | None = None  # type: ignore[valid-type]
    q: Text | None = Field(None, max_length=100)


class RegulationIn(In):
    zone: Id
    org: Id
    title: Text = Field(max_length=200)
    action: ActionIn
    doc_number: Text = Field("", max_length=100)
    summary: Text = Field("", max_length=services.TEXT_LIMIT)
    issued_on: Day | None = None
    problems: list[Id] = Field([], max_length=500, description="本区问题 id；他区问题返回 422")


class RegulationPatch(In):
    org: Id = None
    title: Text = Field(None, max_length=200)
    action: ActionIn = None
    doc_number: Text = Field(None, max_length=100)
    summary: Text = Field(None, max_length=services.TEXT_LIMIT)
    issued_on: Day | None = None
    problems: list[Id] = Field(None, max_length=500, description="追加关联的问题 id")


class RegulationTransitionIn(In):  # unique name: see campaigns.api
    action: Literal[tuple(workflow.ACTIONS)]  # type: ignore[valid-type]
    issued_on: Day | None = Field(None, description="印发日期（issue 时必填，不能晚于今天）")
    note: Text = Field("", max_length=services.TEXT_LIMIT)


class RegulationOut(Schema):
    id: int
    zone: int
    org: int
    org_name: str
    title: str
    doc_number: str
    action: str = Field(description="new, revise, repeal")
    action_label: str
    status: str = Field(description="draft, review, issued")
    status_label: str
    issued_on: dt.date | None
    summary: str
    problems: list[int]
    file_name: str
    file_sha256: str

    @staticmethod
    def resolve_zone(obj: Regulation) -> int:
        return obj.zone_id

    @staticmethod
    def resolve_org(obj: Regulation) -> int:
        return obj.org_id

    @staticmethod
    def resolve_org_name(obj: Regulation) -> str:
        return obj.org.name

    @staticmethod
    def resolve_action_label(obj: Regulation) -> str:
        return obj.get_action_display()

    @staticmethod
    def resolve_status_label(obj: Regulation) -> str:
        return obj.get_status_display()

    @staticmethod
    def resolve_problems(obj: Regulation) -> list[int]:
        # Set by selectors.with_visible_problems: a problem the caller may not
        # see is not even named by its id.
        return obj.visible_problem_ids


class RegulationList(Schema):
    count: int
    items: list[RegulationOut]


def _get(request, pk: Any) -> Regulation:
    regulation = selectors.regulation_get_for_user(user=request.user, pk=pk)
    selectors.with_visible_problems([regulation], user=request.user)
    return regulation


@router.get("regulations", response={200: RegulationList, **READ}, summary="制度清单")
def regulation_list(
    request, filters: Query[RegulationFilters], page: int = Query(1, ge=1, le=100_000)
):
    params = filters.dict(exclude_none=True)
    if "zone" in params:
        zone_get_for_user(user=request.user, pk=params["zone"])
    if "org" in params:
        org_get_for_user(user=request.user, pk=params["org"])
    qs = selectors.regulation_filter(
        selectors.regulations_visible_to(user=request.user), params, user=request.user
    )
    start = (page - 1) * PAGE_SIZE
    items = selectors.with_visible_problems(list(qs[start : start + PAGE_SIZE]), user=request.user)
    return {"count": qs.count(), "items": items}


@router.post(
    "regulations",
    response={201: RegulationOut, **WRITE},
    summary="登记制度",
    description="`problems` 中有他区问题时返回 422，什么也不写入。",
)
def regulation_create(request, payload: RegulationIn):
    zone = zone_get_for_user(user=request.user, pk=payload.zone)
    regulation = services.regulation_create(
        actor=request.user,
        zone=zone,
        org=payload.org,
        title=payload.title,
        action=payload.action,
        doc_number=payload.doc_number,
        summary=payload.summary,
        issued_on=payload.issued_on,
        problems=payload.problems,
    )
    return Respond(201, _get(request, regulation.pk))


@router.get("regulations/{regulation_id}", response={200: RegulationOut, **READ})
def regulation_detail(request, regulation_id: int):
    return _get(request, regulation_id)


@router.patch(
    "regulations/{regulation_id}",
    response={200: RegulationOut, **MOVE},
    summary="修改制度（已印发的返回 409）；`problems` 追加关联",
)
def regulation_patch(request, regulation_id: int, payload: RegulationPatch):
    regulation = _get(request, regulation_id)
    data = payload.dict(exclude_unset=True)
    problems = data.pop("problems", None)
    # One transaction for the request (shiji/api.py): a link that is refused
    # leaves the fields unchanged too.
    if data:
        services.regulation_update(actor=request.user, regulation=regulation, **data)
    if problems:
        services.regulation_link_problems(
            actor=request.user, regulation=regulation, problems=problems
        )
    return _get(request, regulation_id)


@router.post(
    "regulations/{regulation_id}/transitions",
    response={200: RegulationOut, **MOVE},
    summary="流转：提交审议、印发、退回修改",
    description="`action`：submit、issue、return。印发须有不晚于今天的 `issued_on`（422）。",
)
def regulation_transition(request, regulation_id: int, payload: RegulationTransitionIn):
    regulation = _get(request, regulation_id)
    services.regulation_transition(
        actor=request.user,
        regulation=regulation,
        action=payload.action,
        issued_on=payload.issued_on,
        note=payload.note,
    )
    return _get(request, regulation_id)
