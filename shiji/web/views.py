from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from shiji.core.client import client_address
from shiji.core.errors import AppError, invalid
from shiji.core.pages import error_response
from shiji.ledger.selectors import problem_objects_page
from shiji.orgs import policy, services
from shiji.orgs.selectors import zones_visible_to
from shiji.web import summaries, todo, zones
from shiji.web.dashboard import home_panels

if TYPE_CHECKING:
    from django_stubs_ext import StrPromise

TODO_LIMIT = 50


@require_http_methods(["GET", "POST"])
def login_view(request):
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}):
        next_url = ""
    username = request.POST.get("username", "") if request.method == "POST" else ""

    def page(error: str | StrPromise = "") -> HttpResponse:
        return render(
            request,
            "registration/login.html",
            {
                "error": error,
                "username": username[:150],
                "next": next_url,
                "max_failures": settings.LOGIN_MAX_FAILURES,
                "lockout_minutes": settings.LOGIN_LOCKOUT_MINUTES,
            },
        )

    if request.method == "POST":
        try:
            user = services.authenticate_with_lockout(
                username=username,
                password=request.POST.get("password", ""),
                client=client_address(request),
                request=request,
            )
        except AppError as exc:
            # A wrong password is Invalid (422), a lockout LockedOut (429),
            # the statuses the token endpoint gives.
            return error_response(request, exc, lambda e: page(e.message))
        login(request, user)
        return redirect(next_url or "home")
    return page()


@login_required
@require_http_methods(["GET", "POST"])
def password_change_view(request):
    def page(errors: Mapping[str, str | StrPromise]) -> HttpResponse:
        return render(request, "registration/password_change.html", {"errors": errors})

    if request.method == "POST":
        try:
            if request.POST.get("new_password") != request.POST.get("new_password2"):
                raise invalid(new_password2=_("两次输入的新密码不一致"))
            services.password_change(
                user=request.user,
                old_password=request.POST.get("old_password", ""),
                new_password=request.POST.get("new_password", ""),
                client=client_address(request),
            )
        except AppError as exc:
            return error_response(request, exc, lambda e: page(e.fields or {"general": e.message}))
        # Every other session ended with the old password; keep this one.
        update_session_auth_hash(request, request.user)
        messages.success(request, _("密码已修改"))
        return redirect("home")
    return page({})


@login_required
@require_GET
def home(request):
    user = request.user
    visible = list(zones_visible_to(user=user))
    # Read before any figure is counted (see web/summaries.py).
    at = summaries.versions()
    if zones.compares_zones(user, visible):
        # 上级 (national / provincial viewers) compare their zones rather than
        # read one zone's panels.
        return render(
            request,
            "web/home_zones.html",
            {"zones": visible, "rows": zones.table_rows(zones.zone_figures(zones=visible, at=at))},
        )
    groups = todo.groups_for(user)

    def count() -> dict[str, Any]:
        return {"todo": todo.count_by_key(user, groups), "panels": home_panels(request)}

    figures = summaries.over_zones(_home_key(user), _zones_behind(user, visible), count, at=at)
    counts = figures["todo"]
    return render(
        request,
        "web/home.html",
        {
            "zone_links": zones.zone_links(visible),
            "todo": [{"key": g.key, "title": g.title, "count": counts[g.key]} for g in groups],
            "panels": figures["panels"],
        },
    )


def _home_key(user) -> str:
    """Whose home figures: the user and the grants they were counted with."""
    grants = sorted(
        (g.role, g.province, g.zone_id or 0, g.org_id or 0) for g in policy.grants_of(user)
    )
    digest = hashlib.blake2b(repr(grants).encode(), digest_size=8).hexdigest()
    return f"home:{user.pk}:{digest}"


def _zones_behind(user, visible: list) -> set[int]:
    """The zones whose writes can change a user's home figures: those in
    their scope, and those whose feedback settings name them."""
    from shiji.outreach import access

    return {z.pk for z in visible} | access.named_zone_ids(user)


@login_required
@require_GET
def todo_list(request):
    """我的待办: every group of work waiting for this user, or one group
    (``?group=``) when the home page's count was followed."""
    user = request.user
    groups = todo.groups_for(user)
    chosen = request.GET.get("group", "")
    if chosen not in {g.key for g in groups}:
        chosen = ""
    sections = []
    for group in groups:
        if chosen and group.key != chosen:
            continue
        qs = group.rows(user)
        shown = group.decorate(qs) if group.decorate else qs
        if group.kind == todo.PROBLEM:
            # A deferred join, as the ledger's lists: the ids from the problem
            # table, then those rows. Sorting the joined rows, with each one's
            # evidence-reuse subquery, took 245 ms for a system admin's
            # submitted problems of every zone at 100k.
            rows = problem_objects_page(shown, 0, TODO_LIMIT)
            for p in rows:
                _decorate_problem(p)
        else:
            rows = list(shown[:TODO_LIMIT])
        total = len(rows) if len(rows) < TODO_LIMIT else qs.count()
        sections.append(
            {
                "key": group.key,
                "kind": group.kind,
                "title": group.title,
                "empty": group.empty,
                "rows": rows,
                "total": total,
            }
        )
    # Work first; the groups with nothing waiting below it.
    sections.sort(key=lambda s: s["total"] == 0)
    chips = []
    if chosen:
        chips.append({"label": todo.BY_KEY[chosen].title, "remove": request.path})
    return render(
        request,
        "web/todo.html",
        {
            "sections": sections,
            "limit": TODO_LIMIT,
            "chosen": chosen,
            "chips": chips,
            "groups": groups,
            "nothing": not any(s["total"] for s in sections) and not chosen,
            "no_roles_hint": _("您的角色没有需要办理的事项。") if not groups else "",
        },
    )


def _decorate_problem(problem):
    from shiji.ledger.views import _decorate

    _decorate(problem)
    # Why it came back: the verifier's note, or the list review's.
    problem.sent_back_reason = getattr(problem, "last_note", "") or problem.review_note
    return problem
