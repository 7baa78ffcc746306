"""The demo's bulletins: ① of 树立和践行正确政绩观学习教育简报 reproduces the
seed (the five zones' reports, each paragraph in its reading-order place,
compiled in the seed's order), and 无锡高新区's own 第1期 comes from the
demo's records. Bulletin ① is printed to PDF with LibreOffice, and its first
page kept as a picture in test-artifacts/ (bulletin-seed-page1.png)."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from io import StringIO

import docx
import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings
from docx.oxml.ns import qn

from shiji.demo.bulletins import (
    LEAD,
    SEED_REPORTS,
    SERIES_TITLE,
    SUBTITLE,
    TITLE,
    WUXI_SERIES,
    seed_bulletin,
)
from shiji.demo.zones import ZONES
from shiji.reports import selectors
from shiji.reports.models import Bulletin, UpdateStatus, WorkUpdate
from shiji.reports.views_bulletins import docx_download
from tests.clock import travel_to
from tests.conftest import ARTIFACTS
from tests.paper import read_pdf, soffice

DEMO_DAY = "2026-12-01"
pytestmark = pytest.mark.today(DEMO_DAY)


@pytest.fixture(autouse=True)
def _media_root():
    """The photos are the demo's, in the module's media folder."""


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker, tmp_path_factory):
    """The demo loaded once for the module, rolled back at its end."""
    fast = override_settings(
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        MEDIA_ROOT=tmp_path_factory.mktemp("media"),
    )
    with django_db_blocker.unblock(), fast, travel_to(DEMO_DAY):
        outer = transaction.atomic()
        outer.__enter__()
        try:
            call_command("load_demo", stdout=StringIO())
            yield
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


def _document(bulletin: Bulletin) -> docx.document.Document:
    return docx.Document(io.BytesIO(docx_download(bulletin)[0]))


def test_bulletin_one_reproduces_the_seed_in_reading_order(demo, db):
    bulletin = seed_bulletin()
    assert (bulletin.series.title, bulletin.number, bulletin.series.zone) == (SERIES_TITLE, 1, None)
    assert (bulletin.title, bulletin.subtitle, bulletin.lead) == (TITLE, SUBTITLE, LEAD)
    items = selectors.bulletin_items(bulletin=bulletin)
    assert [i.heading for i in items] == [z.name for z in ZONES]
    assert [i.heading for i in items] == ["贵阳高新区", "无锡高新区", "清远高新区", "景德镇高新区",
                                          "龙岩高新区"]  # fmt: skip
    assert [i.byline for i in items] == ["王轩禹", "陆思元", "朱慧燕", "朱唯 蔡湘", "杨润生"]
    for item, zone in zip(items, ZONES, strict=True):
        assert item.update.zone.code == zone.code and item.update.status == UpdateStatus.APPROVED
        assert item.body.split("\n") == list(SEED_REPORTS[zone.code][1])

    texts = [p.text for p in _document(bulletin).paragraphs if p.text.strip()]
    expected = [SERIES_TITLE, "第1期", TITLE, SUBTITLE, LEAD]
    for zone in ZONES:
        expected += [zone.name, *SEED_REPORTS[zone.code][1], f"（{zone.meeting.byline}）"]
    found = [t for t in texts if t in expected]
    assert found == expected
    # Paragraphs the newspaper's columns split are whole again, and the
    # characters the extraction lost are back.
    whole = "\n".join(texts)
    assert "以正确政绩观引领高新区高质量发展" in whole
    assert "要深查细照,对照问题清单和群众反映" in whole
    assert "助力清远高新区“十五五”高质量发展。" in whole
    assert "〔" not in whole


def test_the_zone_bulletin_comes_from_the_demos_records(demo, db):
    bulletin = Bulletin.objects.get(series__title=WUXI_SERIES)
    assert bulletin.number == 1 and bulletin.series.zone.code == "wuxi"
    items = selectors.bulletin_items(bulletin=bulletin)
    assert len(items) == 3 and all(i.update.zone.code == "wuxi" for i in items)
    assert any("整改台账" in i.heading for i in items)
    assert sum(len(i.update.photos.all()) for i in items) == 3
    statuses = set(WorkUpdate.objects.filter(zone__code="wuxi").values_list("status", flat=True))
    assert statuses == {"approved", "submitted", "returned"}
    document = _document(bulletin)
    assert len(document.inline_shapes) == 3


def test_bulletin_one_prints_to_pdf_with_libreoffice(demo, db, tmp_path, libreoffice_profile):
    bulletin = seed_bulletin()
    source = tmp_path / "bulletin-seed.docx"
    source.write_bytes(docx_download(bulletin)[0])
    subprocess.run(  # noqa: S603 (a fixed program on a file this test wrote)
        [
            soffice(),
            f"-env:UserInstallation={libreoffice_profile.as_uri()}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    pdf = read_pdf(tmp_path / "bulletin-seed.pdf")
    assert pdf.portrait and all(round(w) == 595 and round(h) == 842 for w, h in pdf.pages)
    first = pdf.text.split("\f")[0]
    assert SERIES_TITLE in first.replace(" ", "") and "第1期" in first
    # The text block starts 28 mm from the left edge (订口) and 37 mm from
    # the top (天头), give or take a line's leading.
    page_one = [w for w in pdf.words if w.page == 1]
    assert abs(min(w.x0 for w in page_one) - 28 / 25.4 * 72) < 3
    assert 37 / 25.4 * 72 - 2 < min(w.y0 for w in page_one) < 37 / 25.4 * 72 + 30
    # Page numbers "— n —" on every page.
    pages = pdf.text.split("\f")[: len(pdf.pages)]
    assert all(re.search(rf"—\s*{n}\s*—", page) for n, page in enumerate(pages, 1))
    ARTIFACTS.mkdir(exist_ok=True)
    shutil.copy(source, ARTIFACTS / source.name)
    shutil.copy(tmp_path / "bulletin-seed.pdf", ARTIFACTS / "bulletin-seed.pdf")
    pdftoppm = shutil.which("pdftoppm") or "pdftoppm"
    subprocess.run(  # noqa: S603
        [pdftoppm, "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile",
         str(tmp_path / "bulletin-seed.pdf"), str(ARTIFACTS / "bulletin-seed-page1")],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    assert (ARTIFACTS / "bulletin-seed-page1.png").stat().st_size > 10_000


def test_the_docx_fonts_are_named_for_east_asian_text(demo, db):
    document = _document(seed_bulletin())
    names = {
        r._r.rPr.rFonts.get(qn("w:eastAsia"))
        for p in document.paragraphs
        for r in p.runs
        if r.text.strip()
    }
    assert {"方正小标宋简体", "黑体", "仿宋_GB2312", "楷体"} <= names
