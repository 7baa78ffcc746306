"""The zone's task force records a 5-person 中心组 meeting from a saved
attendee group, in a real Chromium on an office PC (1366×768) and on a
phone (390×844): the key fields and 保存 are on the first screen, nobody
starts ticked, 全部出席 ticks the five, two are unticked and given one
reason together, and the coverage counts only the three who came.

Without JavaScript the same form still works: the attendee choice reloads
the list through 更新名单 and 全部出席 ticks everyone server-side without
saving anything."""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from shiji.orgs.services import person_create
from shiji.study import services
from shiji.study.models import Attendance, StudySession
from tests.browser.conftest import new_page, sign_in
from tests.conftest import SYSTEM

# The study fixtures: the adopted campaign's kinds, and material files kept
# in a temporary folder.
from tests.study.conftest import CALENDAR_DAY, kinds, person  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.today(CALENDAR_DAY)]  # the study calendar

OFFICE = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def central_group(world, kinds):  # noqa: F811 - the fixture imported above
    """The 党工委's 理论学习中心组: its three leaders, the 经济发展局 branch's
    张三 and the technology firm's 赵六. The zone has 8 people in all (and
    has adopted the campaign, whose study kinds the form offers)."""
    root = world.a.root
    leaders = [
        person_create(actor=SYSTEM, org=root, name=name, position=position)
        for name, position in (
            ("周建国", "党工委书记"),
            ("吴海燕", "党工委副书记、管委会主任"),
            ("郑文博", "党工委委员"),
        )
    ]
    members = [*leaders, person(world.a.dept, "张三"), person(world.a.firm, "赵六")]
    return services.group_create(
        actor=world["zone_admin"], org=root, name="理论学习中心组", members=members
    )


def open_page(browser, browser_context_args, live_server, viewport, *, javascript=True) -> Page:
    page = new_page(
        browser, browser_context_args, viewport=viewport, java_script_enabled=javascript
    )
    return sign_in(page, live_server, "zone_admin")


def assert_on_first_screen(page: Page, *selectors: str) -> None:
    height = page.viewport_size["height"]
    width = page.viewport_size["width"]
    for selector in selectors:
        box = page.locator(selector).bounding_box()
        assert box is not None, f"{selector} is not shown"
        assert box["y"] >= 0 and box["y"] + box["height"] <= height, (
            f"{selector} is at y={box['y']:.0f}–{box['y'] + box['height']:.0f}, "
            f"below the first screen ({height} px)"
        )
        assert box["x"] >= 0 and box["x"] + box["width"] <= width, f"{selector} overflows"


def row(page: Page, name: str):
    return page.locator("#sj-roster .sj-att", has_text=name)


KEY_FIELDS = ("#id_kind", "#id_date", "#id_duration_hours", "#id_topic", "#id_attendees")


@pytest.mark.parametrize("viewport", [OFFICE, PHONE], ids=["1366x768", "390x844"])
def test_a_central_group_session_from_a_saved_group_counts_only_those_present(
    live_server, world, central_group, browser, browser_context_args, artifacts, viewport
):
    tag = f"{viewport['width']}x{viewport['height']}"
    page = open_page(browser, browser_context_args, live_server, viewport)
    page.goto(f"{live_server.url}{reverse('study:create')}")

    # The form opens for the 党工委 with only its own people expected, nobody
    # ticked; what a user fills first and 保存 are on the first screen.
    expect(page.locator("#id_attendees")).to_have_value("org")
    expect(page.locator("#sj-roster")).to_contain_text("应到 3 人")
    expect(page.locator('#sj-roster input[name="present"]:checked')).to_have_count(0)
    assert_on_first_screen(page, *KEY_FIELDS, "#sj-all-present", "#sj-save")
    page.screenshot(path=artifacts / f"study-group-form-{tag}.png")

    page.select_option("#id_kind", label="理论学习中心组")
    page.fill("#id_topic", "专题学习习近平总书记关于树立和践行正确政绩观的重要论述")
    page.fill("#id_duration_hours", "3")
    # Choosing the saved group reloads the list with its five members; what
    # was typed is kept.
    page.select_option("#id_attendees", label="名单：理论学习中心组（5 人）")
    expect(page.locator("#sj-roster")).to_contain_text("应到 5 人")
    expect(page.locator("#id_topic")).to_have_value(
        "专题学习习近平总书记关于树立和践行正确政绩观的重要论述"
    )
    expect(page.locator("#sj-roster .sj-att")).to_have_count(5)
    expect(page.locator('#sj-roster input[name="present"]:checked')).to_have_count(0)
    expect(page.locator("#sj-roster")).not_to_contain_text("李四")
    assert_on_first_screen(page, *KEY_FIELDS, "#sj-all-present", "#sj-save")

    page.click("#sj-all-present")
    expect(page.locator('#sj-roster input[name="present"]:checked')).to_have_count(5)
    expect(page.locator("#sj-roster-summary")).to_have_text("出席 5 人，缺席 0 人")
    for name in ("张三", "赵六"):
        row(page, name).locator('input[name="present"]').uncheck()
    expect(page.locator("#sj-roster-summary")).to_have_text(
        "出席 3 人，缺席 2 人（2 人未填缺席原因）"
    )
    page.select_option("#id_common_reason", label="因公外出")
    expect(page.locator("#sj-roster-summary")).to_have_text("出席 3 人，缺席 2 人")
    expect(row(page, "张三")).to_have_class("list-group-item sj-att")
    page.locator("#sj-common-reason").scroll_into_view_if_needed()
    page.screenshot(path=artifacts / f"study-group-form-marked-{tag}.png")
    assert_on_first_screen(page, "#sj-save")
    page.click("#sj-save")

    expect(page.locator(".alert-success")).to_contain_text("应到 5 人，出席 3 人，缺席 2 人")
    expect(page.locator("#sj-attendees")).to_contain_text("理论学习中心组")
    page.screenshot(path=artifacts / f"study-group-detail-{tag}.png", full_page=True)

    session = StudySession.objects.get()
    assert (session.attendee_scope, session.attendee_group) == ("group", central_group)
    marks = {a.person.name: (a.present, a.reason) for a in Attendance.objects.all()}
    assert marks == {
        "周建国": (True, ""),
        "吴海燕": (True, ""),
        "郑文博": (True, ""),
        "张三": (False, "因公外出"),
        "赵六": (False, "因公外出"),
    }

    # Coverage of the zone: 3 of its 8 people were reached (38%).
    page.goto(f"{live_server.url}{reverse('study:coverage')}?org={world.a.root.pk}")
    figures = page.locator("#sj-coverage-figures")
    expect(figures.locator('[data-figure="reached"]')).to_have_text("3 / 8")
    expect(figures.locator('[data-figure="share"]')).to_have_text("38%")

    # The saved groups: listed with their size, editable with a filter over
    # the roster and 保存 always in reach.
    page.goto(f"{live_server.url}{reverse('study:groups')}")
    expect(page.locator(f'[data-group="{central_group.pk}"]')).to_contain_text("5 人")
    page.screenshot(path=artifacts / f"study-groups-{tag}.png")
    page.locator(f'[data-group="{central_group.pk}"]').get_by_role("link", name="修改").click()
    expect(page.locator('input[name="members"]:checked')).to_have_count(5)
    page.fill("#sj-member-filter", "钱")
    expect(page.locator(".sj-member:visible")).to_have_count(1)
    assert_on_first_screen(page, "#id_name", "#sj-member-filter")
    page.screenshot(path=artifacts / f"study-group-edit-{tag}.png")
    assert page.js_errors == []


def test_without_javascript_the_group_and_all_present_work_server_side(
    live_server, world, central_group, browser, browser_context_args, artifacts
):
    page = open_page(browser, browser_context_args, live_server, PHONE, javascript=False)
    page.goto(f"{live_server.url}{reverse('study:create')}")
    page.select_option("#id_kind", label="理论学习中心组")
    page.fill("#id_topic", "中心组学习")
    page.fill("#id_duration_hours", "2")
    page.select_option("#id_attendees", label="名单：理论学习中心组（5 人）")
    page.get_by_role("button", name="更新名单").click()
    expect(page.locator("#sj-roster .sj-att")).to_have_count(5)
    expect(page.locator("#id_topic")).to_have_value("中心组学习")

    page.click("#sj-all-present")
    expect(page.locator('#sj-roster input[name="present"]:checked')).to_have_count(5)
    expect(page.locator("#sj-roster .alert-info")).to_contain_text("尚未保存")
    assert not StudySession.objects.exists()  # 全部出席 alone saves nothing
    row(page, "周建国").locator('input[name="present"]').uncheck()
    row(page, "周建国").locator(".sj-reason input").fill("病假")
    page.screenshot(path=artifacts / "study-group-form-nojs-390x844.png", full_page=True)
    page.click("#sj-save")

    expect(page.locator(".alert-success")).to_contain_text("出席 4 人，缺席 1 人")
    marks = dict(Attendance.objects.values_list("person__name", "reason"))
    assert marks["周建国"] == "病假"
    assert Attendance.objects.filter(present=True).count() == 4
