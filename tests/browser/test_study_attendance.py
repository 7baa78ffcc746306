"""A branch secretary records a 支部学习 session in a real Chromium: nobody
starts ticked, 全部出席 ticks the branch, two absentees are unticked and
given their own reasons (the reason field appears only for them), and the
coverage page shows the branch's figures before and after."""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from shiji.study.models import StudySession
from tests.browser.conftest import new_page, sign_in

# The study fixtures: the adopted campaign's kinds, a session maker, and
# material files kept in a temporary folder.
from tests.study.conftest import CALENDAR_DAY, kinds, make_session  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.today(CALENDAR_DAY)]  # the study calendar


@pytest.fixture
def earlier(world, make_session):  # noqa: F811 - the fixture imported above
    # Before this journey only 张三 has been reached: 1 / 3.
    return make_session(present=["张三"], hours="2", topic="春节后第一次支部学习")


def row(page: Page, name: str):
    return page.locator("#sj-roster .sj-att", has_text=name)


def test_branch_session_with_two_absentees_changes_the_coverage(
    live_server, world, earlier, browser, browser_context_args, artifacts
):
    page = sign_in(new_page(browser, browser_context_args), live_server, "secretary")

    # The branch's coverage before: one of three members reached.
    page.get_by_role("link", name="学习研讨").first.click()
    page.get_by_role("link", name="学习覆盖情况").click()
    figures = page.locator("#sj-coverage-figures")
    expect(figures.locator('[data-figure="reached"]')).to_have_text("1 / 3")
    expect(figures.locator('[data-figure="share"]')).to_have_text("33%")
    expect(page.locator("#sj-never")).to_contain_text("李四")
    page.screenshot(path=artifacts / "study-coverage-before.png", full_page=True)

    # Record today's 支部学习: the branch's three are expected, nobody is ticked.
    page.get_by_role("link", name="记录学习研讨").click()
    expect(page.locator("#sj-roster")).to_contain_text("应到 3 人")
    for name in ("张三", "李四", "王五"):
        expect(row(page, name).locator('input[name="present"]')).not_to_be_checked()
        expect(row(page, name).locator(".sj-reason input")).to_be_hidden()
    expect(page.locator("#sj-roster-summary")).to_contain_text("出勤待补录")
    page.select_option("#id_kind", label="支部学习")
    page.fill("#id_topic", "学习习近平总书记关于树立和践行正确政绩观的重要论述")
    page.fill("#id_duration_hours", "1.5")
    page.fill("#id_place", "党员活动室")

    # 全部出席 ticks all three.
    page.get_by_role("button", name="全部出席").click()
    for name in ("张三", "李四", "王五"):
        expect(row(page, name).locator('input[name="present"]')).to_be_checked()
    expect(page.locator("#sj-roster-summary")).to_have_text("出席 3 人，缺席 0 人")

    # Untick the two absentees; their reason fields appear.
    for name, reason in (("张三", "外出招商"), ("王五", "病假")):
        row(page, name).locator('input[name="present"]').uncheck()
        field = row(page, name).locator(".sj-reason input")
        expect(field).to_be_visible()
        field.fill(reason)
    expect(row(page, "李四").locator(".sj-reason input")).to_be_hidden()
    expect(page.locator("#sj-roster-summary")).to_have_text("出席 1 人，缺席 2 人")
    page.screenshot(path=artifacts / "study-form-absentees.png", full_page=True)
    page.locator("#sj-save").click()

    # The session's page lists who was absent and why.
    expect(page.locator(".alert-success")).to_contain_text("出席 1 人，缺席 2 人")
    attendance = page.locator("#sj-attendance")
    expect(attendance).to_contain_text("外出招商")
    expect(attendance).to_contain_text("病假")
    expect(page.locator("#sj-timeline")).to_contain_text("记录学习研讨")
    page.screenshot(path=artifacts / "study-session-detail.png", full_page=True)

    session = StudySession.objects.exclude(pk=earlier.pk).get()
    marks = {a.person.name: (a.present, a.reason) for a in session.attendance.all()}
    assert marks == {"张三": (False, "外出招商"), "李四": (True, ""), "王五": (False, "病假")}

    # Coverage after: 李四 is now reached, 王五 never was.
    page.goto(f"{live_server.url}{reverse('study:coverage')}")
    expect(figures.locator('[data-figure="reached"]')).to_have_text("2 / 3")
    expect(figures.locator('[data-figure="share"]')).to_have_text("67%")
    expect(page.locator("#sj-never")).not_to_contain_text("李四")
    expect(page.locator("#sj-never")).to_contain_text("王五")
    page.screenshot(path=artifacts / "study-coverage-after.png", full_page=True)
    assert page.js_errors == []
