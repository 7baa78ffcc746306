"""Floors for ``make bench``, off (404) unless the setting BENCH_EMPTY_VIEW
is on: what any request costs before a page does its own work.

- ``empty``: an empty answer through the same server and middleware;
- ``empty_page``: a signed-in page with nothing in it, the layout that every
  page renders (the session, the user, the grants its menu asks, the menu);
- ``empty_api``: an API call with nothing to do, signed in the API's way
  (session or token), out of the OpenAPI schema.

A page's figure beside these says how much of it is its own work and how
much any page of Shiji would cost (README "Benchmarks")."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from ninja import Router


def _require_setting() -> None:
    if not settings.BENCH_EMPTY_VIEW:
        raise Http404


def empty(request: HttpRequest) -> HttpResponse:
    _require_setting()
    return HttpResponse(b"", content_type="text/plain")


@login_required
def empty_page(request: HttpRequest) -> HttpResponse:
    _require_setting()
    return render(request, "core/bench_empty.html")


router = Router()


@router.get("/bench/empty", include_in_schema=False)
def empty_api(request: HttpRequest) -> dict:
    _require_setting()
    return {}
