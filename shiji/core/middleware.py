"""Application errors that escape an HTML view become the matching error page.

Views catch ``Invalid`` to show field errors next to their inputs; what they
leave uncaught (a record outside the caller's scope, a role that may not act)
must still answer 404 or 403, never 500. The API maps the same errors itself.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.views import defaults

from shiji.core.errors import AppError, Forbidden, NotFound


class AppErrorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, AppError):
            return None
        if isinstance(exception, NotFound):
            return defaults.page_not_found(request, Http404(exception.message))
        if isinstance(exception, Forbidden):
            return defaults.permission_denied(request, PermissionDenied(exception.message))
        return defaults.bad_request(request, exception)
