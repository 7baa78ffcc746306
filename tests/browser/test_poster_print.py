"""The QR poster on paper, printed by a real Chromium: exactly one A4 page
with the zone's name, 扫码反映问题, the portal's address and the rules, and
the QR code drawn; on a phone the same page fits the screen's width. The
PDFs and a screenshot are kept in test-artifacts/."""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.browser.conftest import csp_violations, new_page
from tests.paper import A4_POINTS, read_pdf

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("zone_key", ["a", "b"])
def test_the_poster_prints_on_exactly_one_a4_page(
    browser, browser_context_args, live_server, world, artifacts, zone_key
):
    zone = getattr(world, zone_key).zone
    page = new_page(browser, browser_context_args, viewport={"width": 1366, "height": 768})
    try:
        page.goto(f"{live_server.url}{reverse('public:poster', args=[zone.code])}")
        expect(page.locator("svg.sj-qr")).to_be_visible()
        page.emulate_media(media="print")
        expect(page.locator(".sj-poster-tools")).to_be_hidden()
        pdf = artifacts / f"print-poster-{zone.code}.pdf"
        page.pdf(path=str(pdf), format="A4", print_background=True, prefer_css_page_size=True)
        printed = read_pdf(pdf)
        assert len(printed.pages) == 1
        ((width, height),) = printed.pages
        assert abs(width - A4_POINTS[0]) < 1 and abs(height - A4_POINTS[1]) < 1
        text = printed.text.replace(" ", "")
        assert "扫码反映问题" in text and zone.name in text
        assert f"/p/{zone.code}/" in text
        for rule in ("办理时限", "查询码", "举报保护", "群众评判", "办理情况公开"):
            assert rule in text, rule
        # The QR code is on the paper, large enough to scan (at least 6 cm).
        box = page.locator("svg.sj-qr").bounding_box()
        assert box is not None and box["width"] >= 6 / 2.54 * 96
        assert csp_violations(page) == [] and page.js_errors == []
    finally:
        page.context.close()


def test_the_poster_fits_a_phone_screen(
    browser, browser_context_args, live_server, world, artifacts
):
    page = new_page(browser, browser_context_args, viewport={"width": 390, "height": 844})
    try:
        page.goto(f"{live_server.url}{reverse('public:poster', args=[world.a.zone.code])}")
        qr = page.locator("svg.sj-qr")
        expect(qr).to_be_visible()
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, "no sideways scrolling on a phone"
        box = qr.bounding_box()
        assert box is not None and 200 <= box["width"] <= 390
        expect(page.locator("[data-sj-print]")).to_be_visible()  # the script ran
        page.screenshot(path=str(artifacts / "poster-phone.png"), full_page=True)
        assert csp_violations(page) == [] and page.js_errors == []
    finally:
        page.context.close()


def test_the_disclosure_page_reads_on_a_phone(
    browser, browser_context_args, live_server, world, artifacts
):
    from tests.outreach.test_publicity import answered, project

    answered(world, "东门路灯已全部修复并加装护栏（示例）")
    project(world, "园区东片区新建口袋公园（示例）")
    page = new_page(browser, browser_context_args, viewport={"width": 390, "height": 844})
    try:
        page.goto(f"{live_server.url}{reverse('public:disclosure', args=[world.a.zone.code])}")
        expect(page.locator(".sj-open-item")).to_have_count(1)
        expect(page.locator(".sj-open-project")).to_have_count(1)
        expect(page.locator(".sj-zone-links")).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.screenshot(path=str(artifacts / "disclosure-phone.png"), full_page=True)
        assert csp_violations(page) == [] and page.js_errors == []
    finally:
        page.context.close()
