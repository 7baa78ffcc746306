"""A bulletin as a web page, in a real Chromium: the zone admin adds an
approved update to a draft, moves it, issues it and reads the issued page —
red masthead, 第1期, the entries in order with their photo — with no
script error or policy violation; the page is kept in test-artifacts/."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from playwright.sync_api import expect

from shiji.reports import services
from shiji.reports.models import Bulletin
from tests.browser.conftest import csp_violations, screenshot
from tests.browser.test_evidence_viewer import signed_in
from tests.reports.conftest import approved, draft
from tests.samples import photo_bytes

pytestmark = [pytest.mark.browser, pytest.mark.today("2026-07-01")]

OFFICE = {"width": 1366, "height": 900}


def test_the_zone_admin_compiles_and_issues_a_bulletin(
    browser, browser_context_args, live_server, world, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    series = services.series_create(
        actor=world["zone_admin"], zone=world.a.zone, title="学习教育工作简报", issuer="工作专班"
    )
    first = approved(world, title="经济发展局党支部开展专题学习")
    photo = SimpleUploadedFile("入企.jpg", photo_bytes("入企", size=(800, 600)), "image/jpeg")
    second = approved(world, title="三员入企走访企业", photos=[photo], author="李四")
    bulletin = draft(world, series, first, title="甲高新区学查改一体推进")
    page = signed_in(browser, browser_context_args, live_server, OFFICE, "zone_admin")
    page.goto(f"{live_server.url}{reverse('reports:bulletin_detail', args=[bulletin.pk])}")
    page.select_option("#sj-add-items select", [str(second.pk)])
    page.click("#sj-add-items button[type=submit]")
    expect(page.locator(".alert-success")).to_contain_text("已编入 1 条工作动态")
    page.locator("[data-item] >> nth=1").get_by_role("button", name="上移").click()
    headings = page.locator(".sj-bulletin-heading")
    expect(headings).to_have_text(["三员入企走访企业", "经济发展局党支部开展专题学习"])
    page.click("#sj-issue button[type=submit]")
    expect(page.locator(".alert-success")).to_contain_text("已印发第1期")
    expect(page.locator(".sj-bulletin-number")).to_have_text("第1期")
    color = page.locator(".sj-bulletin-series").evaluate("e => getComputedStyle(e).color")
    assert color == "rgb(255, 0, 0)"
    expect(page.locator(".sj-bulletin-photo img")).to_have_count(1)
    page.wait_for_function("() => [...document.images].every(i => i.complete && i.naturalWidth)")
    expect(page.locator("#sj-issue")).to_have_count(0)  # issued: nothing left to edit
    expect(page.locator("#sj-correct")).to_be_visible()
    assert Bulletin.objects.get().number == 1
    screenshot(page, "bulletin-page")
    assert page.js_errors == [] and csp_violations(page) == []
