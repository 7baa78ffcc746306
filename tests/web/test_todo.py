"""我的待办 from the one registry (shiji/web/todo.py) and the 上级 home page
that compares zones."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from shiji.campaigns.models import StudyKind
from shiji.campaigns.services import campaign_load, zone_adopt_campaign
from shiji.ledger import services
from shiji.orgs.models import Person
from shiji.study import services as study_services
from shiji.web import todo
from tests.conftest import SYSTEM
from tests.ledger.conftest import create_categories, png_upload, problem_maker


@pytest.fixture
def make(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return problem_maker(create_categories(world))


@pytest.fixture
def kinds(world):
    campaign = campaign_load(actor=SYSTEM, path="zhengjiguan-2026").campaign
    for tree in (world.a, world.b):
        zone_adopt_campaign(actor=SYSTEM, zone=tree.zone, campaign=campaign)
    return {k.name: k for k in StudyKind.objects.filter(campaign=campaign)}


def session(world, kinds, *, present=(), absent=()):
    people = {p.name: p for p in Person.objects.filter(org=world.a.dept)}
    marks = [{"person": people[n].pk, "present": True, "reason": ""} for n in present]
    marks += [{"person": people[n].pk, "present": False, "reason": "出差"} for n in absent]
    return study_services.session_create(
        actor=world["zone_admin"],
        zone=world.a.zone,
        org=world.a.dept,
        kind=kinds["支部学习"],
        date=timezone.localdate() - dt.timedelta(days=1),
        topic="学习正确政绩观重要论述",
        duration_hours=Decimal("2"),
        attendees="org",
        group=None,
        attendance=marks,
    )


def keys(user) -> list[str]:
    return [g.key for g in todo.groups_for(user)]


def codes(qs) -> set[str]:
    return {p.code for p in qs}


def text(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


def test_each_role_gets_its_own_groups(world):
    assert keys(world["secretary"]) == [
        "rectify",
        "sent_back",
        "submit",
        "task_report",
        "study_pending",
        "feedback_answer",
    ]
    assert keys(world["liaison"]) == [
        "rectify",
        "sent_back",
        "task_report",
        "study_pending",
        "feedback_answer",
    ]
    assert keys(world["supervisor"]) == ["verify", "review", "flagged"]
    assert keys(world["national"]) == []


def test_a_returned_problem_is_sent_back_with_its_reason_not_to_work_on(world, make):
    problem = make(world, status="submitted")
    services.problem_transition(
        actor=world["supervisor"], problem=problem, action="return", note="缺少现场照片"
    )
    secretary = world["secretary"]
    assert problem.code not in codes(todo.problems_to_work_on(secretary))
    [back] = todo.problems_sent_back(secretary)
    assert back.code == problem.code and back.last_note == "缺少现场照片"
    page = text(_client(world, "secretary").get(reverse("ledger:inbox") + "?group=sent_back"))
    section = page.split('id="inbox-sent_back"')[1]
    assert "被退回" in section and "缺少现场照片" in section
    assert 'id="inbox-rectify"' not in page  # the filtered list shows one group


def test_a_list_entry_sent_back_for_rework_is_sent_back(world, make):
    problem = make(world)
    services.problem_review(
        actor=world["supervisor"], problem=problem, decision="send_back", note="描述笼统"
    )
    assert codes(todo.problems_sent_back(world["liaison"])) == {problem.code}
    assert codes(todo.problems_to_work_on(world["liaison"])) == set()


def test_ready_to_submit_needs_after_evidence_and_an_account_of_the_work(world, make):
    problem = make(world, status="in_progress")
    secretary = world["secretary"]
    services.problem_add_evidence(
        actor=world["liaison"], problem=problem, file=png_upload(seed="x"), stage="before"
    )
    services.problem_add_progress(actor=world["liaison"], problem=problem, text="已整改")
    assert codes(todo.problems_ready_to_submit(secretary)) == set()  # a before photo only
    services.problem_add_evidence(
        actor=world["liaison"], problem=problem, file=png_upload(seed="y"), stage="after"
    )
    assert codes(todo.problems_ready_to_submit(secretary)) == {problem.code}
    # Not also "to work on" for the one who submits; the liaison still works on it.
    assert problem.code not in codes(todo.problems_to_work_on(secretary))
    assert problem.code in codes(todo.problems_to_work_on(world["liaison"]))


def test_sessions_with_unrecorded_attendance_wait_for_the_liaison(world, kinds):
    pending = session(world, kinds, present=["张三"])
    session(world, kinds, present=["张三", "李四", "王五"])
    assert [s.pk for s in todo.sessions_missing_records(world["liaison"])] == [pending.pk]
    assert list(todo.sessions_missing_records(world["firm_secretary"])) == []


def _client(world, username):
    from django.test import Client

    client = Client()
    client.force_login(world[username])
    return client


def test_home_counts_link_to_the_filtered_list(world, make):
    make(world)
    make(world)
    body = text(_client(world, "secretary").get("/"))
    panel = body.split('id="sj-todo-panel"')[1]
    link = re.search(
        r'href="([^"]+)" data-todo="rectify".*?<div class="h1[^"]*">(\d+)</div>', panel, re.S
    )
    assert link.group(1) == reverse("ledger:inbox") + "?group=rectify"
    assert link.group(2) == "2"


def test_nothing_to_do_says_so_and_what_next(world, make):
    body = text(_client(world, "supervisor").get(reverse("ledger:inbox")))
    assert 'id="todo-none"' in body and "暂无待办" in body and "查看问题整改台账" in body
    body = text(_client(world, "national").get(reverse("ledger:inbox")))
    assert "暂无待办" in body


def test_national_home_compares_zones_in_pinned_queries(
    world, make, kinds, django_assert_num_queries
):
    today = timezone.localdate()
    make(world, deadline=today - dt.timedelta(days=2), status="in_progress")
    make(world, status="closed")
    make(world, status="cancelled")
    make(world, zone="b")
    session(world, kinds, present=["张三"], absent=["李四"])
    client = _client(world, "national")
    client.get("/")  # warm up: session, user
    cache.clear()  # every zone counted (tests/web/test_home.py: from the cache)
    with CaptureQueriesContext(connection) as first:
        body = text(client.get("/"))
    for _ in range(5):
        make(world, zone="b", deadline=today - dt.timedelta(days=1))
    with django_assert_num_queries(len(first)):
        text(client.get("/"))
    # Session, user and grants, the zones, their versions (web/summaries.py),
    # then problems, campaign starts and people.
    assert len(first) == 8, "\n".join(q["sql"][:90] for q in first.captured_queries)
    # The problem figures ask only for columns of the (zone, status, deadline)
    # index, so PostgreSQL can answer them from it alone (no id, no table).
    [figures] = [q["sql"] for q in first.captured_queries if "ledger_problem" in q["sql"]]
    assert "COUNT(*)" in figures and '"ledger_problem"."id"' not in figures, figures
    row = body.split(f'data-zone="{world.a.zone.code}"')[1].split("</tr>")[0]
    assert re.search(r"data-red>1<", row)
    assert "50%" in row  # 1 closed of 2 (the cancelled one is not counted)
    members = Person.objects.filter(zone=world.a.zone, is_active=True).count()
    assert f"{round(100 / members)}%" in row  # only 张三 was present
    assert 'id="sj-todo-panel"' not in body


def test_provincial_viewer_sees_only_their_zones(world):
    body = text(_client(world, "provincial").get("/"))
    assert f'data-zone="{world.a.zone.code}"' in body
    assert f'data-zone="{world.b.zone.code}"' not in body


def test_home_counts_are_the_lengths_of_the_lists_for_every_role(world, make, kinds):
    """The home page counts each batch of groups in one query (counts_for);
    each count must stay the length of the group's own list."""
    from shiji.outreach.models import Feedback
    from tests.outreach.test_handling import make_item

    make(world)
    make(world, status="in_progress")
    ready = make(world, status="in_progress")
    services.problem_add_evidence(
        actor=world["liaison"], problem=ready, file=png_upload(seed="r"), stage="after"
    )
    services.problem_add_progress(actor=world["liaison"], problem=ready, text="已整改")
    returned = make(world, status="submitted")
    services.problem_transition(
        actor=world["supervisor"], problem=returned, action="return", note="缺少现场照片"
    )
    make(world, status="submitted")
    make(world, status="closed")
    make(world, zone="b")
    services.problem_review(
        actor=world["supervisor"], problem=make(world), decision="send_back", note="描述笼统"
    )
    session(world, kinds, present=["张三"])
    make_item(world, content="待受理")
    escalated = make_item(world, content="提级")
    Feedback.objects.filter(pk=escalated.pk).update(escalated=True, unsatisfied_count=3)
    seen = set()
    for name, user in world.users.items():
        for row in todo.counts_for(user):
            assert row["count"] == todo.BY_KEY[row["key"]].rows(user).count(), (name, row)
            seen.add(row["key"]) if row["count"] else None
    assert {"rectify", "sent_back", "submit", "verify", "study_pending"} <= seen
    assert {"feedback_accept", "feedback_escalated"} <= seen


def test_home_pages_take_pinned_queries(world, make, django_assert_num_queries):
    # Session, user, grants, zones, their versions (web/summaries.py), the
    # zones naming the user in their feedback settings; the to-do counts (one
    # query for the three rectification groups, one for the feedback groups,
    # one for each other group); then the panels. A write in the zone counts
    # them again (six queries while nothing is written: test_home.py).
    make(world)
    for name, expected in (("secretary", 16), ("zone_admin", 20), ("sysadmin", 18)):
        client = _client(world, name)
        client.get("/")  # warm up
        cache.clear()
        with CaptureQueriesContext(connection) as first:
            text(client.get("/"))
        make(world, status="in_progress")
        with django_assert_num_queries(len(first)):
            text(client.get("/"))
        assert len(first) == expected, (name, [q["sql"][:80] for q in first.captured_queries])


sqlite_only = pytest.mark.skipif(
    connection.vendor != "sqlite", reason="SQLite's plan is the one checked here"
)


def _plan(qs) -> str:
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
        return "\n".join(row[3] for row in cursor.fetchall())


@sqlite_only
def test_a_system_admins_counts_start_from_the_few_rows_that_wait(world):
    """Flagged verifications and sessions with pending attendance are found
    from their partial indexes (a few rows), not by probing every closed
    problem's reviews or every session's attendance (118 and 305 ms for a
    system admin at 100k problems)."""
    admin = world["sysadmin"]
    # The attendance table's statistics at national scale (~1M rows, a few
    # thousand pending): without any, SQLite prices the pending rows' partial
    # index no better than a scan of the covering (person, present, session)
    # index, which holds every row; with them (generate_national ends with
    # ANALYZE) it reads the partial one.
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE study_attendance")
        cursor.execute("DELETE FROM sqlite_stat1 WHERE tbl = 'study_attendance'")
        cursor.executemany(
            "INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES ('study_attendance', %s, %s)",
            [
                ("attendance_person_present", "980726 17 9 1"),
                ("attendance_pending_idx", "5000 1"),
                ("study_attendance_person_id_94013baa", "980726 17"),
                ("study_attendance_session_id_addacb2f", "980726 14"),
            ],
        )
        cursor.execute("ANALYZE sqlite_schema")  # reload the statistics
    flagged = _plan(todo.flagged_verifications(admin).order_by())
    assert "review_flagged_idx" in flagged
    # The problems are then looked up by id (rowid), one per flagged review.
    assert re.search(r"SEARCH ledger_problem USING .*rowid=\?", flagged), flagged
    pending = _plan(todo.sessions_missing_records(admin).order_by())
    assert "attendance_pending_idx" in pending
    assert "GROUP BY" not in str(todo.sessions_missing_records(admin).query)
