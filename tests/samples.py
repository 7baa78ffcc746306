"""Small real files for upload tests, made by the same libraries that check
them (Pillow, pypdf), so that they pass the structural checks the way a
camera's photo or a scanner's PDF does. ``seed`` changes the bytes (and so
the SHA-256) without changing the kind."""

from __future__ import annotations

import io

import pypdf
from PIL import Image, PngImagePlugin

PILLOW_FORMATS = {"jpeg": "JPEG", "png": "PNG", "gif": "GIF", "webp": "WEBP"}


def image_bytes(kind: str = "jpeg", seed: str = "") -> bytes:
    out = io.BytesIO()
    image = Image.new("RGB", (4, 3), (183, 28, 28))
    if kind == "png":
        info = PngImagePlugin.PngInfo()
        info.add_text("Comment", seed)
        image.save(out, "PNG", pnginfo=info)
    elif kind == "jpeg":
        image.save(out, "JPEG", comment=seed.encode())
    elif kind == "gif":
        image.save(out, "GIF", comment=seed.encode())
    else:
        image.save(out, PILLOW_FORMATS[kind])
        if seed:  # WebP has no comment: vary a pixel instead
            image.putpixel((0, 0), (len(seed) % 256, 0, 0))
            out = io.BytesIO()
            image.save(out, PILLOW_FORMATS[kind], lossless=True)
    return out.getvalue()


def pdf_bytes(
    seed: str = "", *, user_password: str | None = None, owner_password: str = ""
) -> bytes:
    writer = pypdf.PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.add_metadata({"/Title": seed or "整改报告"})
    if user_password is not None or owner_password:
        writer.encrypt(
            user_password=user_password or "", owner_password=owner_password or None,
            algorithm="AES-256",
        )  # fmt: skip
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def photo_bytes(
    seed: str = "",
    *,
    size: tuple[int, int] = (1600, 1200),
    orientation: int | None = None,
    gps: bool = False,
    color: tuple[int, int, int] = (70, 120, 170),
) -> bytes:
    """A camera-like JPEG: ``size`` as stored (landscape by default) with a
    marker in its top-left corner (so a test can tell which way up it is),
    the EXIF a phone writes (make, model, time) and, if asked, an EXIF
    ``orientation`` and the GPS position where it was taken."""
    from PIL import ExifTags, ImageDraw

    image = Image.new("RGB", size, color)
    draw = ImageDraw.Draw(image)
    width, height = size
    draw.rectangle([0, 0, width // 4, height // 4], fill=(220, 30, 30))  # the marker
    draw.rectangle([width // 3, height // 2, width - 40, height - 40], fill=(240, 240, 235))
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "Phone"
    exif[ExifTags.Base.Model] = "Camera 1"
    exif[ExifTags.Base.DateTime] = "2026:03:10 09:30:00"
    if orientation is not None:
        exif[ExifTags.Base.Orientation] = orientation
    if gps:
        exif[ExifTags.IFD.GPSInfo] = {
            ExifTags.GPS.GPSLatitudeRef: "N",
            ExifTags.GPS.GPSLatitude: (26.0, 34.0, 12.0),
            ExifTags.GPS.GPSLongitudeRef: "E",
            ExifTags.GPS.GPSLongitude: (106.0, 42.0, 30.0),
        }
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85, exif=exif, comment=seed.encode())
    return out.getvalue()
