"""The rule-making register (建章立制) pages: the list with the problems that
still need a rule, a regulation's page (moves, linked problems, file), the
create and edit forms, and the Excel export. Thin views over the services."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from shiji.audit.timeline import timeline
from shiji.core.downloads import export_filename, export_response, stored_file_response
from shiji.core.errors import AppError
from shiji.core.htmx import vary_on_htmx, wants_fragment
from shiji.core.pages import error_response
from shiji.core.validation import parse_id
from shiji.ledger.selectors import problems_visible_to
from shiji.orgs import policy
from shiji.orgs.selectors import (
    export_zone,
    org_options,
    zone_get_for_user,
    zones_visible_to,
)
from shiji.regulations import excel, selectors, services, workflow
from shiji.regulations.models import Action, Regulation, Status

PAGE_SIZE = 50
LIST_PARAMS = ("zone", "org", "status", "action", "q", "issued_from", "issued_to")
STATUS_BADGES = {
    Status.DRAFT: "bg-secondary-lt",
    Status.REVIEW: "bg-orange-lt",
    Status.ISSUED: "bg-green-lt",
}
NEEDING_LIMIT = 50
# The layout's name for this area (shiji/web/context.py), which differs from the app's.
AREA = "regulations"


def _regulation(request: HttpRequest, pk: Any) -> Regulation:
    regulation = selectors.regulation_get_for_user(user=request.user, pk=pk)
    regulation.status_badge = STATUS_BADGES.get(regulation.status, "bg-secondary-lt")
    return regulation


def _zone(request: HttpRequest, zones: list) -> Any:
    if len(zones) == 1:
        return zones[0]
    wanted = parse_id(request.GET.get("zone") or request.POST.get("zone"))
    return next((z for z in zones if z.pk == wanted), None)


@login_required
@require_GET
def regulation_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    request.area = AREA
    params = {key: request.GET.get(key, "").strip() for key in LIST_PARAMS}
    zones = list(zones_visible_to(user=user))
    zone = _zone(request, zones)
    if zone:
        params["zone"] = str(zone.pk)
    rows = selectors.regulation_filter(
        selectors.regulations_visible_to(user=user), params, user=user
    )
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    for r in page.object_list:
        r.status_badge = STATUS_BADGES.get(r.status, "bg-secondary-lt")
    needing = selectors.problems_needing_rules(user=user, zone=zone)
    needing_rows = list(needing[:NEEDING_LIMIT])
    context = {
        "page": page,
        "params": params,
        "zones": zones,
        "zone": zone,
        "orgs": org_options(user=user, zone=zone),
        "statuses": Status.choices,
        "actions": Action.choices,
        "filtered": any(params[k] for k in LIST_PARAMS if k != "zone"),
        "needing": needing_rows,
        "needing_total": len(needing_rows)
        if len(needing_rows) < NEEDING_LIMIT
        else needing.count(),
        "can_create": policy.can(user, "regulation.edit"),
        "can_export": policy.can(user, "regulation.export"),
    }
    template = "regulations/_list_body.html" if wants_fragment(request) else "regulations/list.html"
    return vary_on_htmx(render(request, template, context))


@login_required
@require_GET
def regulation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_detail(request, _regulation(request, pk))


def _render_detail(
    request: HttpRequest, regulation: Regulation, *, error: AppError | None = None, form: str = ""
) -> HttpResponse:
    user = request.user
    request.area = AREA
    editable = policy.can(user, "regulation.edit", regulation)
    context = {
        "r": regulation,
        "moves": selectors.available_moves(user=user, regulation=regulation),
        "linked": selectors.linked_problems(user=user, regulation=regulation),
        "linkable": list(selectors.linkable_problems(user=user, regulation=regulation)[:200])
        if editable
        else [],
        "can_edit": editable and workflow.allows("edit", regulation),
        "can_link": editable and workflow.allows("link", regulation),
        "timeline": timeline(regulation, user),
        "error": error,
        "form": form,
        "field_errors": error.fields if error else {},
        "today": timezone.localdate().isoformat(),
    }
    return render(request, "regulations/detail.html", context)


def _act(request: HttpRequest, pk: int, form: str, call) -> HttpResponse:
    regulation = _regulation(request, pk)
    try:
        done = call(regulation)
    except AppError as exc:
        return error_response(
            request,
            exc,
            lambda e: _render_detail(request, _regulation(request, pk), error=e, form=form),
        )
    messages.success(request, done)
    # Back where the user acted (the message stays in view: shiji.css).
    anchor = "#sj-linked" if form in ("link", "unlink") else "#sj-actions"
    return redirect(reverse("regulations:detail", args=[regulation.pk]) + anchor)


@login_required
@require_POST
def regulation_transition(request: HttpRequest, pk: int) -> HttpResponse:
    action = request.POST.get("action", "")

    def call(regulation: Regulation) -> str:
        services.regulation_transition(
            actor=request.user,
            regulation=regulation,
            action=action,
            issued_on=request.POST.get("issued_on", ""),
            note=request.POST.get("note", ""),
        )
        move = workflow.MOVES[action]
        return _("已%(label)s") % {"label": move.label}

    return _act(request, pk, f"move:{action}", call)


@login_required
@require_POST
def regulation_link(request: HttpRequest, pk: int) -> HttpResponse:
    def call(regulation: Regulation) -> str:
        made = services.regulation_link_problems(
            actor=request.user, regulation=regulation, problems=request.POST.getlist("problems")
        )
        return _("已关联 %(n)d 个问题") % {"n": len(made)}

    return _act(request, pk, "link", call)


@login_required
@require_POST
def regulation_unlink(request: HttpRequest, pk: int, problem_id: int) -> HttpResponse:
    def call(regulation: Regulation) -> str:
        problem = regulation.problems.filter(pk=problem_id).first()
        services.regulation_unlink_problem(
            actor=request.user, regulation=regulation, problem=problem
        )
        return _("已取消关联")

    return _act(request, pk, "link", call)


@login_required
@require_POST
def regulation_file_upload(request: HttpRequest, pk: int) -> HttpResponse:
    def call(regulation: Regulation) -> str:
        services.regulation_attach_file(
            actor=request.user, regulation=regulation, file=request.FILES.get("file")
        )
        return _("已上传制度文件")

    return _act(request, pk, "file", call)


@login_required
@require_GET
def regulation_file(request: HttpRequest, pk: int) -> FileResponse:
    regulation = _regulation(request, pk)
    return stored_file_response(
        request,
        regulation.file,
        filename=regulation.file_name,
        kind=regulation.file_kind,
        missing_message=_("制度文件不存在"),
    )


# Create and edit -----------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def regulation_create(request: HttpRequest) -> HttpResponse:
    user = request.user
    zone_ids = policy.zone_ids_for(user, "regulation.edit")
    zones = [z for z in zones_visible_to(user=user) if zone_ids is None or z.pk in zone_ids]
    if not zones:
        raise PermissionDenied(_("您没有登记制度的权限"))
    zone = _zone(request, zones) or zones[0]
    if request.method == "POST":
        try:
            regulation = services.regulation_create(
                actor=user,
                zone=zone,
                problems=request.POST.getlist("problems"),
                file=request.FILES.get("file"),
                **_input(request),
            )
        except AppError as exc:
            return error_response(
                request,
                exc,
                lambda e: _render_form(
                    request, zone=zone, zones=zones, values=request.POST, error=e
                ),
            )
        messages.success(request, _("已登记制度“%(t)s”") % {"t": regulation.title})
        return redirect("regulations:detail", pk=regulation.pk)
    initial = {"problems": request.GET.getlist("problem")}
    return _render_form(request, zone=zone, zones=zones, values=initial, error=None)


@login_required
@require_http_methods(["GET", "POST"])
def regulation_edit(request: HttpRequest, pk: int) -> HttpResponse:
    regulation = _regulation(request, pk)
    if not policy.can(request.user, "regulation.edit", regulation):
        raise PermissionDenied(_("您没有修改此制度的权限"))
    if not workflow.allows("edit", regulation):
        messages.error(request, _("制度已印发，不能再修改"))
        return redirect("regulations:detail", pk=regulation.pk)

    def page(values: Any, error: AppError | None) -> HttpResponse:
        return _render_form(
            request, zone=regulation.zone, zones=[regulation.zone], values=values, error=error,
            regulation=regulation,
        )  # fmt: skip

    if request.method == "POST":
        try:
            services.regulation_update(actor=request.user, regulation=regulation, **_input(request))
        except AppError as exc:
            return error_response(request, exc, lambda e: page(request.POST, e))
        messages.success(request, _("已保存修改"))
        return redirect("regulations:detail", pk=regulation.pk)
    return page(
        {
            "org": str(regulation.org_id),
            "title": regulation.title,
            "doc_number": regulation.doc_number,
            "action": regulation.action,
            "summary": regulation.summary,
            "issued_on": regulation.issued_on.isoformat() if regulation.issued_on else "",
        },
        None,
    )


def _input(request: HttpRequest) -> dict[str, Any]:
    """The form's fields as the service takes them (the org by its id)."""
    post = request.POST
    return {
        "org": post.get("org", ""),
        "title": post.get("title", ""),
        "doc_number": post.get("doc_number", ""),
        "action": post.get("action", ""),
        "summary": post.get("summary", ""),
        "issued_on": post.get("issued_on", ""),
    }


def _render_form(
    request: HttpRequest,
    *,
    zone: Any,
    zones: list,
    values: Any,
    error: AppError | None,
    regulation: Regulation | None = None,
) -> HttpResponse:
    request.area = AREA
    problems = (
        []
        if regulation
        else list(
            problems_visible_to(user=request.user)
            .filter(zone=zone)
            .exclude(status="cancelled")
            .order_by("-needs_rule_change", "code")[:200]
        )
    )
    chosen = (
        values.getlist("problems") if hasattr(values, "getlist") else values.get("problems", [])
    )
    context = {
        "r": regulation,
        "zone": zone,
        "zones": zones,
        "values": values,
        "chosen": [str(c) for c in chosen],
        "problems": problems,
        "orgs": org_options(user=request.user, zone=zone, action="regulation.edit"),
        "actions": Action.choices,
        "error": error,
        "field_errors": error.fields if error else {},
        "today": timezone.localdate().isoformat(),
    }
    return render(request, "regulations/form.html", context)


@login_required
@require_GET
def regulation_export(request: HttpRequest) -> FileResponse:
    if not policy.can(request.user, "regulation.export"):
        raise PermissionDenied(_("您没有导出制度清单的权限"))
    params = {k: request.GET[k].strip() for k in LIST_PARAMS if request.GET.get(k, "").strip()}
    requested = None
    if params.get("zone"):
        requested = zone_get_for_user(user=request.user, pk=params["zone"])
    zone = export_zone(
        user=request.user,
        action="regulation.export",
        qs=excel.export_queryset(user=request.user, params=params),
        requested=requested,
    )
    return export_response(
        lambda out: excel.export_regulations(user=request.user, params=params, zone=zone, out=out),
        filename=export_filename(excel.WHAT, zone_name=zone.name if zone else None),
    )
