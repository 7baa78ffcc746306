"""The public portal under /p/ (no account; phone first; every step works
without JavaScript): pick a zone, submit, keep the tracking code, follow the
item by its code and rate the result.

Codes travel only in POST bodies (the tracking form, the rating form), never
in a URL, so they do not land in logs, browser history or a Referer. The
success page is rendered in answer to the submission, not reached by a
redirect, because the code is stored nowhere it could be shown from again.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from shiji.core.client import client_address
from shiji.core.errors import AppError, NotFound
from shiji.core.ratelimit import RateLimited
from shiji.core.uploads import upload_limit
from shiji.outreach.models import Category, Kind, Rating
from shiji.outreach.selectors.public import (
    CODE_INPUT_MAX,
    public_status,
    public_zone_by_code,
    public_zones,
)
from shiji.outreach.services import intake
from shiji.outreach.services.public import (
    HONEYPOT,
    MAX_FILES,
    feedback_for_code,
    feedback_rate_by_code,
    feedback_submit,
)
from shiji.outreach.services.rating import COMMENT_MAX

T = "outreach/public/"

# What each kind means, in one line, under its radio button.
KIND_HINTS = {
    Kind.CONSULT: gettext_lazy("询问政策、办事流程等"),
    Kind.HELP: gettext_lazy("遇到困难，请求帮助解决"),
    Kind.COMPLAINT: gettext_lazy("对办事效率、服务态度等不满"),
    Kind.SUGGESTION: gettext_lazy("对园区工作提出意见建议"),
    Kind.REPORT: gettext_lazy("反映干部作风、违规违纪问题"),
}


def _limited(request: HttpRequest, exc: RateLimited) -> HttpResponse:
    response = render(request, T + "limited.html", {"message": exc.message}, status=429)
    response["Retry-After"] = str(exc.retry_after)
    return response


@require_GET
def zone_pick(request: HttpRequest) -> HttpResponse:
    """Which zone the item is for; the QR code's link skips this page."""
    q = request.GET.get("q", "")
    return render(
        request, T + "zones.html", {"zones": public_zones(q), "q": q[:50].replace("\x00", "")}
    )


def _form_context(zone: Any, data: Any = None, exc: AppError | None = None) -> dict[str, Any]:
    data = data or {}
    return {
        "zone": zone,
        "kinds": [(k.value, k.label, KIND_HINTS[k]) for k in Kind],
        "categories": Category.choices,
        "data": data,
        "errors": exc.fields if exc is not None else {},
        "error": exc.message if exc is not None and not exc.fields else "",
        "content_max": intake.CONTENT_MAX,
        "name_max": intake.NAME_MAX,
        "phone_max": intake.PHONE_MAX,
        "accused_max": intake.ACCUSED_MAX,
        "max_files": MAX_FILES,
        "max_mb": upload_limit() // (1024 * 1024),
        "honeypot": HONEYPOT,
    }


@never_cache
@require_http_methods(["GET", "POST"])
def submit(request: HttpRequest, zone_code: str) -> HttpResponse:
    zone = public_zone_by_code(zone_code)
    if zone is None:
        raise NotFound(_("没有找到这个高新区，请从列表中选择"))
    if request.method == "GET":
        return render(request, T + "form.html", _form_context(zone))
    data = {k: request.POST.get(k, "") for k in request.POST}
    try:
        done = feedback_submit(
            zone=zone,
            data=data,
            files=request.FILES.getlist("files"),
            client=client_address(request),
        )
    except RateLimited as exc:
        return _limited(request, exc)
    except AppError as exc:
        return render(request, T + "form.html", _form_context(zone, data, exc), status=exc.status)
    return render(request, T + "done.html", {"zone": zone, "code": done.tracking_code})


def _status_page(
    request: HttpRequest,
    item: Any,
    code: str,
    *,
    message: str = "",
    status: int = 200,
    **extra: Any,
) -> HttpResponse:
    context = {
        "code": code,
        "s": public_status(item),
        "ratings": Rating.choices,
        "comment_max": COMMENT_MAX,
        "message": message,
        **extra,
    }
    return render(request, T + "status.html", context, status=status)


@never_cache
@require_http_methods(["GET", "POST"])
def track(request: HttpRequest) -> HttpResponse:
    """Enter the code (POST, so it stays out of URLs) and see the status."""
    if request.method == "GET":
        return render(request, T + "track.html", {"code_max": CODE_INPUT_MAX})
    code = request.POST.get("code", "")[:CODE_INPUT_MAX].replace("\x00", "")
    try:
        item = feedback_for_code(code=code, client=client_address(request))
    except RateLimited as exc:
        return _limited(request, exc)
    except NotFound as exc:
        context = {"code_max": CODE_INPUT_MAX, "code": code, "error": exc.message}
        return render(request, T + "track.html", context, status=404)
    return _status_page(request, item, code)


@never_cache
@require_POST
def rate(request: HttpRequest) -> HttpResponse:
    code = request.POST.get("code", "")[:CODE_INPUT_MAX].replace("\x00", "")
    client = client_address(request)
    try:
        item = feedback_rate_by_code(
            code=code,
            rating=request.POST.get("rating"),
            comment=request.POST.get("comment", ""),
            client=client,
        )
    except RateLimited as exc:
        return _limited(request, exc)
    except NotFound as exc:
        context = {"code_max": CODE_INPUT_MAX, "code": code, "error": exc.message}
        return render(request, T + "track.html", context, status=404)
    except AppError as exc:
        # The status again, with why the rating was not taken.
        try:
            item = feedback_for_code(code=code, client=client)
        except RateLimited as limited:
            return _limited(request, limited)
        return _status_page(
            request,
            item,
            code,
            message=exc.message,
            status=exc.status,
            errors=exc.fields,
            comment=request.POST.get("comment", "")[:COMMENT_MAX],
            chosen=request.POST.get("rating", ""),
        )
    return _status_page(request, item, code, thanks=True)
