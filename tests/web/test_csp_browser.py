"""The Content-Security-Policy in a real Chromium: the main pages, htmx,
Tabler's JavaScript and an ECharts chart all work under it, and the browser
reports no violation and no console error."""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from tests.browser.conftest import RECORD_VIOLATIONS
from tests.conftest import PASSWORD
from tests.ledger.conftest import create_categories, problem_maker
from tests.study.conftest import kinds  # noqa: F401

pytestmark = pytest.mark.browser


class Watched:
    """A page that records the policy each document came with, CSP
    violations, console errors and uncaught exceptions."""

    def __init__(self, page: Page):
        self.page = page
        self.errors: list[str] = []
        self.policy = ""
        page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        page.on("response", self._document)

    def _document(self, response) -> None:
        if response.request.resource_type == "document":
            self.policy = response.headers.get("content-security-policy", "")

    def assert_clean(self, where: str) -> None:
        assert "script-src 'self'" in self.policy, f"{where}: not served under the policy"
        assert "unsafe-inline" not in self.policy, where
        assert self.page.evaluate("window.__violations") == [], where
        assert self.errors == [], where


@pytest.fixture
def watched(live_server, world, kinds, browser, browser_context_args):  # noqa: F811
    context = browser.new_context(**browser_context_args)
    context.add_init_script(RECORD_VIOLATIONS)
    # The site has no favicon; Chromium's automatic request for one is no error of a page.
    context.route("**/favicon.ico", lambda route: route.fulfill(status=204))
    w = Watched(context.new_page())
    w.page.goto(live_server.url + reverse("login"))
    w.assert_clean("login page")
    w.page.fill("#id_username", "secretary")
    w.page.fill("#id_password", PASSWORD)
    w.page.click("button[type=submit]")
    expect(w.page.locator(".sj-brand")).to_be_visible()
    yield w
    context.close()


def test_main_pages_work_under_the_policy_without_a_violation(live_server, world, watched):
    page = watched.page
    problem = problem_maker(create_categories(world))(world)
    watched.assert_clean("home")

    # Tabler's JavaScript: the account menu opens.
    page.locator("[data-bs-toggle=dropdown]").first.click()
    expect(page.get_by_role("link", name="修改密码")).to_be_visible()

    # The ledger list, filtered through htmx (its indicator styles come from shiji.css).
    page.goto(live_server.url + reverse("ledger:list"))
    expect(page.locator("#sj-ledger")).to_contain_text(problem.code)
    page.wait_for_function("document.querySelector('#sj-ledger form')['htmx-internal-data']")
    page.locator(".sj-filters > summary").click()  # the folded 筛选 control
    with page.expect_response(lambda r: "status=closed" in r.url):
        page.select_option("#f-status", "closed")
    expect(page.locator("#sj-ledger")).not_to_contain_text(problem.code)
    watched.assert_clean("ledger list")

    page.goto(live_server.url + reverse("ledger:detail", args=[problem.pk]))
    expect(page.locator("#sj-problem")).to_contain_text(problem.description)
    watched.assert_clean("problem detail")

    # The study form and its own script and styles (study/session_form.js):
    # ticking someone counts them and shows the reason fields of the others.
    page.goto(live_server.url + reverse("study:create"))
    summary = page.locator("#sj-roster-summary")
    expect(summary).to_contain_text("出勤待补录")
    row = page.locator("#sj-roster .sj-att", has_text="李四")
    expect(row.locator(".sj-reason input")).to_be_hidden()
    page.locator("#sj-roster .sj-att", has_text="张三").locator('input[name="present"]').check()
    expect(row.locator(".sj-reason input")).to_be_visible()
    expect(summary).to_contain_text("出席 1 人，缺席 2 人")
    watched.assert_clean("study form")


def test_echarts_draws_under_the_policy_with_rich_text_tooltips(live_server, watched):
    """ECharts styles its DOM through the CSSOM, which the policy allows. Its
    default HTML tooltip writes style attributes, which the policy blocks:
    charts use ``tooltip.renderMode: "richText"`` (drawn on the canvas)."""
    page = watched.page
    page.add_script_tag(url="/static/vendor/echarts-6.1.0.min.js")
    page.evaluate(
        """() => {
          const box = document.createElement("div");
          box.id = "chart";
          document.querySelector(".page-body").append(box);
          box.style.height = "300px";
          const chart = echarts.init(box);
          chart.setOption({
            tooltip: {trigger: "axis", renderMode: "richText"},
            xAxis: {data: ["待整改", "整改中", "已销号"]}, yAxis: {},
            series: [{type: "bar", name: "问题", data: [3, 5, 8]}],
          });
          chart.dispatchAction({type: "showTip", seriesIndex: 0, dataIndex: 1});
        }"""
    )
    expect(page.locator("#chart canvas")).to_have_count(1)
    page.wait_for_timeout(300)  # the tooltip is drawn on the next animation frame
    watched.assert_clean("echarts")
