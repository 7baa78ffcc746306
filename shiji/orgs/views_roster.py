"""Roster import pages: download the template, upload for a dry run, confirm.

The dry run and the import read the same bytes: a clean upload is parked
(``StagedUpload``) and the confirm form names it, so nothing is uploaded twice.
A zone out of sight is a 404 and a role that may not import a 403 (raised as
NotFound / Forbidden and rendered by ``shiji.core.middleware``).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from shiji.core.downloads import attachment_response
from shiji.core.errors import AppError, Forbidden
from shiji.core.pages import error_response
from shiji.core.uploads import size_label
from shiji.orgs import policy, roster, selectors
from shiji.orgs.models import Zone

PREVIEW_LIMIT = 300  # rows of each sheet listed on the preview page


def _zone(request):
    """The zone named by ``zone`` (404 when out of sight), else the first one
    the user may import into; a user who may see it but not import gets 403."""
    pk = request.POST.get("zone") or request.GET.get("zone")
    zone: Zone | None
    if pk:
        zone = selectors.zone_get_for_user(user=request.user, pk=pk)
    else:
        zone = next(
            (
                z
                for z in selectors.zones_visible_to(user=request.user)
                if policy.can(request.user, "roster.import", z)
            ),
            None,
        )
        if zone is None:
            raise Forbidden(gettext("您没有权限导入花名册"))
    if not policy.can(request.user, "roster.import", zone):
        raise Forbidden(gettext("您没有权限导入本区花名册"))
    return zone


def _page(request, zone, *, plan=None, file_error="", file_name=""):
    context = {
        "zone": zone,
        "plan": plan,
        "file_error": file_error,
        "file_name": file_name,
        "max_size": size_label(roster.MAX_BYTES),
        "max_bytes": roster.MAX_BYTES,
        "preview_limit": PREVIEW_LIMIT,
    }
    if plan is not None and plan.ok:
        # Listed in the file's order; the import itself goes parents first.
        orgs = sorted((o for o in plan.orgs if o.action != "unchanged"), key=lambda o: o.row)
        context["org_rows"] = orgs[:PREVIEW_LIMIT]
        context["people_rows"] = [p for p in plan.people if p.action != "unchanged"][:PREVIEW_LIMIT]
        context["counts"] = plan.counts
    return render(request, "orgs/roster_import.html", context)


@login_required
@require_GET
def roster_template(request):
    zone = _zone(request)
    data = roster.roster_template_bytes(zone=zone)
    return attachment_response(
        data,
        filename=f"{zone.short_name}组织与人员花名册模板.xlsx",  # zh-only: a Chinese workbook
    )


@login_required
@require_http_methods(["GET", "POST"])
def roster_import(request):
    zone = _zone(request)
    if request.method == "GET":
        return _page(request, zone)
    try:
        plan = roster.roster_dry_run(actor=request.user, zone=zone, file=request.FILES.get("file"))
    except AppError as exc:
        upload = request.FILES.get("file")
        return error_response(
            request,
            exc,
            lambda e: _page(
                request,
                zone,
                file_error=e.fields.get("file", e.message),
                file_name=upload.name if upload else "",
            ),
        )
    return _page(request, zone, plan=plan)


@login_required
@require_POST
def roster_confirm(request, pk: int):
    try:
        zone, plan = roster.roster_confirm(actor=request.user, staged_id=pk)
    except AppError as exc:
        # RosterErrors: the zone changed since the dry run (say, someone
        # added the same org); its problems are listed like the dry run's.
        errors = getattr(exc, "errors", None)
        return error_response(
            request,
            exc,
            lambda e: _page(
                request,
                _zone(request),
                plan=roster.RosterPlan(errors=errors) if errors else None,
                file_error="" if errors else e.message,
            ),
        )
    c = plan.counts
    messages.success(
        request,
        _(
            "花名册已导入：新建 %(oc)d 个组织、更新 %(ou)d 个组织，"
            "新建 %(pc)d 名人员、更新 %(pu)d 名人员。"
        )
        % {
            "oc": c["orgs_created"],
            "ou": c["orgs_updated"],
            "pc": c["people_created"],
            "pu": c["people_updated"],
        },
    )
    return redirect(f"{reverse('orgs:tree')}?zone={zone.pk}")
