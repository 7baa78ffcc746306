"""Pages on paper, in a real Chromium printing (``emulate_media("print")``
and ``page.pdf``): a closed problem prints as its 销号审批表 (title, zone,
the fields in a bordered table, the evidence, the verification with
signature lines) and nothing else; every list page prints its title and
table, never its navigation, filters or buttons. The PDFs are kept in
test-artifacts/."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page, expect

from shiji.campaigns.models import StudyKind, WorkArrangement
from shiji.campaigns.services import campaign_load, task_create, zone_adopt_campaign
from shiji.ledger import services
from shiji.ledger.models import Problem
from shiji.regulations.services import regulation_create
from shiji.study.services import session_create
from tests.browser.test_evidence_viewer import signed_in
from tests.conftest import SYSTEM
from tests.ledger.conftest import create_categories, problem_maker
from tests.paper import A4_POINTS, read_pdf
from tests.samples import photo_bytes

pytestmark = pytest.mark.browser

OFFICE = {"width": 1366, "height": 768}
ACTING = "button:visible, .btn:visible, form:visible, .navbar:visible, .pagination:visible"


@pytest.fixture
def closed(world, settings, tmp_path) -> Problem:
    """A problem worked on, with a photo of the result, submitted by the
    branch secretary and verified by the supervisor."""
    make = problem_maker(create_categories(world))
    problem = make(
        world,
        description="园区主干道旁长期堆放建筑垃圾，群众反映强烈，影响通行和市容",
        measures="组织清运建筑垃圾，设置围挡并落实专人巡查",
        status="in_progress",
    )
    secretary = world["secretary"]
    services.problem_add_progress(actor=secretary, problem=problem, text="已清运建筑垃圾 120 吨")
    services.problem_add_evidence(
        actor=secretary,
        problem=problem,
        file=SimpleUploadedFile("整改后-东侧.jpg", photo_bytes("after")),
        stage="after",
        note="已清运并绿化",
    )
    services.problem_transition(
        actor=secretary, problem=problem, action="submit", note="已全部清运并绿化"
    )
    services.problem_transition(
        actor=world["supervisor"], problem=problem, action="verify", note="现场核查属实，同意销号"
    )
    problem.refresh_from_db()
    return problem


@pytest.fixture
def zone_admin_page(browser, browser_context_args, live_server, world):
    """The zone admin signed in on an office PC; the browser context is
    closed after the test, so no request of it outlives the test's data."""
    page = signed_in(browser, browser_context_args, live_server, OFFICE, "zone_admin")
    yield page
    page.context.close()


def print_view(page: Page, artifacts, name: str) -> str:
    """Switch to print media, save the page as an A4 PDF and return its text."""
    page.emulate_media(media="print")
    pdf = artifacts / f"print-{name}.pdf"
    page.pdf(path=str(pdf), format="A4", print_background=True)
    printed = read_pdf(pdf)
    assert printed.portrait and all(abs(h - A4_POINTS[1]) < 1 for _, h in printed.pages)
    return printed.text


def test_a_closed_problem_prints_as_its_approval_form(
    zone_admin_page, live_server, world, closed, artifacts
):
    page = zone_admin_page
    page.goto(f"{live_server.url}{reverse('ledger:detail', args=[closed.pk])}")
    approval = page.locator("#sj-approval")
    expect(approval).to_be_hidden()  # on screen, the page as it is

    text = print_view(page, artifacts, "problem")

    expect(approval).to_be_visible()
    expect(approval.locator("h1")).to_have_text("问题整改销号审批表")
    expect(approval).to_contain_text("高新区：甲高新区")
    expect(approval).to_contain_text(f"台账编号：{closed.code}")
    expect(approval.locator('[data-field="description"]')).to_have_text(closed.description)
    expect(approval.locator('[data-field="org"]')).to_have_text(world.a.dept.name)
    expect(approval.locator('[data-field="evidence"]')).to_contain_text("整改后-东侧.jpg")
    expect(approval.locator('[data-field="completion"]')).to_have_text("已全部清运并绿化")
    expect(approval.locator('[data-field="verification"]')).to_contain_text(
        "现场核查属实，同意销号"
    )
    expect(approval.locator('[data-field="verifier"]')).to_have_text(
        world["supervisor"].display_name
    )
    for label in ("审核意见", "审核人（签字）：", "负责人（签字）：", "日期："):
        expect(approval).to_contain_text(label)
    # Only the form: no navigation, buttons, forms, nor the page's own cards.
    expect(page.locator(ACTING)).to_have_count(0)
    for hidden in ("#sj-description", "#sj-timeline", "#sj-evidence", ".page-header"):
        expect(page.locator(hidden)).to_be_hidden()
    # The table has borders: it is a form on paper.
    border = approval.locator("td").first.evaluate("td => getComputedStyle(td).borderTopStyle")
    assert border == "solid"

    assert "问题整改销号审批表" in text and closed.code in text
    assert "现场核查属实，同意销号" in text and "整改后-东侧.jpg" in text
    assert "退出登录" not in text and "问题整改台账" not in text.split("问题整改销号审批表")[0]


def list_pages(world) -> dict[str, tuple[str, str, str]]:
    """name → (url, the filter form, the table) of every list page."""
    return {
        "ledger": (reverse("ledger:list"), "#sj-ledger-filter", "#sj-ledger-table"),
        "tasks": (reverse("campaigns:tasks"), "#sj-task-filter", "#sj-task-table"),
        "study": (reverse("study:list"), "#sj-study-filter", "#sj-study-table"),
        "register": (reverse("regulations:list"), "#sj-regulations form", "#sj-regulation-table"),
        "accounts": (reverse("orgs:users"), "form[role=search]", "table"),
    }


@pytest.fixture
def lists(world, settings, tmp_path):
    """A row on every list page of zone A."""
    make = problem_maker(create_categories(world))
    make(world, description="项目审批久拖不决，企业反映强烈")
    campaign = campaign_load(actor=SYSTEM, path="zhengjiguan-2026").campaign
    zone_adopt_campaign(actor=SYSTEM, zone=world.a.zone, campaign=campaign)
    task_create(
        actor=world["zone_admin"],
        zone=world.a.zone,
        campaign=campaign,
        arrangement=WorkArrangement.objects.get(campaign=campaign, code="study"),
        title="召开专题学习会",
        sectors=["organ"],
        deadline=timezone.localdate() + dt.timedelta(days=20),
    )
    session_create(
        actor=world["zone_admin"],
        zone=world.a.zone,
        org=world.a.dept,
        kind=StudyKind.objects.get(campaign=campaign, name="支部学习"),
        date=timezone.localdate(),
        topic="学习正确政绩观重要论述",
        duration_hours=Decimal("2"),
    )
    regulation_create(
        actor=world["zone_admin"],
        zone=world.a.zone,
        org=world.a.organ,
        title="政绩考核办法",
        action="修订",
    )


@pytest.mark.parametrize("name", ["ledger", "tasks", "study", "register", "accounts"])
def test_a_list_page_prints_its_table_not_its_filters(
    zone_admin_page, live_server, world, lists, artifacts, name
):
    url, filters, table = list_pages(world)[name]
    page = zone_admin_page
    page.goto(f"{live_server.url}{url}")
    expect(page.locator(filters).first).to_be_visible()

    text = print_view(page, artifacts, f"list-{name}")

    expect(page.locator(filters).first).to_be_hidden()
    expect(page.locator(table).first).to_be_visible()
    expect(page.locator(".page-title")).to_be_visible()  # the paper says what it is
    expect(page.locator(ACTING)).to_have_count(0)
    title = page.locator(".page-title").inner_text().strip()
    assert title in text and "退出登录" not in text
