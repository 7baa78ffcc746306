"""One way to turn an application error into a page (core/pages.py): every
app's pages answer Invalid with 422 and the message next to its field,
Conflict with 409 and the page again, Forbidden with 403 and NotFound with
404 — the statuses the API gives — for plain posts and htmx alike."""

from __future__ import annotations

import json
import re

import pytest
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import reverse

from shiji.campaigns.models import StudyKind, TaskAssignment, ZoneCampaign
from shiji.campaigns.services import campaign_load, task_create, zone_adopt_campaign
from shiji.core import pages
from shiji.core.errors import Conflict, Forbidden, Invalid, NotFound, invalid
from shiji.core.middleware import AppErrorMiddleware
from shiji.ledger.models import Problem
from shiji.regulations import services as regulation_services
from shiji.study import services as study_services
from tests.conftest import SYSTEM, relative_day
from tests.ledger.conftest import create_categories, problem_maker

HX = {"HX-Request": "true"}


def body(response) -> str:
    return response.content.decode()


# The mapping itself -----------------------------------------------------------------


def _view(exc):
    def view(request):
        raise exc

    return view


@pytest.mark.parametrize(
    ("exc", "status"),
    [
        (invalid(title="请填写制度名称"), 422),
        (Conflict("问题当前为“已销号”，不能提交销号"), 409),
        (Forbidden("您没有权限执行此操作"), 403),
        (NotFound("问题不存在"), 404),
    ],
)
def test_an_error_a_view_leaves_uncaught_gets_the_apis_status(db, exc, status):
    request = RequestFactory().get("/")
    request.htmx = False
    middleware = AppErrorMiddleware(_view(exc))
    response = middleware.process_exception(request, exc)
    assert response.status_code == status
    if status in (409, 422):
        assert exc.message in body(response)


def test_a_redisplayed_page_carries_the_errors_status_whatever_it_said(db):
    request = RequestFactory().post("/")
    for exc in (invalid(note="请填写退回理由"), Conflict("冲突")):
        response = pages.error_response(request, exc, lambda e: HttpResponse("form", status=200))
        assert response.status_code == exc.status
        assert body(response) == "form"


def test_a_refusal_about_one_input_stays_next_to_it_with_its_status(db):
    request = RequestFactory().post("/")
    exc = NotFound("组织不存在", fields={"grants[0].org": "组织不存在"})
    response = pages.error_response(request, exc, lambda e: HttpResponse("form"))
    assert (response.status_code, body(response)) == (404, "form")
    whole = pages.error_response(request, NotFound("问题不存在"), lambda e: HttpResponse("FORM"))
    assert whole.status_code == 404 and "FORM" not in body(whole)


def test_the_page_tells_htmx_to_swap_exactly_the_errors_it_renders(world, login):
    html = body(login(world["zone_admin"]).get("/"))
    found = re.findall(r'name="htmx-config" content=\'([^\']+)\'', html)
    assert len(found) == 1  # htmx reads the first one only
    config = json.loads(found[0])
    rules = config["responseHandling"]
    swapped = {
        code
        for code in range(200, 600)
        if next(r for r in rules if re.search(r["code"], str(code)))["swap"]
    }
    assert {c for c in swapped if c >= 400} == set(pages.HTMX_SWAPPED)
    assert {200, 201, 302} <= swapped and 204 not in swapped


# The ledger -----------------------------------------------------------------------


@pytest.fixture
def make_problem(world):
    return problem_maker(create_categories(world))


def _transition(client, problem, data, **kw):
    return client.post(reverse("ledger:transition", args=[problem.pk]), data, **kw)


@pytest.mark.parametrize("headers", [{}, HX], ids=["plain", "htmx"])
def test_ledger_pages(world, login, make_problem, headers):
    problem = make_problem(world, status="in_progress")
    submitted = make_problem(world, status="submitted")
    theirs = make_problem(world, zone="b")

    invalid_ = _transition(
        login(world["supervisor"]), submitted, {"action": "return"}, headers=headers
    )
    assert invalid_.status_code == 422
    form = body(invalid_).split('data-form="decide"')[1].split("</form>")[0]
    assert "is-invalid" in form and "请填写退回理由" in form

    conflict = _transition(
        login(world["secretary"]), problem, {"action": "submit", "note": "完成"}, headers=headers
    )
    assert conflict.status_code == 409
    assert "提交销号须至少上传一份整改凭证" in body(conflict)

    forbidden = _transition(
        login(world["liaison"]), submitted, {"action": "verify"}, headers=headers
    )
    assert forbidden.status_code == 403
    assert "您没有权限执行此操作" in body(forbidden)

    missing = _transition(login(world["zone_admin"]), theirs, {"action": "start"}, headers=headers)
    assert missing.status_code == 404

    if headers:
        # The fragments are swapped in place; an error page replaces the body.
        assert "<html" not in body(invalid_) and "<html" not in body(conflict)
        assert "HX-Retarget" not in invalid_ and "HX-Retarget" not in conflict
        for page in (forbidden, missing):
            assert page["HX-Retarget"] == "body" and page["HX-Reselect"] == ".page"
    for problem_ in (problem, submitted, theirs):
        before = problem_.status
        problem_.refresh_from_db()
        assert problem_.status == before


def test_ledger_form_pages(world, login, make_problem):
    problem = make_problem(world, status="submitted")
    client = login(world["zone_admin"])
    create = client.post(reverse("ledger:create"), {"zone": world.a.zone.pk, "description": ""})
    assert create.status_code == 422
    assert "问题来源应为以下之一" in body(create) and "is-invalid" in body(create)
    assert Problem.objects.count() == 1
    assert login(world["national"]).get(reverse("ledger:create")).status_code == 403
    other = make_problem(world, zone="b")
    client = login(world["zone_admin"])  # the one test client signs in again
    assert client.get(reverse("ledger:edit", args=[other.pk])).status_code == 404
    assert problem.status == "submitted"


# The register (建章立制) ----------------------------------------------------------------


def test_regulation_pages(world, login):
    draft = regulation_services.regulation_create(
        actor=world["zone_admin"],
        zone=world.a.zone,
        org=world.a.dept,
        title="议事规则",
        action="new",
    )
    theirs = regulation_services.regulation_create(
        actor=world["outsider"], zone=world.b.zone, org=world.b.dept, title="乙制度", action="new"
    )
    move = "regulations:transition"
    client = login(world["zone_admin"])

    create = client.post(
        reverse("regulations:create"), {"zone": world.a.zone.pk, "org": world.a.dept.pk}
    )
    assert create.status_code == 422 and "请填写制度名称" in body(create)

    conflict = client.post(reverse(move, args=[draft.pk]), {"action": "issue"})
    assert conflict.status_code == 409 and "不能印发" in body(conflict)

    forbidden = login(world["national"]).post(reverse(move, args=[draft.pk]), {"action": "submit"})
    assert forbidden.status_code == 403

    client = login(world["zone_admin"])
    assert client.post(reverse(move, args=[theirs.pk]), {"action": "submit"}).status_code == 404
    draft.refresh_from_db()
    assert draft.status == "draft"


# Campaign settings and the task list ----------------------------------------------------


@pytest.fixture
def campaign(world):
    campaign = campaign_load(actor=SYSTEM, path="zhengjiguan-2026").campaign
    for tree in (world.a, world.b):
        zone_adopt_campaign(actor=SYSTEM, zone=tree.zone, campaign=campaign)
    return campaign


def test_campaign_pages(world, login, campaign):
    adoption = ZoneCampaign.objects.get(zone=world.a.zone, campaign=campaign)
    url = reverse("campaigns:category_add", args=[adoption.pk])

    empty = login(world["zone_admin"]).post(url, {"name": ""})
    assert empty.status_code == 422 and "请填写类别名称" in body(empty)
    assert login(world["secretary"]).post(url, {"name": "新类别"}).status_code == 403
    assert login(world["outsider"]).post(url, {"name": "新类别"}).status_code == 404

    task = task_create(
        actor=world["zone_admin"], zone=world.a.zone, campaign=campaign,
        arrangement=campaign.arrangements.first(), title="专题学习", sectors=["organ"],
        deadline=relative_day(30),
    )  # fmt: skip
    assignment = TaskAssignment.objects.filter(task=task).first()
    accept = login(world["zone_admin"]).post(
        reverse("campaigns:assignment_move", args=[assignment.pk]), {"action": "accept"}
    )
    assert accept.status_code == 409 and "不能审核通过" in body(accept)
    assignment.refresh_from_db()
    assert assignment.status == "pending"


# Study and discussion --------------------------------------------------------------------


def test_study_pages(world, login, campaign):
    kind = StudyKind.objects.filter(campaign=campaign).first()
    session = study_services.session_create(
        actor=world["secretary"], zone=world.a.zone, org=world.a.dept, kind=kind,
        date=relative_day(-7), topic="学习", duration_hours="2", attendance=[],
    )  # fmt: skip
    theirs = study_services.session_create(
        actor=world["outsider"], zone=world.b.zone, org=world.b.dept, kind=kind,
        date=relative_day(-7), topic="学习", duration_hours="2", attendance=[],
    )  # fmt: skip
    client = login(world["secretary"])
    bad = client.post(
        reverse("study:edit", args=[session.pk]),
        {"kind": kind.pk, "date": relative_day(-7).isoformat(), "topic": "", "duration_hours": "2"},
    )
    assert bad.status_code == 422 and "请填写主题" in body(bad)
    assert (
        login(world["leader"]).post(reverse("study:edit", args=[session.pk]), {}).status_code == 403
    )
    client = login(world["secretary"])
    assert client.post(reverse("study:edit", args=[theirs.pk]), {}).status_code == 404


# Accounts ---------------------------------------------------------------------------------


def test_account_pages(world, login):
    client = login(world["zone_admin"])
    bad = client.post(
        "/orgs/users/new/",
        {"username": "bad name", "password": "Shiji-new-2026!", "zone": world.a.zone.pk},
    )
    assert bad.status_code == 422 and "用户名应为" in body(bad)
    assert login(world["secretary"]).post("/orgs/users/new/", {}).status_code == 403
    client = login(world["zone_admin"])
    assert client.post(f"/orgs/users/{world['outsider'].pk}/", {"name": "x"}).status_code == 404


def test_status_codes_match_the_error_types():
    assert (Invalid.status, Conflict.status, Forbidden.status, NotFound.status) == (
        422,
        409,
        403,
        404,
    )
