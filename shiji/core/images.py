"""Photos from the public, cleaned before they are stored.

A phone writes where and with what a photo was taken into its EXIF (GPS
position, make, model, serial number, time) and often XMP. None of that may
reach storage: ``image_without_metadata`` decodes the image, turns it
upright by the orientation the camera recorded (which is then no longer
needed), and encodes only the pixels again in the same format. Even the
colour profile is left out: a camera's profile may name the device. The
stored file's SHA-256 is of these cleaned bytes.

Images over ``Image.MAX_IMAGE_PIXELS`` pixels (decompression bombs, the
limit uploads are checked against) are refused, not decoded.
"""

from __future__ import annotations

import io
import warnings
from typing import IO, Any

from django.utils.translation import gettext
from PIL import Image, ImageOps, UnidentifiedImageError

from shiji.core.errors import invalid

_FORMATS = {"jpeg": "JPEG", "png": "PNG", "webp": "WEBP"}
CLEANABLE = frozenset(_FORMATS)
JPEG_QUALITY = 90


def image_without_metadata(file: IO[bytes] | Any, *, kind: str, field: str = "file") -> bytes:
    """The image in ``file`` (of sniffed ``kind``: jpeg, png or webp) as
    bytes of the same format without EXIF, XMP or text metadata, upright.
    ``Invalid`` under ``field`` when it cannot be decoded."""
    unreadable = invalid(**{field: gettext("图片无法读取，请换一张照片后重试")})
    file.seek(0)
    try:
        with warnings.catch_warnings():
            # Pillow only warns between MAX_IMAGE_PIXELS and twice that.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(file, formats=[_FORMATS[kind]]) as image:
                width, height = image.size
                limit = Image.MAX_IMAGE_PIXELS  # None only if a caller switched the check off
                if limit is not None and width * height > limit:
                    raise unreadable
                upright = ImageOps.exif_transpose(image)
                out = io.BytesIO()
                _save(upright, out, kind=kind)
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning,
            OSError, ValueError, SyntaxError, EOFError, IndexError, TypeError,
            KeyError, ZeroDivisionError, MemoryError) as exc:  # fmt: skip
        # What Pillow raises for a damaged or unusual file varies by format.
        raise unreadable from exc
    finally:
        file.seek(0)
    return out.getvalue()


def _save(image: Image.Image, out: IO[bytes], *, kind: str) -> None:
    # No exif=, xmp=, icc_profile= or pnginfo=: Pillow writes none unless given.
    if kind == "jpeg":
        if image.mode not in ("RGB", "L", "CMYK"):
            image = image.convert("RGB")
        image.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)
    elif kind == "png":
        image.save(out, "PNG", optimize=True)
    else:
        if image.mode not in ("RGB", "RGBA"):
            image = image.convert("RGBA" if "A" in image.getbands() else "RGB")
        image.save(out, "WEBP", quality=JPEG_QUALITY)
