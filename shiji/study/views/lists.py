"""The session list (学习研讨) and its Excel export: the same filters, the
same scope. The list serves the full page or, for htmx, the fragment it
swaps, and varies on ``HX-Request``."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from shiji.core.downloads import export_filename, export_response
from shiji.core.errors import Forbidden, NotFound
from shiji.core.htmx import vary_on_htmx, wants_fragment
from shiji.core.validation import parse_id
from shiji.orgs import policy
from shiji.orgs.models import Zone
from shiji.orgs.selectors import export_zone, org_options, orgs_visible_to, zones_visible_to
from shiji.study import excel, selectors, services
from shiji.study.views.common import parse_date
from shiji.web import filters

PAGE_SIZE = 50
LIST_PARAMS = ("zone", "org", "kind", "from", "to")


def _chosen_zone(zones: list[Zone], raw: str) -> Zone | None:
    if len(zones) == 1:
        return zones[0]
    wanted = parse_id(raw)
    return next((z for z in zones if z.pk == wanted), None)


def _list_filters(request: HttpRequest) -> tuple[dict[str, Any], dict[str, Any]]:
    """The list's query parameters as typed (for the form) and as the
    selector's filters. A zone or org out of sight is 404, as everywhere."""
    user = request.user
    params = {key: request.GET.get(key, "").strip() for key in LIST_PARAMS}
    zones = list(zones_visible_to(user=user))
    zone = _chosen_zone(zones, params["zone"])
    org = None
    if params["org"]:
        org = (
            orgs_visible_to(user=user, action="study.view")
            .filter(pk=parse_id(params["org"]))
            .first()
        )
        if org is None:
            raise NotFound(_("组织不存在"))
        if zone is None or zone.pk != org.zone_id:
            zone = org.zone
    wanted = {
        "zone": zone.pk if zone else None,
        "org": org,
        "kind": params["kind"],
        "date_from": parse_date(params["from"]),
        "date_to": parse_date(params["to"]),
    }
    return params, {"filters": wanted, "zones": zones, "zone": zone, "org": org}


@login_required
@require_GET
def session_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    params, found = _list_filters(request)
    zone = found["zone"]
    qs = selectors.session_filter(selectors.sessions_visible_to(user=user), found["filters"])
    page = Paginator(selectors.with_counts(qs), PAGE_SIZE).get_page(request.GET.get("page"))
    kinds = list(services.zone_study_kinds(zone)) if zone else []
    filtered = any(params[k] for k in ("org", "kind", "from", "to"))
    context_orgs = org_options(user=user, zone=zone, action="study.view")
    context = {
        "page": page,
        "params": params,
        "zones": found["zones"],
        "zone": zone,
        "show_zone": len(found["zones"]) > 1 and zone is None,
        "orgs": context_orgs,
        "kinds": kinds,
        "filtered": filtered,
        "chips": filters.chips(
            request,
            [
                ("zone", _("高新区"), filters.options((z.pk, z.name) for z in found["zones"])),
                ("org", _("组织单位"), filters.options(context_orgs)),
                ("kind", _("学习形式"), filters.options((k.pk, k.name) for k in kinds)),
                ("from", _("开始日期"), None),
                ("to", _("结束日期"), None),
            ],
        ),
        "can_manage": policy.can(user, "study.manage"),
        "can_export": policy.can(user, "study.export"),
    }
    template = "study/_list_body.html" if wants_fragment(request) else "study/list.html"
    return vary_on_htmx(render(request, template, context))


@login_required
@require_GET
def session_export(request: HttpRequest) -> FileResponse:
    user = request.user
    if not policy.can(user, "study.export"):
        raise Forbidden(_("您没有导出学习研讨记录的权限"))
    _params, found = _list_filters(request)
    qs = selectors.session_filter(
        selectors.sessions_visible_to(user=user, action="study.export"), found["filters"]
    ).order_by("date", "pk")
    zone = export_zone(user=user, action="study.export", qs=qs, requested=found["zone"])
    zone_name = zone.name if zone else None
    org = found["org"]
    what = _("学习研讨记录")
    if org:
        what = _("%(zone)s%(what)s") % {"zone": org.name, "what": what}
    title = (
        what if org else _("%(zone)s%(what)s") % {"zone": zone_name or _("各高新区"), "what": what}
    )
    return export_response(
        lambda out: excel.export_workbook(sessions=qs, title=title, out=out, zone_name=zone_name),
        filename=export_filename(what, zone_name=zone_name),
    )
