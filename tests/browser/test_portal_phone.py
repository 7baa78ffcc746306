"""The public portal on a phone (390×844), in a real Chromium: a member of
the public opens the zone's QR link, submits a complaint with a photo, keeps
the tracking code, follows the item by it, and, once the zone has accepted
it, put it in the ledger and the problem is closed (done here through the
services, as staff would), rates the result. A screenshot at each step goes
to test-artifacts/portal-phone-*.png.

The server behaves as behind the TLS proxy in production (the request is
secure, so Django's CSRF check compares the Origin header the browser
sends with the trusted origins): a page that makes the browser send
``Origin: null`` (``<meta name="referrer" content="no-referrer">``) fails
here as it would in production. The same journey runs with JavaScript off.
"""

from __future__ import annotations

import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageDraw
from playwright.sync_api import Page, expect

from shiji.ledger import services as ledger
from shiji.outreach.models import Feedback, FeedbackFile, FeedbackRating
from shiji.outreach.services.handling import feedback_act
from tests.browser.conftest import csp_violations, new_page, screenshot
from tests.ledger.conftest import create_categories
from tests.samples import image_bytes

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
HTTPS = {"X-Forwarded-Proto": "https"}  # what the TLS proxy adds


def street_photo() -> bytes:
    """A dark street with one broken lamp, as a phone would take it."""
    image = Image.new("RGB", (1200, 1600), (30, 35, 60))
    draw = ImageDraw.Draw(image)
    draw.rectangle([0, 1100, 1200, 1600], fill=(70, 70, 70))
    draw.rectangle([560, 300, 600, 1100], fill=(120, 120, 120))
    draw.ellipse([520, 240, 640, 330], fill=(90, 90, 80))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    return out.getvalue()


@pytest.fixture
def behind_tls_proxy(settings, live_server):
    """Production's security settings for the live server (it runs in this
    process, so the overrides reach it)."""
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.CSRF_COOKIE_SECURE = True
    settings.SESSION_COOKIE_SECURE = True
    settings.CSRF_TRUSTED_ORIGINS = [live_server.url]
    return live_server


def no_sideways_scroll(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} is {width}px wide"


def close_the_problem(world, item: Feedback) -> None:
    """What the zone and the organization do: accept, into the ledger, fix
    with evidence, submit, and a supervisor verifies."""
    admin = world["zone_admin"]
    feedback_act(actor=admin, feedback=item, action="accept")
    feedback_act(actor=admin, feedback=item, action="to_problem", org=world.a.dept.pk)
    item.refresh_from_db()
    problem = item.problem
    secretary = world["secretary"]
    ledger.problem_transition(actor=secretary, problem=problem, action="start")
    ledger.problem_add_evidence(
        actor=secretary,
        problem=problem,
        file=SimpleUploadedFile("修复后.png", image_bytes("png", "lamp fixed")),
    )
    ledger.problem_transition(
        actor=secretary, problem=problem, action="submit", note="已更换东门路灯灯头"
    )
    ledger.problem_transition(actor=world["supervisor"], problem=problem, action="verify")


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_a_phone_submits_with_a_photo_follows_by_code_and_rates_after_closure(
    world, behind_tls_proxy, browser, browser_context_args, settings, tmp_path, javascript
):
    settings.MEDIA_ROOT = tmp_path
    create_categories(world)
    name = "portal-phone" + ("" if javascript else "-nojs")
    page = new_page(
        browser,
        browser_context_args,
        viewport=PHONE,
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        java_script_enabled=javascript,
        extra_http_headers=HTTPS,
    )
    base = behind_tls_proxy.url
    zone = world.a.zone

    # 0. Without the QR code: the zone is searched for and picked.
    page.goto(f"{base}/p/")
    page.fill("#id_q", "甲")
    page.get_by_role("button", name="搜索").click()
    no_sideways_scroll(page)
    screenshot(page, f"{name}-0-zones")
    page.get_by_role("link", name=zone.name).click()
    # 1. The form (where the zone's QR link opens too).
    expect(page.locator("h1")).to_have_text(zone.name)
    assert page.url.endswith(f"/p/{zone.code}/")
    no_sideways_scroll(page)
    screenshot(page, f"{name}-1-form")

    page.get_by_label("投诉").check()
    page.select_option("#id_category", "infrastructure")
    page.fill("#id_content", "园区东门路灯坏了一个月，晚上很黑，请尽快修理。")
    photo = tmp_path / "东门路灯.jpg"
    photo.write_bytes(street_photo())
    page.set_input_files("#id_files", str(photo))
    page.fill("#id_name", "王先生")
    page.fill("#id_phone", "13912345678")
    if javascript:
        expect(page.locator("#id_content_count")).to_contain_text("/ 2000")
    screenshot(page, f"{name}-2-filled")

    # 2. Submitted: the code is shown once.
    page.get_by_role("button", name="提交", exact=True).click()
    expect(page.locator("#tracking-code")).to_be_visible()
    code = page.locator("#tracking-code").inner_text().strip()
    no_sideways_scroll(page)
    screenshot(page, f"{name}-3-code")
    item = Feedback.objects.get()
    assert FeedbackFile.objects.filter(feedback=item, kind="jpeg").count() == 1

    # 3. Following it by code.
    page.get_by_role("link", name="查询办理进展").click()
    page.fill("#id_code", code.lower())
    page.get_by_role("button", name="查询", exact=True).click()
    expect(page.locator(".sj-steps")).to_contain_text("已提交，等待受理")
    expect(page.locator("#rate")).to_have_count(0)
    no_sideways_scroll(page)
    screenshot(page, f"{name}-4-received")

    # 4. The zone handles it and the problem is closed; the status asks for a rating.
    close_the_problem(world, item)
    page.get_by_role("button", name="刷新进展").click()
    steps = page.locator(".sj-steps")
    for label in ("已受理", "已列入问题整改台账", "整改完成，请评价"):
        expect(steps).to_contain_text(label)
    expect(page.locator("#rate")).to_be_visible()
    no_sideways_scroll(page)
    screenshot(page, f"{name}-5-closed")

    # 5. Rating the result.
    page.locator("#rate").get_by_label("满意", exact=True).check()
    page.fill("#id_comment", "修好了，谢谢。")
    page.get_by_role("button", name="提交评价").click()
    expect(page.get_by_role("status").first).to_contain_text("感谢您的评价")
    expect(page.locator("#rate")).to_have_count(0)
    no_sideways_scroll(page)
    screenshot(page, f"{name}-6-rated")

    rating = FeedbackRating.objects.get(feedback=item)
    assert (rating.rating, rating.comment) == ("satisfied", "修好了，谢谢。")
    assert page.js_errors == []  # type: ignore[attr-defined]
    if javascript:
        assert csp_violations(page) == []
    page.context.close()


def test_on_a_phone_mistakes_sit_by_their_fields_and_too_many_wrong_codes_get_a_chinese_page(
    world, behind_tls_proxy, browser, browser_context_args, settings
):
    settings.PUBLIC_WRONG_CODE_LIMIT = "2/15m"
    page = new_page(
        browser,
        browser_context_args,
        viewport=PHONE,
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        extra_http_headers=HTTPS,
    )
    base = behind_tls_proxy.url
    page.goto(f"{base}/p/{world.a.zone.code}/")
    page.fill("#id_phone", "call me")
    page.get_by_role("button", name="提交", exact=True).click()
    expect(page.locator(".alert-danger")).to_contain_text("提交未成功")
    for field in ("#id_content", "#id_phone"):
        expect(page.locator(field)).to_have_class(re.compile("is-invalid"))
    no_sideways_scroll(page)
    screenshot(page, "portal-phone-mistakes")
    assert not Feedback.objects.exists()

    page.goto(f"{base}/p/track/")
    for attempt in range(3):
        page.fill("#id_code", f"K7MQ-4XZP-{attempt}A")
        page.get_by_role("button", name="查询", exact=True).click()
        if attempt < 2:
            expect(page.locator(".invalid-feedback")).to_contain_text("查询码不正确")
            screenshot(page, "portal-phone-wrong-code")
    expect(page.get_by_role("alert")).to_contain_text("查询码输错次数过多")
    no_sideways_scroll(page)
    screenshot(page, "portal-phone-too-many-codes")
    page.context.close()
