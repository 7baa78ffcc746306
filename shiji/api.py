"""The JSON API under /api/v1/ (DESIGN.md §6). Each app adds a router; errors
from services map to the contract's status codes here, in one place."""

from __future__ import annotations

from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import Http404
from django.http.multipartparser import MultiPartParserError
from django.utils.translation import gettext
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import HttpBearer, SessionAuth
from ninja.utils import check_csrf

from shiji.core.atomic import one_transaction
from shiji.core.errors import AppError, Forbidden
from shiji.orgs.services import token_authenticate


class BearerToken(HttpBearer):
    def authenticate(self, request, token):
        found = token_authenticate(token)
        if found is None:
            return None
        # The token itself, so that DELETE /auth/token can end the one in use.
        request.api_token = found
        request.user = found.user
        return found.user


class Session(SessionAuth):
    """Browser session, with Django's CSRF check on unsafe methods."""

    def __call__(self, request):
        # Without a signed-in session there is nothing to protect: answer 401
        # ("log in"), not a CSRF 403, to a client that sent no credentials.
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or not user.is_active:
            return None
        exempt = not self.csrf or getattr(request, "_ninja_csrf_exempt", False)
        if not exempt and check_csrf(request) is not None:
            raise Forbidden(gettext("CSRF 校验失败：请刷新页面后重试，或改用 API 令牌"))
        return user


api = NinjaAPI(
    title="Shiji API",
    version="1.0",
    description=(
        "实绩 JSON API：组织、账号、问题整改台账。认证：`POST /api/v1/auth/token` "
        "取得令牌后使用 `Authorization: Bearer <token>`（`DELETE /api/v1/auth/token` 注销），"
        "或浏览器会话（需 CSRF 头）。"
    ),
    auth=[BearerToken(), Session()],
    urls_namespace="api",
    docs_url="/docs",
)


# Every operation that writes is one transaction (see core/atomic.py).
api.add_decorator(one_transaction)


def _error(request, status: int, body: dict):
    return api.create_response(request, body, status=status)


@api.exception_handler(AppError)
def app_error(request, exc: AppError):
    return _error(request, exc.status, exc.as_dict())


def _field_path(loc) -> str:
    """("body", "payload", "grants", 0, "role") -> "grants[0].role", the
    same names the services use in their field errors."""
    parts = list(loc)
    if parts[:1] == ["body"] and len(parts) > 2:
        # A JSON body read into one schema parameter: loc names the parameter.
        parts = parts[2:]
    elif parts[:1] and parts[0] in ("body", "form", "file", "query", "path", "header", "cookie"):
        parts = parts[1:]
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "__all__"


def _message(err: dict) -> str:
    """Pydantic's message for a validation error, in the page language where we know it."""
    ctx = err.get("ctx") or {}
    kind = err.get("type", "")
    known = {
        "missing": gettext("必填"),
        "string_type": gettext("应为字符串"),
        "int_type": gettext("应为整数"),
        "int_parsing": gettext("应为整数"),
        "int_from_float": gettext("应为整数"),
        "bool_type": gettext("应为 true 或 false"),
        "bool_parsing": gettext("应为 true 或 false"),
        "list_type": gettext("应为列表"),
        "dict_type": gettext("应为对象"),
        "model_type": gettext("应为对象"),
        "model_attributes_type": gettext("应为对象"),
        "json_invalid": gettext("不是有效的 JSON"),
        "string_too_long": gettext("不能超过 %(max_length)s 个字符"),
        "string_too_short": gettext("至少 %(min_length)s 个字符"),
        "greater_than_equal": gettext("不能小于 %(ge)s"),
        "less_than_equal": gettext("不能大于 %(le)s"),
        "literal_error": gettext("应为以下之一：%(expected)s"),
        "enum": gettext("应为以下之一：%(expected)s"),
    }
    if kind in known:
        text = known[kind]
        return text % {k: ctx.get(k) for k in ("max_length", "min_length", "ge", "le", "expected")}
    return str(err.get("msg") or gettext("输入有误"))


@api.exception_handler(NinjaValidationError)
def validation_error(request, exc: NinjaValidationError):
    errors = [
        {"field": _field_path(err.get("loc", [])), "message": _message(err)} for err in exc.errors
    ]
    return _error(
        request, 422, {"detail": gettext("输入有误"), "code": "invalid", "errors": errors}
    )


@api.exception_handler(Http404)
def not_found(request, exc):
    return _error(request, 404, {"detail": gettext("不存在"), "code": "not_found"})


@api.exception_handler(AuthenticationError)
def unauthenticated(request, exc):
    return _error(
        request, 401, {"detail": gettext("请先登录或提供有效令牌"), "code": "unauthenticated"}
    )


# Reading request.POST / request.FILES raises these for a body the client got
# wrong (a multipart body without a boundary, too many fields or files, too
# large). Django would answer its bare HTML 400 page; the API answers JSON.
@api.exception_handler(MultiPartParserError)
def unparsable_multipart(request, exc):
    detail = gettext("请求体无法解析：multipart/form-data 格式有误（缺少 boundary 或内容不完整）")
    return _error(request, 400, {"detail": detail, "code": "bad_request"})


@api.exception_handler(RequestDataTooBig)
@api.exception_handler(TooManyFieldsSent)
@api.exception_handler(TooManyFilesSent)
def oversized_body(request, exc):
    detail = gettext("请求体过大，或字段、文件过多")
    return _error(request, 400, {"detail": detail, "code": "bad_request"})


@api.exception_handler(HttpError)
def http_error(request, exc: HttpError):
    if exc.status_code == 400 and str(exc).startswith("Cannot parse request body"):
        return _error(
            request, 400, {"detail": gettext("请求体无法解析，应为 JSON"), "code": "bad_request"}
        )
    return _error(request, exc.status_code, {"detail": str(exc), "code": "error"})


def _add_routers() -> None:
    from shiji.assessment.api import router as assessment_router
    from shiji.campaigns.api import router as campaigns_router
    from shiji.core.bench import router as bench_router
    from shiji.ledger.api import router as ledger_router
    from shiji.orgs.api import router as orgs_router
    from shiji.outreach.api import router as outreach_router
    from shiji.outreach.api_public import router as outreach_public_router
    from shiji.outreach.api_register import router as register_router
    from shiji.regulations.api import router as regulations_router
    from shiji.study.api import router as study_router

    api.add_router("/", orgs_router)
    api.add_router("/", campaigns_router)
    api.add_router("/", regulations_router)
    api.add_router("/", ledger_router)
    api.add_router("/", study_router)
    api.add_router("/", outreach_router)
    api.add_router("/", register_router)
    api.add_router("/", outreach_public_router)
    api.add_router("/", assessment_router)
    api.add_router("/", bench_router)  # 404 unless BENCH_EMPTY_VIEW, not in the schema


_add_routers()
