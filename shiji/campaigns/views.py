"""Campaign settings (学习教育设置) and the task list (任务清单) pages.

Views stay thin: read through ``selectors`` (another zone's record is a
404), call one service, render or redirect. Field errors show next to their
inputs; list pages answer htmx with their fragment and vary on HX-Request.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from shiji.audit.timeline import timeline
from shiji.campaigns import excel, selectors, services, workflow
from shiji.campaigns.models import AssignmentStatus, Campaign, WorkArrangement
from shiji.core.downloads import export_filename, export_response, stored_file_response
from shiji.core.errors import AppError, NotFound
from shiji.core.htmx import vary_on_htmx, wants_fragment
from shiji.core.lights import Light
from shiji.core.pages import error_response
from shiji.core.validation import parse_id
from shiji.orgs import policy
from shiji.orgs.models import Sector
from shiji.orgs.selectors import zone_get_for_user, zones_visible_to

PAGE_SIZE = 50
TASK_PARAMS = ("zone", "arrangement", "sector", "q")
STATUS_BADGES = {
    AssignmentStatus.PENDING: "bg-secondary-lt",
    AssignmentStatus.REPORTED: "bg-orange-lt",
    AssignmentStatus.ACCEPTED: "bg-green-lt",
    AssignmentStatus.RETURNED: "bg-red-lt",
}


def _zone(request: HttpRequest, zones: list) -> Any:
    """The zone the page is about: the only one, or the one asked for."""
    if not zones:
        return None
    if len(zones) == 1:
        return zones[0]
    wanted = parse_id(request.GET.get("zone") or request.POST.get("zone"))
    return next((z for z in zones if z.pk == wanted), zones[0])


# Campaign settings ---------------------------------------------------------------


@login_required
@require_GET
def settings_page(request: HttpRequest) -> HttpResponse:
    return _render_settings(request)


def _render_settings(
    request: HttpRequest, *, error: AppError | None = None, form: str = ""
) -> HttpResponse:
    user = request.user
    zones = list(zones_visible_to(user=user))
    zone = _zone(request, zones)
    adoptions = list(selectors.adoptions_for(user=user, zone=zone)) if zone else []
    fields = error.fields if error else {}
    for adoption in adoptions:
        adoption.category_rows = list(
            selectors.categories_for(zone=zone, campaign=adoption.campaign)
        )
        adoption.meetings = list(selectors.deployment_meetings(user=user, adoption=adoption))
        # Each form on the page shows only its own field errors.
        adoption.add_errors = fields if form == f"category_add:{adoption.pk}" else {}
        # The category table is one form: each row shows its own errors and,
        # after a refusal, what was typed (nothing of it was saved).
        mine = form == f"categories:{adoption.pk}"
        for category in adoption.category_rows:
            category.errors = (
                {k.rsplit("-", 1)[0]: v for k, v in fields.items() if k.endswith(f"-{category.pk}")}
                if mine
                else {}
            )
            if mine:
                post = request.POST
                category.name = post.get(f"name-{category.pk}", category.name)
                category.description = post.get(f"description-{category.pk}", "")
                category.is_active = post.get(f"active-{category.pk}") == "on"
                category.is_placeholder = post.get(f"placeholder-{category.pk}") == "on"
        adoption.task_count = adoption.campaign.tasks.filter(zone=zone).count()
        adoption.template_count = adoption.campaign.task_templates.count()
    context = {
        "zones": zones,
        "zone": zone,
        "adoptions": adoptions,
        "available": list(selectors.campaigns_available(zone=zone)) if zone else [],
        "can_adopt": bool(zone) and policy.can(user, "campaign.adopt", zone),
        "can_categories": bool(zone) and policy.can(user, "category.manage", zone),
        "can_tasks": bool(zone) and policy.can(user, "task.manage", zone),
        "can_study": bool(zone) and policy.can(user, "study.manage", zone),
        "error": error,
        "form": form,
        "field_errors": fields,
        "posted": request.POST if error else {},
    }
    return render(request, "campaigns/settings.html", context)


def _settings_url(zone: Any) -> str:
    return f"{reverse('campaigns:settings')}?zone={zone.pk}"


def _post_action(request: HttpRequest, form: str, call) -> HttpResponse:
    try:
        done, zone = call()
    except AppError as exc:
        return error_response(request, exc, lambda e: _render_settings(request, error=e, form=form))
    messages.success(request, done)
    return redirect(_settings_url(zone))


@login_required
@require_POST
def adopt(request: HttpRequest) -> HttpResponse:
    def call():
        zone = zone_get_for_user(user=request.user, pk=request.POST.get("zone"))
        campaign = Campaign.objects.filter(pk=parse_id(request.POST.get("campaign"))).first()
        if campaign is None:
            raise NotFound(gettext("学习教育不存在"))
        services.zone_adopt_campaign(actor=request.user, zone=zone, campaign=campaign)
        return _("已启用“%(name)s”，请在学习研讨中记录部署会议") % {"name": campaign.name}, zone

    return _post_action(request, "adopt", call)


@login_required
@require_POST
def list_review(request: HttpRequest, pk: int) -> HttpResponse:
    adoption = selectors.adoption_get_for_user(user=request.user, pk=pk)

    def call():
        required = request.POST.get("requires_list_review") == "on"
        services.zone_campaign_set_list_review(
            actor=request.user, adoption=adoption, required=required
        )
        if required:
            return _("已设置：问题清单审核通过后方可开始整改"), adoption.zone
        return _("已设置：问题清单无须审核即可开始整改"), adoption.zone

    return _post_action(request, f"list_review:{adoption.pk}", call)


@login_required
@require_POST
def category_add(request: HttpRequest, pk: int) -> HttpResponse:
    adoption = selectors.adoption_get_for_user(user=request.user, pk=pk)

    def call():
        category = services.category_create(
            actor=request.user,
            zone=adoption.zone,
            campaign=adoption.campaign,
            name=request.POST.get("name", ""),
            description=request.POST.get("description", ""),
        )
        return _("已新增问题类别“%(name)s”") % {"name": category.name}, adoption.zone

    return _post_action(request, f"category_add:{adoption.pk}", call)


@login_required
@require_POST
def categories_save(request: HttpRequest, pk: int) -> HttpResponse:
    """The category table of one adoption, saved in one go (all or nothing)."""
    adoption = selectors.adoption_get_for_user(user=request.user, pk=pk)

    def call():
        post = request.POST
        rows = [
            services.CategoryEdit(
                pk=row,
                name=post.get(f"name-{row}", ""),
                description=post.get(f"description-{row}", ""),
                is_active=post.get(f"active-{row}") == "on",
                is_placeholder=post.get(f"placeholder-{row}") == "on",
            )
            for row in post.getlist("row")
        ]
        changed = services.categories_update(
            actor=request.user, zone=adoption.zone, campaign=adoption.campaign, rows=rows
        )
        if not changed:
            return _("问题类别没有改动"), adoption.zone
        return _("已保存 %(n)d 个问题类别") % {"n": changed}, adoption.zone

    return _post_action(request, f"categories:{adoption.pk}", call)


@login_required
@require_http_methods(["GET", "POST"])
def tasks_adopt(request: HttpRequest, pk: int) -> HttpResponse:
    """Generating the task list asks first: GET shows what will be added and
    to whom, the POST of that page generates."""
    adoption = selectors.adoption_get_for_user(user=request.user, pk=pk)
    if request.method == "GET":
        try:
            policy.require(request.user, "task.manage", adoption.zone)
        except AppError as exc:
            return error_response(request, exc)
        sectors = dict(Sector.choices)
        templates = list(selectors.templates_to_adopt(adoption=adoption))
        for template in templates:
            template.sector_names = [sectors.get(s, s) for s in template.sectors]
        return render(
            request,
            "campaigns/tasks_adopt_confirm.html",
            {
                "adoption": adoption,
                "zone": adoption.zone,
                "templates": templates,
                "settings_url": _settings_url(adoption.zone),
            },
        )

    def call():
        result = services.tasks_adopt_templates(
            actor=request.user, zone=adoption.zone, campaign=adoption.campaign
        )
        return _("已从任务模板生成 %(t)d 项任务，分派 %(a)d 个单位次") % {
            "t": result.tasks,
            "a": result.assignments,
        }, adoption.zone

    return _post_action(request, f"tasks:{adoption.pk}", call)


# Task list -----------------------------------------------------------------------


def _task_zone_context(request: HttpRequest) -> tuple[list, Any]:
    zones = list(zones_visible_to(user=request.user))
    return zones, _zone(request, zones)


@login_required
@require_GET
def task_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    params = {key: request.GET.get(key, "").strip() for key in TASK_PARAMS}
    zones, zone = _task_zone_context(request)
    if zone:
        params["zone"] = str(zone.pk)
    rows = selectors.with_progress(
        selectors.task_filter(selectors.tasks_visible_to(user=user), params), user=user
    )
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    arrangements = (
        list(
            WorkArrangement.objects.filter(campaign__adoptions__zone=zone).order_by(
                "campaign", "order"
            )
        )
        if zone
        else []
    )
    filtered = any(params[k] for k in TASK_PARAMS if k != "zone")
    context = {
        "page": page,
        "params": params,
        "zones": zones,
        "zone": zone,
        "arrangements": arrangements,
        "sectors": Sector.choices,
        "filtered": filtered,
        "can_manage": bool(zone) and policy.can(user, "task.manage", zone),
        "can_export": policy.can(user, "task.export"),
        "today": timezone.localdate(),
    }
    template = (
        "campaigns/_task_list_body.html" if wants_fragment(request) else "campaigns/tasks.html"
    )
    return vary_on_htmx(render(request, template, context))


@login_required
@require_http_methods(["GET", "POST"])
def task_create(request: HttpRequest) -> HttpResponse:
    user = request.user
    zone_ids = policy.zone_ids_for(user, "task.manage")
    zones = [z for z in zones_visible_to(user=user) if zone_ids is None or z.pk in zone_ids]
    if not zones:
        raise PermissionDenied(_("您没有新增任务的权限"))
    zone = _zone(request, zones)
    adoptions = list(selectors.adoptions_for(user=user, zone=zone))
    arrangements = [a for ad in adoptions for a in ad.campaign.arrangements.all()]

    def page(error: AppError | None) -> HttpResponse:
        posted = request.method == "POST"
        context = {
            "zone": zone,
            "zones": zones,
            "arrangements": arrangements,
            "sectors": Sector.choices,
            "values": request.POST if posted else {},
            "chosen_sectors": request.POST.getlist("sectors") if posted else [],
            "error": error,
            "field_errors": error.fields if error else {},
        }
        return render(request, "campaigns/task_form.html", context)

    if request.method == "POST":
        post = request.POST
        try:
            task = services.task_create(
                actor=user,
                zone=zone,
                arrangement=post.get("arrangement"),
                title=post.get("title", ""),
                description=post.get("description", ""),
                deadline=post.get("deadline", ""),
                sectors=post.getlist("sectors"),
            )
        except AppError as exc:
            return error_response(request, exc, page)
        n = task.assignments.count()
        messages.success(request, _("已新增任务，分派给 %(n)d 个单位") % {"n": n})
        return redirect("campaigns:task_detail", pk=task.pk)
    return page(None)


@login_required
@require_POST
def tasks_assign(request: HttpRequest) -> HttpResponse:
    zone = zone_get_for_user(user=request.user, pk=request.POST.get("zone"))
    try:
        made = services.tasks_assign_missing(actor=request.user, zone=zone)
    except AppError as exc:
        return error_response(request, exc)
    if made:
        messages.success(request, _("补充分派完成：新增 %(n)d 个单位次") % {"n": made})
    else:
        messages.info(request, _("所有符合条件的单位均已分派，无需补充"))
    return redirect(f"{reverse('campaigns:tasks')}?zone={zone.pk}")


@login_required
@require_GET
def task_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    task = selectors.task_get_for_user(user=user, pk=pk)
    assignments = list(
        selectors.assignments_visible_to(user=user).filter(task=task).order_by("org__path")
    )
    for a in assignments:
        a.status_badge = STATUS_BADGES.get(a.status, "bg-secondary-lt")
    done = sum(1 for a in assignments if a.status == AssignmentStatus.ACCEPTED)
    return render(
        request,
        "campaigns/task_detail.html",
        {"task": task, "assignments": assignments, "done": done},
    )


# Assignments ---------------------------------------------------------------------


@login_required
@require_GET
def assignment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    assignment = selectors.assignment_get_for_user(user=request.user, pk=pk)
    return _render_assignment(request, assignment)


def _render_assignment(
    request: HttpRequest,
    assignment: Any,
    *,
    error: AppError | None = None,
    form: str = "",
    flash: str = "",
) -> HttpResponse:
    assignment.status_badge = STATUS_BADGES.get(assignment.status, "bg-secondary-lt")
    moves = selectors.available_moves(user=request.user, assignment=assignment)
    context = {
        "a": assignment,
        "task": assignment.task,
        "moves": {m.action: m for m in moves},
        # The reason shows while the report is owed again, not after it is redone.
        "sent_back": bool(assignment.return_reason)
        and assignment.status == AssignmentStatus.RETURNED,
        "evidence": list(assignment.evidence.select_related("uploaded_by")),
        "timeline": timeline(assignment, request.user),
        "error": error,
        "form": form,
        "field_errors": error.fields if error else {},
        "posted": request.POST if error else {},
        "flash": flash,
    }
    template = (
        "campaigns/_assignment_body.html"
        if wants_fragment(request)
        else "campaigns/assignment.html"
    )
    return vary_on_htmx(render(request, template, context))


@login_required
@require_POST
def assignment_move(request: HttpRequest, pk: int) -> HttpResponse:
    assignment = selectors.assignment_get_for_user(user=request.user, pk=pk)
    action = request.POST.get("action", "")
    try:
        services.assignment_transition(
            actor=request.user,
            assignment=assignment,
            action=action,
            note=request.POST.get("note", ""),
            files=request.FILES.getlist("files"),
        )
    except AppError as exc:
        return error_response(
            request,
            exc,
            lambda e: _render_assignment(
                request,
                selectors.assignment_get_for_user(user=request.user, pk=pk),
                error=e,
                form=action,
            ),
        )
    done = _("已%(label)s") % {"label": workflow.MOVES[action].label}
    if wants_fragment(request):
        fresh = selectors.assignment_get_for_user(user=request.user, pk=pk)
        return _render_assignment(request, fresh, flash=done)
    messages.success(request, done)
    # Back where the user acted, not at the top of the page.
    return redirect(reverse("campaigns:assignment", args=[assignment.pk]) + "#sj-actions")


@login_required
@require_GET
def evidence_download(request: HttpRequest, pk: int, evidence_id: int) -> FileResponse:
    assignment = selectors.assignment_get_for_user(user=request.user, pk=pk)
    item = assignment.evidence.filter(pk=evidence_id).first()
    if item is None:
        raise Http404(_("凭证不存在"))
    return stored_file_response(
        request,
        item.file,
        filename=item.original_name,
        kind=item.content_kind,
        missing_message=_("凭证文件不存在"),
    )


# Matrix and export ---------------------------------------------------------------


@login_required
@require_GET
def matrix(request: HttpRequest) -> HttpResponse:
    zones, zone = _task_zone_context(request)
    params = {"arrangement": request.GET.get("arrangement", "").strip()}
    grid = selectors.task_matrix(user=request.user, zone=zone, params=params) if zone else None
    arrangements = (
        list(WorkArrangement.objects.filter(campaign__adoptions__zone=zone).order_by("order"))
        if zone
        else []
    )
    context = {
        "zones": zones,
        "zone": zone,
        "grid": grid,
        "columns": list(zip(grid.tasks, grid.done, grid.totals, strict=True)) if grid else [],
        "params": params,
        "arrangements": arrangements,
        "lights": Light,
        "can_export": bool(grid) and policy.can(request.user, "task.export"),
    }
    template = "campaigns/_matrix_body.html" if wants_fragment(request) else "campaigns/matrix.html"
    return vary_on_htmx(render(request, template, context))


def _export_zone(request: HttpRequest) -> Any:
    """The zone an export is about: the one the page shows (a zone asked for
    but out of sight is 404, as everywhere)."""
    if request.GET.get("zone", "").strip():
        zone_get_for_user(user=request.user, pk=request.GET["zone"].strip())
    return _task_zone_context(request)[1]


@login_required
@require_GET
def tasks_export(request: HttpRequest) -> FileResponse:
    if not policy.can(request.user, "task.export"):
        raise PermissionDenied(_("您没有导出任务清单的权限"))
    zone = _export_zone(request)
    params = {
        k: request.GET[k].strip()
        for k in ("arrangement", "sector", "q")
        if request.GET.get(k, "").strip()
    }
    # What the page shows: its zone's tasks (none when the user sees no zone).
    params["zone"] = str(zone.pk) if zone else "0"
    return export_response(
        lambda out: excel.export_tasks(user=request.user, params=params, zone=zone, out=out),
        filename=export_filename(excel.TASK_SHEET, zone_name=zone.name if zone else None),
    )


@login_required
@require_GET
def matrix_export(request: HttpRequest) -> FileResponse:
    """The matrix page as a workbook: the zone and the filter the page shows."""
    if not policy.can(request.user, "task.export"):
        raise PermissionDenied(_("您没有导出任务清单的权限"))
    zone = _export_zone(request)
    if zone is None:
        raise Http404(_("没有可导出的高新区"))
    params = {"arrangement": request.GET.get("arrangement", "").strip()}
    return export_response(
        lambda out: excel.export_matrix(user=request.user, zone=zone, params=params, out=out),
        filename=export_filename(excel.MATRIX_SHEET, zone_name=zone.name),
    )


def home_panel(request: HttpRequest):
    """工作台: the zone's tasks past their deadline. What waits for this user
    (reports to make, reports to accept) is counted once, by the to-do
    registry (web/todo.py), in the home page's 我的待办."""
    user = request.user
    if not policy.can(user, "task.view"):
        return None
    red = (
        selectors.assignments_visible_to(user=user)
        .filter(status__in=workflow.OPEN, light=Light.RED)
        .count()
    )
    return ("campaigns/_home_panel.html", {"red": red})
