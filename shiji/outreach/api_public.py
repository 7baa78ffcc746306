"""The public JSON API of open-door education (DESIGN.md §6, "Public, no login").

No account and no session: these operations take no credentials (and so
need no CSRF token). Every request is counted against its client address
(``core.ratelimit``): past a limit the answer is 429 with ``Retry-After``.
The answers never carry the submitter's name or phone; a wrong tracking code
is a 404 that looks exactly like any other wrong code.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated, Any, Literal

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext
from ninja import Field, Router, Schema
from ninja.errors import HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.responses import Status as Respond
from pydantic import ValidationError

from shiji.core.atomic import commits_before_failing
from shiji.core.client import client_address
from shiji.core.errors import invalid
from shiji.core.ratelimit import RateLimited
from shiji.core.schemas import ErrorOut, Id, SomeText, Text
from shiji.outreach.models import Category, Kind, Rating, Status
from shiji.outreach.selectors.public import CODE_INPUT_MAX, public_status, public_zone
from shiji.outreach.services import intake
from shiji.outreach.services.public import (
    MAX_FILES,
    feedback_for_code,
    feedback_rate_by_code,
    feedback_submit,
)
from shiji.outreach.services.rating import COMMENT_MAX

router = Router(tags=["群众反映（公开）"], auth=None)

PUBLIC_ERRORS = {400: ErrorOut, 422: ErrorOut, 429: ErrorOut}


def _literal(values: list[str]) -> Any:
    return Literal[tuple(values)]


ZoneCode = Annotated[str, Field(min_length=1, max_length=16, pattern=r"^[A-Za-z0-9_-]+$")]


class PublicFeedbackIn(Schema):
    zone: Id | ZoneCode = Field(description="高新区 id，或其代码（二维码链接中的代码）")
    kind: _literal(Kind.values) = Field(description="consult、help、complaint、suggestion、report")  # type: ignore[valid-type]
    category: _literal(Category.values) | None = None  # type: ignore[valid-type]
    content: SomeText = Field(max_length=intake.CONTENT_MAX)
    name: Text | None = Field(None, max_length=intake.NAME_MAX)
    phone: Text | None = Field(None, max_length=intake.PHONE_MAX)
    accused: Text | None = Field(
        None, max_length=intake.ACCUSED_MAX, description="被举报人（仅举报）"
    )


class PublicTrackingCodeOut(Schema):
    tracking_code: str


class PublicStep(Schema):
    at: dt.datetime
    label: str


class PublicStatusOut(Schema):
    status: _literal(Status.values)  # type: ignore[valid-type]
    kind: _literal(Kind.values)  # type: ignore[valid-type]
    zone: int
    zone_name: str
    created_at: dt.datetime
    steps: list[PublicStep]
    reply: str | None
    decline_reason: str | None = Field(description="不予受理的理由")
    merged: bool = Field(description="已与同类反映合并办理：状态、答复和评价均为合并后的反映")
    can_rate: bool
    rating: _literal(Rating.values) | None  # type: ignore[valid-type]


class PublicRatingIn(Schema):
    rating: _literal(Rating.values)  # type: ignore[valid-type]
    comment: Text = Field("", max_length=COMMENT_MAX)


def _limited(exc: RateLimited) -> HttpResponse:
    response = HttpResponse(
        json.dumps(exc.as_dict(), ensure_ascii=False),
        status=429,
        content_type="application/json; charset=utf-8",
    )
    response["Retry-After"] = str(exc.retry_after)
    return response


_FILE = {"type": "string", "format": "binary"}
_FEEDBACK_FIELDS = PublicFeedbackIn.model_json_schema()


def _multipart_schema() -> dict[str, Any]:
    schema = json.loads(json.dumps(_FEEDBACK_FIELDS))
    schema["properties"]["files"] = {"type": "array", "items": _FILE, "maxItems": MAX_FILES}
    return schema


def _payload(request: HttpRequest) -> tuple[PublicFeedbackIn, list[Any]]:
    """The body as JSON or as multipart (fields and up to three ``files``)."""
    content_type = request.content_type or ""
    files: list[Any] = []
    data: Any
    if content_type.startswith("multipart/form-data"):
        data = {k: request.POST.get(k) for k in request.POST}
        files = request.FILES.getlist("files")
        if len(files) > MAX_FILES:
            raise invalid(files=gettext("最多上传 %(n)s 个文件") % {"n": MAX_FILES})
    else:
        try:
            data = json.loads(request.body or b"null")
        except (ValueError, UnicodeDecodeError) as exc:
            # Answered like ninja's own unparsable body (shiji/api.py).
            raise HttpError(400, "Cannot parse request body") from exc
    try:
        return PublicFeedbackIn.model_validate(data), files
    except ValidationError as exc:
        # The body is flat: a field's name is the first part of its location
        # (a union adds the member it tried, "zone.constrained-int"); one
        # message per field.
        errors, seen = [], set()
        for error in exc.errors(include_url=False):
            where = tuple(error.get("loc", ()))[:1]
            if where not in seen:
                seen.add(where)
                errors.append({**error, "loc": ("body", "payload", *where)})
        raise NinjaValidationError(errors) from exc


@router.post(
    "public/feedback",
    auth=None,
    response={201: PublicTrackingCodeOut, **PUBLIC_ERRORS},
    summary="提交群众反映（无需登录）",
    description=(
        "JSON，或 multipart（字段同 JSON，另可附 `files` 最多 3 个：jpeg/png/webp 照片或 1 个 "
        "PDF，照片的 EXIF 位置和设备信息在保存前去除）。`zone` 为高新区 id 或代码；`kind` 为 "
        "consult（咨询）、help（求助）、complaint（投诉）、suggestion（建议）、report（举报）。"
        "返回查询码 `tracking_code`，只显示这一次，请提交人妥善保存。"
        "按来源地址限制提交频率，超过时返回 429。"
    ),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": _FEEDBACK_FIELDS},
                "multipart/form-data": {"schema": _multipart_schema()},
            },
        }
    },
)
@commits_before_failing
def public_feedback_submit(request: HttpRequest) -> Any:
    payload, files = _payload(request)
    zone = public_zone(payload.zone)
    if zone is None:
        raise invalid(zone=gettext("高新区不存在"))
    try:
        done = feedback_submit(
            zone=zone,
            data=payload.dict(exclude_none=True),
            files=files,
            client=client_address(request),
        )
    except RateLimited as exc:
        return _limited(exc)
    return Respond(201, {"tracking_code": done.tracking_code})


CodePath = Annotated[str, Field(min_length=1, max_length=CODE_INPUT_MAX)]


@router.get(
    "public/feedback/{code}",
    auth=None,
    response={200: PublicStatusOut, 404: ErrorOut, **PUBLIC_ERRORS},
    summary="凭查询码查看办理进展（无需登录）",
    description=(
        "状态、每个公开办理环节及日期、答复、能否评价及已有评价；不含姓名和电话。"
        "查询码不正确时返回 404；同一地址输错次数过多或查询过于频繁时返回 429。"
    ),
)
@commits_before_failing
def public_feedback_status(request: HttpRequest, code: CodePath) -> Any:
    try:
        item = feedback_for_code(code=code, client=client_address(request))
    except RateLimited as exc:
        return _limited(exc)
    return public_status(item)


@router.post(
    "public/feedback/{code}/rating",
    auth=None,
    response={200: PublicStatusOut, 404: ErrorOut, 409: ErrorOut, **PUBLIC_ERRORS},
    summary="评价办理结果（无需登录）",
    description=(
        "`rating` 为 satisfied（满意）、basically_satisfied（基本满意）或 unsatisfied（不满意），"
        "`comment` 为评价意见（最多 500 字）。尚无办理结果、本次结果已评价过时返回 409。"
        "不满意时，已转入整改台账的问题重新整改，已答复的反映重新办理。返回评价后的办理进展。"
    ),
)
@commits_before_failing
def public_feedback_rate(request: HttpRequest, code: CodePath, payload: PublicRatingIn) -> Any:
    try:
        item = feedback_rate_by_code(
            code=code,
            rating=payload.rating,
            comment=payload.comment,
            client=client_address(request),
        )
    except RateLimited as exc:
        return _limited(exc)
    return public_status(item)
