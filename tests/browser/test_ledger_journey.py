"""A problem's whole journey in a real Chromium: the liaison starts it and
records progress and evidence, the secretary submits it, a supervisor returns
it, the secretary resubmits and a second supervisor closes it (挂账销号)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from playwright.sync_api import Page, expect

from shiji.audit.models import AuditEvent
from shiji.ledger.models import Problem, Status
from tests.browser.conftest import htmx_settled, new_page, sign_in
from tests.ledger.conftest import create_categories, png_bytes, problem_maker

pytestmark = pytest.mark.browser


@pytest.fixture
def problem(world, settings, tmp_path):
    make = problem_maker(create_categories(world))
    return make(world, description="企业反映项目环评审批久拖不决，平均超时 20 天")


def signed_in(browser, browser_context_args, live_server, username: str) -> Page:
    """A fresh browser session signed in through the real login form."""
    return sign_in(new_page(browser, browser_context_args), live_server, username)


def open_problem(page: Page, live_server, problem: Problem) -> None:
    page.goto(f"{live_server.url}{reverse('ledger:detail', args=[problem.pk])}")
    expect(page.locator("#sj-problem")).to_be_visible()


def status_badge(page: Page):
    return page.locator("#sj-problem .card-header .badge").nth(0)


def act(page: Page, form: str, button: str, note: str | None = None) -> None:
    """Fill a form of the action panel and send it; htmx swaps the page body
    in place, which the marker on ``window`` proves (a reload would drop it)."""
    page.evaluate("window.__sjMarker = 'kept'")
    panel = page.locator(f'form[data-form="{form}"]')
    if note is not None:
        panel.locator("textarea").fill(note)
    panel.get_by_role("button", name=button, exact=True).click()


def decide(page: Page, choice: str, note: str | None = None) -> None:
    """The verifier's one form (销号审核): choose, write, 下一步, then confirm
    on the step that repeats what will happen."""
    page.evaluate("window.__sjMarker = 'kept'")
    panel = page.locator('form[data-form="decide"]')
    panel.locator("label.form-selectgroup-item", has_text=choice).click()
    if note is not None:
        panel.locator("textarea").fill(note)
    panel.get_by_role("button", name="下一步：确认").click()


def confirm(page: Page, choice: str) -> None:
    panel = page.locator('form[data-form="decide"]')
    expect(panel.locator("[data-confirm]")).to_be_visible()
    panel.get_by_role("button", name=f"确认{choice}").click()


def assert_no_reload(page: Page) -> None:
    assert page.evaluate("window.__sjMarker") == "kept"


def test_problem_goes_from_open_to_closed_through_the_pages(
    live_server, world, problem, browser, browser_context_args, artifacts
):
    # The liaison finds the problem in the ledger, starts it, records progress
    # and uploads a photo of the result.
    liaison = signed_in(browser, browser_context_args, live_server, "liaison")
    liaison.goto(f"{live_server.url}{reverse('ledger:list')}")
    row = liaison.locator(f'tr[data-code="{problem.code}"]')
    expect(row).to_contain_text("待整改")
    liaison.screenshot(path=artifacts / "ledger-list.png", full_page=True)
    # Filters apply in place (htmx) and land in the address bar.
    liaison.evaluate("window.__sjMarker = 'kept'")
    liaison.locator(".sj-filters > summary").click()
    liaison.select_option("#f-status", "closed")
    expect(liaison.locator("#sj-ledger")).to_contain_text("没有符合筛选条件的问题")
    assert "status=closed" in liaison.url
    liaison.locator('a[data-light="green"]').click()
    expect(liaison.locator("#f-light")).to_have_value("green")
    htmx_settled(liaison)
    liaison.locator(".sj-filters > summary").click()
    liaison.select_option("#f-status", "open")
    expect(row).to_be_visible()
    assert_no_reload(liaison)
    row.get_by_role("link", name=problem.code).click()
    expect(liaison.locator("#sj-problem")).to_contain_text("企业反映项目环评审批久拖不决")

    act(liaison, "move:start", "开始整改")
    expect(status_badge(liaison)).to_have_text("整改中")
    expect(liaison.locator("#sj-problem .alert-success")).to_contain_text("已开始整改")
    assert_no_reload(liaison)

    act(liaison, "progress", "保存进展", note="已梳理环评审批环节，取消 3 项前置条件")
    expect(liaison.locator("#sj-progress")).to_contain_text("已梳理环评审批环节")
    assert_no_reload(liaison)

    upload = liaison.locator('form[data-form="evidence"]')
    upload.locator("input[type=file]").set_input_files(
        files=[
            {
                "name": "整改后审批流程图.png",
                "mimeType": "image/png",
                "buffer": png_bytes("journey"),
            }
        ]
    )
    upload.locator("select[name=stage]").select_option("after")
    upload.locator("input[name=note]").fill("新审批流程公示")
    upload.get_by_role("button", name="上传", exact=True).click()
    evidence = liaison.locator("#sj-evidence")
    expect(evidence).to_contain_text("整改后审批流程图.png")
    expect(evidence).to_contain_text("整改后")
    assert_no_reload(liaison)
    liaison.screenshot(path=artifacts / "ledger-detail-actions.png", full_page=True)
    # Submitting is the secretary's job, not the liaison's.
    expect(liaison.locator('form[data-form="move:submit"]')).to_have_count(0)

    # The secretary submits it with the completion note.
    secretary = signed_in(browser, browser_context_args, live_server, "secretary")
    open_problem(secretary, live_server, problem)
    act(secretary, "move:submit", "提交销号", note="环评审批时限压缩至 8 个工作日")
    expect(status_badge(secretary)).to_have_text("待销号")
    expect(secretary.locator("#sj-completion")).to_contain_text("压缩至 8 个工作日")

    # A supervisor finds the evidence thin and returns it with a reason.
    supervisor = signed_in(browser, browser_context_args, live_server, "supervisor")
    supervisor.goto(f"{live_server.url}{reverse('ledger:inbox')}")
    expect(supervisor.locator("#inbox-verify")).to_contain_text(problem.code)
    supervisor.locator("#inbox-verify").get_by_role("link", name=problem.code).click()
    expect(supervisor.locator('form[data-form="decide"]')).to_be_visible()
    supervisor.screenshot(path=artifacts / "ledger-detail-verify.png", full_page=True)
    decide(supervisor, "退回整改")
    # The reason is required: the server asks for it and nothing changes.
    expect(supervisor.locator('form[data-form="decide"] .invalid-feedback')).to_contain_text(
        "请填写退回理由"
    )
    expect(status_badge(supervisor)).to_have_text("待销号")
    assert [e.split()[0] for e in supervisor.js_errors] == ["422"]  # the deliberate one
    supervisor.js_errors.clear()
    decide(supervisor, "退回整改", note="请补充企业评价和办理时限统计")
    expect(status_badge(supervisor)).to_have_text("待销号")  # not before confirming
    confirm(supervisor, "退回整改")
    expect(status_badge(supervisor)).to_have_text("整改中")
    expect(supervisor.locator("#sj-timeline")).to_contain_text("请补充企业评价和办理时限统计")
    assert_no_reload(supervisor)

    # The secretary sees it back on the home page and why, and resubmits
    # (the completion note is kept).
    secretary.goto(f"{live_server.url}/")
    expect(secretary.locator('[data-todo="sent_back"]')).to_contain_text("1")
    secretary.screenshot(path=artifacts / "ledger-home.png", full_page=True)
    open_problem(secretary, live_server, problem)
    expect(secretary.locator("#sj-sent-back")).to_contain_text("请补充企业评价和办理时限统计")
    expect(secretary.locator("#sj-timeline")).to_contain_text("退回理由：请补充企业评价")
    submit = secretary.locator('form[data-form="move:submit"] textarea')
    expect(submit).to_have_value("环评审批时限压缩至 8 个工作日")
    act(
        secretary,
        "move:submit",
        "提交销号",
        note="环评审批时限压缩至 8 个工作日；走访 12 家企业，满意率 100%",
    )
    expect(status_badge(secretary)).to_have_text("待销号")

    # A second supervisor verifies it: 已销号.
    supervisor2 = signed_in(browser, browser_context_args, live_server, "supervisor2")
    open_problem(supervisor2, live_server, problem)
    decide(supervisor2, "通过销号", note="现场核实，整改到位")
    confirm(supervisor2, "通过销号")
    expect(status_badge(supervisor2)).to_have_text("已销号")
    closed_on = supervisor2.locator(".datagrid-item", has_text="销号日期")
    expect(closed_on).to_contain_text(timezone.localdate().isoformat())
    expect(supervisor2.locator("[data-status-note]")).to_contain_text("问题已销号")
    expect(supervisor2.locator('form[data-form="move:reopen"] summary')).to_contain_text("回头看")
    supervisor2.screenshot(path=artifacts / "ledger-verified.png", full_page=True)

    problem.refresh_from_db()
    assert problem.status == Status.CLOSED
    assert problem.verified_by == world["supervisor2"]
    actions = list(
        AuditEvent.objects.filter(object_type="ledger.problem", object_id=str(problem.pk))
        .order_by("pk")
        .values_list("action", flat=True)
    )
    assert actions == [
        "problem.create",
        "problem.start",
        "problem.progress",
        "problem.evidence",
        "problem.submit",
        "problem.return",
        "problem.submit",
        "problem.verify",
    ]

    # The evidence downloads through the access-checked view.
    with supervisor2.expect_download() as download:
        supervisor2.locator("#sj-evidence").get_by_role(
            "link", name="整改后审批流程图.png", exact=True
        ).click()
    assert download.value.suggested_filename == "整改后审批流程图.png"
    assert Path(download.value.path()).read_bytes() == png_bytes("journey")

    for page in (liaison, secretary, supervisor, supervisor2):
        assert page.js_errors == []

    try:
        reverse("ledger:export")
    except NoReverseMatch:
        return
    export_shows_closed(supervisor2, live_server, problem)


def export_shows_closed(page: Page, live_server, problem: Problem) -> None:
    """The ledger workbook exported from the list page shows the row as 已销号."""
    from openpyxl import load_workbook

    page.goto(f"{live_server.url}{reverse('ledger:list')}")
    with page.expect_download() as download:
        page.get_by_role("link", name="导出 Excel").click()
    # The temporary download has no .xlsx suffix, which openpyxl insists on for paths.
    data = io.BytesIO(Path(download.value.path()).read_bytes())
    sheet = load_workbook(data, read_only=True)["整改台账"]
    rows = list(sheet.iter_rows(values_only=True))
    header_at = next(i for i, r in enumerate(rows[:5]) if r and "台账编号" in r)
    header = rows[header_at]
    row = next(r for r in rows[header_at + 1 :] if r[header.index("台账编号")] == problem.code)
    assert row[header.index("状态")] == "已销号"
