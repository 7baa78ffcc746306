"""In a real Chromium: a liaison enters a quarter's figures, one of them
breaks a declared relation and is flagged; the zone admin reads the flag,
writes a note on it and confirms every figure; the lock button, disabled
while a figure waited, now locks the quarter after its confirm step, and
nothing more can be entered into it. The zone's assessment page then shows
显绩 and 潜绩 side by side, and the flagged figure marked 疑点 with its note.
Screenshots of each step are kept in test-artifacts/."""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from shiji.assessment.models import Measurement, PeriodLock
from shiji.assessment.services import target_set
from shiji.audit.models import AuditEvent
from tests.browser.conftest import new_page, screenshot, sign_in
from tests.conftest import SYSTEM

pytestmark = pytest.mark.browser

NOTE = "总产值为快报数，增加值已按年报口径核实"


def enter(page, code: str, value: str, source: str = "清远市统计局") -> None:
    row = page.locator(f"#ind-{code}")
    row.locator("input[name=value]").fill(value)
    row.locator("input[name=source]").fill(source)
    row.get_by_role("button", name="填报").click()
    expect(page.locator(f"#ind-{code} [data-status=entered]")).to_be_visible()


def confirm(page, code: str, note: str | None = None) -> None:
    row = page.locator(f"#ind-{code}")
    if note is not None:
        row.locator("textarea[name=note_relation]").fill(note)
    row.get_by_role("button", name="核实无误，确认并锁定").click()
    expect(page.locator(f"#ind-{code} [data-status=confirmed]")).to_be_visible()


def test_a_flagged_quarter_is_confirmed_locked_and_scored(
    world, library, browser, browser_context_args, live_server
):
    # The zone's 2026 targets, as its task force set them on the targets page.
    for code, value in (("industrial-output", "1000"), ("industrial-value-added", "200"),
                        ("satisfaction", "95")):  # fmt: skip
        target_set(actor=SYSTEM, zone=world.a.zone, indicator=code, period="2026",
                   comparator="gte", value=value)  # fmt: skip
    table = f"{live_server.url}{reverse('assessment:figures')}?period=2026Q1"

    # The liaison enters the quarter; the part above its whole is flagged.
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
    # The liaison is not the task force: no lock button, only what will happen.
    expect(page.locator("#sj-lock")).to_contain_text("由工作专班锁定本期")
    expect(page.locator("#sj-lock button")).to_have_count(0)
    screenshot(page, "assessment-journey-1-entered")
    assert page.js_errors == []

    # The zone admin: the lock waits for every figure to be confirmed.
    admin = sign_in(new_page(browser, browser_context_args), live_server, "zone_admin")
    admin.goto(table)
    expect(admin.locator("#sj-lock-disabled")).to_be_disabled()
    expect(admin.locator("#sj-lock-why")).to_have_text("还有 3 项数据待确认，全部确认后才能锁定")
    screenshot(admin, "assessment-journey-1b-lock-waits", full_page=False)
    confirm(admin, "industrial-value-added", NOTE)
    expect(admin.locator("#ind-industrial-value-added")).to_contain_text(NOTE)
    expect(admin.locator("#ind-industrial-value-added .sj-form-confirm")).to_have_count(0)
    expect(admin.locator("#ind-industrial-value-added .sj-form-correct")).to_have_count(1)
    expect(admin.locator("#sj-lock-why")).to_contain_text("还有 2 项数据待确认")
    # The whole is checked again on confirmation and now breaks the relation
    # from its side too: the page asks for a note before it locks the figure.
    admin.locator("#ind-industrial-output").get_by_role(
        "button", name="核实无误，确认并锁定"
    ).click()
    expect(admin.locator("#ind-industrial-output [data-error=note]")).to_contain_text(
        "确认前须写明核实情况"
    )
    # That answer was the form again with its error (422), nothing else.
    assert [e.split()[0] for e in admin.js_errors] == ["422"]
    admin.js_errors.clear()
    admin.locator("#ind-industrial-output input[name=note]").fill(NOTE)
    confirm(admin, "industrial-output")
    confirm(admin, "satisfaction")
    expect(admin.locator("#ind-industrial-output")).to_contain_text("显绩")
    expect(admin.locator("#ind-satisfaction")).to_contain_text("潜绩")

    # Every figure confirmed: the button opens its confirm step, then locks.
    expect(admin.locator("#sj-lock-disabled")).to_have_count(0)
    expect(admin.locator("#sj-lock-form")).to_be_hidden()
    admin.locator("#sj-lock-step summary").click()
    expect(admin.locator("#sj-lock-form")).to_be_visible()
    expect(admin.locator("#sj-lock-form")).to_contain_text("锁定不能撤销")
    admin.locator("#id_lock_note").fill("一季度数据已全部核实")
    screenshot(admin, "assessment-journey-2-lock-step")
    admin.get_by_role("button", name="确认锁定本期").click()
    expect(admin.locator("#sj-lock [data-locked]")).to_have_text("已锁定")
    expect(admin.locator("#sj-lock")).to_contain_text("zone_admin 于")
    expect(admin.locator("#sj-lock")).to_contain_text("锁定说明：一季度数据已全部核实")
    screenshot(admin, "assessment-journey-3-locked")
    assert admin.js_errors == []

    # Locked: the liaison can enter nothing more into the quarter.
    page.goto(table)
    expect(page.locator("#sj-lock [data-locked]")).to_be_visible()
    expect(page.locator(".sj-form-enter")).to_have_count(0)
    expect(page.locator("#sj-import-link")).to_have_count(0)
    expect(page.locator("#ind-exports")).to_contain_text("本期已锁定，不能再填报")
    assert page.js_errors == []

    # The zone's assessment page: 显绩 and 潜绩 side by side, the flag kept.
    # By hand: 工业总产值 200 against 1000 ÷ 4 → 80; 工业增加值 250 against
    # 200 ÷ 4 → 100 (capped); equal weights → 显绩 90. 群众满意度 92.5 against
    # 95 (a rate: the latest quarter) → 97.4 → 潜绩 97.4; composite 93.7.
    admin.goto(f"{live_server.url}{reverse('assessment:zone', args=[world.a.zone.pk])}?year=2026")
    scores = admin.locator("#sj-scores")
    expect(scores).to_contain_text("显绩")
    expect(scores).to_contain_text("潜绩")
    expect(admin.locator("#sj-visible")).to_have_text("90")
    expect(admin.locator("#sj-latent")).to_have_text("97.4")
    expect(admin.locator("#sj-composite")).to_have_text("93.7")
    flagged = admin.locator("#sj-items [data-indicator=industrial-value-added]")
    expect(flagged.locator("[data-flag=relation]")).to_contain_text("疑点")
    expect(flagged.locator("[data-flag=relation]")).to_contain_text(NOTE)
    expect(admin.locator("#sj-items [data-indicator=satisfaction] [data-flag]")).to_have_count(0)
    screenshot(admin, "assessment-journey-4-zone-page")
    assert admin.js_errors == []

    figure = Measurement.objects.get(indicator__code="industrial-value-added")
    assert figure.status == "confirmed" and figure.confirmed_by == world["zone_admin"]
    assert figure.flags[0]["note"] == NOTE
    lock = PeriodLock.objects.get()
    assert (lock.zone, lock.period, lock.locked_by, lock.note) == (
        world.a.zone, "2026Q1", world["zone_admin"], "一季度数据已全部核实",
    )  # fmt: skip
    event = AuditEvent.objects.get(action="measurement.period_lock")
    assert event.changes["figures"] == [None, 3]
    assert Measurement.objects.count() == 3
