"""The JSON API under /api/v1/ (DESIGN.md §6). Each app adds a router; errors
from services map to the contract's status codes here, in one place."""

from __future__ import annotations

from django.http import Http404
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import HttpBearer, SessionAuth

from shiji.core.errors import AppError
from shiji.orgs.services import token_user


class BearerToken(HttpBearer):
    def authenticate(self, request, token):
        user = token_user(token)
        if user is not None:
            request.user = user
        return user


class Session(SessionAuth):
    """Browser session, with Django's CSRF check on unsafe methods."""

    def authenticate(self, request, key):
        user = super().authenticate(request, key)
        if user is not None and not user.is_active:
            return None
        return user


api = NinjaAPI(
    title="Shiji API",
    version="1.0",
    description=(
        "实绩 JSON API：组织、账号、问题整改台账。认证：`POST /api/v1/auth/token` "
        "取得令牌后使用 `Authorization: Bearer <token>`，或浏览器会话（需 CSRF 头）。"
    ),
    auth=[BearerToken(), Session()],
    urls_namespace="api",
    docs_url="/docs",
)


def _error(request, status: int, body: dict):
    return api.create_response(request, body, status=status)


@api.exception_handler(AppError)
def app_error(request, exc: AppError):
    return _error(request, exc.status, exc.as_dict())


@api.exception_handler(NinjaValidationError)
def validation_error(request, exc: NinjaValidationError):
    errors = []
    for err in exc.errors:
        loc = [str(p) for p in err.get("loc", []) if p not in ("body", "query", "path", "form")]
        errors.append({"field": ".".join(loc) or "__all__", "message": err.get("msg", "")})
    return _error(request, 422, {"detail": "输入有误", "code": "invalid", "errors": errors})


@api.exception_handler(Http404)
def not_found(request, exc):
    return _error(request, 404, {"detail": "不存在", "code": "not_found"})


@api.exception_handler(AuthenticationError)
def unauthenticated(request, exc):
    return _error(request, 401, {"detail": "请先登录或提供有效令牌", "code": "unauthenticated"})


@api.exception_handler(HttpError)
def http_error(request, exc: HttpError):
    return _error(request, exc.status_code, {"detail": str(exc), "code": "error"})


def _add_routers() -> None:
    from shiji.campaigns.api import router as campaigns_router
    from shiji.orgs.api import router as orgs_router
    from shiji.regulations.api import router as regulations_router
    from shiji.study.api import router as study_router

    api.add_router("/", orgs_router)
    api.add_router("/", campaigns_router)
    api.add_router("/", regulations_router)
    api.add_router("/", study_router)


_add_routers()
