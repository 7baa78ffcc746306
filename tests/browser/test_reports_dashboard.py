"""In a real Chromium: the zone admin opens the zone's dashboard, reads its
charts, switches one to its table and back, clicks a segment of a chart
and lands on the ledger list filtered to exactly the problems it counts; a
provincial viewer opens the roll-up (统计报表) and sees only their
province's zones, then drills into one. Records: tests/assessment/
campaign_records.py, read on 2026-05-31. Screenshots in test-artifacts/."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.assessment.campaign_records import END, START, build
from tests.browser.conftest import csp_violations, new_page, screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.today("2026-05-31")]

PERIOD = f"?from={START.isoformat()}&to={END.isoformat()}"


def click_segment(page, panel: str, series: int, row: int) -> None:
    """Click the middle of bar ``row`` of ``series`` in ``panel``'s chart,
    where ECharts laid it out."""
    box = f"#sj-panel-{panel}-chart"
    page.locator(f"{box} canvas").first.wait_for()
    page.locator(box).scroll_into_view_if_needed()
    x, y = page.evaluate(
        """([box, series, row]) => {
          const el = document.querySelector(box);
          const chart = echarts.getInstanceByDom(el);
          const layout = chart.getModel().getSeriesByIndex(series).getData().getItemLayout(row);
          const rect = el.getBoundingClientRect();
          return [rect.left + layout.x + layout.width / 2, rect.top + layout.y + layout.height / 2];
        }""",
        [box, series, row],
    )
    page.mouse.click(x, y)


def test_a_chart_segment_opens_the_list_of_its_problems(
    world, browser, browser_context_args, live_server
):
    records = build(world)
    page = sign_in(new_page(browser, browser_context_args), live_server, "zone_admin")
    page.goto(f"{live_server.url}{reverse('reports:home')}")
    expect(page).to_have_url(f"{live_server.url}{reverse('reports:zone', args=[world.a.zone.pk])}")
    page.goto(f"{live_server.url}{reverse('reports:zone', args=[world.a.zone.pk])}{PERIOD}")
    expect(page.locator("#sj-cards")).to_contain_text("40.0%")
    for key in ("lights", "categories", "orgs", "weeks", "coverage", "tasks"):
        expect(page.locator(f"#sj-panel-{key}-chart canvas").first).to_be_visible()
        expect(page.locator(f"#sj-panel-{key}-table")).to_be_hidden()
    screenshot(page, "reports-zone-dashboard")

    # The table view: a button switches, says so, and switches back.
    panel = page.locator("#sj-panel-coverage")
    toggle = panel.get_by_role("button", name="表格视图")
    toggle.click()
    expect(panel.locator("table")).to_be_visible()
    expect(panel.locator("table")).to_contain_text("66.7%（2/3）")
    expect(panel.locator(".sj-chart")).to_be_hidden()
    expect(panel.locator(".sj-view-toggle")).to_have_attribute("aria-pressed", "true")
    screenshot(page, "reports-zone-dashboard-table")
    panel.get_by_role("button", name="图表视图").click()
    expect(panel.locator(".sj-chart canvas").first).to_be_visible()

    # Category 1's 已销号 segment (series 3, first row): p1 and p2.
    click_segment(page, "categories", 3, 0)
    expect(page).to_have_url(re.compile(r"/ledger/\?.*status=closed"))
    listing = page.locator("#sj-ledger")
    expect(listing).to_contain_text(records.problems["p1"].code)
    expect(listing).to_contain_text(records.problems["p2"].code)
    for name in ("p3", "p4", "p7"):
        expect(listing).not_to_contain_text(records.problems[name].code)
    screenshot(page, "reports-zone-dashboard-clicked-list")
    assert csp_violations(page) == []
    assert page.js_errors == []


def test_a_provincial_viewer_opens_the_rollup_of_their_province(
    world, browser, browser_context_args, live_server
):
    build(world)
    page = sign_in(new_page(browser, browser_context_args), live_server, "provincial")
    page.goto(f"{live_server.url}{reverse('reports:home')}")
    expect(page).to_have_url(f"{live_server.url}{reverse('reports:rollup')}")
    page.goto(f"{live_server.url}{reverse('reports:rollup')}{PERIOD}")
    ranking = page.locator("#sj-panel-ranking")
    expect(ranking.locator("canvas").first).to_be_visible()
    ranking.get_by_role("button", name="表格视图").click()
    expect(ranking.locator("table")).to_contain_text(world.a.zone.name)
    expect(page.locator("body")).not_to_contain_text(world.b.zone.name)
    expect(page.locator("#sj-provinces")).to_have_count(0)  # one province: nothing to choose
    screenshot(page, "reports-rollup-provincial")

    # Drill down to the zone's dashboard, in the viewer's scope.
    ranking.get_by_role("link", name=world.a.zone.name).first.click()
    expect(page.locator(".page-title")).to_contain_text(world.a.zone.name)
    expect(page.locator("#sj-cards")).to_contain_text("40.0%")
    screenshot(page, "reports-rollup-provincial-drill")
    assert csp_violations(page) == []
    assert page.js_errors == []
