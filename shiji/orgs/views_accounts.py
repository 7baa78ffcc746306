"""账号管理: the account pages for zone admins and system admins.

The views parse forms, read through the scoped selectors and call
``services.user_create`` / ``services.user_update``; who may grant what is
decided there and in ``orgs.policy``. The pickers only offer what the actor may
grant, but the services check again, so a tampered form is still refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from itertools import zip_longest
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from shiji.audit.timeline import timeline
from shiji.core.errors import AppError, Forbidden, NotFound
from shiji.core.pages import error_response
from shiji.core.validation import clean_search
from shiji.orgs import policy, selectors, services
from shiji.orgs.models import Role, RoleGrant, User, Zone
from shiji.web import filters

PAGE_SIZE = 50
BLANK_ROWS = 2
MAX_ROWS = 50

_GRANT_FIELD = re.compile(r"^grants\[(\d+)\]")


def _require_accounts(request) -> None:
    if not policy.can(request.user, "user.view"):
        raise Forbidden(_("您没有权限管理账号"))
    # Accounts live in the admin menu, not under 组织与人员: highlight no area.
    request.area = "accounts"


def _manageable_zones(user: Any) -> list[Zone]:
    """Zones whose accounts ``user`` manages, for the zone pickers."""
    ids = policy.zone_ids_for(user, "user.manage")
    zones = selectors.zones_visible_to(user=user)
    return list(zones if ids is None else zones.filter(pk__in=ids))


# The account list -------------------------------------------------------------------


ACCOUNT_STATUSES = {"active": _l("启用"), "inactive": _l("停用"), "locked": _l("锁定中")}


@login_required
@require_GET
def user_list(request):
    _require_accounts(request)
    users = selectors.users_visible_to(user=request.user)
    zones = _manageable_zones(request.user)
    is_global = policy.is_global_admin(request.user)
    zone_param = request.GET.get("zone", "")
    if zone_param == "none" and is_global:
        users = users.filter(zone__isnull=True)
    elif zone_param:
        users = users.filter(zone=selectors.zone_get_for_user(user=request.user, pk=zone_param))
    q = clean_search(request.GET.get("q"), max_length=50)
    if q:
        users = users.filter(Q(username__icontains=q) | Q(name__icontains=q))
    status = request.GET.get("status", "")
    if status == "active":
        users = users.filter(is_active=True)
    elif status == "inactive":
        users = users.filter(is_active=False)
    elif status == "locked":
        users = users.filter(locked_until__isnull=False)  # a lock in force (selector)
    page = Paginator(users, PAGE_SIZE).get_page(request.GET.get("page"))
    filtered = bool(zone_param or q or status)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "orgs/users_list.html",
        {
            "page": page,
            "zones": zones,
            "is_global": is_global,
            "zone_param": zone_param,
            "q": q,
            "status": status,
            "filtered": filtered,
            "chips": filters.chips(
                request,
                [
                    (
                        "zone",
                        _("所属高新区"),
                        {
                            "none": _("全国或省级账号"),
                            **filters.options((z.pk, z.name) for z in zones),
                        },
                    ),
                    ("status", _("状态"), ACCOUNT_STATUSES),
                    ("q", _("搜索"), None),
                ],
            ),
            "statuses": ACCOUNT_STATUSES.items(),
            "query": query.urlencode(),
            "can_create": policy.can(request.user, "user.manage"),
        },
    )


# The forms -------------------------------------------------------------------------


@dataclass
class GrantRow:
    role: str = ""
    scope: str = ""
    error: str = ""


@dataclass
class AccountForm:
    """What the create and edit pages show: values, pickers and errors."""

    values: dict[str, Any] = field(default_factory=dict)
    rows: list[GrantRow] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)


def _scope_value(grant: RoleGrant) -> str:
    if grant.org_id:
        return f"org:{grant.org_id}"
    if grant.zone_id:
        return f"zone:{grant.zone_id}"
    if grant.province:
        return f"province:{grant.province}"
    return "all"


def _spec(row: GrantRow) -> dict[str, Any]:
    """A form row as the ``{role, zone?, org?, province?}`` the services take."""
    kind, _sep, value = row.scope.partition(":")
    spec: dict[str, Any] = {"role": row.role}
    if kind in ("zone", "org", "province"):
        spec[kind] = value
    return spec


def _rows_from_post(post) -> list[GrantRow]:
    pairs = zip_longest(post.getlist("grant_role"), post.getlist("grant_scope"), fillvalue="")
    return [GrantRow(role=r.strip(), scope=s.strip()) for r, s in list(pairs)[:MAX_ROWS]]


def _specs(form: AccountForm) -> tuple[list[dict[str, Any]], list[int]]:
    """The filled rows as specs, and for each spec the row it came from."""
    specs, where = [], []
    for i, row in enumerate(form.rows):
        if not row.role:
            continue  # a blank row, or a grant being taken away
        if not row.scope:
            row.error = _("请选择授权范围")
            continue
        specs.append(_spec(row))
        where.append(i)
    return specs, where


def _apply_error(form: AccountForm, exc: AppError, where: list[int]) -> None:
    """Put a service's field errors next to their inputs; grant errors go to
    the row they came from."""
    if not exc.fields:
        form.errors["general"] = exc.message
    for name, message in exc.fields.items():
        found = _GRANT_FIELD.match(name)
        if found and int(found.group(1)) < len(where):
            form.rows[where[int(found.group(1))]].error = message
        else:
            form.errors[name] = message


def _pickers(actor: policy.Actor, zone: Zone | None, rows: list[GrantRow]) -> dict[str, Any]:
    """Role and scope choices limited to what ``actor`` may grant for an
    account in ``zone``; values already on the rows stay selectable, so that
    editing never silently drops a grant."""
    roles = [(code, Role(code).label) for code in policy.grantable_roles(actor)]
    groups: list[tuple[str, list[tuple[str, str]]]] = []
    if policy.is_global_admin(actor):
        provinces = sorted({z.province for z in selectors.zones_visible_to(user=actor)})
        groups.append(
            (
                _("全国与省级"),
                [("all", _("全部高新区"))] + [(f"province:{p}", p) for p in provinces],
            )
        )
    zones = [zone] if zone is not None else _manageable_zones(actor)
    groups.append((_("高新区"), [(f"zone:{z.pk}", z.name) for z in zones]))
    if zone is not None:
        orgs = (
            selectors.orgs_visible_to(user=actor, action="user.manage")
            .filter(zone=zone)
            .order_by("path")
        )
        groups.append(
            (_("组织（含下级）"), [(f"org:{o.pk}", "　" * o.depth + o.name) for o in orgs])
        )
    offered = {value for _label, options in groups for value, _name in options}
    offered_roles = {code for code, _label in roles}
    extra_roles = [(r.role, Role(r.role).label) for r in rows if r.role in Role.values]
    roles += [
        (code, label) for code, label in dict(extra_roles).items() if code not in offered_roles
    ]
    return {"roles": roles, "scope_groups": groups, "offered_scopes": offered}


def _extra_scopes(user: User | None, rows: list[GrantRow], offered: set[str]) -> list:
    """Labels for row values the pickers do not offer (an existing grant)."""
    if user is None:
        return []
    labels = {_scope_value(g): g.scope_label for g in user.grants.select_related("zone", "org")}
    wanted = {r.scope for r in rows if r.scope and r.scope not in offered}
    return [(value, labels.get(value, value)) for value in sorted(wanted)]


def _render_form(request, template: str, form: AccountForm, zone, **extra):
    pickers = _pickers(request.user, zone, form.rows)
    extra_scopes = _extra_scopes(extra.get("account"), form.rows, pickers.pop("offered_scopes"))
    if extra_scopes:
        pickers["scope_groups"].append((_("现有授权"), extra_scopes))
    status = 422 if (form.errors or any(r.error for r in form.rows)) else 200
    context = {"form": form, **pickers, "role_hints": _role_hints(request.user), **extra}
    return render(request, template, context, status=status)


def _role_hints(actor: policy.Actor) -> list[tuple[str, str]]:
    """For each role the actor may grant, the kinds of scope it takes."""
    kinds = services.SCOPE_KIND_LABELS
    return [
        (
            Role(role).label,
            _("或").join(str(kinds[k]) for k in kinds if k in policy.ROLE_SCOPES[role]),
        )
        for role in policy.grantable_roles(actor)
    ]


def _with_blank_rows(rows: list[GrantRow], extra: int = BLANK_ROWS) -> list[GrantRow]:
    return rows + [GrantRow() for _i in range(extra)]


# Create ---------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def user_create(request):
    _require_accounts(request)
    if not policy.can(request.user, "user.manage"):
        raise Forbidden(_("您没有权限管理账号"))
    zones = _manageable_zones(request.user)
    is_global = policy.is_global_admin(request.user)
    default_zone = "" if is_global or not zones else str(zones[0].pk)
    if request.method == "GET":
        form = AccountForm(values={"zone": default_zone}, rows=_with_blank_rows([]))
        return _render_form(
            request,
            "orgs/users_create.html",
            form,
            _zone_or_none(request, default_zone),
            zones=zones,
        )

    post = request.POST
    form = AccountForm(
        values={
            "username": post.get("username", "").strip(),
            "name": post.get("name", "").strip(),
            "email": post.get("email", "").strip(),
            "zone": post.get("zone", "").strip(),
        },
        rows=_rows_from_post(post),
    )
    zone = None
    try:
        zone = _zone_or_none(request, form.values["zone"])
    except NotFound:
        form.errors["zone"] = _("高新区不存在")
    if "_refresh" in post or "_add_row" in post:
        # Re-draw the form (new zone's orgs, one more row) without saving.
        form.rows = _with_blank_rows(form.rows, 1 if "_add_row" in post else 0)
        return _render_form(request, "orgs/users_create.html", form, zone, zones=zones)
    specs, where = _specs(form)
    if not form.errors and not any(r.error for r in form.rows):
        try:
            user = services.user_create(
                actor=request.user,
                username=form.values["username"],
                password=post.get("password", ""),
                name=form.values["name"],
                email=form.values["email"],
                zone=zone,
                grants=specs,
            )
        except AppError as exc:

            def redisplay(error: AppError):
                _apply_error(form, error, where)
                return _render_form(request, "orgs/users_create.html", form, zone, zones=zones)

            return error_response(request, exc, redisplay)
        messages.success(request, _("账号“%(name)s”已创建") % {"name": user.username})
        return redirect("orgs:user_edit", pk=user.pk)
    return _render_form(request, "orgs/users_create.html", form, zone, zones=zones)


def _zone_or_none(request, value: str) -> Zone | None:
    if not value:
        return None
    return selectors.zone_get_for_user(user=request.user, pk=value)


# Edit ------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def user_edit(request, pk: int):
    _require_accounts(request)
    account = selectors.user_get_for_user(user=request.user, pk=pk)
    refusal = policy.account_edit_refusal(request.user, account)
    existing = [
        GrantRow(role=g.role, scope=_scope_value(g))
        for g in account.grants.select_related("zone", "org")
    ]
    if request.method == "GET":
        form = AccountForm(
            values={"name": account.name, "email": account.email, "is_active": account.is_active},
            rows=_with_blank_rows(existing),
        )
        return _render_edit(request, account, form, refusal)

    post = request.POST
    # A field the request leaves out stays as it is (None to the service):
    # a partial post must never switch an account off or strip its roles.
    sent = {key: post[key].strip() for key in ("name", "email", "is_active") if key in post}
    form = AccountForm(
        values={
            "name": sent.get("name", account.name),
            "email": sent.get("email", account.email),
            "is_active": sent.get("is_active", "1" if account.is_active else "0") == "1",
        },
        rows=_rows_from_post(post) if "grant_role" in post else existing,
    )
    if "_add_row" in post:
        form.rows = _with_blank_rows(form.rows, 1)
        return _render_edit(request, account, form, refusal)
    specs, where = _specs(form)
    if not any(r.error for r in form.rows):
        try:
            services.user_update(
                actor=request.user,
                user=account,
                name=sent.get("name"),
                email=sent.get("email"),
                password=post.get("password") or None,
                is_active=form.values["is_active"] if "is_active" in sent else None,
                grants=specs if "grant_role" in post else None,
            )
        except AppError as exc:

            def redisplay(error: AppError):
                _apply_error(form, error, where)
                return _render_edit(request, account, form, refusal)

            return error_response(request, exc, redisplay)
        messages.success(request, _("已保存"))
        return redirect("orgs:user_edit", pk=account.pk)
    return _render_edit(request, account, form, refusal)


@login_required
@require_POST
def user_unlock(request, pk: int):
    """The 解除锁定 button: lifts the account's sign-in locks at every address."""
    _require_accounts(request)
    account = selectors.user_get_for_user(user=request.user, pk=pk)
    services.user_update(actor=request.user, user=account, unlock=True)
    messages.success(request, _("已解除登录锁定"))
    return redirect("orgs:user_edit", pk=account.pk)


def _render_edit(request, account: User, form: AccountForm, refusal: str):
    return _render_form(
        request,
        "orgs/users_edit.html",
        form,
        account.zone,
        account=account,
        refusal=refusal,
        locks=list(selectors.login_locks_for(user=account)),
        timeline=timeline(account, request.user, newest_first=True, limit=50),
    )
