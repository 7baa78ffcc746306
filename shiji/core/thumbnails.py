"""Thumbnails of stored images, made once and kept next to the original.

A thumbnail is a JPEG of at most ``EDGE`` pixels on its longer side, stored
through the original's storage under ``thumbnail_name`` of its name
("evidence/3/ab/<sha256>.png" → "evidence/3/ab/<sha256>.thumb.jpg"). Like
the original it is addressed by content, so rows that share bytes share one
thumbnail, and nothing the client sent reaches its path.

When: on the first view (``thumbnail_open``, called by the access-checked
download view for ``?size=thumb``), and in bulk by ``manage.py
make_thumbnails`` for files stored before (``thumbnail_make``). Not on
upload: decoding a 20 MB photo would hold the upload's transaction (and on
SQLite every writer) for as long, and a thumbnail that fails must never
fail the upload. A lock per thumbnail keeps two simultaneous first views
from both decoding the image, and the write never replaces a stored
thumbnail, so there is only ever one.

What goes in: only pixels. The orientation a camera recorded in EXIF is
applied to the pixels, and no metadata is copied, so a phone's GPS position
(or its make, serial number and time) never reaches a thumbnail. Images
with more than ``Image.MAX_IMAGE_PIXELS`` pixels (decompression bombs, the
same limit uploads are checked against) get none.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import logging
import posixpath
import time
import uuid
import warnings
from collections import Counter
from collections.abc import Callable, Iterator
from typing import IO, Literal

from django.apps import apps
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import Storage
from django.db.models.fields.files import FieldFile
from django.utils.translation import gettext
from PIL import Image, ImageOps, UnidentifiedImageError

from shiji.core.uploads import IMAGES

logger = logging.getLogger(__name__)

EDGE = 480  # px on the longer side: sharp at twice the size the pages show
QUALITY = 82
SUFFIX = ".thumb.jpg"
CONTENT_TYPE = "image/jpeg"
_FORMATS = {"jpeg": "JPEG", "png": "PNG", "gif": "GIF", "webp": "WEBP"}

# The lock: held while one request decodes; another one asking for the same
# thumbnail waits for it (and then finds it stored) rather than decoding too.
# With a cache shared by the app servers (CACHE_URL) this holds across
# processes; with the per-process default only within one, and the write
# below still keeps a single stored file.
_LOCK_SECONDS = 60
_WAIT_SECONDS = 15.0
_POLL_SECONDS = 0.1

Outcome = Literal["made", "kept", "none"]


class NoThumbnail(Exception):
    """The image cannot be made into a thumbnail (too many pixels, damaged)."""


def thumbnail_name(name: str) -> str:
    """Where the thumbnail of the stored file ``name`` is kept."""
    stem, _extension = posixpath.splitext(name)
    return stem + SUFFIX


def has_thumbnail(kind: str) -> bool:
    return kind in IMAGES


def thumbnail_open(field_file: FieldFile, *, kind: str) -> IO[bytes] | None:
    """The thumbnail's bytes as an open binary file, made now if this is its
    first view; None when the file has none (not an image, no stored bytes,
    or an image that cannot be made into one)."""
    storage, name = field_file.storage, field_file.name
    if not name:  # an empty file field (a FieldFile is false without a name)
        return None
    outcome, data = _ensure(storage, name, kind=kind)
    if outcome == "none":
        return None
    if data is not None:
        return io.BytesIO(data)  # made now but the storage would not keep it
    try:
        return storage.open(thumbnail_name(name), "rb")
    except OSError:
        return None


def thumbnail_make(storage: Storage, name: str, *, kind: str) -> Outcome:
    """Make the thumbnail of the stored file ``name`` unless it is there:
    "made", "kept" (it was there) or "none" (see ``thumbnail_open``)."""
    return _ensure(storage, name, kind=kind)[0]


# Every stored file that may be an image: (model, file field, kind field).
STORED_FILES = [
    ("ledger.Evidence", "file", "content_kind"),
    ("campaigns.AssignmentEvidence", "file", "content_kind"),
    ("study.Material", "file", "content_kind"),
    ("study.Speech", "file", "content_kind"),
    ("reports.UpdatePhoto", "file", "kind"),
]


def thumbnails_backfill(*, progress: Callable[[str], None] | None = None) -> Counter[str]:
    """Make the missing thumbnails of every stored image (files stored
    before thumbnails existed, or whose thumbnail could not be stored).
    Returns how many were "made", "kept" and "none"; each stored file is
    looked at once, however many rows share it."""
    counts: Counter[str] = Counter()
    for label, file_field, kind_field in STORED_FILES:
        model = apps.get_model(label)
        storage = model._meta.get_field(file_field).storage
        stored = (
            model.objects.filter(**{f"{kind_field}__in": sorted(IMAGES)})
            .exclude(**{file_field: ""})
            .values_list(file_field, kind_field)
            .order_by(file_field)
            .distinct()
        )
        total = len(stored)
        for i, (name, kind) in enumerate(stored, 1):
            counts[thumbnail_make(storage, name, kind=kind)] += 1
            if progress and (i % 100 == 0 or i == total):
                progress(
                    gettext("%(what)s：%(done)s/%(total)s")
                    % {"what": model._meta.verbose_name, "done": i, "total": total}
                )
    return counts


def render_thumbnail(source: IO[bytes], *, kind: str) -> bytes:
    """The JPEG thumbnail of the image in ``source`` (of sniffed ``kind``):
    upright, at most ``EDGE`` px, flattened on white, without metadata.
    Raises ``NoThumbnail`` for an image that cannot be made into one."""
    try:
        with warnings.catch_warnings():
            # Pillow only warns between MAX_IMAGE_PIXELS and twice that.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(source, formats=[_FORMATS[kind]]) as image:
                width, height = image.size
                limit = Image.MAX_IMAGE_PIXELS  # None only if a caller switched the check off
                if limit is not None and width * height > limit:
                    raise NoThumbnail(f"{width}×{height} pixels")
                # JPEG decodes at 1/2 to 1/8 scale when that is still larger
                # than the thumbnail: a fraction of the memory and time.
                image.draft("RGB", (EDGE, EDGE))
                upright = ImageOps.exif_transpose(image)
                upright.thumbnail((EDGE, EDGE), Image.Resampling.LANCZOS)
                flat = _on_white(upright)
                out = io.BytesIO()
                # No exif= or icc_profile=: nothing but the pixels is written.
                flat.save(out, "JPEG", quality=QUALITY, optimize=True, progressive=True)
                return out.getvalue()
    except NoThumbnail:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning,
            OSError, ValueError, SyntaxError, EOFError, IndexError, TypeError,
            KeyError, ZeroDivisionError, MemoryError) as exc:  # fmt: skip
        # What Pillow raises for a damaged or unusual file varies by format.
        raise NoThumbnail(str(exc) or type(exc).__name__) from exc


def _on_white(image: Image.Image) -> Image.Image:
    """RGB, with any transparency laid over white (JPEG has no alpha)."""
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat
    return image.convert("RGB") if image.mode != "RGB" else image


def _ensure(storage: Storage, name: str, *, kind: str) -> tuple[Outcome, bytes | None]:
    """("kept", None) when the thumbnail is stored, ("made", None) after
    making and storing it, ("made", bytes) when it was made but the storage
    would not keep it, ("none", None) when there is none to make."""
    if not has_thumbnail(kind) or not name:
        return "none", None
    thumb = thumbnail_name(name)
    if storage.exists(thumb):
        return "kept", None
    with _lock(thumb):
        if storage.exists(thumb):  # made while this request waited for the lock
            return "kept", None
        try:
            with storage.open(name, "rb") as source:
                data = render_thumbnail(source, kind=kind)
        except NoThumbnail as exc:
            logger.warning("no thumbnail for %s: %s", name, exc)
            return "none", None
        except OSError:
            return "none", None  # the original is gone from storage
        try:
            _store(storage, thumb, data)
        except Exception:
            # A full disk or an unreachable object store: show the thumbnail
            # this once, and make it again next time.
            logger.exception("could not store thumbnail %s", thumb)
            return "made", data
    return "made", None


def _store(storage: Storage, name: str, data: bytes) -> None:
    saved = storage.save(name, ContentFile(data))
    if saved != name:
        # Another process stored it between the check and the save (storages
        # never overwrite; they pick a free name): keep theirs, drop ours.
        storage.delete(saved)


@contextlib.contextmanager
def _lock(name: str) -> Iterator[None]:
    key = "thumbnail:" + hashlib.sha256(name.encode()).hexdigest()
    token = uuid.uuid4().hex
    deadline = time.monotonic() + _WAIT_SECONDS
    owned = cache.add(key, token, timeout=_LOCK_SECONDS)
    while not owned and time.monotonic() < deadline:
        time.sleep(_POLL_SECONDS)
        owned = cache.add(key, token, timeout=_LOCK_SECONDS)
    # After the wait, go on without it: the holder is stuck or gone, and the
    # write above is safe without the lock.
    try:
        yield
    finally:
        if owned and cache.get(key) == token:
            cache.delete(key)
