"""An empty view for ``make bench``: the floor of a page through the same
server and middleware. Off (404) unless the setting BENCH_EMPTY_VIEW is on."""

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse


def empty(request: HttpRequest) -> HttpResponse:
    if not settings.BENCH_EMPTY_VIEW:
        raise Http404
    return HttpResponse(b"", content_type="text/plain")
