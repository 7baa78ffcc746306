"""Responses that hand a stored file back to the browser.

``stored_file_response`` serves an uploaded file (evidence, materials,
regulation files) in one of three ways, chosen by the query string:

- as it is, to save (``Content-Disposition: attachment``): the default;
- ``?inline=1``: for the browser to show itself, but only for kinds it
  renders as what they are (``INLINE_KINDS``: images and PDF, never HTML,
  SVG or Office files); anything else is still an attachment;
- ``?size=thumb``: the image's thumbnail (see ``shiji.core.thumbnails``),
  404 for a file that has none.

Every such response carries ``Content-Security-Policy: sandbox``: even if a
browser rendered a stored file as a document, it would run with a unique
origin, no scripts, forms, popups or plugins of this site; with ``nosniff``
it cannot be taken for another type. That header is set here, before the
site-wide policy middleware runs, which leaves a response's own policy
alone.

``export_response`` serves a workbook that is written on the fly,
``attachment_response`` any generated file (a template, a job's result).
Both are private: ``Cache-Control: private, no-store``, so neither a shared
cache nor the browser's disk keeps one user's export for another.

The views look the record up through their own scoped selectors (another
zone's file is a 404 like a missing one); this module only turns the file
into the response, so every download gets the same headers.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import tempfile
from collections.abc import Callable
from typing import IO, Any

from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404, HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from shiji.core import thumbnails
from shiji.core.uploads import CONTENT_TYPES, IMAGES, download_name

# Kinds a browser shows by itself without running anything of the file as a
# page of this site. The upload checks admit nothing else that renders
# (no HTML, SVG or XML), but this list does not rely on that.
INLINE_KINDS = IMAGES | {"pdf"}
SANDBOX = "sandbox"


def stored_file_response(
    request: HttpRequest,
    field_file: FieldFile,
    *,
    filename: str,
    kind: str,
    missing_message: str,
) -> FileResponse:
    """``field_file``, named ``filename`` with the extension of its sniffed
    ``kind`` (see ``download_name``) and typed by it (see ``CONTENT_TYPES``),
    served as the request's query string asks (see the module docstring).
    An empty field, a file the storage cannot open or a thumbnail that
    cannot be had is a 404 with ``missing_message``."""
    size = request.GET.get("size")
    if size is not None:
        if size != "thumb":
            raise Http404(_("没有这种尺寸的图片"))
        return _thumbnail_response(field_file, filename=filename, kind=kind)
    # FieldFile.open raises ValueError for an empty field and OSError when the
    # bytes are gone from storage; to the user both mean "not there".
    if not field_file:
        raise Http404(missing_message)
    try:
        handle = field_file.open("rb")
    except (OSError, ValueError):
        raise Http404(missing_message) from None
    inline = request.GET.get("inline") == "1" and kind in INLINE_KINDS
    response = FileResponse(
        handle,
        as_attachment=not inline,
        filename=download_name(filename, kind),
        content_type=CONTENT_TYPES.get(kind, "application/octet-stream"),
    )
    return _guarded(response)


def _thumbnail_response(field_file: FieldFile, *, filename: str, kind: str) -> FileResponse:
    handle = thumbnails.thumbnail_open(field_file, kind=kind)
    if handle is None:
        raise Http404(_("此文件没有缩略图"))
    response = FileResponse(
        handle,
        as_attachment=False,
        filename=download_name(filename, "jpeg"),
        content_type=thumbnails.CONTENT_TYPE,
    )
    return _guarded(response)


def _guarded(response: FileResponse) -> FileResponse:
    # The bytes were checked on upload, but a browser must still never
    # reinterpret them as a page of this site (nosniff, and a sandbox with no
    # allowances should it render one), and a shared cache must never keep
    # one zone's file for another's user.
    response["Content-Security-Policy"] = SANDBOX
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


def attachment_response(
    handle: IO[bytes] | bytes, *, filename: str, kind: str = "xlsx"
) -> FileResponse:
    """A generated file (an open binary file, or bytes) as a private
    attachment named ``filename``, typed by ``kind`` (see ``CONTENT_TYPES``)."""
    if isinstance(handle, bytes):
        handle = io.BytesIO(handle)
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=filename,
        content_type=CONTENT_TYPES.get(kind, "application/octet-stream"),
    )
    # Exports hold a zone's records: the same headers as a stored file.
    return _guarded(response)


def export_response(write: Callable[[IO[bytes]], Any], *, filename: str) -> FileResponse:
    """An .xlsx attachment named ``filename`` holding what ``write(out)``
    writes into a binary file ``out`` (private, like every generated file)."""
    # A temporary file rather than memory: the writer streams rows into it and
    # FileResponse streams it out, closing (and so deleting) it once sent.
    out = tempfile.TemporaryFile()  # noqa: SIM115
    try:
        write(out)
    except BaseException:
        out.close()  # no response will own it
        raise
    out.seek(0)
    return attachment_response(out, filename=filename, kind="xlsx")


# Characters Windows refuses in a file name, and control characters.
_NOT_IN_NAMES = re.compile(r'[\\/:*?"<>|\x00-\x1f]')


def export_filename(
    what: str,
    *,
    zone_name: str | None = None,
    day: dt.date | None = None,
    extension: str = "xlsx",
) -> str:
    """The download name of an export: the zone it covers (when it covers
    one), what it is and the day (today's unless given), e.g.
    "无锡高新区-任务清单-2026-12-01.xlsx".
    ``FileResponse`` sends a name that is not plain ASCII both as
    ``filename`` (an ASCII stand-in) and as RFC 5987 ``filename*``."""
    parts = [zone_name, what, (day or timezone.localdate()).isoformat()]
    name = "-".join(_NOT_IN_NAMES.sub("", str(p)).strip() for p in parts if p)
    return f"{name}.{extension}"
