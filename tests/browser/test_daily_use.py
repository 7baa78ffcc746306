"""Daily use on a phone (390×844) and an office PC (1366×768): on each page
the key fields and the user's primary action are on the first screen (their
bounding boxes inside the viewport, no horizontal scrolling), and the
screenshots are kept in test-artifacts/ for a person to look at."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Locator, Page, expect

from shiji.ledger import services
from tests.conftest import PASSWORD
from tests.ledger.conftest import create_categories, png_upload, problem_maker

pytestmark = pytest.mark.browser

OFFICE = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}
VIEWPORTS = pytest.mark.parametrize("viewport", [OFFICE, PHONE], ids=["1366x768", "390x844"])


def tag(viewport) -> str:
    return f"{viewport['width']}x{viewport['height']}"


def sign_in(browser, browser_context_args, live_server, viewport, username) -> Page:
    context = browser.new_context(**{**browser_context_args, "viewport": viewport})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on(
        "response",
        lambda r: (
            errors.append(f"{r.status} {r.url}")
            if r.status >= 400 and not r.url.endswith("/favicon.ico")
            else None
        ),
    )
    page.js_errors = errors
    page.goto(f"{live_server.url}{reverse('login')}")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator(".sj-brand")).to_be_visible()
    return page


def on_first_screen(page: Page, locator: Locator) -> None:
    """The element is visible without scrolling: its box lies inside the
    viewport (and the page does not scroll sideways)."""
    expect(locator).to_be_visible()
    box = locator.bounding_box()
    size = page.viewport_size
    assert box is not None
    assert box["x"] >= 0 and box["x"] + box["width"] <= size["width"] + 1, box
    assert box["y"] >= 0 and box["y"] + box["height"] <= size["height"] + 1, box


def no_sideways_scroll(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], width


@pytest.fixture
def daily(world, settings, tmp_path):
    """A zone's everyday ledger: one red, one due soon, one without a
    deadline, one sent back by the verifier, one submitted, one closed."""
    settings.MEDIA_ROOT = tmp_path / "media"
    make = problem_maker(create_categories(world))
    today = timezone.localdate()
    out = {
        "red": make(world, deadline=today - dt.timedelta(days=3), status="in_progress"),
        "soon": make(world, deadline=today + dt.timedelta(days=2)),
        "undated": make(world, deadline=None, kind="long_term"),
        "submitted": make(world, status="submitted"),
        "closed": make(world, status="closed"),
        "ready": make(world, status="in_progress"),
    }
    back = make(world, status="submitted")
    services.problem_transition(
        actor=world["supervisor"],
        problem=back,
        action="return",
        note="整改凭证只有会议记录，缺少现场照片",
    )
    out["back"] = back
    ready = out["ready"]
    services.problem_add_evidence(
        actor=world["liaison"], problem=ready, file=png_upload(seed="ready"), stage="after"
    )
    services.problem_add_progress(
        actor=world["liaison"], problem=ready, text="已压缩审批时限至 5 个工作日"
    )
    return out


@VIEWPORTS
def test_ledger_list_fits_the_first_screen(
    live_server, world, daily, browser, browser_context_args, artifacts, viewport
):
    page = sign_in(browser, browser_context_args, live_server, viewport, "secretary")
    page.goto(f"{live_server.url}{reverse('ledger:list')}")
    expect(page.locator("#sj-ledger-totals")).to_contain_text("销号率")
    first = page.locator("#sj-ledger-table tbody tr").first
    for cell in (".sj-card-code", ".sj-card-summary", ".sj-card-status"):
        on_first_screen(page, first.locator(cell))
    on_first_screen(page, page.locator("#sj-ledger-totals"))
    on_first_screen(page, page.locator(".sj-filters > summary"))
    expect(page.locator(f'tr[data-code="{daily["undated"].code}"]')).to_contain_text("无时限")
    no_sideways_scroll(page)
    page.screenshot(path=artifacts / f"daily-ledger-{tag(viewport)}.png")
    # The folded filters: choose one, it shows as a chip, the chip removes it.
    page.locator(".sj-filters > summary").click()
    page.select_option("#f-status", "in_progress")
    expect(page.locator("[data-chip]").first).to_contain_text("整改中")
    page.screenshot(path=artifacts / f"daily-ledger-filtered-{tag(viewport)}.png")
    page.locator("[data-chip]").first.click()
    expect(page.locator("[data-chip]")).to_have_count(0)
    assert page.js_errors == []


@VIEWPORTS
def test_todo_list_groups_the_work(
    live_server, world, daily, browser, browser_context_args, artifacts, viewport
):
    page = sign_in(browser, browser_context_args, live_server, viewport, "secretary")
    home = page.locator("#sj-todo-panel")
    on_first_screen(page, home.locator('[data-todo="sent_back"]'))
    page.screenshot(path=artifacts / f"daily-home-secretary-{tag(viewport)}.png")
    page.goto(f"{live_server.url}{reverse('ledger:inbox')}")
    back = page.locator("#inbox-sent_back")
    expect(back).to_contain_text("被退回")
    expect(back).to_contain_text("缺少现场照片")
    on_first_screen(page, page.locator("#inbox-rectify .sj-card-code").first)
    expect(page.locator("#inbox-submit")).to_contain_text(daily["ready"].code)
    no_sideways_scroll(page)
    page.screenshot(path=artifacts / f"daily-todo-{tag(viewport)}.png", full_page=True)
    assert page.js_errors == []


PROBLEM_PAGES = {
    # user: (problem, the primary action's locator)
    "liaison": ("soon", 'form[data-form="move:start"] button[type=submit]'),
    "secretary": ("ready", 'form[data-form="move:submit"] button[type=submit]'),
    "supervisor": ("submitted", 'form[data-form="decide"] button[type=submit]'),
}


@VIEWPORTS
@pytest.mark.parametrize("user", list(PROBLEM_PAGES))
def test_problem_page_leads_with_the_users_action(
    live_server, world, daily, browser, browser_context_args, artifacts, viewport, user
):
    key, primary = PROBLEM_PAGES[user]
    page = sign_in(browser, browser_context_args, live_server, viewport, user)
    page.goto(f"{live_server.url}{reverse('ledger:detail', args=[daily[key].pk])}")
    page.screenshot(path=artifacts / f"daily-problem-{user}-{tag(viewport)}.png")
    on_first_screen(page, page.locator("#sj-problem .card-header .badge").first)
    on_first_screen(page, page.locator("#sj-key-fields"))
    on_first_screen(page, page.locator(primary))
    no_sideways_scroll(page)
    assert page.js_errors == []


@VIEWPORTS
def test_org_tree_opens_the_people_in_view(
    live_server, world, browser, browser_context_args, artifacts, viewport
):
    page = sign_in(browser, browser_context_args, live_server, viewport, "zone_admin")
    page.goto(f"{live_server.url}{reverse('orgs:tree')}")
    page.locator(f'li[data-org="{world.a.dept.pk}"] > .sj-node a').click()
    people = page.locator("#sj-org-people")
    expect(people).to_contain_text(world.a.dept.name)
    page.wait_for_function(
        "() => { const r = document.querySelector('#sj-org-people').getBoundingClientRect();"
        " return r.top >= 0 && r.top < window.innerHeight / 2; }"
    )
    on_first_screen(page, people.locator(".card-title"))
    no_sideways_scroll(page)
    page.screenshot(path=artifacts / f"daily-org-tree-{tag(viewport)}.png")
    assert page.js_errors == []


@VIEWPORTS
def test_national_home_compares_zones(
    live_server, world, daily, browser, browser_context_args, artifacts, viewport
):
    page = sign_in(browser, browser_context_args, live_server, viewport, "national")
    zones = page.locator("#sj-zones")
    row = zones.locator(f'tr[data-zone="{world.a.zone.code}"]')
    expect(row.locator("[data-red]")).to_have_text("1")
    expect(row.locator("[data-rate]")).to_contain_text("%")
    on_first_screen(page, row.locator("[data-coverage]"))
    on_first_screen(page, zones.locator(f'tr[data-zone="{world.b.zone.code}"]'))
    no_sideways_scroll(page)
    page.screenshot(path=artifacts / f"daily-national-home-{tag(viewport)}.png")
    assert page.js_errors == []


@pytest.fixture
def other_lists(world, daily):
    """A study session, the campaign's task list and a regulation in zone A."""
    from decimal import Decimal

    from shiji.campaigns.models import StudyKind
    from shiji.campaigns.services import campaign_load, tasks_adopt_templates, zone_adopt_campaign
    from shiji.regulations import services as regulation_services
    from shiji.study import services as study_services
    from tests.conftest import SYSTEM

    campaign = campaign_load(actor=SYSTEM, path="zhengjiguan-2026").campaign
    zone_adopt_campaign(actor=SYSTEM, zone=world.a.zone, campaign=campaign)
    tasks_adopt_templates(actor=SYSTEM, zone=world.a.zone, campaign=campaign)
    kind = StudyKind.objects.filter(campaign=campaign).first()
    study_services.session_create(
        actor=world["zone_admin"],
        zone=world.a.zone,
        org=world.a.dept,
        kind=kind,
        date=timezone.localdate() - dt.timedelta(days=1),
        topic="深入学习树立和践行正确政绩观重要论述，对照检查审批服务中的形式主义问题",
        duration_hours=Decimal("2"),
        attendees="org",
        group=None,
        attendance=[],
    )
    regulation_services.regulation_create(
        actor=world["zone_admin"],
        zone=world.a.zone,
        org=world.a.dept,
        title="经济发展局行政审批事项限时办结制度",
        action="new",
        doc_number="甲经发〔2026〕12号",
    )


LISTS = {
    "study": ("study:list", "#sj-study-table"),
    "tasks": ("campaigns:tasks", "#sj-task-table"),
    "regulations": ("regulations:list", "#sj-regulation-table"),
    "accounts": ("orgs:users", "table.sj-cards"),
}


@VIEWPORTS
@pytest.mark.parametrize("name", list(LISTS))
def test_every_list_is_one_card_per_row_on_a_phone(
    live_server, world, other_lists, browser, browser_context_args, artifacts, viewport, name
):
    url, table = LISTS[name]
    page = sign_in(browser, browser_context_args, live_server, viewport, "zone_admin")
    page.goto(f"{live_server.url}{reverse(url)}")
    page.screenshot(path=artifacts / f"daily-list-{name}-{tag(viewport)}.png")
    on_first_screen(page, page.locator(".sj-filters > summary"))
    first = page.locator(f"{table} tbody tr").first
    expect(first).to_be_visible()
    if viewport is PHONE:
        # A card: no header row, the row's cells stacked inside the screen's width.
        expect(page.locator(f"{table} thead")).to_be_hidden()
        box = first.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box
    no_sideways_scroll(page)
    assert page.js_errors == []
