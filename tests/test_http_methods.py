"""Every page, found through the URL resolver (a new page is covered without
touching this file): a method it does not take is 405, and who may POST to
it is exactly what the literal table below says, compared with what the
pages really answer.

"May POST" means the request gets past the permission check: the answer is
a page, a redirect or a form error (200, 302, 409, 422), not 403 or 404 (a
role that may not see the record gets 404, one that sees it but may not act
gets 403). Every POST is sent with no form data and rolled back, so each role
finds the records as they were made."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from shiji.assessment.services import indicators_load, measurement_enter
from shiji.campaigns.models import StudyKind, TaskAssignment, WorkArrangement
from shiji.campaigns.services import campaign_load, task_create, zone_adopt_campaign
from shiji.ledger import services as ledger
from shiji.outreach.services.intake import feedback_create
from shiji.regulations.services import regulation_create
from shiji.reports import services as reports
from shiji.study import services as study
from tests.conftest import SYSTEM, build_world, shared_records
from tests.ledger.conftest import create_categories, png_upload, problem_maker

# Prefixes whose answers are not pages: the JSON API (its own tests and the
# OpenAPI fuzzing cover methods there), Django's admin, static files.
NOT_PAGES = ("api/", "admin/", "static/", "media/", "__debug__/")
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def page_patterns(patterns=None, prefix: str = "", namespace: str = ""):
    """(url name, route) for every named page pattern."""
    for p in get_resolver().url_patterns if patterns is None else patterns:
        route = prefix + str(p.pattern)
        if route.startswith(NOT_PAGES):
            continue
        if isinstance(p, URLResolver):
            ns = ":".join(filter(None, [namespace, p.namespace or ""]))
            yield from page_patterns(p.url_patterns, route, ns)
        elif isinstance(p, URLPattern) and p.name:
            yield (f"{namespace}:{p.name}" if namespace else p.name), route


PAGES = dict(page_patterns())

# Who is asked: one account per role of the fixture world (zone A), the
# admin of zone B (an outsider to zone A's records) and an account without
# grants. Anonymous visitors are sent to the login page (a test below).
ROLES = {
    "sys": "sysadmin",  # system admin
    "nat": "national",  # national viewer
    "zad": "zone_admin",  # zone A's task force
    "lea": "leader",  # leader over 机关党委
    "sec": "secretary",  # secretary of the 经济发展局 branch
    "lia": "liaison",  # liaison of that branch
    "sup": "supervisor",  # zone A's supervision group
    "out": "outsider",  # zone B's admin
    "nob": "nobody",  # an account without grants
}

# Pages that take a form (GET shows it, POST sends it) and pages that only
# take a POST; every other page is GET only. set_language is Django's.
GET_AND_POST = {
    "assessment:import",
    "campaigns:task_create",
    "campaigns:tasks_adopt",
    "ledger:create",
    "ledger:edit",
    "ledger:export",
    "ledger:import",
    "login",
    "orgs:roster_import",
    "orgs:user_create",
    "outreach:feedback_enter",
    "outreach:feedback_settings",
    "outreach:enterprise_create",
    "outreach:enterprise_edit",
    "outreach:project_create",
    "outreach:project_edit",
    "outreach:roundtable_create",
    "outreach:roundtable_edit",
    "outreach:visit_create",
    "orgs:user_edit",
    "password_change",
    "public:submit",
    "public:track",
    "regulations:create",
    "regulations:edit",
    "reports:bulletin_create",
    "reports:bulletin_edit",
    "reports:bulletin_item_edit",
    "reports:series_create",
    "reports:update_create",
    "reports:update_edit",
    "study:create",
    "study:edit",
    "study:group_create",
    "study:group_edit",
    "study:signin_import",
}
POST_ONLY = {
    "assessment:confirm",
    "assessment:correct",
    "assessment:enter",
    "assessment:lock",
    "assessment:target_save",
    "campaigns:adopt",
    "campaigns:assignment_move",
    "campaigns:categories_save",
    "campaigns:category_add",
    "campaigns:list_review",
    "campaigns:tasks_assign",
    "ledger:evidence_upload",
    "ledger:extend",
    "ledger:import_confirm",
    "ledger:job_retry",
    "ledger:progress",
    "ledger:review",
    "ledger:transition",
    "logout",
    "orgs:roster_confirm",
    "orgs:user_unlock",
    "outreach:feedback_act",
    "outreach:feedback_contact",
    "outreach:feedback_disclose",
    "outreach:feedback_merge",
    "outreach:feedback_return_call",
    "outreach:project_progress",
    "outreach:roundtable_demand",
    "outreach:roundtable_files",
    "outreach:visit_demand",
    "public:rate",
    "regulations:file_upload",
    "regulations:link",
    "regulations:transition",
    "regulations:unlink",
    "reports:bulletin_add_items",
    "reports:bulletin_correct",
    "reports:bulletin_delete",
    "reports:bulletin_issue",
    "reports:bulletin_item_move",
    "reports:bulletin_item_remove",
    "reports:update_photo_remove",
    "reports:update_photos_add",
    "reports:update_review",
    "study:group_deactivate",
    "study:group_reactivate",
    "study:material_upload",
    "study:signin_confirm",
    "study:speech_add",
}
ANY_METHOD = {"set_language"}

# What each account's POST (with the data below, else none) is answered
# with: 403 or 404 refused; 200, 302, 409 or 422 let through to the form or
# the move itself (422: the empty form is refused field by field). The
# records are those of the ``things`` fixture; 404 for everyone: the page
# names a staged upload, job or file the fixture does not make.
POSTS = """
page                      sys  nat  zad  lea  sec  lia  sup  out  nob
assessment:confirm        302  403  302  403  403  403  403  404  404
assessment:correct        422  403  422  403  422  422  403  404  404
assessment:enter          422  403  422  403  422  422  403  422  403
assessment:import         422  403  422  403  422  422  403  422  403
assessment:lock           409  403  409  403  403  403  403  404  403
assessment:target_save    422  403  422  403  403  403  403  422  403
campaigns:adopt           302  403  302  403  403  403  403  404  404
campaigns:assignment_move 403  403  403  403  422  422  403  404  404
campaigns:categories_save 302  403  302  403  403  403  403  404  404
campaigns:category_add    422  403  422  403  403  403  403  404  404
campaigns:list_review     302  403  302  403  403  403  403  404  404
campaigns:task_create     422  403  422  403  403  403  403  422  403
campaigns:tasks_adopt     302  403  302  403  403  403  403  404  404
campaigns:tasks_assign    302  403  302  403  403  403  403  404  404
ledger:create             422  403  422  422  422  422  422  422  403
ledger:edit               422  403  422  403  422  422  403  404  404
ledger:evidence_upload    422  403  422  403  422  422  403  404  404
ledger:export             302  302  302  302  302  302  302  302  403
ledger:extend             422  403  422  422  403  403  403  404  404
ledger:import             422  403  422  403  403  403  403  422  403
ledger:import_confirm     404  404  404  404  404  404  404  404  404
ledger:job_retry          404  404  404  404  404  404  404  404  404
ledger:progress           422  403  422  422  422  422  403  404  404
ledger:review             422  403  422  403  403  403  422  404  404
ledger:transition         302  403  302  302  302  403  403  404  404
login                     422  422  422  422  422  422  422  422  422
logout                    302  302  302  302  302  302  302  302  302
orgs:roster_confirm       404  404  404  404  404  404  404  404  404
orgs:roster_import        422  403  422  403  403  403  403  422  403
orgs:user_create          422  403  422  403  403  403  403  422  403
orgs:user_edit            302  403  302  403  403  403  403  404  403
orgs:user_unlock          302  403  302  403  403  403  403  404  403
outreach:feedback_act     302  403  302  404  404  404  403  404  404
outreach:feedback_contact 403  403  200  404  404  404  403  404  404
outreach:feedback_disclose 302  403  302  404  404  404  403  404  404
outreach:feedback_enter   422  403  422  403  403  403  403  422  403
outreach:feedback_merge   302  403  302  403  403  403  403  302  403
outreach:feedback_return_call 422  403  422  404  404  404  403  404  404
outreach:feedback_settings 422  403  422  403  403  403  403  422  403
outreach:enterprise_create 422 403  422  403  422  422  403  422  403
outreach:enterprise_edit  422  403  422  403  422  422  403  404  404
outreach:project_create   422  403  422  403  403  403  403  422  403
outreach:project_edit     422  403  422  403  403  403  403  404  404
outreach:project_progress 422  403  422  422  422  422  403  404  404
outreach:roundtable_create 422 403  422  403  422  422  403  422  403
outreach:roundtable_demand 422 403  422  403  422  422  403  404  404
outreach:roundtable_edit  422  403  422  403  422  422  403  404  404
outreach:roundtable_files 422  403  422  403  422  422  403  404  404
outreach:visit_create     422  403  422  403  422  422  403  422  403
outreach:visit_demand     422  403  422  403  422  422  403  404  404
password_change           422  422  422  422  422  422  422  422  422
public:rate               404  404  404  404  404  404  404  404  404
public:submit             422  422  422  422  422  422  422  422  422
public:track              404  404  404  404  404  404  404  404  404
regulations:create        422  403  422  403  422  422  403  422  403
regulations:edit          422  403  422  403  422  422  403  404  404
regulations:file_upload   422  403  422  403  422  422  403  404  404
regulations:link          422  403  422  403  422  422  403  404  404
regulations:transition    302  403  302  403  302  302  403  404  404
regulations:unlink        404  403  404  403  404  404  403  404  404
reports:bulletin_add_items 422 404  422  404  404  404  404  404  404
reports:bulletin_correct  422  403  422  403  403  403  403  404  404
reports:bulletin_create   422  403  422  403  403  403  403  404  404
reports:bulletin_delete   302  404  302  404  404  404  404  404  404
reports:bulletin_edit     422  404  422  404  404  404  404  404  404
reports:bulletin_issue    302  404  302  404  404  404  404  404  404
reports:bulletin_item_edit 422 404  422  404  404  404  404  404  404
reports:bulletin_item_move 302 404  302  404  404  404  404  404  404
reports:bulletin_item_remove 302 404 302  404  404  404  404  404  404
reports:series_create     422  403  422  403  403  403  403  422  403
reports:update_create     422  403  422  403  422  422  403  422  403
reports:update_edit       422  404  422  404  422  422  404  404  404
reports:update_photo_remove 302 404 302  404  302  302  404  404  404
reports:update_photos_add 422  404  422  404  422  422  404  404  404
reports:update_review     302  404  302  404  403  403  404  404  404
set_language              302  302  302  302  302  302  302  302  302
study:create              422  403  422  403  422  422  403  422  403
study:edit                422  403  422  403  422  422  403  404  404
study:group_create        422  403  422  403  422  422  403  422  403
study:group_deactivate    302  404  302  404  302  302  404  404  404
study:group_edit          422  404  422  404  422  422  404  404  404
study:group_reactivate    409  404  409  404  409  409  404  404  404
study:material_upload     422  403  422  403  422  422  403  404  404
study:signin_confirm      404  403  404  403  404  404  403  404  404
study:signin_import       422  403  422  403  422  422  403  404  404
study:speech_add          422  403  422  403  422  422  403  404  404
"""

# Data for a POST that names its move or its zone, so the table shows who
# may make that move rather than that an empty form is invalid.
POST_DATA = {
    "ledger:transition": {"action": "submit", "note": "已完成整改"},
    "regulations:transition": {"action": "submit"},
    "reports:update_review": {"action": "approve"},
    "campaigns:assignment_move": {"action": "report", "note": "已完成"},
    "campaigns:adopt": {"zone": "zone", "campaign": "campaign"},
    "campaigns:tasks_assign": {"zone": "zone"},
    "outreach:feedback_act": {"action": "accept"},
    # Zone A's 2026Q1 has the liaison's unconfirmed figure: the task force gets 409.
    "assessment:lock": {"zone": "zone", "period": "2026Q1"},
}


def make_things(world):
    """One record of each kind the pages address, in zone A: the adopted
    campaign and a category, a task with its assignments, a problem in
    progress with evidence, a draft regulation, a study session and an
    attendee group, a figure entered by the liaison."""
    a = world.a
    campaign = campaign_load(actor=SYSTEM, path="zhengjiguan-2026").campaign
    adoption = zone_adopt_campaign(actor=SYSTEM, zone=a.zone, campaign=campaign)
    zone_adopt_campaign(actor=SYSTEM, zone=world.b.zone, campaign=campaign)
    categories = create_categories(world)
    problem = problem_maker(categories)(world, status="in_progress")
    evidence = ledger.problem_add_evidence(
        actor=world["secretary"], problem=problem, file=png_upload(), stage="after"
    )
    task = task_create(
        actor=world["zone_admin"],
        zone=a.zone,
        campaign=campaign,
        arrangement=WorkArrangement.objects.get(campaign=campaign, code="study"),
        title="开展专题学习",
        sectors=["organ"],
        deadline=timezone.localdate() + dt.timedelta(days=30),
    )
    assignment = TaskAssignment.objects.filter(task=task, org=a.dept).first() or (
        TaskAssignment.objects.filter(task=task).first()
    )
    regulation = regulation_create(
        actor=world["secretary"], zone=a.zone, org=a.dept, title="议事规则", action="new"
    )
    session = study.session_create(
        actor=world["zone_admin"],
        zone=a.zone,
        org=a.dept,
        kind=StudyKind.objects.filter(campaign=campaign).first(),
        date=timezone.localdate(),
        topic="学习正确政绩观重要论述",
        duration_hours=Decimal("2"),
        confirm_none_present=True,
    )
    group = study.group_create(
        actor=world["zone_admin"], org=a.dept, name="支部委员", members=list(a.dept.people.all())
    )
    feedback = feedback_create(
        actor=SYSTEM, zone=a.zone, kind="complaint", content="路灯坏了", phone="13912345678"
    ).feedback
    indicators_load(actor=SYSTEM)
    measurement = measurement_enter(
        actor=world["liaison"],
        zone=a.zone,
        indicator="industrial-output",
        period="2026Q1",
        value="312.5",
        source="统计局",
    )
    from tests.outreach import register_fixtures as register
    from tests.reports.conftest import approved as approved_update
    from tests.reports.conftest import draft as bulletin_draft
    from tests.reports.conftest import submit as submit_update

    update = submit_update(world, photos=[png_upload()])
    series = reports.series_create(
        actor=world["zone_admin"], zone=a.zone, title="学习教育工作简报", issuer="工作专班"
    )
    issued = reports.bulletin_issue(
        actor=world["zone_admin"],
        bulletin=bulletin_draft(world, series, approved_update(world, title="一")),
    )
    draft = bulletin_draft(world, series, approved_update(world, title="二"))

    firm = register.enterprise(world)
    return {
        "feedback": feedback.pk,
        "measurement": measurement.pk,
        "enterprise": firm.pk,
        "roundtable": register.roundtable(world, present=[firm]).pk,
        "visit": register.visit(world, firm).pk,
        "project": register.project(world).pk,
        "zone": a.zone.pk,
        "campaign": campaign.pk,
        "adoption": adoption.pk,
        "category": categories["a"][0].pk,
        "task": task.pk,
        "assignment": assignment.pk,
        "problem": problem.pk,
        "evidence": evidence.pk,
        "regulation": regulation.pk,
        "session": session.pk,
        "group": group.pk,
        "user": world["secretary"].pk,
        "update": update.pk,
        "photo": update.photos.get().pk,
        "series": series.pk,
        "issued": issued.pk,
        "draft": draft.pk,
        "item": draft.items.get().pk,
    }


# The fixture world and the records, built once for the module (about half a
# second each, times some 280 tests); every request is rolled back, and so is
# each test (a savepoint of the module's transaction).
@pytest.fixture(scope="module")
def shared(django_db_setup, django_db_blocker, tmp_path_factory):
    def build():
        world = build_world()
        return world, make_things(world)

    yield from shared_records(django_db_blocker, tmp_path_factory, build)


@pytest.fixture
def world(shared, db):
    return shared.value[0]


@pytest.fixture
def things(shared, db):
    return shared.value[1]


@pytest.fixture
def _media_root(shared, settings, tmp_path):
    settings.MEDIA_ROOT = shared.media_copy(tmp_path)


# Which record each page's path names; "missing" is an id no record has
# (staged uploads and jobs: the pages answer 404 to everyone).
def record(name: str, kwarg: str) -> str:
    if name.startswith("reports:"):
        return reports_record(name, kwarg)
    if kwarg == "problem_id":
        return "problem"
    if kwarg in ("evidence_id",) and name.startswith("ledger:"):
        return "evidence"
    if kwarg in ("evidence_id", "item_id"):
        return "missing"
    app, _, page = name.partition(":")
    if app == "ledger":
        return "missing" if page.startswith("job") else "problem"
    if app == "orgs":
        return "user" if page.startswith("user") else "missing"
    if app == "campaigns":
        if page == "task_detail":
            return "task"
        if page.startswith(("assignment", "evidence")):
            return "assignment"
        return "adoption"
    if app == "regulations":
        return "regulation"
    if app == "assessment":
        return "zone" if kwarg == "zone_id" else "measurement"
    if app == "reports" and kwarg == "zone_id":
        return "zone"
    if app == "outreach" and page.startswith("feedback") and kwarg == "pk":
        return "feedback"
    if app == "study":
        return "group" if page.startswith("group") else "session"
    if app == "outreach" and kwarg == "pk":
        for kind in ("enterprise", "roundtable", "visit", "project"):
            if page.startswith(kind):
                return kind
    return "missing"


def reports_record(name: str, kwarg: str) -> str:
    """Work updates and bulletins: a correction is of an issued bulletin,
    every other bulletin page acts on the draft (the dashboards name a zone)."""
    if kwarg == "zone_id":
        return "zone"
    if kwarg in ("photo_id", "item_id", "series_id"):
        return {"photo_id": "photo", "item_id": "item", "series_id": "series"}[kwarg]
    if name.startswith("reports:update"):
        return "update"
    return "issued" if name in ("reports:bulletin_correct", "reports:bulletin_detail") else "draft"


def url(name: str, things: dict[str, int]) -> str:
    kwargs: dict[str, int | str] = {
        k: things.get(record(name, k), 999_999) for k in re.findall(r"<int:(\w+)>", PAGES[name])
    }
    # The public pages name a zone by its code (zone A's in the fixture world).
    kwargs |= dict.fromkeys(re.findall(r"<slug:(zone_code)>", PAGES[name]), "za")
    return reverse(name, kwargs=kwargs)


def posts() -> dict[str, dict[str, int]]:
    header, *rows = POSTS.strip().splitlines()
    roles = header.split()[1:]
    return {
        name: dict(zip(roles, map(int, codes), strict=True))
        for name, *codes in (row.split() for row in rows)
    }


def allowed(name: str) -> set[str]:
    if name in ANY_METHOD:
        return set(METHODS)
    if name in GET_AND_POST:
        return {"GET", "POST"}
    return {"POST"} if name in POST_ONLY else {"GET"}


def test_the_tables_name_only_pages_that_exist():
    named = GET_AND_POST | POST_ONLY | ANY_METHOD | set(posts())
    assert named <= set(PAGES), named - set(PAGES)
    assert set(posts()) == {n for n in PAGES if "POST" in allowed(n)}


def answer(client, method: str, path: str, data: dict | None = None):
    """One request whose writes are rolled back."""
    with transaction.atomic():
        response = getattr(client, method.lower())(path, data or {})
        transaction.set_rollback(True)
    return response


@pytest.mark.parametrize("name", sorted(PAGES))
def test_a_method_the_page_does_not_take_is_405(world, things, client, name):
    client.force_login(world["sysadmin"])
    path = url(name, things)
    wrong = [m for m in METHODS if m not in allowed(name)]
    got = {m: answer(client, m, path).status_code for m in wrong}
    assert got == dict.fromkeys(wrong, 405)
    for method in allowed(name):
        assert answer(client, method, path).status_code != 405, method


@pytest.mark.parametrize("name", sorted(posts()))
def test_who_may_post_to_each_page_is_the_table(world, things, client, name):
    data = {key: things.get(value, value) for key, value in POST_DATA.get(name, {}).items()}
    path = url(name, things)
    got = {}
    for short, username in ROLES.items():
        client.force_login(world[username])
        got[short] = answer(client, "POST", path, data).status_code
    assert got == posts()[name]


# Pages for the public, without an account (开门教育).
PUBLIC = {
    "public:zones",
    "public:submit",
    "public:track",
    "public:rate",
    "public:poster",
    "public:disclosure",
}


@pytest.mark.parametrize(
    "name",
    sorted(n for n in PAGES if n not in ("login", "logout", "set_language") and n not in PUBLIC),
)
def test_signed_out_every_page_sends_to_the_login_form(db, client, name):
    path = url(name, {})
    for method in sorted(allowed(name)):
        response = answer(client, method, path)
        assert response.status_code == 302, method
        assert response["Location"].startswith(reverse("login")), method


@pytest.mark.parametrize("name", sorted(PUBLIC))
def test_signed_out_the_public_pages_answer_without_a_login(world, client, name):
    for method in sorted(allowed(name)):
        response = answer(client, method, url(name, {}))
        assert response.status_code in (200, 404, 422), method
