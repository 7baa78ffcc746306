"""Evidence you can see: image evidence shows as thumbnails (made once on
first view, stored next to the file, upright and without the photo's EXIF),
before and after photos side by side, PDFs and images open in the browser,
everything through the access-checked view and never as a page of this site.
"""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

import pytest
from django.core.files.storage import FileSystemStorage, default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from lxml import html
from PIL import Image

from shiji.core import thumbnails
from shiji.core.thumbnails import thumbnail_name
from shiji.ledger import services
from shiji.ledger.models import Evidence
from tests.core.test_uploads import docx_bytes, xlsx_bytes
from tests.samples import image_bytes, pdf_bytes, photo_bytes

SANDBOX = "sandbox"


def add(world, problem, content: bytes, name: str, stage: str = "after", note: str = ""):
    return services.problem_add_evidence(
        actor=world["secretary"],
        problem=problem,
        file=SimpleUploadedFile(name, content),
        stage=stage,
        note=note,
    )


def url(evidence: Evidence, query: str = "") -> str:
    return reverse("ledger:evidence_download", args=[evidence.problem_id, evidence.pk]) + query


def thumb_files(settings) -> list[str]:
    root = Path(settings.MEDIA_ROOT)
    return sorted(str(p.relative_to(root)) for p in root.rglob(f"*{thumbnails.SUFFIX}"))


@pytest.fixture
def problem(world, make_problem):
    return make_problem(world, status="in_progress")


@pytest.fixture
def renders(monkeypatch):
    """How many times a thumbnail was really made (decoded and encoded)."""
    calls: list[str] = []
    real = thumbnails.render_thumbnail

    def counting(source, *, kind):
        calls.append(kind)
        return real(source, kind=kind)

    monkeypatch.setattr(thumbnails, "render_thumbnail", counting)
    return calls


def body(response) -> bytes:
    return b"".join(response.streaming_content)


# Thumbnails -----------------------------------------------------------------------


def test_a_photo_gets_its_thumbnail_on_first_view_upright_small_and_without_its_exif(
    world, login, problem, settings
):
    # Stored landscape with "rotate 90° clockwise" in EXIF, as phones do,
    # and with the GPS position where it was taken.
    photo = add(world, problem, photo_bytes("p", orientation=6, gps=True), "整改后.jpg")
    assert thumb_files(settings) == []  # nothing is made on upload

    response = login(world["supervisor"]).get(url(photo, "?size=thumb"))

    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["Content-Disposition"].startswith("inline")
    assert response["Content-Security-Policy"] == SANDBOX
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "private, no-store"
    data = body(response)
    thumb = Image.open(io.BytesIO(data))
    # Upright (portrait) and at most 480 px: the marker in the stored
    # top-left corner is now top-right.
    assert thumb.size == (360, 480)
    red = thumb.convert("RGB").getpixel((thumb.width - 10, 10))
    assert red[0] > 180 and red[1] < 90, red
    assert thumb.convert("RGB").getpixel((10, 10))[0] < 120
    # Only pixels: no EXIF at all (no GPS, no make or model).
    assert dict(thumb.getexif()) == {}
    assert b"Phone" not in data and b"GPS" not in data
    # Kept next to the file, addressed by its content.
    name = thumbnail_name(photo.file.name)
    assert name == photo.file.name.removesuffix(".jpg") + ".thumb.jpg"
    assert thumb_files(settings) == [name]
    with default_storage.open(name) as stored:
        assert stored.read() == data


def test_a_second_view_serves_the_stored_thumbnail_without_making_it_again(
    world, login, problem, settings, renders, monkeypatch
):
    photo = add(world, problem, photo_bytes("twice"), "现场.jpg")
    saves: list[str] = []
    real_save = FileSystemStorage._save

    def counting_save(self, name, content):
        saves.append(name)
        return real_save(self, name, content)

    monkeypatch.setattr(FileSystemStorage, "_save", counting_save)

    first = login(world["supervisor"]).get(url(photo, "?size=thumb"))
    path = Path(settings.MEDIA_ROOT) / thumbnail_name(photo.file.name)
    made_at = path.stat().st_mtime_ns
    os.utime(path, ns=(made_at - 10**9, made_at - 10**9))  # an older file, to see a rewrite
    second = login(world["zone_admin"]).get(url(photo, "?size=thumb"))

    assert body(first) == body(second)
    assert renders == ["jpeg"]
    assert saves == [thumbnail_name(photo.file.name)]
    assert path.stat().st_mtime_ns == made_at - 10**9


def test_rows_that_share_the_same_bytes_share_one_thumbnail(
    world, login, make_problem, settings, renders
):
    content = photo_bytes("shared")
    first = add(world, make_problem(world, status="in_progress"), content, "a.jpg")
    second = add(world, make_problem(world, status="in_progress"), content, "b.jpg")
    client = login(world["supervisor"])

    assert client.get(url(first, "?size=thumb")).status_code == 200
    assert client.get(url(second, "?size=thumb")).status_code == 200
    assert renders == ["jpeg"]
    assert len(thumb_files(settings)) == 1


@pytest.mark.parametrize("kind", ["png", "gif", "webp"])
def test_every_image_kind_gets_a_jpeg_thumbnail(world, login, problem, kind):
    image = add(world, problem, image_bytes(kind, seed=kind), f"图.{kind}")
    response = login(world["supervisor"]).get(url(image, "?size=thumb"))
    assert response.status_code == 200
    assert Image.open(io.BytesIO(body(response))).format == "JPEG"


def test_a_transparent_png_is_laid_on_white(world, login, problem):
    out = io.BytesIO()
    Image.new("RGBA", (40, 30), (0, 0, 0, 0)).save(out, "PNG")
    image = add(world, problem, out.getvalue(), "透明.png")
    response = login(world["supervisor"]).get(url(image, "?size=thumb"))
    thumb = Image.open(io.BytesIO(body(response))).convert("RGB")
    assert thumb.size == (40, 30)  # small images are never enlarged
    assert thumb.getpixel((20, 15)) == (255, 255, 255)


def test_thumbnails_are_only_for_images(world, login, problem, settings):
    pdf = add(world, problem, pdf_bytes("报告"), "整改报告.pdf")
    photo = add(world, problem, photo_bytes("size"), "现场.jpg")
    client = login(world["supervisor"])

    assert client.get(url(pdf, "?size=thumb")).status_code == 404
    assert client.get(url(photo, "?size=huge")).status_code == 404
    assert client.get(url(photo, "?size=")).status_code == 404
    assert thumb_files(settings) == []


# Access --------------------------------------------------------------------------


def test_thumbnails_of_evidence_the_user_cannot_see_are_404_and_never_made(
    world, login, make_problem, problem, client, settings, renders
):
    mine = add(world, problem, photo_bytes("zone a"), "甲.jpg")
    other_zone = make_problem(world, zone="b", status="in_progress")
    theirs = services.problem_add_evidence(
        actor=world["outsider"],
        problem=other_zone,
        file=SimpleUploadedFile("乙.jpg", photo_bytes("zone b")),
    )

    # Another zone's evidence, directly or under a problem the user sees.
    outsider = login(world["outsider"])
    assert outsider.get(url(mine, "?size=thumb")).status_code == 404
    assert outsider.get(url(mine, "?inline=1")).status_code == 404
    zone_a = login(world["supervisor"])
    crossed = reverse("ledger:evidence_download", args=[problem.pk, theirs.pk])
    assert zone_a.get(crossed + "?size=thumb").status_code == 404
    # The same zone, but a problem outside the user's part of the tree.
    firm = login(world["firm_secretary"])
    assert firm.get(url(mine, "?size=thumb")).status_code == 404
    client.logout()
    assert client.get(url(mine, "?size=thumb")).status_code == 302  # to the login page

    assert renders == []
    assert thumb_files(settings) == []


# Inline or attachment --------------------------------------------------------------

INLINE = [
    ("jpeg", lambda: photo_bytes("inline"), "现场.jpg", "image/jpeg"),
    ("png", lambda: image_bytes("png", "inline"), "现场.png", "image/png"),
    ("gif", lambda: image_bytes("gif", "inline"), "现场.gif", "image/gif"),
    ("webp", lambda: image_bytes("webp", "inline"), "现场.webp", "image/webp"),
    ("pdf", lambda: pdf_bytes("inline"), "整改报告.pdf", "application/pdf"),
]
ATTACHMENT = [
    (
        "docx",
        docx_bytes,
        "整改报告.docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ),
    (
        "xlsx",
        xlsx_bytes,
        "台账.xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ),
]


@pytest.mark.parametrize(
    ("kind", "make", "name", "content_type"), INLINE, ids=[k[0] for k in INLINE]
)
def test_images_and_pdfs_open_inline_in_a_sandbox(
    world, login, problem, kind, make, name, content_type
):
    item = add(world, problem, make(), name)
    client = login(world["supervisor"])

    shown = client.get(url(item, "?inline=1"))
    assert shown.status_code == 200
    assert shown["Content-Type"] == content_type
    assert shown["Content-Disposition"].startswith("inline; filename")
    assert shown["Content-Security-Policy"] == SANDBOX
    assert shown["X-Content-Type-Options"] == "nosniff"
    assert shown["Cache-Control"] == "private, no-store"
    assert body(shown) == item.file.open("rb").read()

    # Without ?inline=1 it is still a download.
    saved = client.get(url(item))
    assert saved["Content-Disposition"].startswith("attachment;")
    assert saved["Content-Security-Policy"] == SANDBOX
    assert saved["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    ("kind", "make", "name", "content_type"), ATTACHMENT, ids=[k[0] for k in ATTACHMENT]
)
def test_office_files_are_always_attachments(world, login, problem, kind, make, name, content_type):
    item = add(world, problem, make(), name)
    for query in ("", "?inline=1"):
        response = login(world["supervisor"]).get(url(item, query))
        assert response.status_code == 200
        assert response["Content-Type"] == content_type
        assert response["Content-Disposition"].startswith("attachment;")
        assert response["Content-Security-Policy"] == SANDBOX
        assert response["X-Content-Type-Options"] == "nosniff"


# Images that cannot be made into thumbnails ------------------------------------------


@pytest.mark.parametrize("limit", [1000, 1600 * 1200 * 3 // 4], ids=["bomb", "over-limit"])
def test_an_image_over_the_pixel_limit_gets_no_thumbnail(
    world, login, problem, settings, monkeypatch, limit
):
    photo = add(world, problem, photo_bytes("big"), "大图.jpg")
    # Uploads are held to the same limit; lower it to see the thumbnail's own
    # guard: far over it (Pillow refuses to open) and just over it (Pillow
    # only warns).
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", limit)
    response = login(world["supervisor"]).get(url(photo, "?size=thumb"))
    assert response.status_code == 404
    assert thumb_files(settings) == []
    # The picture itself is still there to open.
    assert login(world["supervisor"]).get(url(photo, "?inline=1")).status_code == 200


def test_a_damaged_image_gets_no_thumbnail(world, login, problem, settings):
    photo = add(world, problem, photo_bytes("damaged"), "坏图.jpg")
    path = Path(settings.MEDIA_ROOT) / photo.file.name
    path.write_bytes(path.read_bytes()[:400])  # the disk lost the rest of it
    response = login(world["supervisor"]).get(url(photo, "?size=thumb"))
    assert response.status_code == 404
    assert thumb_files(settings) == []


def test_a_thumbnail_the_storage_cannot_keep_is_still_shown(
    world, login, problem, settings, renders, monkeypatch
):
    photo = add(world, problem, photo_bytes("full disk"), "现场.jpg")
    real_save = FileSystemStorage._save

    def full_disk(self, name, content):
        if name.endswith(thumbnails.SUFFIX):
            raise OSError(28, "No space left on device")
        return real_save(self, name, content)

    monkeypatch.setattr(FileSystemStorage, "_save", full_disk)
    client = login(world["supervisor"])
    first = client.get(url(photo, "?size=thumb"))
    assert first.status_code == 200
    assert Image.open(io.BytesIO(body(first))).format == "JPEG"
    assert thumb_files(settings) == []
    # Not stored, so the next view makes it again (and stores it once it can).
    monkeypatch.setattr(FileSystemStorage, "_save", real_save)
    assert client.get(url(photo, "?size=thumb")).status_code == 200
    assert renders == ["jpeg", "jpeg"]
    assert thumb_files(settings) == [thumbnail_name(photo.file.name)]


# The backfill ------------------------------------------------------------------------


def test_make_thumbnails_fills_in_what_is_missing_and_is_safe_to_repeat(
    world, login, problem, settings, renders
):
    before = add(world, problem, photo_bytes("before"), "前.jpg", stage="before")
    after = add(world, problem, image_bytes("png", "after"), "后.png")
    add(world, problem, pdf_bytes("报告"), "报告.pdf")
    login(world["supervisor"]).get(url(after, "?size=thumb"))  # one already made

    out = io.StringIO()
    call_command("make_thumbnails", stdout=out)
    assert "新生成 1 张缩略图，已有 1 张，无法生成 0 张" in out.getvalue()
    assert thumb_files(settings) == sorted(thumbnail_name(e.file.name) for e in (before, after))

    out = io.StringIO()
    call_command("make_thumbnails", stdout=out)
    assert "新生成 0 张缩略图，已有 2 张" in out.getvalue()
    assert renders == ["png", "jpeg"]


# The problem page ----------------------------------------------------------------------


def page(client, problem):
    response = client.get(reverse("ledger:detail", args=[problem.pk]))
    assert response.status_code == 200
    return html.fromstring(response.content.decode())


def test_the_problem_page_shows_photos_before_and_after_side_by_side_and_files_as_links(
    world, login, problem
):
    before = add(world, problem, photo_bytes("b1"), "整改前1.jpg", stage="before", note="堆放杂物")
    before2 = add(world, problem, image_bytes("png", "b2"), "整改前2.png", stage="before")
    during = add(world, problem, photo_bytes("d1"), "施工中.jpg", stage="during")
    after = add(world, problem, photo_bytes("a1"), "整改后.jpg", stage="after", note="已清理")
    report = add(world, problem, pdf_bytes("r"), "整改报告.pdf", stage="after")
    minutes = add(world, problem, docx_bytes(), "会议纪要.docx", stage="before")

    doc = page(login(world["supervisor"]), problem)
    card = doc.get_element_by_id("sj-evidence")
    compare = doc.get_element_by_id("sj-compare")
    columns = compare.xpath("./section")
    assert [c.get("data-stage") for c in columns] == ["before", "after"]

    def thumbs(section):
        return [
            (a.get("href"), a.xpath("./img")[0].get("src"), a.get("data-sj-caption"))
            for a in section.xpath(".//a[@data-sj-viewer='evidence']")
        ]

    assert thumbs(columns[0]) == [
        (url(before, "?inline=1"), url(before, "?size=thumb"), "整改前 · 堆放杂物"),
        (url(before2, "?inline=1"), url(before2, "?size=thumb"), "整改前 · 整改前2.png"),
    ]
    assert thumbs(columns[1]) == [
        (url(after, "?inline=1"), url(after, "?size=thumb"), "整改后 · 已清理")
    ]
    assert "2 张" in columns[0].text_content() and "1 张" in columns[1].text_content()
    (during_section,) = card.xpath(".//section[@data-stage='during']")
    assert thumbs(during_section) == [
        (url(during, "?inline=1"), url(during, "?size=thumb"), "整改中 · 施工中.jpg")
    ]
    # Each photo's name downloads it.
    assert [a.get("href") for a in columns[1].xpath(".//figcaption/a")] == [url(after)]

    # The PDF opens in a new tab (inline) with a separate download; the Word
    # file only downloads; neither is a thumbnail.
    (pdf_link,) = card.xpath(".//a[@data-sj-inline]")
    assert pdf_link.get("href") == url(report, "?inline=1")
    assert pdf_link.get("target") == "_blank" and pdf_link.get("rel") == "noopener"
    assert card.xpath(f".//a[@href='{url(report)}']")[0].text_content() == "下载"
    (word,) = card.xpath(f".//a[@href='{url(minutes)}']")
    assert word.text_content() == "会议纪要.docx"
    assert not card.xpath(f".//a[@href='{url(minutes, '?inline=1')}']")
    report_url = url(report)
    assert not card.xpath(f".//img[contains(@src, '{report_url}')]")


def test_a_missing_after_photo_shows_in_its_column(world, login, problem):
    add(world, problem, photo_bytes("only before"), "整改前.jpg", stage="before")
    doc = page(login(world["supervisor"]), problem)
    (after,) = doc.xpath("//div[@id='sj-compare']/section[@data-stage='after']")
    assert "还没有整改后照片" in after.text_content()
    assert not after.xpath(".//img")


def test_without_photos_there_is_no_comparison(world, login, problem):
    add(world, problem, pdf_bytes("only pdf"), "整改报告.pdf")
    doc = page(login(world["supervisor"]), problem)
    assert not doc.xpath("//div[@id='sj-compare']")
    assert doc.xpath("//div[@id='sj-evidence']//a[@data-sj-inline]")


def test_the_viewer_comes_from_static_files_without_inline_code(world, login, problem):
    # The Content-Security-Policy allows no inline script or style.
    add(world, problem, photo_bytes("csp"), "现场.jpg")
    text = login(world["supervisor"]).get(reverse("ledger:detail", args=[problem.pk]))
    source = text.content.decode()
    assert "/static/shiji/files.js" in source and "/static/shiji/files.css" in source
    doc = html.fromstring(source)
    assert not doc.xpath("//script[not(@src)]")
    assert not doc.get_element_by_id("sj-evidence").xpath(".//descendant-or-self::*[@style]")


# Upload size, in the browser too ----------------------------------------------------------

TEMPLATES = Path(__file__).resolve().parents[2] / "shiji"
FILE_INPUT = re.compile(r"<input\b[^>]*\btype=\"file\"[^>]*>", re.S)


def test_every_file_input_carries_the_size_limit_for_the_browser_check():
    inputs = [
        (path.relative_to(TEMPLATES), tag)
        for path in sorted(TEMPLATES.rglob("templates/**/*.html"))
        for tag in FILE_INPUT.findall(path.read_text())
    ]
    assert len(inputs) >= 8
    missing = [str(path) for path, tag in inputs if "{% upload_limit_attrs" not in tag]
    assert missing == []


def test_the_evidence_input_carries_the_site_limit_and_the_servers_message(
    world, login, problem, settings
):
    settings.MAX_UPLOAD_MB = 5
    doc = page(login(world["secretary"]), problem)
    (field,) = doc.xpath("//input[@id='evidence-file']")
    assert field.get("data-max-bytes") == str(5 * 1024 * 1024)
    assert field.get("data-max-message") == "文件过大（最大 5 MB）"


def test_the_roster_import_carries_its_own_smaller_limit(world, login):
    response = login(world["zone_admin"]).get(reverse("orgs:roster_import"))
    doc = html.fromstring(response.content.decode())
    (field,) = doc.xpath("//input[@type='file']")
    assert field.get("data-max-bytes") == str(5 * 1024 * 1024)
    assert field.get("data-max-message") == "文件过大（最大 5 MB）"


def test_deadline_extensions_are_called_the_same_everywhere(world, login, problem):
    doc = page(login(world["zone_admin"]), problem)
    (form,) = doc.xpath("//form[@data-form='extend']")
    assert form.xpath(".//button[@type='submit']")[0].text_content().strip() == "申请延期"
    assert "申请延期" in form.xpath(".//div[contains(@class, 'subheader')]")[0].text_content()
    edit = login(world["zone_admin"]).get(reverse("ledger:edit", args=[problem.pk]))
    import_page = login(world["zone_admin"]).get(reverse("ledger:import"))
    assert "“申请延期”" in edit.content.decode()
    assert "“申请延期”" in import_page.content.decode()
    for variant in ("延期申请", "延长时限", "申请“延期”"):
        for response in (edit, import_page):
            assert variant not in response.content.decode()
