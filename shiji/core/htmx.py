"""One URL serves a whole page or, for htmx, the fragment it swaps in."""

from __future__ import annotations

from typing import cast

from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_vary_headers
from django_htmx.middleware import HtmxDetails


class HtmxHttpRequest(HttpRequest):
    """A request as django-htmx's middleware leaves it (the type checker's view)."""

    htmx: HtmxDetails


def wants_fragment(request: HttpRequest) -> bool:
    """htmx wants the fragment; a history restore (the back button after
    htmx's cache expired) needs the whole page."""
    # cast: HtmxMiddleware (settings.MIDDLEWARE) sets ``htmx`` on every request.
    htmx = cast(HtmxHttpRequest, request).htmx
    return bool(htmx) and not htmx.history_restore_request


def vary_on_htmx(response: HttpResponse) -> HttpResponse:
    """Mark ``response`` as depending on ``HX-Request``, so no cache hands
    the fragment to a full page load or the other way round."""
    patch_vary_headers(response, ["HX-Request"])
    return response
