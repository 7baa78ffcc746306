"""Photos from the public are stored without EXIF (GPS position, device),
upright, and the stored SHA-256 is of the cleaned bytes."""

from __future__ import annotations

import hashlib
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from shiji.core.errors import Invalid
from shiji.core.images import image_without_metadata
from shiji.outreach.models import FeedbackFile
from shiji.outreach.services.public import feedback_submit

GPS_IFD = 0x8825


def photo_with_gps(*, orientation: int = 1, fmt: str = "JPEG") -> bytes:
    """A 40×20 photo carrying a phone's EXIF: make, model, serial, GPS position."""
    image = Image.new("RGB", (40, 20), (200, 30, 30))
    image.paste((20, 20, 200), (0, 0, 10, 20))  # a blue band on the left
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0110] = "Phone X1"  # Model
    exif[0xA431] = "SERIAL-123456"  # BodySerialNumber
    exif[0x0112] = orientation
    exif[GPS_IFD] = {
        1: "N",
        2: (31.0, 13.0, 45.6),
        3: "E",
        4: (121.0, 28.0, 12.3),
    }
    out = io.BytesIO()
    image.save(out, fmt, exif=exif, **({"quality": 95} if fmt == "JPEG" else {}))
    return out.getvalue()


def test_the_fixture_photo_really_carries_gps():
    with Image.open(io.BytesIO(photo_with_gps())) as image:
        assert image.getexif().get_ifd(GPS_IFD)[1] == "N"


@pytest.mark.parametrize(("fmt", "kind"), [("JPEG", "jpeg"), ("PNG", "png"), ("WEBP", "webp")])
def test_cleaning_removes_exif_and_keeps_the_format(fmt, kind):
    raw = photo_with_gps(fmt=fmt)
    clean = image_without_metadata(io.BytesIO(raw), kind=kind)
    assert b"PhoneMaker" in raw and b"PhoneMaker" not in clean
    with Image.open(io.BytesIO(clean)) as image:
        assert image.format == fmt
        assert not image.getexif()
        assert "exif" not in image.info and "xmp" not in image.info


def test_orientation_is_applied_to_the_pixels():
    clean = image_without_metadata(io.BytesIO(photo_with_gps(orientation=6)), kind="jpeg")
    with Image.open(io.BytesIO(clean)) as image:
        assert image.size == (20, 40)  # rotated upright; no tag left to rotate it again


def test_a_decompression_bomb_is_refused_without_decoding(monkeypatch):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100)
    with pytest.raises(Invalid):
        image_without_metadata(io.BytesIO(photo_with_gps()), kind="jpeg")


def test_a_submitted_photo_is_stored_clean_and_hashed_as_stored(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    raw = photo_with_gps()
    upload = SimpleUploadedFile("IMG_张三的手机.jpg", raw, content_type="image/jpeg")
    done = feedback_submit(
        zone=world.a.zone,
        data={"kind": "complaint", "content": "路灯坏了"},
        files=[upload],
        client="198.51.100.7",
    )
    stored = FeedbackFile.objects.get(feedback=done.feedback)
    with stored.file.open("rb") as handle:
        data = handle.read()
    assert stored.sha256 == hashlib.sha256(data).hexdigest() != hashlib.sha256(raw).hexdigest()
    assert stored.size == len(data)
    assert b"PhoneMaker" not in data and b"SERIAL-123456" not in data
    with Image.open(io.BytesIO(data)) as image:
        assert not image.getexif() and image.format == "JPEG"
    # The uploaded name (which may say whose phone it was) is not kept either.
    assert "张三" not in stored.name and stored.name.endswith(".jpg")
    assert stored.sha256 in stored.file.name
