"""Evidence you can see, in a real Chromium on an office PC (1366×768) and
on a phone (390×844): a supervisor opens a problem with before and after
photos, sees the thumbnails side by side (stacked on the phone), opens the
viewer, goes next and previous, zooms and closes it; a PDF opens in the
browser, in a sandbox; a file over the size limit is refused before it is
sent. Without JavaScript every thumbnail is a link to its image."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image, ImageDraw
from playwright.sync_api import Page, expect

from shiji.ledger import services
from shiji.ledger.models import Evidence, Problem
from tests.browser.conftest import new_page, sign_in
from tests.ledger.conftest import create_categories, problem_maker
from tests.samples import photo_bytes

pytestmark = pytest.mark.browser

OFFICE = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}
VIEWPORTS = pytest.mark.parametrize("viewport", [OFFICE, PHONE], ids=["1366x768", "390x844"])


def scene(seed: str, *, clean: bool) -> bytes:
    """A site photo: a roadside with rubble heaped on it (before) or a clean
    verge with a planted bed (after)."""
    image = Image.new("RGB", (1600, 1200), (150, 190, 225))
    draw = ImageDraw.Draw(image)
    draw.rectangle([0, 700, 1600, 1200], fill=(120, 120, 120))  # the road
    draw.rectangle([0, 640, 1600, 700], fill=(90, 150, 70) if clean else (140, 120, 90))
    if clean:
        for x in range(100, 1600, 220):
            draw.ellipse([x, 560, x + 140, 680], fill=(60, 140, 60))
    else:
        for i, x in enumerate(range(60, 1500, 160)):
            top = 520 - (i % 3) * 60
            draw.polygon([(x, 700), (x + 90, top), (x + 200, 700)], fill=(110 + i * 9, 90, 70))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80, comment=seed.encode())
    return out.getvalue()


def report_pdf() -> bytes:
    """A one-page A4 report with a red title band (so a screenshot shows
    whether the browser really drew it)."""
    page = Image.new("RGB", (595, 842), "white")
    draw = ImageDraw.Draw(page)
    draw.rectangle([60, 80, 535, 200], fill=RED)
    for y in range(260, 760, 40):
        draw.rectangle([60, y, 535 - (y % 120), y + 14], fill=(90, 90, 90))
    out = io.BytesIO()
    page.save(out, "PDF", resolution=72)
    return out.getvalue()


RED = (183, 28, 28)


def add(world, problem, content: bytes, name: str, stage: str, note: str = "") -> Evidence:
    return services.problem_add_evidence(
        actor=world["secretary"],
        problem=problem,
        file=SimpleUploadedFile(name, content),
        stage=stage,
        note=note,
    )


@pytest.fixture
def problem(world, settings, tmp_path) -> Problem:
    make = problem_maker(create_categories(world))
    problem = make(
        world, status="in_progress", description="园区主干道旁长期堆放建筑垃圾，群众反映强烈"
    )
    add(world, problem, scene("b1", clean=False), "整改前-东侧.jpg", "before", "东侧路边堆放")
    add(world, problem, scene("b2", clean=False), "整改前-西侧.jpg", "before", "西侧路边堆放")
    add(world, problem, scene("a1", clean=True), "整改后-东侧.jpg", "after", "已清运并绿化")
    # Taken on its side: the phone wrote "rotate 90°" in EXIF, with its GPS.
    add(world, problem, photo_bytes("a2", orientation=6, gps=True), "整改后-竖拍.jpg", "after")
    add(world, problem, scene("d1", clean=False), "清运中.jpg", "during", "清运中")
    add(world, problem, report_pdf(), "整改报告.pdf", "after")
    return problem


def signed_in(browser, browser_context_args, live_server, viewport, username, **options) -> Page:
    # The viewer sizes the image through the CSSOM, which the site's policy
    # (no inline styles) allows; anything it refused would show in js_errors.
    page = new_page(browser, browser_context_args, viewport=viewport, **options)
    return sign_in(page, live_server, username)


def open_problem(page: Page, live_server, problem: Problem) -> None:
    page.goto(f"{live_server.url}{reverse('ledger:detail', args=[problem.pk])}")
    expect(page.locator("#sj-evidence")).to_be_visible()


def all_thumbnails_loaded(page: Page) -> None:
    thumbs = page.locator("#sj-evidence .sj-thumb img")
    for i in range(thumbs.count()):
        thumbs.nth(i).scroll_into_view_if_needed()  # they load lazily
    page.wait_for_function(
        "() => [...document.querySelectorAll('#sj-evidence .sj-thumb img')]"
        ".every(img => img.complete && img.naturalWidth > 0)"
    )


def box(page: Page, selector: str) -> dict:
    found = page.locator(selector).bounding_box()
    assert found is not None, selector
    return found


def swipe(page: Page, dx: int) -> None:
    """A one-finger horizontal swipe across the viewer's image."""
    page.evaluate(
        """(dx) => {
            const stage = document.querySelector('.sj-viewer-stage');
            const r = stage.getBoundingClientRect();
            const x = r.left + r.width / 2, y = r.top + r.height / 2;
            const touch = (cx) =>
                new Touch({identifier: 1, target: stage, clientX: cx, clientY: y});
            const fire = (type, cx) => stage.dispatchEvent(new TouchEvent(type, {
                bubbles: true, cancelable: true,
                touches: type === 'touchend' ? [] : [touch(cx)],
                changedTouches: [touch(cx)],
            }));
            fire('touchstart', x); fire('touchmove', x + dx / 2); fire('touchend', x + dx);
        }""",
        dx,
    )


@VIEWPORTS
def test_before_and_after_photos_side_by_side_and_the_viewer(
    live_server, world, problem, browser, browser_context_args, artifacts, viewport
):
    tag = f"{viewport['width']}x{viewport['height']}"
    phone = viewport is PHONE
    options = {"has_touch": True, "is_mobile": True} if phone else {}
    page = signed_in(browser, browser_context_args, live_server, viewport, "supervisor", **options)
    open_problem(page, live_server, problem)
    all_thumbnails_loaded(page)

    before = box(page, "#sj-compare section[data-stage=before]")
    after = box(page, "#sj-compare section[data-stage=after]")
    if phone:  # stacked: 整改前 above 整改后, each the full width
        assert after["y"] >= before["y"] + before["height"]
        assert abs(after["x"] - before["x"]) < 1
    else:  # side by side, 整改前 on the left
        assert abs(after["y"] - before["y"]) < 1
        assert after["x"] >= before["x"] + before["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    expect(page.locator("#sj-compare section[data-stage=before] .sj-thumb")).to_have_count(2)
    expect(page.locator("#sj-compare section[data-stage=after] .sj-thumb")).to_have_count(2)
    # The upright thumbnail of the photo taken on its side is portrait.
    portrait = page.locator("#sj-compare .sj-thumb-item", has_text="整改后-竖拍.jpg").locator("img")
    assert portrait.evaluate("img => img.naturalHeight > img.naturalWidth")
    page.locator("#sj-evidence").scroll_into_view_if_needed()
    page.locator("#sj-evidence").screenshot(path=artifacts / f"evidence-compare-{tag}.png")

    # The viewer: the problem's five photos, in page order.
    first = page.locator("#sj-compare section[data-stage=before] .sj-thumb").first
    first.click()
    viewer = page.locator("dialog.sj-viewer")
    expect(viewer).to_be_visible()
    count, caption = viewer.locator(".sj-viewer-count"), viewer.locator(".sj-viewer-caption")
    expect(count).to_have_text("1 / 5")
    expect(caption).to_have_text("整改前 · 东侧路边堆放")
    image = viewer.locator(".sj-viewer-img")
    page.wait_for_function(
        "() => { const i = document.querySelector('.sj-viewer-img');"
        " return i.complete && i.naturalWidth === 1600; }"
    )
    fitted = image.bounding_box()
    assert fitted["width"] <= viewport["width"] and fitted["height"] <= viewport["height"]
    page.screenshot(path=artifacts / f"evidence-viewer-{tag}.png")

    if phone:
        swipe(page, -150)  # to the left: the next photo
        expect(count).to_have_text("2 / 5")
        swipe(page, -150)
        expect(count).to_have_text("3 / 5")
        swipe(page, 150)
        expect(count).to_have_text("2 / 5")
    else:
        page.keyboard.press("ArrowRight")
        expect(count).to_have_text("2 / 5")
        page.keyboard.press("ArrowRight")
        expect(count).to_have_text("3 / 5")
        page.keyboard.press("ArrowLeft")
        expect(count).to_have_text("2 / 5")
    expect(caption).to_have_text("整改前 · 西侧路边堆放")
    viewer.get_by_role("button", name="下一张").click()
    expect(count).to_have_text("3 / 5")
    expect(caption).to_have_text("整改后 · 已清运并绿化")
    viewer.get_by_role("button", name="上一张").click()
    expect(count).to_have_text("2 / 5")
    viewer.get_by_role("button", name="上一张").click()
    viewer.get_by_role("button", name="上一张").click()
    expect(count).to_have_text("5 / 5")  # round the end
    expect(caption).to_have_text("整改中 · 清运中")
    expect(viewer.get_by_role("link", name="下载")).to_have_attribute(
        "href", reverse("ledger:evidence_download", args=[problem.pk, _pk(problem, "清运中.jpg")])
    )

    # Zoom: twice as large, then back to the fitted size.
    page.wait_for_function("() => document.querySelector('.sj-viewer-img').naturalWidth === 1600")
    fitted = image.bounding_box()
    viewer.get_by_role("button", name="放大").click()
    viewer.get_by_role("button", name="放大").click()
    zoomed = image.bounding_box()
    assert zoomed["width"] == pytest.approx(fitted["width"] * 2, rel=0.02)
    page.screenshot(path=artifacts / f"evidence-viewer-zoomed-{tag}.png")
    viewer.get_by_role("button", name="还原").click()
    assert image.bounding_box()["width"] == pytest.approx(fitted["width"], rel=0.02)

    if phone:
        viewer.get_by_role("button", name="关闭").click()
    else:
        page.keyboard.press("Escape")
    expect(viewer).to_be_hidden()
    expect(first).to_be_focused()
    assert page.js_errors == []


def _pk(problem: Problem, name: str) -> int:
    return problem.evidence.get(original_name=name).pk


def test_a_pdf_opens_in_the_browser_in_a_sandbox(
    live_server, world, problem, browser, browser_context_args, artifacts
):
    page = signed_in(browser, browser_context_args, live_server, OFFICE, "supervisor")
    open_problem(page, live_server, problem)
    link = page.locator("#sj-evidence a[data-sj-inline]", has_text="整改报告.pdf")
    with (
        page.context.expect_event("response", lambda r: "inline=1" in r.url) as shown,
        page.expect_popup() as popup,
    ):
        link.click()
    headers = shown.value.all_headers()
    assert shown.value.status == 200
    assert headers["content-type"] == "application/pdf"
    assert headers["content-disposition"].startswith("inline;")
    assert "%E6%95%B4%E6%94%B9%E6%8A%A5%E5%91%8A.pdf" in headers["content-disposition"]
    assert headers["content-security-policy"] == "sandbox"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["cache-control"] == "private, no-store"
    # Chromium's PDF viewer draws the page (it is not blocked by the
    # sandbox): the report's red title band shows on the screen.
    viewer = popup.value
    shot = artifacts / "evidence-pdf-inline-1366x768.png"
    for _attempt in range(20):
        viewer.wait_for_timeout(500)
        viewer.screenshot(path=shot)
        pixels = Image.open(shot).convert("RGB").get_flattened_data()
        if sum(1 for r, g, b in pixels if r > 150 and g < 70 and b < 70) > 20000:
            break
    else:
        pytest.fail("the PDF was not drawn in the browser")
    # The separate 下载 link still downloads it.
    with page.expect_download() as download:
        page.locator("#sj-evidence").get_by_role("link", name="下载 整改报告.pdf").click()
    assert download.value.suggested_filename == "整改报告.pdf"
    assert page.js_errors == []


def test_without_javascript_a_thumbnail_is_a_link_to_its_image(
    live_server, world, problem, browser, browser_context_args
):
    page = signed_in(
        browser, browser_context_args, live_server, PHONE, "supervisor", java_script_enabled=False
    )
    open_problem(page, live_server, problem)
    with page.expect_navigation() as navigation:
        page.locator("#sj-compare .sj-thumb").first.click()
    response = navigation.value
    assert response.headers["content-type"] == "image/jpeg"
    assert response.url.endswith("?inline=1")
    assert page.locator("dialog").count() == 0


@VIEWPORTS
def test_a_file_over_the_limit_is_refused_before_it_is_sent(
    live_server, world, problem, browser, browser_context_args, artifacts, viewport, settings
):
    settings.MAX_UPLOAD_MB = 1
    tag = f"{viewport['width']}x{viewport['height']}"
    page = signed_in(browser, browser_context_args, live_server, viewport, "secretary")
    open_problem(page, live_server, problem)
    uploads: list[str] = []
    page.on("request", lambda r: uploads.append(r.url) if r.method == "POST" else None)
    form = page.locator('form[data-form="evidence"]')
    before = problem.evidence.count()

    form.locator("#evidence-file").set_input_files(
        files=[
            {
                "name": "整改后-原图.jpg",
                "mimeType": "image/jpeg",
                "buffer": photo_bytes("big") + b"\0" * (1024 * 1024),
            }
        ]
    )
    message = form.locator("[data-sj-size-error]")
    expect(message).to_be_visible()
    expect(message).to_have_text("文件过大（最大 1 MB）")
    expect(form.locator("#evidence-file")).to_have_class("form-control is-invalid")
    form.get_by_role("button", name="上传", exact=True).click()
    page.wait_for_timeout(500)
    assert uploads == []
    assert problem.evidence.count() == before
    message.scroll_into_view_if_needed()
    # caret="initial": hiding the caret puts a style attribute on the inputs,
    # which htmx would copy when it swaps the page (a CSP report of the test's own).
    form.screenshot(path=artifacts / f"evidence-too-big-{tag}.png", caret="initial")

    # A file within the limit clears the message and goes up.
    form.locator("#evidence-file").set_input_files(
        files=[{"name": "整改后-压缩.jpg", "mimeType": "image/jpeg", "buffer": photo_bytes("ok")}]
    )
    expect(message).to_be_hidden()
    form.get_by_role("button", name="上传", exact=True).click()
    expect(page.locator("#sj-evidence")).to_contain_text("整改后-压缩.jpg")
    assert problem.evidence.count() == before + 1
    assert len(uploads) == 1
    assert page.js_errors == []
