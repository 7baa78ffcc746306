"""Upload checks: every kind is told by its bytes, never by its name, and the
bytes must be what their first bytes claim: a real PDF, image or Office file."""

from __future__ import annotations

import hashlib
import io
import struct
import zipfile
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from docx import Document
from openpyxl import Workbook

from shiji.core.errors import Invalid
from shiji.core.uploads import (
    EVIDENCE,
    MB,
    check_upload,
    content_path,
    download_name,
    size_label,
    sniff_kind,
)
from tests.samples import image_bytes, pdf_bytes

# A Windows executable starts with "MZ"; this is enough to look like one.
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200


def xlsx_bytes() -> bytes:
    wb = Workbook()
    wb.active["A1"] = "组织名称"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def docx_bytes() -> bytes:
    doc = Document()
    doc.add_paragraph("整改报告")
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def zip_bytes(names: list[str]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name in names:
            archive.writestr(name, "<x/>")
    return out.getvalue()


PPTX_MAIN = "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml"
OFFICE_DOCUMENT = (
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"
)


def package_bytes(
    *,
    main: str = "ppt/presentation.xml",
    content_type: str = PPTX_MAIN,
    target: str | None = None,
    types_extra: str = "",
    parts: tuple[str, ...] | None = None,
) -> bytes:
    """A minimal Office Open XML package: [Content_Types].xml giving ``main``
    its ``content_type``, and _rels/.rels pointing the officeDocument
    relationship at ``target`` (``main`` by default)."""
    types = (
        f'{types_extra}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/{main}" ContentType="{content_type}"/></Types>'
    )
    rels = (
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{OFFICE_DOCUMENT}" Target="{target or main}"/>'
        "</Relationships>"
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", types)
        archive.writestr("_rels/.rels", rels)
        for name in parts if parts is not None else (main,):
            archive.writestr(name, "<p:presentation/>")
    return out.getvalue()


def ole_bytes(stream_names: list[str]) -> bytes:
    """A minimal OLE compound file (MS-CFB, 512-byte sectors): sector 0 holds
    the FAT, sector 1 the directory with a root entry and the given streams."""
    header = bytearray(512)
    header[0:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    struct.pack_into("<HHH", header, 0x18, 0x3E, 3, 0xFFFE)
    struct.pack_into("<HH", header, 0x1E, 9, 6)
    struct.pack_into("<I", header, 0x2C, 1)  # one FAT sector
    struct.pack_into("<I", header, 0x30, 1)  # directory starts at sector 1
    struct.pack_into("<I", header, 0x38, 4096)
    struct.pack_into("<II", header, 0x3C, 0xFFFFFFFE, 0)
    struct.pack_into("<II", header, 0x44, 0xFFFFFFFE, 0)
    struct.pack_into("<109I", header, 0x4C, 0, *([0xFFFFFFFF] * 108))
    fat = struct.pack("<128I", 0xFFFFFFFD, 0xFFFFFFFE, *([0xFFFFFFFF] * 126))
    directory = bytearray(512)
    for i, name in enumerate(["Root Entry", *stream_names][:4]):
        encoded = (name + "\x00").encode("utf-16-le")
        directory[i * 128 : i * 128 + len(encoded)] = encoded
        struct.pack_into("<HB", directory, i * 128 + 64, len(encoded), 5 if i == 0 else 2)
    return bytes(header) + fat + bytes(directory)


@pytest.mark.parametrize(
    ("content", "kind"),
    [
        (image_bytes("jpeg"), "jpeg"),
        (image_bytes("png"), "png"),
        (image_bytes("gif"), "gif"),
        (image_bytes("webp"), "webp"),
        (pdf_bytes(), "pdf"),
        (package_bytes(), "pptx"),
        (zip_bytes(["readme.txt"]), "zip"),
        (zip_bytes(["xl/workbook.xml"]), "zip"),  # no [Content_Types].xml: not OOXML
        (ole_bytes(["WordDocument", "1Table"]), "doc"),
        (ole_bytes(["Workbook"]), "xls"),
        (ole_bytes(["Book"]), "xls"),
        (ole_bytes(["PowerPoint Document"]), "ppt"),
        (ole_bytes(["EncryptionInfo", "EncryptedPackage"]), "encrypted"),
        (ole_bytes(["Something"]), "ole"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 30, "ole"),  # truncated
        (b"PK\x03\x04 not really a zip", "zip"),
        (EXE, None),
        ("姓名,所属组织\n张三,机关党委\n".encode(), None),
        (b"", None),
    ],
)
def test_sniff_kind_tells_files_by_their_bytes(content, kind):
    assert sniff_kind(io.BytesIO(content)) == kind


@pytest.mark.parametrize(
    "content",
    [
        b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 20,
        b"\x89PNG\r\n\x1a\n" + b"\x00" * 20,
        image_bytes("png")[:40],  # cut off inside the image data
        b"GIF89a" + b"\x00" * 20,
        b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 20,
        b"\xff\xd8\xff\xe0<html><script>alert(1)</script></html>",
    ],
    ids=["jpeg-magic", "png-magic", "png-truncated", "gif-magic", "webp-magic", "jpeg-html"],
)
def test_image_magic_without_an_image_behind_it_is_no_image(content):
    assert sniff_kind(io.BytesIO(content)) is None


def test_an_image_declaring_more_pixels_than_the_bomb_limit_is_refused():
    header = struct.pack(">IIBBBBB", 100_000, 100_000, 8, 2, 0, 0, 0)
    ihdr = b"IHDR" + header
    bomb = (
        b"\x89PNG\r\n\x1a\n"
        + struct.pack(">I", len(header))
        + ihdr
        + struct.pack(">I", zlib.crc32(ihdr))
        + image_bytes("png")[33:]  # the small image's data and end
    )
    assert sniff_kind(io.BytesIO(bomb)) is None


@pytest.mark.parametrize(
    "content",
    [
        # The attack: a page with "%PDF-" somewhere in its first KB.
        b"<html><body><script>alert(document.cookie)</script>%PDF-1.7</body></html>\n",
        b"junk before the header\n" + pdf_bytes(),  # the header must come first
        b"%PDF-1.7\n" + b"0" * 2000,  # a header and nothing of a PDF behind it
        b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n",  # no startxref
        b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\nstartxref\n9\n%%EOF\n",  # nothing it points at
        pdf_bytes()[:-200],  # cut off before its cross-reference table and %%EOF
        pdf_bytes().replace(b"/Type /Pages", b"/Type /Spage"),  # no page tree
    ],
    ids=["html", "junk-first", "header-only", "no-startxref", "no-xref", "truncated", "no-pages"],
)
def test_text_or_damage_that_starts_like_a_pdf_is_no_pdf(content):
    assert sniff_kind(io.BytesIO(content)) is None
    with pytest.raises(Invalid) as exc:
        check_upload(SimpleUploadedFile("报告.pdf", content), allowed=EVIDENCE)
    if content.startswith(b"%PDF-"):
        assert exc.value.fields == {"file": "文件已损坏，或不是真正的PDF 文件"}


def test_a_pdf_that_needs_a_password_to_open_is_refused_with_a_reason():
    locked = pdf_bytes(user_password="secret")
    assert sniff_kind(io.BytesIO(locked)) == "encrypted"
    with pytest.raises(Invalid) as exc:
        check_upload(io.BytesIO(locked), allowed=EVIDENCE)
    assert "密码" in exc.value.message


def test_a_pdf_with_only_an_owner_password_opens_and_is_accepted():
    assert sniff_kind(io.BytesIO(pdf_bytes(owner_password="owner"))) == "pdf"


@pytest.mark.parametrize(
    ("package", "why"),
    [
        (package_bytes(target="ppt/missing.xml"), "the main part is not in the package"),
        (package_bytes(parts=()), "no main part at all"),
        (
            package_bytes(content_type="application/vnd.ms-excel.sheet.macroEnabled.main+xml"),
            "a macro-enabled workbook, which Office will not open as .xlsx",
        ),
        (package_bytes(content_type="application/xml"), "the main part is plain XML"),
        (
            package_bytes(types_extra='<!DOCTYPE t [<!ENTITY a "aaaa">]>'),
            "a DTD, which no package part declares",
        ),
        (zip_bytes(["[Content_Types].xml", "ppt/presentation.xml"]), "no package relationships"),
    ],
    ids=["missing-target", "no-main", "macro", "plain-xml", "doctype", "no-rels"],
)
def test_a_zip_is_an_office_document_only_when_its_parts_say_so(package, why):
    assert sniff_kind(io.BytesIO(package)) == "zip", why


def test_a_zip_bomb_posing_as_office_is_never_inflated():
    # [Content_Types].xml of 200 MB that deflates to 200 KB: reading stops
    # after the first MB, so memory stays small.
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        with archive.open("[Content_Types].xml", "w", force_zip64=True) as part:
            for _ in range(200):
                part.write(b" " * MB)
        archive.writestr("_rels/.rels", "<Relationships/>")
    assert len(out.getvalue()) < MB
    assert sniff_kind(io.BytesIO(out.getvalue())) == "zip"


def test_sniff_kind_recognises_real_office_files():
    assert sniff_kind(io.BytesIO(xlsx_bytes())) == "xlsx"
    assert sniff_kind(io.BytesIO(docx_bytes())) == "docx"


def test_sniff_kind_puts_the_position_back():
    file = io.BytesIO(xlsx_bytes())
    file.seek(10)
    sniff_kind(file)
    assert file.tell() == 10


def test_check_upload_returns_kind_size_and_sha256():
    content = xlsx_bytes()
    upload = SimpleUploadedFile("花名册.xlsx", content)
    info = check_upload(upload, allowed={"xlsx"}, max_bytes=5 * MB)
    assert info.kind == "xlsx"
    assert info.size == len(content)
    assert info.sha256 == hashlib.sha256(content).hexdigest()
    assert upload.tell() == 0


@pytest.mark.parametrize(
    "content",
    [EXE, "这不是表格\n".encode(), zip_bytes(["readme.txt"]), docx_bytes()],
    ids=["exe", "text", "zip", "docx"],
)
def test_anything_but_xlsx_named_xlsx_is_refused(content):
    with pytest.raises(Invalid) as exc:
        check_upload(SimpleUploadedFile("roster.xlsx", content), allowed={"xlsx"})
    assert exc.value.fields == {"file": "文件不是有效的 Excel（.xlsx）文件"}


def test_legacy_xls_is_refused_with_advice_to_save_as_xlsx():
    with pytest.raises(Invalid) as exc:
        check_upload(io.BytesIO(ole_bytes(["Workbook"])), allowed={"xlsx"})
    assert "另存为" in exc.value.message


def test_password_protected_office_file_is_refused_with_a_reason():
    with pytest.raises(Invalid) as exc:
        check_upload(io.BytesIO(ole_bytes(["EncryptedPackage"])), allowed={"xlsx"})
    assert "密码" in exc.value.message


def test_several_allowed_kinds_are_named_in_the_message():
    with pytest.raises(Invalid) as exc:
        check_upload(io.BytesIO(EXE), allowed=EVIDENCE)
    assert exc.value.message.startswith("不支持此类文件，请上传：JPEG 图片")
    assert "PDF 文件" in exc.value.message


def test_empty_file_is_refused():
    with pytest.raises(Invalid) as exc:
        check_upload(SimpleUploadedFile("a.xlsx", b""), allowed={"xlsx"})
    assert exc.value.fields["file"] == "文件是空的，请检查后重新上传"


def test_file_over_the_explicit_limit_is_refused_before_reading():
    class Huge(io.BytesIO):
        size = 5 * MB + 1  # what Django reports for a large upload

        def read(self, *args):
            raise AssertionError("must not read an oversized upload")

    with pytest.raises(Invalid) as exc:
        check_upload(Huge(), allowed={"xlsx"}, max_bytes=5 * MB)
    assert exc.value.fields["file"] == "文件过大（最大 5 MB）"


def test_stream_without_a_size_is_counted_while_read():
    stream = io.BytesIO(xlsx_bytes() + b"\x00" * (1 * MB))
    with pytest.raises(Invalid) as exc:
        check_upload(stream, allowed={"xlsx"}, max_bytes=1 * MB)
    assert exc.value.fields["file"] == "文件过大（最大 1 MB）"


def test_site_limit_caps_a_larger_explicit_limit(settings):
    settings.MAX_UPLOAD_MB = 1
    upload = SimpleUploadedFile("big.xlsx", b"\x00" * (MB + 1))
    with pytest.raises(Invalid) as exc:
        check_upload(upload, allowed={"xlsx"}, max_bytes=50 * MB)
    assert exc.value.fields["file"] == "文件过大（最大 1 MB）"


def test_default_limit_is_the_site_limit(settings):
    settings.MAX_UPLOAD_MB = 20
    with pytest.raises(Invalid) as exc:
        check_upload(SimpleUploadedFile("x.pdf", pdf_bytes() + b" " * (20 * MB)), allowed={"pdf"})
    assert exc.value.fields["file"] == "文件过大（最大 20 MB）"


def test_content_path_is_zone_and_sha256_with_the_sniffed_kinds_extension():
    sha = "ab" + "0" * 62
    assert content_path("evidence", zone_id=7, sha256=sha, kind="jpeg") == (
        f"evidence/7/ab/{sha}.jpg"
    )


@pytest.mark.parametrize(
    ("name", "kind", "download"),
    [
        ("jh.html", "jpeg", "jh.jpg"),
        ("整改后现场照片.JPG", "jpeg", "整改后现场照片.JPG"),
        ("现场.jpeg", "jpeg", "现场.jpeg"),
        ("报告.pdf.exe", "pdf", "报告.pdf"),
        ("会议纪要 2024.03.15", "pdf", "会议纪要 2024.03.15.pdf"),
        ("制度", "docx", "制度.docx"),
        ("table.xlsx", "png", "table.png"),
    ],
)
def test_a_download_carries_the_extension_of_what_the_file_is(name, kind, download):
    assert download_name(name, kind) == download


def test_size_labels():
    assert size_label(5 * MB) == "5 MB"
    assert size_label(int(1.5 * MB)) == "1.5 MB"
    assert size_label(300 * 1024) == "300 KB"
