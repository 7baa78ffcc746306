"""What a zone puts before the public beyond the portal's form (no account):
the printable QR poster (扫码反映问题, /p/<zone>/poster/) and the disclosure
page (办理情况公开, /p/<zone>/open/).

The QR code is drawn on the server (segno) as inline SVG, so a poster
printed on an intranet without internet access still carries it. Both pages
are counted against the client address like the portal's look-ups, in
their own bucket at the same rate.
"""

from __future__ import annotations

from django.conf import settings
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from shiji.core import ratelimit
from shiji.core.client import client_address
from shiji.core.errors import NotFound
from shiji.orgs.models import Zone
from shiji.outreach.models import Status
from shiji.outreach.selectors.disclosure import (
    disclosed_items,
    latest_rating,
    monthly_figures,
    public_projects,
    result_on,
    zone_limits,
)
from shiji.outreach.selectors.public import public_zone_by_code

T = "outreach/public/"
# The poster and the disclosure page share a bucket, at the look-up rate.
BUCKET = "public_page"
PAGE_SIZE = 20
# Error correction M (15 %): a poster may get scuffed, and the URL stays a
# small symbol that phones read from a metre away.
QR_ERROR = "m"


def _zone(zone_code: str) -> Zone:
    zone = public_zone_by_code(zone_code)
    if zone is None:
        raise NotFound(_("没有找到这个高新区，请从列表中选择"))
    return zone


def _limited(request: HttpRequest) -> HttpResponse | None:
    try:
        ratelimit.rate_claim(
            bucket=BUCKET,
            client=client_address(request),
            rate=ratelimit.limit_of(ratelimit.LOOKUP),
        )
    except ratelimit.RateLimited as exc:
        response = render(request, T + "limited.html", {"message": exc.message}, status=429)
        response["Retry-After"] = str(exc.retry_after)
        return response
    return None


def portal_url(request: HttpRequest, zone: Zone) -> str:
    """The zone's portal address as the public reaches it: PUBLIC_BASE_URL
    when set, else the address of this request."""
    path = reverse("public:submit", args=[zone.code])
    base = settings.PUBLIC_BASE_URL
    return f"{base}{path}" if base else request.build_absolute_uri(path)


def public_url(request: HttpRequest, name: str, *args: str) -> str:
    path = reverse(name, args=args)
    base = settings.PUBLIC_BASE_URL
    return f"{base}{path}" if base else request.build_absolute_uri(path)


def qr_svg(url: str, *, title: str) -> SafeString:
    """``url`` as a QR code in SVG, scaled by its viewBox (no width or
    height: the stylesheet sizes it) and without style attributes."""
    import segno

    code = segno.make(url, error=QR_ERROR)
    # segno writes only its own markup and escapes the title it is given.
    return mark_safe(  # noqa: S308
        code.svg_inline(scale=1, border=2, omitsize=True, svgclass="sj-qr", title=title)
    )


@require_GET
def poster(request: HttpRequest, zone_code: str) -> HttpResponse:
    """The A4 poster of a zone: 扫码反映问题, its QR code and address, and
    what happens to a report."""
    zone = _zone(zone_code)
    limited = _limited(request)
    if limited is not None:
        return limited
    url = portal_url(request, zone)
    context = {
        "zone": zone,
        "url": url,
        "qr": qr_svg(url, title=_("%(zone)s群众反映二维码") % {"zone": zone.name}),
        "limits": zone_limits(zone),
        "track_url": public_url(request, "public:track"),
        "open_url": public_url(request, "public:disclosure", zone.code),
    }
    return render(request, T + "poster.html", context)


@require_GET
def disclosure(request: HttpRequest, zone_code: str) -> HttpResponse:
    """办理情况公开: the resolved items staff made public, the monthly
    figures of all items, and the zone's public 为民实事."""
    zone = _zone(zone_code)
    limited = _limited(request)
    if limited is not None:
        return limited
    page = Paginator(disclosed_items(zone), PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [
        {
            "item": item,
            "result_on": result_on(item),
            "via_ledger": item.status == Status.IN_LEDGER,
            "rating": latest_rating(item),
        }
        for item in page.object_list
    ]
    months = monthly_figures(zone)
    context = {
        "zone": zone,
        "page": page,
        "rows": rows,
        "months": months,
        "any_figures": any(m.received or m.ratings for m in months),
        "projects": public_projects(zone),
    }
    return render(request, T + "disclosure.html", context)
