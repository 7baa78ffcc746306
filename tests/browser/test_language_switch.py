"""The language switch on a phone: visible in the header at 390 px, a plain
form that works with JavaScript off, and remembered after the browser is
closed (a persistent cookie, not a session one)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import new_page, sign_in


@pytest.mark.browser
@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_a_liaison_switches_to_english_on_a_phone(
    world, live_server, browser, browser_context_args, artifacts, javascript
):
    page = new_page(
        browser,
        browser_context_args,
        viewport={"width": 390, "height": 844},
        locale="zh-CN",
        java_script_enabled=javascript,
    )
    sign_in(page, live_server, "liaison")
    context = page.context
    switch = page.get_by_role("button", name="English")
    expect(switch).to_be_visible()
    box = switch.bounding_box()
    assert box and box["x"] + box["width"] <= 390 and box["y"] < 80  # in the header, on screen
    switch.click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("button", name="中文")).to_be_visible()
    page.screenshot(path=artifacts / f"language-switch-390-{'js' if javascript else 'no-js'}.png")
    cookie = next(c for c in context.cookies() if c["name"] == "django_language")
    assert cookie["value"] == "en" and cookie["expires"] > 0  # outlives the browser session
    context.close()
