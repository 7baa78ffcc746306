"""The ledger's Excel pages: export (a download, or a job page for large
exports), import (upload → check → preview → confirm) and the job page that
shows the progress of long work (``ledger/tasks.py``).

The rules live elsewhere: what may be exported or imported in
``orgs/policy.py`` and the selectors, what a workbook must look like in
``ledger/excel.py``. Small work is done within the request so the pages work
without a background worker; the thresholds are in ``ledger/tasks.py``.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from shiji.core import staging
from shiji.core.downloads import attachment_response, export_response
from shiji.core.errors import AppError, Forbidden, NotFound
from shiji.core.htmx import vary_on_htmx
from shiji.core.models import StagedUpload
from shiji.core.pages import error_response
from shiji.ledger import excel, tasks
from shiji.ledger.models import JobKind, JobState
from shiji.orgs import policy
from shiji.orgs.selectors import zone_get_for_user, zones_visible_to

# The ledger list's filters (ledger/views.py), which the export button passes on.
EXPORT_PARAMS = (
    "zone",
    "org",
    "status",
    "category",
    "source",
    "light",
    "kind",
    "review",
    "q",
    "sort",
    "version",  # "print": the 打印版 (ledger/excel/export.py)
)


def _export_params(data: Any) -> dict[str, str]:
    return {key: data[key].strip() for key in EXPORT_PARAMS if data.get(key, "").strip()}


@login_required
@require_http_methods(["GET", "POST"])
def ledger_export(request: HttpRequest) -> HttpResponse:
    """GET: a small export downloads at once; a large one asks to start a
    background job, which only a POST does (with its CSRF token), so a link
    followed or prefetched never queues work."""
    excel.require_export(request.user)
    if request.method == "POST":
        params = _export_params(request.POST)
        try:
            job = tasks.job_start_export(user=request.user, params=params)
        except AppError as exc:
            count = excel.export_count(user=request.user, params=params)
            context = {"count": count, "params": params, "error": exc.message}
            return error_response(
                request, exc, lambda e: render(request, "ledger/excel_export.html", context)
            )
        return redirect("ledger:job", pk=job.pk)
    params = _export_params(request.GET)
    count = excel.export_count(user=request.user, params=params)
    if count > tasks.EXPORT_SYNC_MAX_ROWS:
        return render(request, "ledger/excel_export.html", {"count": count, "params": params})
    zone = excel.export_zone(user=request.user, params=params)
    return export_response(
        lambda out: excel.export_workbook(user=request.user, params=params, out=out),
        filename=excel.export_filename(zone, params),
    )


def _import_zones(user: Any) -> list:
    zone_ids = policy.zone_ids_for(user, "ledger.import")
    if zone_ids is not None and not zone_ids:
        raise Forbidden(gettext("您没有权限导入整改台账"))
    zones = zones_visible_to(user=user)
    return list(zones if zone_ids is None else zones.filter(pk__in=zone_ids))


@login_required
@require_http_methods(["GET", "POST"])
def ledger_import(request: HttpRequest) -> HttpResponse:
    zones = _import_zones(request.user)
    context: dict[str, Any] = {"zones": zones, "chosen": request.GET.get("zone", "")}
    if request.method == "GET":
        return render(request, "ledger/excel_import.html", context)

    raw_zone = request.POST.get("zone") or (str(zones[0].pk) if len(zones) == 1 else "")
    context["chosen"] = raw_zone
    if not raw_zone:
        context["errors"] = {"zone": gettext("请选择高新区")}
        return render(request, "ledger/excel_import.html", context, status=422)
    zone = zone_get_for_user(user=request.user, pk=raw_zone)  # another zone: 404
    excel.import_require(actor=request.user, zone=zone)  # a role that may not: 403
    upload = request.FILES.get("file")
    try:
        info = excel.import_check_file(upload)
        if tasks.import_is_large(upload):
            job = tasks.job_start_import_upload(
                actor=request.user, zone=zone, file=upload, info=info, dry_run=True
            )
            return redirect("ledger:job", pk=job.pk)
        result = excel.import_workbook(actor=request.user, zone=zone, file=upload, dry_run=True)
    except AppError as exc:
        context["errors"] = exc.fields or {"file": exc.message}
        return error_response(
            request, exc, lambda e: render(request, "ledger/excel_import.html", context)
        )
    staged = _stage(request, zone, upload, info) if result.ok and result.changed else None
    context.update(
        zone=zone,
        result=result.as_dict(),
        staged_id=staged.pk if staged else None,
        file_name=upload.name,
    )
    return render(request, "ledger/excel_import.html", context, status=200 if result.ok else 422)


def _stage(request: HttpRequest, zone: Any, upload: Any, info: Any) -> StagedUpload:
    return staging.staged_create(
        actor=request.user,
        zone=zone,
        purpose=StagedUpload.Purpose.LEDGER,
        file=upload,
        info=info,
    )


@login_required
@require_POST
def ledger_import_confirm(request: HttpRequest) -> HttpResponse:
    staged = staging.staged_get_for_user(
        user=request.user, pk=request.POST.get("staged"), purpose=StagedUpload.Purpose.LEDGER
    )
    zone = staged.zone
    excel.import_require(actor=request.user, zone=zone)
    try:
        if staged.size > tasks.IMPORT_SYNC_MAX_BYTES or tasks.import_is_large(
            staging.staged_file(staged)
        ):
            job = tasks.job_start_import(actor=request.user, staged=staged, dry_run=False)
            return redirect("ledger:job", pk=job.pk)
        result = excel.import_staged(actor=request.user, staged=staged, dry_run=False)
    except AppError as exc:
        context = {
            "zones": _import_zones(request.user),
            "chosen": str(zone.pk),
            "errors": exc.fields or {"file": exc.message},
        }
        return error_response(
            request, exc, lambda e: render(request, "ledger/excel_import.html", context)
        )
    if not result.ok:
        context = {
            "zones": _import_zones(request.user),
            "chosen": str(zone.pk),
            "zone": zone,
            "result": result.as_dict(),
            "file_name": staged.original_name,
        }
        return render(request, "ledger/excel_import.html", context, status=422)
    messages.success(request, _done_message(result.created, result.updated))
    return redirect(f"{reverse('ledger:list')}?zone={zone.pk}")


def _done_message(created: int, updated: int) -> str:
    return gettext("整改台账已导入：新增 %(c)s 条、更新 %(u)s 条") % {"c": created, "u": updated}


@login_required
@require_GET
def ledger_job(request: HttpRequest, pk: int) -> HttpResponse:
    """The job page; htmx polls the same URL for the status fragment."""
    job = tasks.job_get_for_user(user=request.user, pk=pk)
    context = {
        "job": job,
        "kinds": JobKind,
        "states": JobState,
        "no_worker": tasks.job_waiting_for_worker(job),
        "writing": job.state == JobState.RUNNING and job.phase == excel.PHASE_WRITE,
        "result": job.result if job.kind != JobKind.EXPORT else None,
        "staged_id": (job.result or {}).get("staged_id"),
        "done_message": _done_message(job.result.get("created", 0), job.result.get("updated", 0))
        if job.kind == JobKind.IMPORT and job.state == JobState.DONE
        else "",
    }
    if job.kind == JobKind.IMPORT_CHECK and job.staged_id is None:
        context["staged_id"] = None  # imported or expired since the check
    template = "ledger/excel_job_status.html" if request.htmx else "ledger/excel_job.html"
    return vary_on_htmx(render(request, template, context))


@login_required
@require_POST
def ledger_job_retry(request: HttpRequest, pk: int) -> HttpResponse:
    job = tasks.job_get_for_user(user=request.user, pk=pk)
    try:
        tasks.job_retry(user=request.user, job=job)
    except AppError as exc:
        return error_response(request, exc)
    return redirect("ledger:job", pk=job.pk)


@login_required
@require_GET
def ledger_job_download(request: HttpRequest, pk: int) -> FileResponse:
    job = tasks.job_get_for_user(user=request.user, pk=pk)
    tasks.job_download_check(user=request.user, job=job)
    try:
        handle = job.file.open("rb")
    except OSError:
        raise NotFound(gettext("文件已清理，请重新导出")) from None
    return attachment_response(handle, filename=job.file_name, kind="xlsx")
