"""Upload checks: every kind is told by its bytes, never by its name."""

from __future__ import annotations

import hashlib
import io
import struct
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from docx import Document
from openpyxl import Workbook

from shiji.core.errors import Invalid
from shiji.core.uploads import EVIDENCE, MB, check_upload, size_label, sniff_kind

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
        (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 20, "jpeg"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 20, "png"),
        (b"GIF89a" + b"\x00" * 20, "gif"),
        (b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 20, "webp"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "pdf"),
        (zip_bytes(["[Content_Types].xml", "ppt/presentation.xml"]), "pptx"),
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
        check_upload(SimpleUploadedFile("x.pdf", b"%PDF-" + b"0" * (20 * MB)), allowed={"pdf"})
    assert exc.value.fields["file"] == "文件过大（最大 20 MB）"


def test_size_labels():
    assert size_label(5 * MB) == "5 MB"
    assert size_label(int(1.5 * MB)) == "1.5 MB"
    assert size_label(300 * 1024) == "300 KB"
