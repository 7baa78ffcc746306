"""Study coverage (学习覆盖情况): who in an org and its sub-orgs was
recorded present at a session in a period, on its own page and as the home
page's panel. The page answers htmx with its fragment."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from shiji.assessment.campaign import campaign_starts
from shiji.core.errors import NotFound
from shiji.core.htmx import vary_on_htmx, wants_fragment
from shiji.core.validation import parse_id
from shiji.orgs import policy
from shiji.orgs.models import Zone
from shiji.orgs.selectors import org_options, orgs_visible_to, zones_visible_to
from shiji.study import selectors
from shiji.study.views.common import parse_date


def default_period(zone: Zone) -> tuple[dt.date | None, dt.date]:
    """From the start of the zone's latest adopted campaign up to today (the
    campaign scores' period: assessment.campaign)."""
    return campaign_starts([zone.pk]).get(zone.pk), timezone.localdate()


@login_required
@require_GET
def coverage(request: HttpRequest) -> HttpResponse:
    user = request.user
    visible = orgs_visible_to(user=user, action="study.view")
    raw = request.GET.get("org", "").strip()
    if raw:
        org = visible.filter(pk=parse_id(raw)).first()
        if org is None:
            raise NotFound(_("组织不存在"))
    else:
        # A zone named alone (the zone switch) opens at its top visible org.
        zone_id = parse_id(request.GET.get("zone", "")) if request.GET.get("zone") else None
        top = visible.filter(zone_id=zone_id) if zone_id else visible
        org = top.order_by("depth", "zone__code", "path").first()
    if org is None:
        return render(request, "study/coverage.html", {"org": None})
    start, end = default_period(org.zone)
    date_from = parse_date(request.GET.get("from", "")) if "from" in request.GET else start
    date_to = parse_date(request.GET.get("to", "")) if "to" in request.GET else end
    figures = selectors.coverage(org=org, date_from=date_from, date_to=date_to)
    context = {
        "org": org,
        "figures": figures,
        "org_options": org_options(user=user, zone=org.zone, action="study.view"),
        "zones": list(zones_visible_to(user=user)),
        "date_from": date_from.isoformat() if date_from else "",
        "date_to": date_to.isoformat() if date_to else "",
        "can_manage": policy.can(user, "study.manage", org),
        "list_url": reverse("study:list"),
    }
    template = "study/_coverage_body.html" if wants_fragment(request) else "study/coverage.html"
    return vary_on_htmx(render(request, template, context))


def home_panel(request: HttpRequest):
    """工作台: the study coverage of the user's top organization this campaign."""
    user = request.user
    if not policy.can(user, "study.view"):
        return None
    org = (
        orgs_visible_to(user=user, action="study.view")
        .order_by("depth", "zone__code", "path")
        .first()
    )
    if org is None:
        return None
    start, end = default_period(org.zone)
    # The totals alone: the coverage page's rows per child org and list of
    # those never reached were two queries the panel does not show.
    total = selectors.coverage_total(org=org, date_from=start, date_to=end)
    return (
        "study/_home_panel.html",
        {
            "org": org,
            "total": total,
            "never": total.members - total.reached,
            "date_from": start.isoformat() if start else "",
            "date_to": end.isoformat(),
            "can_manage": policy.can(user, "study.manage", org),
        },
    )
