"""Application errors that escape an HTML view become the matching page.

Views catch ``Invalid`` and ``Conflict`` around their service call to show
the form or the record again with the message (``core.pages.error_response``);
what they leave uncaught (a record outside the caller's scope, a role that
may not act) is answered here with the same mapping, never a 500. The API
maps the same errors itself (``shiji/api.py``).
"""

from __future__ import annotations

from django.conf import settings
from django.middleware.locale import LocaleMiddleware
from django.utils import translation

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


class ChosenLanguageMiddleware(LocaleMiddleware):
    """Chinese unless the user chose English with the switch (its cookie).

    Django's own middleware also follows the browser's Accept-Language, so a
    Chinese official on an English-language Windows, or an API client, got
    English pages and messages they never asked for. The product speaks
    Chinese (DESIGN.md: "Chinese UI by default, English available")."""

    def process_request(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        try:
            language = translation.get_supported_language_variant(chosen) if chosen else ""
        except LookupError:
            language = ""
        translation.activate(language or settings.LANGUAGE_CODE)
        request.LANGUAGE_CODE = translation.get_language()
