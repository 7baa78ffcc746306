"""The helpers every browser test uses, in one place: a watched page (its
uncaught exceptions, failed responses and Content-Security-Policy
violations recorded), sign-in through the real login form, a wait for htmx
to settle, and screenshots kept in test-artifacts/.

    page = sign_in(page, live_server, "secretary")
    htmx_settled(page)
    screenshot(page, "ledger-list")

The names and signatures here are used by many test files: keep them stable.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse
from playwright.sync_api import Browser, Page, expect

from tests.conftest import ARTIFACTS, PASSWORD

# Registered before any page script runs (Playwright's init scripts are not
# subject to the page's policy), so every violation is recorded.
RECORD_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__violations.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}`);
});
"""


def watch(page: Page) -> Page:
    """Record on ``page``: ``page.csp_violations`` (what the browser's console
    says the policy refused) and ``page.js_errors`` (those, uncaught
    exceptions and every answer of 400 or more, so ``assert page.js_errors
    == []`` covers all three). Idempotent; returns the page."""
    if hasattr(page, "js_errors"):
        return page
    errors: list[str] = []
    violations: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on(
        "response",
        lambda r: (
            errors.append(f"{r.status} {r.url}")
            if r.status >= 400 and not r.url.endswith("/favicon.ico")
            else None
        ),
    )

    def console(message: Any) -> None:
        if "Content Security Policy" in message.text:
            where = message.location.get("url") or page.url
            violations.append(f"{where}: {message.text}")
            errors.append(f"{where}: {message.text}")

    page.on("console", console)
    page.js_errors = errors  # type: ignore[attr-defined]
    page.csp_violations = violations  # type: ignore[attr-defined]
    return page


def csp_violations(page: Page) -> list[str]:
    """Every violation the page reported: the console's and, where the
    context runs RECORD_VIOLATIONS (every context new_page makes), the
    ``securitypolicyviolation`` events of the current document."""
    events = page.evaluate("window.__violations || []")
    return [*getattr(page, "csp_violations", []), *events]


def new_page(browser: Browser, browser_context_args: dict, **options: Any) -> Page:
    """A page in a fresh browser context (its own cookies), watched; options
    override the context's (``viewport=…``, ``java_script_enabled=False``)."""
    context = browser.new_context(**{**browser_context_args, **options})
    context.add_init_script(RECORD_VIOLATIONS)
    return watch(context.new_page())


def sign_in(page: Page, live_server: Any, username: str, password: str = PASSWORD) -> Page:
    """Sign ``username`` in through the real login form; returns the page,
    watched, on the home page."""
    watch(page)
    page.goto(f"{live_server.url}{reverse('login')}")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    expect(page.locator(".sj-brand")).to_be_visible()
    assert reverse("login") not in page.url
    return page


def htmx_settled(page: Page) -> None:
    """Wait until htmx has swapped and processed the new content: an input
    changed before then fires no request (its listeners are not attached yet)."""
    page.wait_for_function(
        "() => !document.querySelector("
        "'.htmx-request, .htmx-swapping, .htmx-settling, .htmx-added')"
    )


def screenshot(page: Page, name: str, *, full_page: bool = True) -> Path:
    """Save the page as test-artifacts/<name>.png and return the path."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=path, full_page=full_page)
    return path


@pytest.fixture
def page(page: Page) -> Page:
    """pytest-playwright's page, watched and recording policy violations."""
    page.context.add_init_script(RECORD_VIOLATIONS)
    return watch(page)
