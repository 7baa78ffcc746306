"""The audit page: scoped like every other read, never a 500 for what a client
sends, and in words (Chinese action and field names, labels for codes, names
for ids), with the same query count however long the log."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from shiji.ledger import services as ledger
from shiji.orgs.models import Person
from tests.conftest import make_user

URL = "/audit/"


def visible_text(response) -> str:
    """What a reader sees: the body without tags and attributes."""
    html = response.content.decode()
    body = html.split("<body", 1)[1]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", body))


@pytest.fixture
def firm_supervisor(world):
    """A supervisor of one subtree (the economic organizations' committee)."""
    a = world.a
    return make_user(
        "firm_supervisor", a.zone, [{"role": "supervisor", "zone": a.zone, "org": a.econ}]
    )


def test_a_subtree_supervisor_sees_only_events_of_their_subtree(
    world, login, make_problem, firm_supervisor
):
    inside = make_problem(world, org=world.a.firm, status="in_progress")
    outside = make_problem(world, status="in_progress")
    page = visible_text(login(firm_supervisor).get(URL))
    assert inside.code in page
    assert outside.code not in page  # a problem that is 404 for them
    assert world.a.dept.name not in page  # nor its org's events
    assert (
        "新建账号" not in page and "新建高新区" not in page
    )  # zone-wide events: the zone's auditors
    # The same problems as the supervisor of the whole zone sees them.
    whole = visible_text(login(world["supervisor"]).get(URL + "?q=测试问题"))
    assert inside.code in whole and outside.code in whole


def test_an_org_moved_in_the_tree_takes_its_history_along(world, login, firm_supervisor):
    from shiji.orgs import services

    services.org_update(actor=world["zone_admin"], org=world.a.dept, parent=world.a.econ)
    page = visible_text(login(firm_supervisor).get(URL + "?q=经济发展局"))
    assert "新建组织" in page  # the dept's creation, written before the move


def test_other_zones_and_users_without_the_permission_see_nothing(world, login, make_problem):
    theirs = make_problem(world, zone="b", status="in_progress")
    assert theirs.code not in visible_text(login(world["supervisor"]).get(URL))
    for role in ("liaison", "secretary", "national", "nobody"):
        assert login(world[role]).get(URL).status_code == 404, role


@pytest.mark.parametrize("q", ["\x00", "测试\x00问题", "%00"])
def test_a_nul_in_the_search_term_is_not_a_500(world, login, make_problem, q):
    problem = make_problem(world)
    response = login(world["zone_admin"]).get(URL, {"q": q})
    assert response.status_code == 200
    if q == "测试\x00问题":
        assert problem.code in visible_text(response)


def test_the_log_speaks_chinese(world, login, make_problem):
    problem = make_problem(world, status="in_progress")
    zhang = Person.objects.get(org=world.a.dept, name="张三")
    wang = Person.objects.get(org=world.a.dept, name="王五")
    ledger.problem_update(actor=world["zone_admin"], problem=problem, owner=wang)
    page = visible_text(login(world["supervisor"]).get(URL, {"q": problem.code}))
    assert "开始整改" in page and "新增问题" in page and "修改问题" in page
    assert "状态：待整改 → 整改中" in page
    org = world.a.dept.name
    assert f"责任人：{zhang.name}（{org}） → {wang.name}（{org}）" in page
    assert f"问题 · {problem.code}" in page  # 对象: what kind of record, and which
    for code in ("problem.start", "in_progress", "owner", "{'", "self_check"):
        assert code not in page, code


def test_search_finds_events_by_the_label_people_read(world, login, make_problem):
    started = make_problem(world, status="in_progress")
    fresh = make_problem(world)
    page = visible_text(login(world["supervisor"]).get(URL, {"q": "开始整改"}))
    assert started.code in page and fresh.code not in page


def test_the_log_in_english(world, login, make_problem):
    problem = make_problem(world, status="in_progress")
    client = login(world["supervisor"])
    client.post("/i18n/setlang/", {"language": "en", "next": URL})
    page = visible_text(client.get(URL, {"q": problem.code}))
    assert "Rectification started" in page and "Problem added" in page
    assert "开始整改" not in page


def test_the_query_count_does_not_grow_with_the_log(
    world, login, make_problem, django_assert_num_queries
):
    client = login(world["supervisor"])
    make_problem(world, status="submitted")
    client.get(URL)  # warm up: session, content types
    with CaptureQueriesContext(connection) as few:
        client.get(URL)
    for _ in range(8):  # well past one page of events, with new names to resolve
        make_problem(
            world, status="submitted", owner=Person.objects.get(org=world.a.dept, name="李四")
        )
    with django_assert_num_queries(len(few)):
        client.get(URL)
    with django_assert_num_queries(len(few)):
        client.get(URL, {"page": 2})
    # Pinned, so that a new per-page query is a conscious change: session, user,
    # grants, count, page, and one per kind of name resolved.
    assert len(few) == 8
