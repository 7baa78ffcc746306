"""The zone's task force on an office PC (1366×768) sets up the campaign:
the category table's headers sit over their inputs, a bad row is refused in
place with nothing saved, generating the task list goes through its
confirmation page, and the org × task matrix keeps the org column in view
while it scrolls sideways, with full task names on hover. Screenshots of
the settings page and the matrix are kept as artifacts."""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from shiji.campaigns.models import ProblemCategory, Task, ZoneCampaign
from tests.browser.conftest import new_page, sign_in
from tests.campaigns.conftest import campaign, make_task  # noqa: F401 - fixtures

pytestmark = pytest.mark.browser

OFFICE = {"width": 1366, "height": 768}


def office_page(browser, browser_context_args, live_server, username: str) -> Page:
    """Signed in at the office size through the browser conftest's helpers."""
    return sign_in(new_page(browser, browser_context_args, viewport=OFFICE), live_server, username)


def centre_x(box: dict) -> float:
    return box["x"] + box["width"] / 2


def test_settings_page_one_form_and_a_confirmed_generation(
    world,
    campaign,  # noqa: F811
    live_server,
    browser,
    browser_context_args,
    artifacts,
):
    adoption = ZoneCampaign.objects.get(zone=world.a.zone)
    page = office_page(browser, browser_context_args, live_server, "zone_admin")
    page.goto(live_server.url + reverse("campaigns:settings"))
    table = page.locator(f"#categories-{adoption.pk}")
    expect(table).to_be_visible()

    # Each header sits over its column's inputs.
    headers = table.locator("thead th")
    expect(headers).to_have_count(4)
    first = table.locator("tbody tr").first.locator("td")
    expect(first).to_have_count(4)
    for i in range(4):
        head, cell = headers.nth(i).bounding_box(), first.nth(i).bounding_box()
        assert abs(head["x"] - cell["x"]) < 2 and abs(head["width"] - cell["width"]) < 2, i
    table.scroll_into_view_if_needed()
    page.screenshot(path=artifacts / "campaign-settings-1366.png", full_page=True)

    # One valid edit and one bad row: refused in place, nothing saved.
    fake = ProblemCategory.objects.get(zone=world.a.zone, code="fake-data")
    old = ProblemCategory.objects.get(zone=world.a.zone, code="old-accounts")
    page.fill(f'input[name="name-{fake.pk}"]', "统计造假")
    page.fill(f'input[name="name-{old.pk}"]', "形象工程")
    page.get_by_role("button", name="保存问题类别").click()
    row = page.locator(f'tr:has(input[name="name-{old.pk}"])')
    expect(row.locator(".invalid-feedback")).to_contain_text("重复")
    expect(page.locator(f'input[name="name-{fake.pk}"]')).to_have_value("统计造假")
    fake.refresh_from_db()
    assert fake.name == "数据造假、统计失真"
    page.screenshot(path=artifacts / "campaign-settings-refused-1366.png", full_page=True)

    # Fixed, saved together.
    page.fill(f'input[name="name-{old.pk}"]', "新官不理旧账")
    page.get_by_role("button", name="保存问题类别").click()
    expect(page.locator(".alert-success, .alert")).to_contain_text("已保存 1 个问题类别")
    fake.refresh_from_db()
    assert (fake.name, fake.is_placeholder) == ("统计造假", False)

    # Generating asks first.
    page.locator(f"#tasks-adopt-{adoption.pk}").click()
    expect(page.get_by_role("heading", name="生成任务清单")).to_be_visible()
    assert not Task.objects.exists()
    count = campaign.task_templates.count()
    page.get_by_role("button", name=f"确认生成 {count} 项任务").click()
    expect(page.locator(".alert")).to_contain_text(f"已从任务模板生成 {count} 项任务")
    assert Task.objects.filter(zone=world.a.zone).count() == count


def test_the_matrix_keeps_the_org_column_in_view(
    world,
    campaign,  # noqa: F811
    make_task,  # noqa: F811
    live_server,
    browser,
    browser_context_args,
    artifacts,
):
    long_title = "组织开展树立和践行正确政绩观专题读书班并形成学习成果报告"
    make_task(title=long_title, sectors=["organ", "private", "soe"])
    for n in range(14):
        make_task(
            title=f"第{n + 1}项重点任务：对照问题清单逐项推进整改",
            sectors=["organ", "private", "soe"],
        )
    page = office_page(browser, browser_context_args, live_server, "zone_admin")
    page.goto(live_server.url + reverse("campaigns:matrix"))
    table = page.locator("#sj-matrix-table")
    expect(table).to_be_visible()
    scroller = page.locator("#sj-matrix .table-responsive")
    org_cell = table.locator("tbody tr").first.locator("th").first
    before = org_cell.bounding_box()

    width = scroller.evaluate("el => el.scrollWidth - el.clientWidth")
    assert width > 200  # the table is wider than the screen
    scroller.evaluate("el => { el.scrollLeft = el.scrollWidth; }")
    page.wait_for_function(
        "() => document.querySelector('#sj-matrix .table-responsive').scrollLeft > 200"
    )
    after = org_cell.bounding_box()
    assert abs(after["x"] - before["x"]) < 2  # stuck to the left edge
    # The cell beside it scrolled away underneath.
    neighbour = table.locator("tbody tr").first.locator("td").first.bounding_box()
    assert neighbour["x"] < before["x"] + before["width"]
    page.screenshot(path=artifacts / "campaign-matrix-1366.png")

    scroller.evaluate("el => { el.scrollLeft = 0; }")
    header = table.locator(f'thead th[title="{long_title}"]')
    expect(header).to_have_count(1)
    assert header.inner_text() != long_title  # shortened on screen, whole on hover
