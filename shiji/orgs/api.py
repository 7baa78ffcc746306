from __future__ import annotations

from typing import Literal

from django.utils.translation import gettext
from ninja import Field, Query, Router, Schema
from ninja.responses import Status

from shiji.core.atomic import commits_before_failing
from shiji.core.client import client_address
from shiji.core.errors import AppError, invalid
from shiji.core.schemas import COMMON_ERRORS, ErrorOut, Id, In
from shiji.orgs import selectors, services
from shiji.orgs.models import User, Zone
from shiji.orgs.policy import roles_of
from shiji.orgs.usernames import USERNAME_RULE

router = Router(tags=["组织与账号"])


class TokenIn(In):
    username: str = Field(max_length=150)
    password: str = Field(max_length=256)


class TokenOut(Schema):
    token: str


# The role codes of DESIGN.md §6 (orgs.models.Role), listed so that the
# OpenAPI document shows them and a wrong code is a 422 naming the field.
RoleCode = Literal[
    "system_admin", "viewer", "zone_admin", "leader", "secretary", "liaison", "supervisor"
]


class GrantSchema(Schema):
    role: RoleCode
    zone: Id | None = None
    org: Id | None = None
    province: str | None = Field(None, max_length=20)


class ZoneOut(Schema):
    id: int
    code: str
    name: str
    short_name: str
    province: str
    city: str
    is_sample: bool


class OrgOut(Schema):
    id: int
    zone: int = Field(alias="zone_id")
    parent: int | None = Field(alias="parent_id")
    name: str
    kind: str
    sector: str
    path: str
    depth: int
    is_sample: bool


class UserOut(Schema):
    id: int
    username: str
    name: str
    email: str
    zone: int | None
    is_active: bool
    is_locked: bool = Field(description="登录被锁定（任一客户端地址）")
    grants: list[GrantSchema]

    @staticmethod
    def resolve_zone(obj: User) -> int | None:
        return obj.zone_id

    @staticmethod
    def resolve_is_locked(obj: User) -> bool:
        return selectors.login_locked_until(user=obj) is not None

    @staticmethod
    def resolve_grants(obj: User) -> list[dict]:
        return [
            {"role": g.role, "zone": g.zone_id, "org": g.org_id, "province": g.province or None}
            for g in obj.grants.all()
        ]


class MeOut(UserOut):
    roles: list[str]

    @staticmethod
    def resolve_roles(obj: User) -> list[str]:
        return sorted(roles_of(obj))


class UserIn(In):
    # The rule itself (shiji.orgs.usernames) is applied by the service, the
    # same for the form, the API and the demo loader.
    username: str = Field(min_length=1, max_length=150, description=str(USERNAME_RULE))
    password: str = Field(min_length=8, max_length=256)
    name: str = Field("", max_length=50)
    email: str = Field("", max_length=254)
    zone: Id | None = None
    grants: list[GrantSchema] = Field(default_factory=list, max_length=50)


class UserPatch(In):
    name: str | None = Field(None, max_length=50)
    email: str | None = Field(None, max_length=254)
    password: str | None = Field(None, min_length=8, max_length=256)
    is_active: bool | None = None
    is_locked: bool | None = Field(None, description="false 解除登录锁定")
    grants: list[GrantSchema] | None = Field(None, max_length=50)


class UserList(Schema):
    count: int
    items: list[UserOut]


@router.post(
    "auth/token",
    auth=None,
    response={200: TokenOut, 400: ErrorOut, 401: ErrorOut, 422: ErrorOut, 429: ErrorOut},
    summary="用户名和密码换取 API 令牌",
)
@commits_before_failing
def auth_token(request, payload: TokenIn):
    try:
        user = services.authenticate_with_lockout(
            username=payload.username,
            password=payload.password,
            client=client_address(request),
            request=request,
        )
    except services.LockedOut:
        raise
    except AppError as exc:
        return Status(401, {"detail": exc.message, "code": "unauthenticated"})
    return {"token": services.token_issue(user=user)}


@router.delete(
    "auth/token",
    response={204: None, **COMMON_ERRORS},
    summary="注销本次请求所用的 API 令牌",
)
def auth_token_revoke(request):
    token = getattr(request, "api_token", None)
    if token is None:
        return Status(
            400,
            {
                "detail": gettext("本次请求没有使用 API 令牌；浏览器会话请通过“退出登录”结束"),
                "code": "no_token",
            },
        )
    services.token_revoke(actor=request.user, token=token)
    return Status(204, None)


@router.get("me", response={200: MeOut, **COMMON_ERRORS}, summary="当前用户与角色")
def me(request):
    return User.objects.prefetch_related("grants").get(pk=request.user.pk)


@router.get("zones", response={200: list[ZoneOut], **COMMON_ERRORS}, summary="可见的高新区")
def zones(request):
    return list(selectors.zones_visible_to(user=request.user))


@router.get("orgs", response={200: list[OrgOut], **COMMON_ERRORS}, summary="可见的组织（树序）")
def orgs(request, zone: Id | None = None):
    qs = selectors.orgs_visible_to(user=request.user).order_by("zone_id", "path")
    if zone is not None:
        qs = qs.filter(zone_id=zone)
    return list(qs)


@router.get("users", response={200: UserList, **COMMON_ERRORS}, summary="可管理的账号")
def users(
    request,
    zone: Id | None = None,
    page: int = Query(1, ge=1, le=100_000),
    page_size: int = Query(50, ge=1, le=200),
):
    qs = selectors.users_visible_to(user=request.user)
    if zone is not None:
        qs = qs.filter(zone_id=zone)
    start = (page - 1) * page_size
    return {"count": qs.count(), "items": list(qs[start : start + page_size])}


def _zone_or_404(request, pk: int | None) -> Zone | None:
    if pk is None:
        return None
    return selectors.zone_get_for_user(user=request.user, pk=pk)


@router.post(
    "users",
    response={201: UserOut, 403: ErrorOut, 404: ErrorOut, **COMMON_ERRORS},
    summary="新建账号",
)
def user_create(request, payload: UserIn):
    user = services.user_create(
        actor=request.user,
        username=payload.username,
        password=payload.password,
        name=payload.name,
        email=payload.email,
        zone=_zone_or_404(request, payload.zone),
        grants=[g.dict() for g in payload.grants],
    )
    return Status(201, selectors.user_get_for_user(user=request.user, pk=user.pk))


@router.get("users/{user_id}", response={200: UserOut, 404: ErrorOut, **COMMON_ERRORS})
def user_detail(request, user_id: int):
    return selectors.user_get_for_user(user=request.user, pk=user_id)


@router.patch(
    "users/{user_id}",
    response={200: UserOut, 403: ErrorOut, 404: ErrorOut, **COMMON_ERRORS},
    summary="修改账号（姓名、密码、停用、角色）",
)
def user_patch(request, user_id: int, payload: UserPatch):
    target = selectors.user_get_for_user(user=request.user, pk=user_id)
    data = payload.dict(exclude_unset=True)
    if "grants" in data and data["grants"] is None:
        raise invalid(grants=gettext("grants 不能为 null"))
    if data.get("is_locked"):
        raise invalid(is_locked=gettext("只能解除锁定（false）；锁定由登录失败自动产生"))
    services.user_update(
        actor=request.user,
        user=target,
        name=data.get("name"),
        email=data.get("email"),
        password=data.get("password"),
        is_active=data.get("is_active"),
        grants=data.get("grants"),
        unlock=data.get("is_locked") is False,
    )
    return selectors.user_get_for_user(user=request.user, pk=user_id)
