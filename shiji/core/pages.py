"""One way to turn an application error into a page, with the same status
the API gives for it (``shiji/api.py``, DESIGN.md §6):

    Invalid   → 422: the form again, each message next to its field
    Conflict  → 409: the page again, with the message
    Forbidden → 403: the 403 page, with the message
    NotFound  → 404: the 404 page (the same as for a record that is missing)

A Forbidden or NotFound that names a field (a grant's org out of reach, a
role the user may not give) is about one input, not the page: it is shown
next to that input like an Invalid, with its own status.

A view catches ``AppError`` around its service call and returns
``error_response(request, exc, redisplay)``, where ``redisplay(exc)`` renders
its form or record page with the error; the status is set here, whatever the
page said. What a view leaves uncaught, ``AppErrorMiddleware`` answers the
same way (a generic page for Invalid and Conflict).

htmx requests get the same statuses. htmx 2 swaps only 2xx responses by
default, so the base template's ``htmx-config`` also swaps 403, 404, 409 and
422: a 409 or 422 brings the fragment with its message into place, and for a
403 or 404 page the middleware tells htmx (``HX-Retarget``) to show the
page's content in place of the whole body, so a refused request never looks
like a dead button.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from shiji.core.errors import AppError, Forbidden, NotFound

# Responses that htmx swaps although they are errors (see web/base.html).
HTMX_SWAPPED = (403, 404, 409, 422)
ERROR_PAGES = (403, 404)


# The mark error_response leaves on a page that shows its error in place (an
# attribute of the response object, never sent).
SHOWS_ERROR_INLINE = "shows_error_inline"


def error_response(
    request: HttpRequest,
    exc: AppError,
    redisplay: Callable[[AppError], HttpResponse] | None = None,
) -> HttpResponse:
    """The page for ``exc``: ``redisplay(exc)`` with the error's status, or
    the 404, 403 or generic error page."""
    page_error = isinstance(exc, (NotFound, Forbidden)) and not exc.fields
    if redisplay is not None and not page_error:
        response = redisplay(exc)
        response.status_code = exc.status
        # Not an error page: htmx keeps its target (retarget_error_page).
        setattr(response, SHOWS_ERROR_INLINE, True)
        return response
    if isinstance(exc, NotFound):
        return render(request, "404.html", {"message": exc.message}, status=404)
    if isinstance(exc, Forbidden):
        return render(request, "403.html", {"message": exc.message}, status=403)
    return render(request, "error.html", {"error": exc}, status=exc.status)


def retarget_error_page(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """A 403 or 404 page answering htmx replaces the page's body (its
    ``.page`` element), not the fragment the request aimed at."""
    if (
        getattr(request, "htmx", False)
        and response.status_code in ERROR_PAGES
        and not getattr(response, SHOWS_ERROR_INLINE, False)
        and not response.has_header("HX-Retarget")
    ):
        response["HX-Retarget"] = "body"
        response["HX-Reswap"] = "innerHTML"
        response["HX-Reselect"] = ".page"
        response["HX-Push-Url"] = "false"
    return response
