"""In a real Chromium: a liaison enters a quarter's figures, one of them
breaks a declared relation and is flagged; the zone admin reads the flag,
writes a note on it and confirms, and the figure locks. The zone's table
shows 显绩 and 潜绩 side by side with the flag and its note."""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from shiji.assessment.models import Measurement
from tests.browser.conftest import new_page, sign_in

pytestmark = pytest.mark.browser


def enter(page, code: str, value: str, source: str = "清远市统计局") -> None:
    row = page.locator(f"#ind-{code}")
    row.locator("input[name=value]").fill(value)
    row.locator("input[name=source]").fill(source)
    row.get_by_role("button", name="填报").click()
    expect(page.locator(f"#ind-{code} [data-status=entered]")).to_be_visible()


def test_a_flagged_quarter_is_confirmed_with_a_note_and_locks(
    world, library, browser, browser_context_args, live_server
):
    table = f"{live_server.url}{reverse('assessment:figures')}?period=2026Q1"

    page = sign_in(new_page(browser, browser_context_args), live_server, "liaison")
    page.goto(table)
    enter(page, "industrial-output", "200")
    enter(page, "industrial-value-added", "250")
    enter(page, "satisfaction", "92.5", source="实绩平台")
    expect(page.locator("#ind-industrial-value-added [data-flag=relation]")).to_contain_text(
        "工业增加值（250）应不超过同期规模以上工业总产值（200）"
    )
    expect(page.locator("#sj-flagged")).to_contain_text("1")
    expect(page.locator("#ind-industrial-value-added")).to_contain_text("您填报的数据须由他人确认")
    assert page.js_errors == []

    admin = sign_in(new_page(browser, browser_context_args), live_server, "zone_admin")
    admin.goto(table)
    row = admin.locator("#ind-industrial-value-added")
    row.locator("textarea[name=note_relation]").fill("总产值为快报数，增加值已按年报口径核实")
    row.get_by_role("button", name="核实无误，确认并锁定").click()
    expect(admin.locator("#ind-industrial-value-added [data-status=confirmed]")).to_be_visible()
    expect(admin.locator("#ind-industrial-value-added")).to_contain_text("总产值为快报数")
    # Locked: no confirm form any more, only the correction.
    expect(admin.locator("#ind-industrial-value-added .sj-form-confirm")).to_have_count(0)
    expect(admin.locator("#ind-industrial-value-added .sj-form-correct")).to_have_count(1)
    # 显绩 and 潜绩 side by side on the zone's table, the flag kept.
    expect(admin.locator("#ind-industrial-output")).to_contain_text("显绩")
    expect(admin.locator("#ind-satisfaction")).to_contain_text("潜绩")
    expect(admin.locator("#ind-industrial-value-added [data-flag=relation]")).to_be_visible()
    assert admin.js_errors == []

    figure = Measurement.objects.get(indicator__code="industrial-value-added")
    assert figure.status == "confirmed" and figure.confirmed_by == world["zone_admin"]
    assert figure.flags[0]["note"] == "总产值为快报数，增加值已按年报口径核实"
