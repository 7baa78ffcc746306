"""The language switch on a phone: visible in the header at 390 px, a plain
form that works with JavaScript off, and remembered after the browser is
closed (a persistent cookie, not a session one)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.conftest import PASSWORD


@pytest.mark.browser
@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_a_liaison_switches_to_english_on_a_phone(
    world, live_server, browser, artifacts, javascript
):
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, locale="zh-CN", java_script_enabled=javascript
    )
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "liaison")
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="登录").click()
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
