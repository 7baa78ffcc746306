from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_GET

from shiji.orgs import policy, selectors
from shiji.orgs.models import Sector


def _zone_from_request(request):
    """The zone picked in the query string, or the first visible one."""
    zones = list(selectors.zones_visible_to(user=request.user))
    chosen = None
    if request.GET.get("zone"):
        chosen = selectors.zone_get_for_user(user=request.user, pk=request.GET["zone"])
    elif zones:
        chosen = zones[0]
    return zones, chosen


@login_required
@require_GET
def org_tree(request):
    zones, zone = _zone_from_request(request)
    orgs = selectors.org_tree(user=request.user, zone=zone) if zone else []
    selected = None
    people = []
    if request.GET.get("org"):
        selected = selectors.org_get_for_user(user=request.user, pk=request.GET["org"])
        people = list(
            selectors.people_visible_to(user=request.user).filter(
                org__path__startswith=selected.path, is_active=True
            )
        )
    context = {
        "zones": zones,
        "zone": zone,
        "orgs": orgs,
        "roots": selectors.tree_roots(orgs),
        "selected": selected,
        "people": people,
        "total_people": sum(o.people_count for o in orgs),
        "sectors": Sector,
        "can_import": zone is not None and policy.can(request.user, "roster.import", zone),
    }
    if request.htmx and request.htmx.target == "sj-org-people":
        return render(request, "orgs/_people.html", context)
    return render(request, "orgs/tree.html", context)
