"""Pages of 为民实事: the list with lights and progress bars, a project's page
with its progress notes and evidence, the create and edit forms."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from shiji.core.downloads import stored_file_response
from shiji.core.errors import AppError, NotFound
from shiji.core.lights import Light
from shiji.core.pages import error_response
from shiji.orgs import policy
from shiji.orgs.models import Zone
from shiji.orgs.selectors import org_options, people_visible_to
from shiji.outreach.models import PracticalProject, ProjectStatus
from shiji.outreach.selectors import projects as selectors
from shiji.outreach.services import projects as services
from shiji.outreach.views.enterprises import (
    PAGE_SIZE,
    _form_errors,
    _list_context,
    _setup,
    _writable_zones,
    _zone,
)

LIST_PARAMS = ("zone", "org", "status", "light", "q")
STATUS_BADGES: dict[str, str] = {
    ProjectStatus.PLANNED: "bg-secondary-lt",
    ProjectStatus.IN_PROGRESS: "bg-blue-lt",
    ProjectStatus.DONE: "bg-green-lt",
}


def _badge(project: PracticalProject) -> PracticalProject:
    project.status_badge = STATUS_BADGES.get(project.status, "bg-secondary-lt")  # type: ignore[attr-defined]
    return project


@login_required
@require_GET
def project_list(request: HttpRequest) -> HttpResponse:
    _setup(request, "projects")
    context = _list_context(request, LIST_PARAMS)
    visible = selectors.projects_visible_to(user=request.user)
    rows = selectors.project_filter(visible, context["params"], user=request.user)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    for p in page.object_list:
        _badge(p)
    scope = visible.filter(zone=context["zone"]) if context["zone"] else visible
    counted = dict.fromkeys(Light.values, 0)
    counted.update(
        {
            r["light"]: r["n"]
            for r in scope.order_by().values("light").annotate(n=Count("pk"))  # type: ignore[misc]
        }
    )
    context.update(
        page=page,
        orgs=org_options(user=request.user, zone=context["zone"]),
        statuses=ProjectStatus.choices,
        lights=Light.choices,
        counts=[(code, label, counted[code]) for code, label in Light.choices],
        can_create=policy.can(request.user, "project.manage"),
    )
    return render(request, "outreach/project_list.html", context)


def _project_page(
    request: HttpRequest,
    project: PracticalProject,
    *,
    error: AppError | None = None,
) -> HttpResponse:
    _setup(request, "projects")
    context: dict[str, Any] = {
        "p": _badge(project),
        "notes": selectors.progress_of(project),
        "can_edit": policy.can(request.user, "project.manage", project),
        "can_progress": policy.can(request.user, "project.progress", project),
        "values": request.POST if error else {},
    }
    context.update(_form_errors(error))
    return render(request, "outreach/project_detail.html", context)


@login_required
@require_GET
def project_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _project_page(request, selectors.project_get_for_user(user=request.user, pk=pk))


@login_required
@require_POST
def project_progress(request: HttpRequest, pk: int) -> HttpResponse:
    project = selectors.project_get_for_user(user=request.user, pk=pk)
    try:
        note = services.project_progress_add(
            actor=request.user,
            project=project,
            text=request.POST.get("text", ""),
            percent=request.POST.get("percent", ""),
            reason=request.POST.get("reason", ""),
            file=request.FILES.get("file"),
        )
    except AppError as exc:
        return error_response(
            request,
            exc,
            lambda e: _project_page(
                request, selectors.project_get_for_user(user=request.user, pk=pk), error=e
            ),
        )
    messages.success(request, _("已记录进展（%(n)d%%）") % {"n": note.percent})
    return redirect(reverse("outreach:project_detail", args=[project.pk]) + "#sj-progress")


@login_required
@require_GET
def project_file(request: HttpRequest, pk: int, note_id: int) -> FileResponse:
    project = selectors.project_get_for_user(user=request.user, pk=pk)
    note = project.progress.filter(pk=note_id).exclude(file="").first()
    if note is None:
        raise NotFound(_("文件不存在"))
    return stored_file_response(
        request, note.file, filename=note.name, kind=note.kind, missing_message=_("文件不存在")
    )


def _input(request: HttpRequest) -> dict[str, Any]:
    post = request.POST
    values: dict[str, Any] = {k: post.get(k, "") for k in ("title", "org", "leader", "target",
                                                           "deadline")}  # fmt: skip
    values["public"] = post.get("public") == "on"
    return values


def _form(
    request: HttpRequest,
    *,
    zone: Zone,
    zones: list[Zone],
    values: Any,
    error: AppError | None,
    project: PracticalProject | None = None,
) -> HttpResponse:
    _setup(request, "projects")
    context = {
        "zone": zone,
        "zones": zones,
        "values": values,
        "p": project,
        "orgs": org_options(user=request.user, zone=zone, action="project.manage"),
        "people": list(
            people_visible_to(user=request.user)
            .filter(zone=zone, is_active=True)
            .select_related("org")
            .order_by("org__path", "name")[:500]
        ),
        "today": timezone.localdate().isoformat(),
    }
    context.update(_form_errors(error))
    return render(request, "outreach/project_form.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def project_create(request: HttpRequest) -> HttpResponse:
    zones = _writable_zones(request, "project.manage", _("您没有新增为民实事的权限"))
    zone = _zone(request, zones) or zones[0]
    if request.method == "POST":
        try:
            made = services.project_create(actor=request.user, zone=zone, **_input(request))
        except AppError as exc:
            return error_response(
                request,
                exc,
                lambda e: _form(request, zone=zone, zones=zones, values=request.POST, error=e),
            )
        messages.success(request, _("已新增为民实事“%(t)s”") % {"t": made.title})
        return redirect("outreach:project_detail", pk=made.pk)
    return _form(request, zone=zone, zones=zones, values={"public": "on"}, error=None)


@login_required
@require_http_methods(["GET", "POST"])
def project_edit(request: HttpRequest, pk: int) -> HttpResponse:
    project = selectors.project_get_for_user(user=request.user, pk=pk)
    if not policy.can(request.user, "project.manage", project):
        raise PermissionDenied(_("您没有修改此为民实事的权限"))

    def page(values: Any, error: AppError | None) -> HttpResponse:
        return _form(
            request, zone=project.zone, zones=[project.zone], values=values, error=error,
            project=project,
        )  # fmt: skip

    if request.method == "POST":
        try:
            services.project_update(actor=request.user, project=project, **_input(request))
        except AppError as exc:
            return error_response(request, exc, lambda e: page(request.POST, e))
        messages.success(request, _("已保存修改"))
        return redirect("outreach:project_detail", pk=project.pk)
    return page(
        {
            "title": project.title,
            "org": str(project.org_id),
            "leader": str(project.leader_id or ""),
            "target": project.target,
            "deadline": project.deadline.isoformat(),
            "public": "on" if project.public else "",
        },
        None,
    )
