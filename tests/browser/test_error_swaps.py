"""Refusals in a real Chromium with htmx: a 409 or 422 answer is swapped in
place with its message (htmx 2 would drop it without the page's
htmx-config), and a 403 page replaces the page body instead of nothing."""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.browser.test_ledger_journey import open_problem, signed_in
from tests.ledger.conftest import create_categories, problem_maker

pytestmark = pytest.mark.browser


@pytest.fixture
def problem(world, settings, tmp_path):
    return problem_maker(create_categories(world))(world, status="in_progress")


def test_a_conflict_and_a_refusal_show_where_the_user_looks(
    live_server, world, problem, browser, browser_context_args
):
    page = signed_in(browser, browser_context_args, live_server, "secretary")
    open_problem(page, live_server, problem)
    page.evaluate("window.__sjMarker = 'kept'")

    # Submitting without evidence: 409, swapped into the page with its message.
    form = page.locator('form[data-form="move:submit"]')
    form.locator("textarea").fill("已完成整改")
    form.get_by_role("button", name="提交销号", exact=True).click()
    expect(page.locator('form[data-form="move:submit"] .alert-danger')).to_contain_text(
        "提交销号须至少上传一份整改凭证"
    )
    assert page.evaluate("window.__sjMarker") == "kept"  # no reload: htmx swapped it
    assert any(e.startswith("409 ") for e in page.js_errors)

    # A move the role may not make, sent by htmx: the 403 page fills the body.
    url = reverse("ledger:transition", args=[problem.pk])
    page.evaluate(
        "url => htmx.ajax('POST', url, {target: '#sj-problem', values: {action: 'verify'}})", url
    )
    expect(page.locator(".empty-header")).to_have_text("403")
    expect(page.locator("#sj-problem")).to_have_count(0)
    assert page.evaluate("window.__sjMarker") == "kept"
