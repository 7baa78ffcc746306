"""The 统计报表 pages: ``reports:home`` sends each reader to their picture
(a zone's dashboard for those who work in a zone, the roll-up for national
and provincial viewers and the system admin); the zone dashboard, the
roll-up, and each of their tables as an Excel workbook.

Thin views: the figures come from ``reports.dashboards`` (read from the
replica when there is one); a zone, an org or a province outside the
reader's scope is a 404, an unreadable period a message on the page (the
default period is used) and a 422 for the export."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from shiji.assessment.views_campaign import parse_range
from shiji.core.downloads import export_filename, export_response
from shiji.core.errors import Invalid, invalid
from shiji.core.xlsx.writer import Column, ListSheet, write_sheets_workbook
from shiji.orgs import policy
from shiji.orgs.models import Role
from shiji.orgs.selectors import zones_visible_to
from shiji.reports import dashboards
from shiji.reports.dashboards import Panel

AREA = "reports"


def reads_rollup(user: Any) -> bool:
    """National and provincial viewers (上级) and the system admin read the
    roll-up; everyone with work in a zone reads that zone's dashboard."""
    roles = policy.roles_of(user)
    return bool(roles) and (Role.SYSTEM_ADMIN in roles or roles <= {Role.VIEWER})


@login_required
@require_GET
def reports_home(request: HttpRequest) -> HttpResponse:
    policy.require(request.user, "report.view")
    if not reads_rollup(request.user):
        zone = zones_visible_to(user=request.user).order_by("code").first()
        if zone is not None:
            return redirect("reports:zone", zone.pk)
    return redirect("reports:rollup")


def _period(request: HttpRequest) -> tuple[Any, Any, dict[str, str]]:
    try:
        start, end = parse_range(request.GET)
    except Invalid as exc:
        return None, None, exc.fields
    return start, end, {}


def _query(request: HttpRequest, *keys: str, **more: Any) -> str:
    params = {k: request.GET.get(k, "") for k in keys}
    params.update(more)
    return urlencode({k: v for k, v in params.items() if v not in (None, "")})


@login_required
@require_GET
def zone_dashboard(request: HttpRequest, zone_id: int) -> HttpResponse:
    policy.require(request.user, "report.view")
    request.area = AREA  # type: ignore[attr-defined]  # read by web.context.shell
    start, end, errors = _period(request)
    org = request.GET.get("org")
    data = dashboards.report_reads(
        lambda: dashboards.zone_dashboard(
            user=request.user, zone=zone_id, org=org, start=start, end=end
        )
    )
    export = reverse("reports:zone_export", args=[zone_id])
    query = _query(request, "org", "from", "to")
    return render(
        request,
        "reports/dashboard.html",
        {
            "data": data,
            "errors": errors,
            "params": {k: request.GET.get(k, "") for k in ("org", "from", "to")},
            "hidden": [("org", data.org.pk if data.org and request.GET.get("org") else "")],
            "export_url": f"{export}?{query}&table=" if query else f"{export}?table=",
            "rollup": reads_rollup(request.user),
        },
    )


@login_required
@require_GET
def rollup(request: HttpRequest) -> HttpResponse:
    policy.require(request.user, "report.view")
    request.area = AREA  # type: ignore[attr-defined]
    start, end, errors = _period(request)
    data = dashboards.report_reads(
        lambda: dashboards.rollup(
            user=request.user,
            province=request.GET.get("province"),
            start=start,
            end=end,
            sort=request.GET.get("sort"),
        )
    )
    for panel in data.panels:
        if panel.sortable:
            panel.header_links = _sort_links(request, panel, data.sort)
    export = reverse("reports:rollup_export")
    query = _query(request, "province", "from", "to", "sort")
    return render(
        request,
        "reports/rollup.html",
        {
            "data": data,
            "errors": errors,
            "params": {k: request.GET.get(k, "") for k in ("province", "from", "to")},
            "hidden": [("province", data.province), ("sort", request.GET.get("sort", ""))],
            "export_url": f"{export}?{query}&table=" if query else f"{export}?table=",
        },
    )


def _sort_links(request: HttpRequest, panel: Panel, current: str) -> list[dict[str, str]]:
    """Each figure column's header as a link that sorts the ranking by it
    (descending first, then ascending), and its ``aria-sort``."""
    out = []
    for label, key in zip(panel.columns[1:], panel.sort_keys, strict=True):
        state = "none"
        target = f"-{key}"
        if current == f"-{key}":
            state, target = "descending", key
        elif current == key:
            state = "ascending"
        out.append(
            {
                "label": label,
                "url": "?" + _query(request, "province", "from", "to", sort=target),
                "state": state,
            }
        )
    return out


def _export(panel: Panel, *, info: list[tuple[str, str]], scope: str | None) -> FileResponse:
    """One table as a workbook: its columns as on the page, rates as
    percentages with one decimal."""
    rates = [any(r.cells[i].rate for r in panel.rows) for i in range(len(panel.columns) - 1)]
    columns = [Column(panel.columns[0], 20)]
    for name, rate in zip(panel.columns[1:], rates, strict=True):
        if rate:
            columns.append(Column(_("%(name)s（%%）") % {"name": name}, 10, num_format="0.0"))
        else:
            columns.append(Column(name, 10))
    rows = ([r.label, *[c.value for c in r.cells]] for r in panel.rows)
    sheet = ListSheet(panel.title[:31], columns, rows, title=panel.title, info=info)
    return export_response(
        lambda out: write_sheets_workbook(out, sheets=[sheet], title=panel.title),
        filename=export_filename(panel.title, zone_name=scope),
    )


@login_required
@require_GET
def zone_export(request: HttpRequest, zone_id: int) -> FileResponse:
    policy.require(request.user, "report.export")
    start, end, errors = _period(request)
    if errors:
        raise invalid(**errors)
    data = dashboards.report_reads(
        lambda: dashboards.zone_dashboard(
            user=request.user, zone=zone_id, org=request.GET.get("org"), start=start, end=end
        )
    )
    panel = data.panel(request.GET.get("table", ""))
    scope = data.org.name if data.org is not None else data.zone.name
    info = [
        (_("范围"), scope),
        (_("统计期"), f"{data.window.start} – {data.window.end}"),
    ]
    return _export(panel, info=info, scope=data.zone.name)


@login_required
@require_GET
def rollup_export(request: HttpRequest) -> FileResponse:
    policy.require(request.user, "report.export")
    start, end, errors = _period(request)
    if errors:
        raise invalid(**errors)
    data = dashboards.report_reads(
        lambda: dashboards.rollup(
            user=request.user,
            province=request.GET.get("province"),
            start=start,
            end=end,
            sort=request.GET.get("sort"),
        )
    )
    panel = data.panel(request.GET.get("table", ""))
    info = [(_("范围"), data.province or _("全部"))]
    if data.window is not None:
        info.append((_("统计期"), f"{data.window.start} – {data.window.end}"))
    return _export(panel, info=info, scope=data.province or None)
