"""Checks for uploaded files: size limits and content sniffing by magic bytes.

The name and the Content-Type a browser sends are whatever the client says,
so every upload (rosters, ledger workbooks, evidence) is judged by its bytes:

    info = check_upload(request.FILES["file"], allowed={"xlsx"}, max_bytes=5 * MB)
    info.kind, info.size, info.sha256

``sniff_kind`` names what a file really is; ``check_upload`` refuses anything
empty, too large (the smaller of ``max_bytes`` and ``settings.MAX_UPLOAD_MB``)
or not of an allowed kind, raising ``Invalid`` with a Chinese message under
the form field ``file``.

Keeping an accepted upload: ``upload_name`` is the name to show for it, and
``stored_upload`` puts its bytes under their content address (shared with an
identical file already there) for the length of the block that writes the
row, deleting them again if that block fails.
"""

from __future__ import annotations

import contextlib
import hashlib
import struct
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

from django.conf import settings
from django.core.files.storage import default_storage
from django.db.models.fields.files import FieldFile

from shiji.core.errors import invalid
from shiji.core.validation import clean_text

MB = 1024 * 1024

# What each kind is called in messages, and the MIME type to serve it with.
KIND_LABELS: dict[str, str] = {
    "jpeg": "JPEG 图片",
    "png": "PNG 图片",
    "gif": "GIF 图片",
    "webp": "WebP 图片",
    "pdf": "PDF 文件",
    "docx": "Word（.docx）文件",
    "xlsx": "Excel（.xlsx）文件",
    "pptx": "PowerPoint（.pptx）文件",
    "doc": "旧版 Word（.doc）文件",
    "xls": "旧版 Excel（.xls）文件",
    "ppt": "旧版 PowerPoint（.ppt）文件",
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


def upload_limit(max_bytes: int | None = None) -> int:
    """The effective limit: ``max_bytes`` never exceeds the site-wide one."""
    site = settings.MAX_UPLOAD_MB * MB
    return site if max_bytes is None else min(max_bytes, site)


def sniff_kind(file: IO[bytes] | Any) -> str | None:
    """What the file's bytes say it is (see ``KIND_LABELS``), or None.

    Reads from the start and puts the position back where it was, so the
    caller can go on to read or save the file.
    """
    start = _tell(file)
    try:
        _seek(file, 0)
        head = file.read(2048) or b""
        if isinstance(head, str):  # a text-mode file is never a binary kind
            return None
        kind = _sniff_head(head)
        if kind == "zip":
            _seek(file, 0)
            kind = _sniff_zip(file)
        elif kind == "ole":
            _seek(file, 0)
            kind = _sniff_ole(file)
        return kind
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
        raise invalid(**{field: "请选择要上传的文件"})
    limit = upload_limit(max_bytes)
    too_big = invalid(**{field: f"文件过大（最大 {size_label(limit)}）"})
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
        raise invalid(**{field: "文件是空的，请检查后重新上传"})
    kind = sniff_kind(file)
    if kind not in allowed:
        raise invalid(**{field: _kind_message(kind, allowed)})
    return UploadInfo(kind=kind, size=size, sha256=digest.hexdigest())


def upload_name(file: Any, *, default: str) -> str:
    """The uploaded file's own name (what a download is called again), cleaned
    like any text and without a folder the browser may have sent; ``default``
    when the upload has none. Invalid under ``file`` when it is too long."""
    name = getattr(file, "name", "") or default
    return clean_text(name, field="file", label="文件名", max_length=200).rsplit("/", 1)[-1]


@contextlib.contextmanager
def stored_upload(field_file: FieldFile, file: Any, *, path: str, name: str) -> Iterator[None]:
    """Store ``file`` in ``field_file`` for the block that saves its row.

    ``path`` is the content address (zone and SHA-256) the field's
    ``upload_to`` gives. When those bytes are already stored there they are
    shared, not written twice: the rows stay separate, which is what flags the
    reuse to verifiers. When the block raises (the row or its audit event
    could not be written), bytes written here are deleted again, so storage
    never keeps a file no row points to; shared bytes are left alone.
    """
    if default_storage.exists(path):
        field_file.name = path
        stored_now = False
    else:
        file.seek(0)
        field_file.save(name, file, save=False)
        stored_now = True
    try:
        yield
    except Exception:
        if stored_now:
            default_storage.delete(field_file.name)
        raise


def _kind_message(kind: str | None, allowed: set[str] | frozenset[str]) -> str:
    if kind == "encrypted":
        return "文件设置了打开密码，请在 Office 中取消密码后再上传"
    if allowed == {"xlsx"}:
        if kind == "xls":
            return "这是旧版 Excel（.xls）文件，请在 Excel 中“另存为” .xlsx 格式后再上传"
        return "文件不是有效的 Excel（.xlsx）文件"
    if allowed == {"docx"}:
        return "文件不是有效的 Word（.docx）文件"
    names = "、".join(KIND_LABELS.get(k, k) for k in sorted(allowed, key=_kind_order))
    return f"不支持此类文件，请上传：{names}"


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
    # Readers accept a PDF header anywhere in the first KB (after junk bytes).
    if b"%PDF-" in head[:1024]:
        return "pdf"
    if head[:4] in _ZIP_MAGICS:
        return "zip"
    if head.startswith(_OLE_MAGIC):
        return "ole"
    return None


# The part each Office Open XML document must contain, besides [Content_Types].xml.
_OOXML_PARTS = (
    ("xlsx", "xl/workbook.xml"),
    ("docx", "word/document.xml"),
    ("pptx", "ppt/presentation.xml"),
)


def _sniff_zip(file: Any) -> str:
    try:
        with zipfile.ZipFile(file) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        return "zip"
    if "[Content_Types].xml" in names:
        for kind, part in _OOXML_PARTS:
            if part in names:
                return kind
    return "zip"


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
