"""Responses that hand a stored file back to the browser.

``export_response`` serves a workbook that is written on the fly.

The views look the record up through their own scoped selectors (another
zone's file is a 404 like a missing one); this module only turns the file
into the response, so every download gets the same headers.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from typing import IO, Any

from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404

from shiji.core.uploads import CONTENT_TYPES, download_name


def stored_file_response(
    field_file: FieldFile, *, filename: str, kind: str, missing_message: str
) -> FileResponse:
    """``field_file`` as an attachment named ``filename`` with the extension
    of its sniffed ``kind`` (see ``download_name``) and typed by it (see
    ``CONTENT_TYPES``). An empty field or a file the storage cannot open is a
    404 with ``missing_message``."""
    # FieldFile.open raises ValueError for an empty field and OSError when the
    # bytes are gone from storage; to the user both mean "not there".
    if not field_file:
        raise Http404(missing_message)
    try:
        handle = field_file.open("rb")
    except (OSError, ValueError):
        raise Http404(missing_message) from None
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=download_name(filename, kind),
        content_type=CONTENT_TYPES.get(kind, "application/octet-stream"),
    )
    # The bytes were checked on upload, but a browser must still never
    # reinterpret them as a page of this site, and a shared cache must never
    # keep one zone's file for another's user.
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


def export_response(write: Callable[[IO[bytes]], Any], *, filename: str) -> FileResponse:
    """An .xlsx attachment named ``filename`` holding what ``write(out)``
    writes into a binary file ``out``."""
    # A temporary file rather than memory: the writer streams rows into it and
    # FileResponse streams it out, closing (and so deleting) it once sent.
    out = tempfile.TemporaryFile()  # noqa: SIM115
    try:
        write(out)
    except BaseException:
        out.close()  # no response will own it
        raise
    out.seek(0)
    return FileResponse(
        out, as_attachment=True, filename=filename, content_type=CONTENT_TYPES["xlsx"]
    )
