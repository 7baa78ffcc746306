"""Checks for uploaded files: size limits and content sniffing by magic bytes.

The name and the Content-Type a browser sends are whatever the client says,
so every upload (rosters, ledger workbooks, evidence) is judged by its bytes:

    info = check_upload(request.FILES["file"], allowed={"xlsx"}, max_bytes=5 * MB)
    info.kind, info.size, info.sha256

``sniff_kind`` names what a file really is: the magic bytes say what it
claims to be, and its structure must bear the claim out (a PDF that pypdf can
read, an image whose header Pillow decodes, an Office package whose parts say
what it is). ``check_upload`` refuses anything empty, too large (the smaller
of ``max_bytes`` and ``settings.MAX_UPLOAD_MB``) or not of an allowed kind,
raising ``Invalid`` with a Chinese message under the form field ``file``.

Keeping an accepted upload: ``upload_name`` is the name to show for it,
``content_path`` where its bytes go (by zone and SHA-256, with the extension
of the sniffed kind, never the one the client chose), and ``stored_upload``
puts them there (shared with an identical file already there) for the length
of the block that writes the row, deleting them again if that block fails. A
storage that cannot take the bytes is ``StorageUnavailable`` (503), never a
bare server error. ``download_name`` is what a download is called: the
uploaded name with the extension of the sniffed kind.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import re
import struct
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any
from xml.etree import ElementTree

import pypdf
from django.conf import settings
from django.db.models.fields.files import FieldFile
from django.utils.translation import gettext, gettext_lazy, gettext_noop
from PIL import Image, UnidentifiedImageError
from pypdf.errors import DependencyError, PyPdfError

from shiji.core.errors import AppError, invalid
from shiji.core.validation import clean_text

logger = logging.getLogger(__name__)

MB = 1024 * 1024

# What each kind is called in messages, and the MIME type to serve it with.
KIND_LABELS: dict[str, Any] = {
    "jpeg": gettext_lazy("JPEG 图片"),
    "png": gettext_lazy("PNG 图片"),
    "gif": gettext_lazy("GIF 图片"),
    "webp": gettext_lazy("WebP 图片"),
    "pdf": gettext_lazy("PDF 文件"),
    "docx": gettext_lazy("Word（.docx）文件"),
    "xlsx": gettext_lazy("Excel（.xlsx）文件"),
    "pptx": gettext_lazy("PowerPoint（.pptx）文件"),
    "doc": gettext_lazy("旧版 Word（.doc）文件"),
    "xls": gettext_lazy("旧版 Excel（.xls）文件"),
    "ppt": gettext_lazy("旧版 PowerPoint（.ppt）文件"),
}
CONTENT_TYPES: dict[str, str] = {
    "jpeg": "image/jpeg",
    "png": "image/png",
    "gif": "image/gif",
    "webp": "image/webp",
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "doc": "application/msword",
    "xls": "application/vnd.ms-excel",
    "ppt": "application/vnd.ms-powerpoint",
}
EXTENSIONS: dict[str, str] = {
    "jpeg": ".jpg",
    "png": ".png",
    "gif": ".gif",
    "webp": ".webp",
    "pdf": ".pdf",
    "docx": ".docx",
    "xlsx": ".xlsx",
    "pptx": ".pptx",
    "doc": ".doc",
    "xls": ".xls",
    "ppt": ".ppt",
}
# Handy sets for callers.
IMAGES = frozenset({"jpeg", "png", "gif", "webp"})
OFFICE = frozenset({"docx", "xlsx", "pptx", "doc", "xls", "ppt"})
EVIDENCE = IMAGES | OFFICE | {"pdf"}

# Besides the kinds above, sniff_kind may answer "zip" (a zip that is no Office
# document), "ole" (another OLE compound file, e.g. an .msi) or "encrypted"
# (a password-protected Office file, which is an OLE file wrapping the zip).

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")
_CHUNK = 64 * 1024
_PDF_HEADER = re.compile(rb"%PDF-[12]\.\d")


@dataclass(frozen=True)
class UploadInfo:
    kind: str
    size: int
    sha256: str


def size_label(max_bytes: int) -> str:
    """ "20 MB", "1.5 MB", "300 KB" for messages."""
    if max_bytes >= MB:
        value = max_bytes / MB
        return f"{value:.0f} MB" if value == int(value) else f"{value:.1f} MB"
    return f"{max(1, max_bytes // 1024)} KB"


def too_big_message(limit: int) -> str:
    """What a file over ``limit`` bytes is told, by the server and, before
    sending, by the browser (the ``upload_limit_attrs`` template tag)."""
    return gettext("文件过大（最大 %(size)s）") % {"size": size_label(limit)}


def upload_limit(max_bytes: int | None = None) -> int:
    """The effective limit: ``max_bytes`` never exceeds the site-wide one."""
    site = settings.MAX_UPLOAD_MB * MB
    return site if max_bytes is None else min(max_bytes, site)


def sniff_kind(file: IO[bytes] | Any) -> str | None:
    """What the file's bytes say it is (see ``KIND_LABELS``), or None.

    Reads from the start and puts the position back where it was, so the
    caller can go on to read or save the file.
    """
    return _sniff(file)[1]


def _sniff(file: IO[bytes] | Any) -> tuple[str | None, str | None]:
    """(what the magic bytes claim, what the structure bears out). The two
    differ for a damaged or forged file: ``("pdf", None)`` for text that
    starts like a PDF and is none."""
    start = _tell(file)
    try:
        _seek(file, 0)
        head = file.read(2048) or b""
        if isinstance(head, str):  # a text-mode file is never a binary kind
            return None, None
        claimed = _sniff_head(head)
        _seek(file, 0)
        if claimed == "zip":
            return claimed, _sniff_zip(file)
        if claimed == "ole":
            return claimed, _sniff_ole(file)
        if claimed == "pdf":
            return claimed, _sniff_pdf(file)
        if claimed in IMAGES:
            return claimed, _sniff_image(file, claimed)
        return claimed, None
    finally:
        _seek(file, start)


def check_upload(
    file: IO[bytes] | Any,
    *,
    allowed: set[str] | frozenset[str],
    max_bytes: int | None = None,
    field: str = "file",
) -> UploadInfo:
    """Refuse an upload that is empty, too large or not of an ``allowed`` kind.

    Returns the sniffed kind, the size and the SHA-256 of the content. Raises
    ``Invalid`` (with the message under ``field``) and leaves the file's
    position at the start either way.
    """
    if file is None:
        raise invalid(**{field: gettext("请选择要上传的文件")})
    limit = upload_limit(max_bytes)
    too_big = invalid(**{field: too_big_message(limit)})
    declared = getattr(file, "size", None)
    if isinstance(declared, int) and declared > limit:
        raise too_big  # Django knows the size: refuse before reading a byte
    # Hash and count in one pass; stop as soon as the limit is passed, since a
    # plain file object's size is only known once it has been read.
    digest = hashlib.sha256()
    size = 0
    _seek(file, 0)
    while chunk := file.read(_CHUNK):
        if isinstance(chunk, str):
            raise invalid(**{field: _kind_message(None, allowed)})
        size += len(chunk)
        if size > limit:
            _seek(file, 0)
            raise too_big
        digest.update(chunk)
    _seek(file, 0)
    if size == 0:
        raise invalid(**{field: gettext("文件是空的，请检查后重新上传")})
    claimed, kind = _sniff(file)
    if kind is None or kind not in allowed:
        if kind is None and claimed is not None and claimed in allowed:
            # It starts like an allowed kind but is not one: say so, rather
            # than "unsupported", which would puzzle the owner of a damaged file.
            raise invalid(
                **{
                    field: gettext("文件已损坏，或不是真正的%(kind)s")
                    % {"kind": KIND_LABELS[claimed]}
                }
            )
        raise invalid(**{field: _kind_message(kind, allowed)})
    return UploadInfo(kind=kind, size=size, sha256=digest.hexdigest())


def upload_name(file: Any, *, default: str) -> str:
    """The uploaded file's own name (what a download is called again), cleaned
    like any text and without a folder the browser may have sent; ``default``
    when the upload has none. Invalid under ``file`` when it is too long."""
    name = getattr(file, "name", "") or default
    name = clean_text(name, field="file", label=gettext("文件名"), max_length=200)
    return name.rsplit("/", 1)[-1]


class StorageUnavailable(AppError):
    """The file store refused the bytes (disk full, read-only, unreachable).

    The server's fault, not the client's: 503, so that a client retries later
    rather than changes its request, and a clear message instead of a bare
    server error. The row and its audit event are never written."""

    status = 503
    code = "storage_unavailable"


STORAGE_MESSAGE = gettext_noop(
    "文件存储暂时不可用，文件未保存，请稍后重试；如仍失败请联系系统管理员"
)


def content_path(folder: str, *, zone_id: int, sha256: str, kind: str) -> str:
    """Where accepted bytes are stored: by zone and content, under the
    extension of their sniffed ``kind``. Nothing the client names reaches the
    path, so it cannot traverse folders, overwrite another file, or give the
    stored file an extension (``.html``) its bytes do not bear out."""
    return f"{folder}/{zone_id}/{sha256[:2]}/{sha256}{EXTENSIONS[kind]}"


# The extensions a kind may already carry in a name (besides its own).
_ALIASES = {"jpeg": {".jpeg", ".jpe", ".jfif"}}
# What counts as an extension to replace: up to 8 letters and digits, at least
# one a letter, after the last dot ("jh.html" has ".html"; "会议纪要 2024.03.15"
# has none).
_EXTENSION = re.compile(r"\.(?=[0-9]*[A-Za-z])[A-Za-z0-9]{1,8}$")


def download_name(name: str, kind: str) -> str:
    """What a download of a stored file is called: the uploaded ``name`` with
    the extension of its sniffed ``kind`` in place of whatever it had
    ("jh.html" holding a JPEG downloads as "jh.jpg"), so that the file a user
    saves opens as what it is, never as a page."""
    extension = EXTENSIONS.get(kind)
    if extension is None:
        return name
    fitting = (extension, *_ALIASES.get(kind, ()))
    if name.lower().endswith(fitting):
        return name
    stem = _EXTENSION.sub("", name)
    return stem if stem.lower().endswith(fitting) else stem + extension


@contextlib.contextmanager
def stored_upload(field_file: FieldFile, file: Any, *, name: str) -> Iterator[None]:
    """Store ``file`` (uploaded as ``name``) in ``field_file`` for the block
    that saves its row.

    The path is the content address (zone, SHA-256 and extension, see
    ``content_path``) the field's ``upload_to`` gives. When those bytes are
    already stored there they are shared, not written twice: the rows stay
    separate, which is what flags the reuse to verifiers. When the store
    cannot take them, ``StorageUnavailable`` is raised before the block runs,
    so no row or audit event is written. When the block raises (the row or
    its audit event could not be written), bytes written here are deleted
    again, so storage never keeps a file no row points to; shared bytes are
    left alone.
    """
    storage = field_file.storage
    path = field_file.field.generate_filename(field_file.instance, name)
    stored_now = False
    try:
        if storage.exists(path):
            field_file.name = path
        else:
            file.seek(0)
            stored_now = True
            field_file.save(name, file, save=False)
    except Exception as exc:
        # Any backend's failure (OSError from a full or read-only disk, a
        # client error from object storage) means the same to the user.
        logger.exception("storage refused %s", path)
        if stored_now:
            _discard_partial(storage, path, expected_size=_size(file))
        message = gettext(STORAGE_MESSAGE)
        raise StorageUnavailable(message, fields={"file": message}) from exc
    try:
        yield
    except Exception:
        if stored_now and field_file.name:  # save() named it
            _delete_quietly(storage, field_file.name)
        raise


def _discard_partial(storage: Any, path: str, *, expected_size: int | None) -> None:
    """Delete what a failed write left at ``path`` (a truncated file there
    would otherwise be shared by the next upload of the same bytes). A
    complete file of the right size is another request's identical upload
    that won the race: it stays."""
    with contextlib.suppress(Exception):
        if storage.exists(path) and storage.size(path) != expected_size:
            _delete_quietly(storage, path)


def _delete_quietly(storage: Any, path: str) -> None:
    # Cleanup must never hide the error that made it necessary.
    try:
        storage.delete(path)
    except Exception:
        logger.exception("could not delete %s after a failed upload", path)


def _size(file: Any) -> int | None:
    size = getattr(file, "size", None)
    if isinstance(size, int):
        return size
    try:
        return file.seek(0, 2)
    except (AttributeError, OSError, ValueError):
        return None


def _kind_message(kind: str | None, allowed: set[str] | frozenset[str]) -> str:
    if kind == "encrypted":
        # An Office file (OLE-wrapped) or a PDF that needs a password to open.
        return gettext("文件设置了打开密码，请取消密码后再上传")
    if allowed == {"xlsx"}:
        if kind == "xls":
            return gettext("这是旧版 Excel（.xls）文件，请在 Excel 中“另存为” .xlsx 格式后再上传")
        return gettext("文件不是有效的 Excel（.xlsx）文件")
    if allowed == {"docx"}:
        return gettext("文件不是有效的 Word（.docx）文件")
    names = gettext("、").join(str(KIND_LABELS.get(k, k)) for k in sorted(allowed, key=_kind_order))
    return gettext("不支持此类文件，请上传：%(kinds)s") % {"kinds": names}


def _kind_order(kind: str) -> int:
    order = list(KIND_LABELS)
    return order.index(kind) if kind in order else len(order)


# Sniffing ----------------------------------------------------------------------


def _sniff_head(head: bytes) -> str | None:
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    # ISO 32000 puts the header first ("The first line of a PDF file shall be
    # a header"); readers that tolerate junk before it in the first KB do so
    # for broken writers. Requiring offset 0 means no accepted PDF can start
    # as a page, a script or any other kind.
    if _PDF_HEADER.match(head):
        return "pdf"
    if head[:4] in _ZIP_MAGICS:
        return "zip"
    if head.startswith(_OLE_MAGIC):
        return "ole"
    return None


# An Office Open XML package (ECMA-376 part 2) names its main part twice: the
# package relationship of type officeDocument points at it, and
# [Content_Types].xml gives it the main content type of its kind. Macro-enabled
# and template variants have other content types and are refused: served as
# .xlsx/.docx/.pptx, Office would not open them.
_OOXML_MAIN_TYPES = {
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml": "xlsx",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml": "docx",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml": "pptx",
}
_OFFICE_DOCUMENT = "/officeDocument"  # the end of the relationship type's URI
_CT = "{http://schemas.openxmlformats.org/package/2006/content-types}"
_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
# [Content_Types].xml and _rels/.rels are a few KB; anything larger is no
# Office file, and reading at most this much keeps a zip bomb harmless.
_MAX_PACKAGE_PART = 1024 * 1024


def _sniff_zip(file: Any) -> str:
    """The OOXML kind the package's own parts declare, or "zip"."""
    try:
        with zipfile.ZipFile(file) as archive:
            names = set(archive.namelist())
            if not {"[Content_Types].xml", "_rels/.rels"} <= names:
                return "zip"
            types = _package_xml(archive, "[Content_Types].xml")
            rels = _package_xml(archive, "_rels/.rels")
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        return "zip"
    except (ElementTree.ParseError, RuntimeError, NotImplementedError):
        return "zip"  # malformed XML; an encrypted or oddly compressed entry
    main = next(
        (
            r.get("Target", "").lstrip("/")
            for r in rels.iter(f"{_REL}Relationship")
            if r.get("Type", "").endswith(_OFFICE_DOCUMENT) and r.get("TargetMode") != "External"
        ),
        None,
    )
    if not main or main not in names:
        return "zip"
    content_type = next(
        (
            o.get("ContentType")
            for o in types.iter(f"{_CT}Override")
            if o.get("PartName", "").lstrip("/") == main
        ),
        None,
    )
    return _OOXML_MAIN_TYPES.get(content_type or "", "zip")


def _package_xml(archive: zipfile.ZipFile, name: str) -> ElementTree.Element:
    with archive.open(name) as part:
        data = part.read(_MAX_PACKAGE_PART + 1)
    # Package parts never declare a DTD; refusing one rules out entity tricks.
    if len(data) > _MAX_PACKAGE_PART or b"<!DOCTYPE" in data.upper():
        raise ValueError("not a package part")
    return ElementTree.fromstring(data)  # noqa: S314 (bounded, no DTD)


# pypdf's own limits are sized for desktop use (75 MB per stream); an upload
# is at most MAX_UPLOAD_MB, and checking it needs only the cross-reference
# data and the page tree.
_PDF_LIMITS = {
    "maximum_declared_stream_length": 32 * MB,
    "zlib_maximum_output_length": 32 * MB,
    "lzw_maximum_output_length": 32 * MB,
    "run_length_maximum_output_length": 32 * MB,
    "array_based_stream_maximum_output_length": 32 * MB,
    "stream_decoding_work_maximum_length": 64 * MB,
}
_PDF_TAIL = 1024  # %%EOF must be in the last KB, as readers require


def _sniff_pdf(file: Any) -> str | None:
    """ "pdf" for a document a PDF reader can open: it ends with a
    ``startxref`` and ``%%EOF`` and pypdf reads its cross-reference data,
    catalog and page tree (within the limits above). "encrypted" when it
    needs a password to open; None otherwise."""
    try:
        end = file.seek(0, 2)
        file.seek(max(0, end - _PDF_TAIL))
        tail = file.read(_PDF_TAIL)
        if b"%%EOF" not in tail or b"startxref" not in tail:
            return None
        file.seek(0)
        with pypdf.apply_configuration(None, **_PDF_LIMITS):  # None: the current one
            reader = pypdf.PdfReader(file, strict=False)
            if reader.is_encrypted and reader.decrypt("") == pypdf.PasswordType.NOT_DECRYPTED:
                return "encrypted"
            return "pdf" if len(reader.pages) > 0 else None
    except (PyPdfError, DependencyError, OSError, ValueError, KeyError, TypeError,
            AttributeError, IndexError, RecursionError, struct.error, ArithmeticError):  # fmt: skip
        # pypdf reports a broken file with whatever its parser hit.
        return None


_PILLOW_FORMATS = {"jpeg": "JPEG", "png": "PNG", "gif": "GIF", "webp": "WEBP"}


def _sniff_image(file: Any, kind: str) -> str | None:
    """``kind`` when Pillow decodes the image's header as that format and
    the declared size is no decompression bomb; None otherwise."""
    try:
        with Image.open(file, formats=[_PILLOW_FORMATS[kind]]) as image:
            width, height = image.size
            limit = Image.MAX_IMAGE_PIXELS  # None only if a caller switched the check off
            if width < 1 or height < 1 or (limit is not None and width * height > limit):
                return None
            image.verify()  # chunk checksums (PNG) and structure, no pixel decoding
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, ValueError,
            SyntaxError, struct.error, EOFError, IndexError, TypeError):  # fmt: skip
        return None
    return kind


def _sniff_ole(file: Any) -> str:
    """Tell legacy .doc/.xls/.ppt apart by the streams in the OLE directory."""
    try:
        names = _ole_stream_names(file)
    except (ValueError, struct.error, OSError):
        return "ole"
    if "EncryptedPackage" in names:
        return "encrypted"
    if "WordDocument" in names:
        return "doc"
    if "Workbook" in names or "Book" in names:
        return "xls"
    if "PowerPoint Document" in names:
        return "ppt"
    return "ole"


_FREESECT = 0xFFFFFFFF
_ENDOFCHAIN = 0xFFFFFFFE
_MAX_SECTORS = 1 << 20  # a loop guard; far more than any accepted upload has


def _ole_stream_names(file: Any) -> set[str]:
    """The entry names of an OLE compound file's directory (MS-CFB §2).

    Only the header, the FAT and the directory chain are read; every sector
    number is bounds-checked and chains are guarded against loops, so a
    crafted file fails with ValueError rather than hanging.
    """
    header = file.read(512)
    if len(header) < 512 or not header.startswith(_OLE_MAGIC):
        raise ValueError("not an OLE file")
    shift = struct.unpack_from("<H", header, 0x1E)[0]
    if shift not in (9, 12):
        raise ValueError("bad sector size")
    sector_size = 1 << shift
    first_dir = struct.unpack_from("<I", header, 0x30)[0]
    first_difat, difat_count = struct.unpack_from("<II", header, 0x44)
    fat_sectors = [s for s in struct.unpack_from("<109I", header, 0x4C) if s < _ENDOFCHAIN]

    def sector(number: int) -> bytes:
        if number >= _MAX_SECTORS:
            raise ValueError("sector out of range")
        file.seek(sector_size * (number + 1))
        data = file.read(sector_size)
        if len(data) < sector_size:
            raise ValueError("truncated")
        return data

    per_sector = sector_size // 4
    next_difat = first_difat
    for _ in range(min(difat_count, _MAX_SECTORS)):
        if next_difat >= _ENDOFCHAIN:
            break
        entries = struct.unpack(f"<{per_sector}I", sector(next_difat))
        fat_sectors.extend(s for s in entries[:-1] if s < _ENDOFCHAIN)
        next_difat = entries[-1]
    fat: list[int] = []
    for number in fat_sectors[:_MAX_SECTORS]:
        fat.extend(struct.unpack(f"<{per_sector}I", sector(number)))

    names: set[str] = set()
    seen: set[int] = set()
    current = first_dir
    while current not in (_ENDOFCHAIN, _FREESECT):
        if current in seen or current >= len(fat):
            raise ValueError("bad directory chain")
        seen.add(current)
        data = sector(current)
        for offset in range(0, sector_size, 128):
            length = struct.unpack_from("<H", data, offset + 64)[0]
            if 2 <= length <= 64:
                names.add(data[offset : offset + length - 2].decode("utf-16-le", "replace"))
        current = fat[current]
    return names


def _tell(file: Any) -> int:
    try:
        return file.tell()
    except (AttributeError, OSError, ValueError):
        return 0


def _seek(file: Any, position: int) -> None:
    # An unseekable stream is read once from where it stands; nothing to undo.
    with contextlib.suppress(AttributeError, OSError, ValueError):
        file.seek(position)
