"""Application errors that escape an HTML view become the matching page.

Views catch ``Invalid`` and ``Conflict`` around their service call to show
the form or the record again with the message (``core.pages.error_response``);
what they leave uncaught (a record outside the caller's scope, a role that
may not act) is answered here with the same mapping, never a 500. The API
maps the same errors itself (``shiji/api.py``).
"""

from __future__ import annotations

from shiji.core.errors import AppError
from shiji.core.pages import error_response, retarget_error_page


class AppErrorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return retarget_error_page(request, self.get_response(request))

    def process_exception(self, request, exception):
        if not isinstance(exception, AppError):
            return None
        return error_response(request, exception)
