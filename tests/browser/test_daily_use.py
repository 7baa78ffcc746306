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
from tests.browser.conftest import new_page
from tests.browser.conftest import sign_in as browser_sign_in
from tests.ledger.conftest import create_categories, png_upload, problem_maker

pytestmark = pytest.mark.browser

OFFICE = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}
VIEWPORTS = pytest.mark.parametrize("viewport", [OFFICE, PHONE], ids=["1366x768", "390x844"])


def tag(viewport) -> str:
    return f"{viewport['width']}x{viewport['height']}"


def sign_in(browser, browser_context_args, live_server, viewport, username) -> Page:
    """A fresh context at ``viewport``, signed in (the browser conftest's
    helpers: the page records errors and policy violations)."""
    page = new_page(browser, browser_context_args, viewport=viewport)
    return browser_sign_in(page, live_server, username)


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


@pytest.fixture
def study_day(world, settings, tmp_path):
    """The 经济发展局 branch's week of study: a session whose attendance is
    still to be recorded (minutes and a speech already in), and the branch's
    saved attendee group 支部委员会 (张三, 李四)."""
    from decimal import Decimal

    from shiji.campaigns.models import StudyKind
    from shiji.campaigns.services import campaign_load, zone_adopt_campaign
    from shiji.orgs.models import Person
    from shiji.study import services as study_services
    from tests.conftest import SYSTEM

    settings.MEDIA_ROOT = tmp_path / "media"
    campaign = campaign_load(actor=SYSTEM, path="zhengjiguan-2026").campaign
    zone_adopt_campaign(actor=SYSTEM, zone=world.a.zone, campaign=campaign)
    kind = StudyKind.objects.get(campaign=campaign, name="支部学习")
    people = {p.name: p for p in Person.objects.filter(org=world.a.dept)}
    session = study_services.session_create(
        actor=world["secretary"],
        zone=world.a.zone,
        org=world.a.dept,
        kind=kind,
        date=timezone.localdate() - dt.timedelta(days=1),
        topic="深入学习树立和践行正确政绩观重要论述，对照检查审批服务中的形式主义问题",
        duration_hours=Decimal("2.5"),
        place="经济发展局三楼会议室",
        minutes="一、传达学习重要论述。\n二、对照检查审批服务中的形式主义问题。\n三、明确整改措施。",
        attendees="org",
        group=None,
        attendance=[],
    )
    study_services.speech_add(
        actor=world["secretary"],
        session=session,
        person=people["张三"],
        title="新官要理旧账",
        text="对照检查审批时限问题。",
        file=None,
    )
    group = study_services.group_create(
        actor=world["secretary"],
        org=world.a.dept,
        name="支部委员会",
        members=[people["张三"], people["李四"]],
    )
    return {"session": session, "group": group, "people": people}


@VIEWPORTS
def test_study_session_page_leads_with_the_secretarys_action(
    live_server, world, study_day, browser, browser_context_args, artifacts, viewport
):
    session = study_day["session"]
    page = sign_in(browser, browser_context_args, live_server, viewport, "secretary")
    page.goto(f"{live_server.url}{reverse('study:detail', args=[session.pk])}")
    page.screenshot(path=artifacts / f"daily-study-session-{tag(viewport)}.png")
    on_first_screen(page, page.locator("#sj-summary .card-title"))
    on_first_screen(page, page.locator("#sj-key-fields"))
    on_first_screen(page, page.locator("[data-pending]"))
    # Attendance is missing: recording it is the primary action.
    primary = page.locator("#sj-primary")
    expect(primary).to_have_text("记录出勤")
    on_first_screen(page, primary)
    no_sideways_scroll(page)

    # Adding a speech (htmx): the result shows at the action panel, in view.
    page.locator('[data-form="speech"] > summary').click()
    page.select_option("#sp-person", label=f"李四（{world.a.dept.name}）")
    page.fill("#sp-title", "把群众满意作为政绩标准")
    page.fill("#sp-text", "审批服务要少跑腿、不添堵。")
    page.locator("#sj-speech-form button[type=submit]").click()
    flash = page.locator("#sj-actions [data-flash]")
    expect(flash).to_contain_text("已添加研讨发言")
    page.wait_for_function(
        "() => { const r = document.querySelector('#sj-actions').getBoundingClientRect();"
        " return r.top >= 0 && r.top < window.innerHeight / 2; }"
    )
    on_first_screen(page, flash)
    expect(page.locator("#sj-speeches")).to_contain_text("把群众满意作为政绩标准")
    page.screenshot(path=artifacts / f"daily-study-session-speech-{tag(viewport)}.png")

    # Without htmx (a plain form post) the redirect lands on the panel too.
    page.goto(f"{live_server.url}{reverse('study:detail', args=[session.pk])}#sj-actions")
    on_first_screen(page, page.locator("#sj-actions .card-title"))
    assert page.js_errors == []


@VIEWPORTS
def test_study_form_with_a_saved_group_fits_the_first_screen(
    live_server, world, study_day, browser, browser_context_args, artifacts, viewport
):
    group = study_day["group"]
    page = sign_in(browser, browser_context_args, live_server, viewport, "secretary")
    page.goto(f"{live_server.url}{reverse('study:create')}")
    page.select_option("#id_attendees", value=f"group-{group.pk}")
    expect(page.locator("#sj-roster .sj-att")).to_have_count(2)
    expect(page.locator('#sj-roster input[name="present"]:checked')).to_have_count(0)
    for key in ("#id_kind", "#id_date", "#id_duration_hours", "#id_topic", "#id_attendees"):
        on_first_screen(page, page.locator(key))
    on_first_screen(page, page.locator("#sj-all-present"))
    on_first_screen(page, page.locator("#sj-save"))
    no_sideways_scroll(page)
    page.screenshot(path=artifacts / f"daily-study-form-group-{tag(viewport)}.png")

    page.select_option("#id_kind", label="支部学习")
    page.fill("#id_topic", "支部委员会专题学习")
    page.fill("#id_duration_hours", "1.5")
    page.click("#sj-all-present")
    page.click("#sj-save")
    expect(page.locator(".alert-success")).to_contain_text("应到 2 人，出席 2 人")
    expect(page.locator("#sj-attendees")).to_contain_text("支部委员会")
    on_first_screen(page, page.locator("#sj-primary"))
    page.screenshot(path=artifacts / f"daily-study-form-saved-{tag(viewport)}.png")
    assert page.js_errors == []


@pytest.fixture
def task_share(world, settings, tmp_path):
    """The 经济发展局 branch's share of a task due in five days."""
    from shiji.campaigns.models import TaskAssignment, WorkArrangement
    from shiji.campaigns.services import campaign_load, task_create, zone_adopt_campaign
    from tests.conftest import SYSTEM

    settings.MEDIA_ROOT = tmp_path / "media"
    campaign = campaign_load(actor=SYSTEM, path="zhengjiguan-2026").campaign
    zone_adopt_campaign(actor=SYSTEM, zone=world.a.zone, campaign=campaign)
    task = task_create(
        actor=world["zone_admin"],
        zone=world.a.zone,
        campaign=campaign,
        arrangement=WorkArrangement.objects.get(campaign=campaign, code="study"),
        title="各党支部围绕树立和践行正确政绩观开展一次专题研讨，形成研讨纪要并报送",
        sectors=["organ"],
        deadline=timezone.localdate() + dt.timedelta(days=5),
    )
    return TaskAssignment.objects.get(task=task, org=world.a.dept)


@VIEWPORTS
def test_task_report_returns_to_the_action_panel(
    live_server, world, task_share, browser, browser_context_args, artifacts, viewport
):
    from tests.ledger.conftest import png_bytes

    page = sign_in(browser, browser_context_args, live_server, viewport, "secretary")
    page.goto(f"{live_server.url}{reverse('campaigns:assignment', args=[task_share.pk])}")
    on_first_screen(page, page.locator("#sj-key-fields"))
    on_first_screen(page, page.locator("#sj-report-form button[type=submit]"))
    no_sideways_scroll(page)
    page.screenshot(path=artifacts / f"daily-task-report-{tag(viewport)}.png")

    page.fill("#id_note", "已于本周召开支部专题研讨，形成研讨纪要。")
    page.set_input_files(
        "#id_files", {"name": "研讨现场.png", "mimeType": "image/png", "buffer": png_bytes("t")}
    )
    page.locator("#sj-report-form button[type=submit]").click()
    flash = page.locator("#sj-actions [data-flash]")
    expect(flash).to_contain_text("已报送完成情况")
    on_first_screen(page, flash)
    expect(page.locator("#sj-report-form")).to_have_count(0)
    expect(page.locator("#sj-task-evidence")).to_contain_text("研讨现场.png")
    page.screenshot(path=artifacts / f"daily-task-reported-{tag(viewport)}.png")
    assert page.js_errors == []
