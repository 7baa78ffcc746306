"""Pages for the saved attendee groups (常用参会名单): the list, the create
and edit form with the roster to tick, and stopping or restarting a group.

Those who may record study sessions for an org (``study.manage``) define its
groups; a group's members come from its org's subtree. Reads and writes go
through ``study.selectors`` and ``study.services`` like every study page.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from shiji.core.errors import AppError, Forbidden, NotFound
from shiji.core.pages import error_response
from shiji.core.validation import parse_id
from shiji.orgs import policy
from shiji.orgs.models import Organization
from shiji.orgs.selectors import orgs_visible_to
from shiji.study import selectors, services
from shiji.study.models import AttendeeGroup
from shiji.study.views.common import chosen_org, manageable_orgs, org_select


def _group(request: HttpRequest, pk: Any, action: str = "study.manage") -> AttendeeGroup:
    # Out of the user's subtree looks the same as missing: 404.
    return selectors.group_get_for_user(user=request.user, pk=pk, action=action)


@login_required
@require_GET
def group_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not policy.can(user, "study.manage"):
        raise Forbidden(_("您没有管理参会名单的权限"))
    groups = selectors.groups_visible_to(user=user, action="study.manage")
    org = None
    if request.GET.get("org"):
        org = (
            orgs_visible_to(user=user, action="study.manage")
            .filter(pk=parse_id(request.GET["org"]))
            .first()
        )
        if org is None:
            raise NotFound(_("组织不存在"))
        groups = groups.filter(zone_id=org.zone_id, org__path__startswith=org.path)
    groups = list(
        selectors.with_member_counts(groups.order_by("zone__code", "-is_active", "org__path"))
    )
    context = {"groups": groups, "org": org, "show_zone": len({g.zone_id for g in groups}) > 1}
    return render(request, "study/groups.html", context)


def _members_input(request: HttpRequest) -> list[int]:
    return [parse_id(v) for v in request.POST.getlist("members")]


@login_required
@require_http_methods(["GET", "POST"])
def group_create(request: HttpRequest) -> HttpResponse:
    orgs = manageable_orgs(request.user)
    if not orgs:
        raise Forbidden(_("您没有管理参会名单的权限"))
    source = request.POST if request.method == "POST" else request.GET
    org = chosen_org(orgs, source.get("org"))
    chosen = set(_members_input(request)) if request.method == "POST" else set()
    if request.method == "POST" and request.POST.get("do", "save") == "save":
        try:
            group = services.group_create(
                actor=request.user,
                org=org,
                name=request.POST.get("name", ""),
                members=_members_input(request),
            )
        except AppError as exc:
            return error_response(
                request,
                exc,
                lambda e: _render_form(request, org=org, chosen=chosen, error=e),
            )
        messages.success(
            request,
            _("已保存参会名单“%(name)s”：%(n)d 人")
            % {"name": group.name, "n": group.members.count()},
        )
        return redirect("study:groups")
    return _render_form(request, org=org, chosen=chosen, error=None)


@login_required
@require_http_methods(["GET", "POST"])
def group_edit(request: HttpRequest, pk: int) -> HttpResponse:
    group = _group(request, pk)

    def page(chosen: set[int], error: AppError | None) -> HttpResponse:
        return _render_form(request, org=group.org, chosen=chosen, error=error, group=group)

    if request.method == "POST":
        chosen = set(_members_input(request))
        try:
            services.group_update(
                actor=request.user,
                group=group,
                name=request.POST.get("name", ""),
                members=_members_input(request),
            )
        except AppError as exc:
            return error_response(request, exc, lambda e: page(chosen, e))
        messages.success(request, _("已保存参会名单“%(name)s”") % {"name": group.name})
        return redirect("study:groups")
    return page(set(group.members.values_list("pk", flat=True)), None)


def _render_form(
    request: HttpRequest,
    *,
    org: Organization,
    chosen: set[int],
    error: AppError | None,
    group: AttendeeGroup | None = None,
) -> HttpResponse:
    people = list(selectors.roster_of(org))
    if group is not None:
        # Members who have left since still show, so saving can drop them.
        shown = {p.pk for p in people}
        people += [p for p in group.members.select_related("org") if p.pk not in shown]
    for person in people:
        person.chosen = person.pk in chosen
    default = group.name if group else ""
    name = request.POST.get("name", "") if request.method == "POST" else default
    context = {
        "group": group,
        "org": org,
        "org_options": org_select(request.user, org, movable=group is None),
        "name": name,
        "people": people,
        "chosen_count": sum(1 for p in people if p.chosen),
        "error": error,
        "field_errors": error.fields if error else {},
    }
    return render(request, "study/group_form.html", context)


@login_required
@require_POST
def group_deactivate(request: HttpRequest, pk: int) -> HttpResponse:
    return _set_active(request, pk, active=False)


@login_required
@require_POST
def group_reactivate(request: HttpRequest, pk: int) -> HttpResponse:
    return _set_active(request, pk, active=True)


def _set_active(request: HttpRequest, pk: int, *, active: bool) -> HttpResponse:
    group = _group(request, pk)
    try:
        services.group_set_active(actor=request.user, group=group, active=active)
    except AppError as exc:
        return error_response(request, exc)
    text = _("已启用参会名单“%(name)s”") if active else _("已停用参会名单“%(name)s”")
    messages.success(request, text % {"name": group.name})
    return redirect("study:groups")
