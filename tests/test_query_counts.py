"""The number of database queries of the pages people open most, pinned
with realistic data (an adopted campaign, problems in every state with
evidence, progress notes and their history, a task, a regulation, a study
session): the home page, a problem's page, 我的待办 and the audit log.

Each count is measured twice, the second time with twice the data, and must
be the same number both times and the pinned one: a query per row (N+1) or a
new query per page shows here and is then a conscious change."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from shiji.campaigns.models import StudyKind, WorkArrangement
from shiji.campaigns.services import campaign_load, task_create, zone_adopt_campaign
from shiji.ledger import services as ledger
from shiji.regulations.services import regulation_create
from shiji.study import services as study
from tests.conftest import SYSTEM
from tests.ledger.conftest import create_categories, png_upload, problem_maker


@pytest.fixture
def zone_life(world):
    """``add()`` adds one round of a zone's work: problems open, in progress
    (with progress notes and photos), submitted, closed and cancelled, a task,
    a regulation linked to a problem, a study session. Returns the problem in
    progress of the first round (the one whose page is opened)."""
    a = world.a
    campaign = campaign_load(actor=SYSTEM, path="zhengjiguan-2026").campaign
    zone_adopt_campaign(actor=SYSTEM, zone=a.zone, campaign=campaign)
    make = problem_maker(create_categories(world))
    kind = StudyKind.objects.filter(campaign=campaign).first()
    rounds: list = []

    def add():
        n = len(rounds) + 1
        working = make(world, status="in_progress")
        for i in range(3):
            ledger.problem_add_progress(
                actor=world["liaison"], problem=working, text=f"第{n}轮第{i + 1}次调度"
            )
            ledger.problem_add_evidence(
                actor=world["secretary"],
                problem=working,
                file=png_upload(f"现场{n}-{i}.png", seed=f"{n}-{i}"),
                stage=("before", "during", "after")[i],
            )
        make(world)
        make(world, status="submitted")
        closed = make(world, status="closed")
        make(world, status="cancelled")
        make(world, org=a.firm, status="in_progress")
        task_create(
            actor=world["zone_admin"],
            zone=a.zone,
            campaign=campaign,
            arrangement=WorkArrangement.objects.get(campaign=campaign, code="study"),
            title=f"专题学习第{n}次",
            sectors=["organ", "private"],
            deadline=timezone.localdate() + dt.timedelta(days=20),
        )
        regulation_create(
            actor=world["secretary"],
            zone=a.zone,
            org=a.dept,
            title=f"审批服务规则{n}",
            action="new",
            problems=[closed.pk],
        )
        study.session_create(
            actor=world["zone_admin"],
            zone=a.zone,
            org=a.dept,
            kind=kind,
            date=timezone.localdate(),
            topic=f"第{n}次专题学习",
            duration_hours=Decimal("2"),
            attendance=[
                {"person": p.pk, "present": True, "reason": ""} for p in a.dept.people.all()
            ],
        )
        rounds.append(working)
        return rounds[0]

    return add


def counted(client, path: str, django_assert_num_queries, expected: int) -> str:
    with django_assert_num_queries(expected):
        response = client.get(path)
    assert response.status_code == 200
    return response.content.decode()


# (page, who opens it, pinned number of queries)
PAGES = [
    # Open-door education added, per page: who is named in the zone's feedback
    # settings (once per request); on the home page the feedback panel and the
    # to-do groups (to accept, replies to publish, escalated: one count each,
    # and the zones handled and published in); on a problem, the feedback it
    # came from; in 我的待办, the feedback forwarded to the reader's org.
    # National scale (issue 12): the home page counts the rectification groups
    # in one query and the feedback groups in one (web/todo.py counts_for);
    # 我的待办 loads each problem group's page as a deferred join (its ids,
    # then their rows: one query more for each group with problems in it).
    # The home page's figures are kept in the cache until something is
    # written in the zone (web/summaries.py): counted with the cache emptied
    # after the warm-up ("home") and read from it ("home, cached": session,
    # user, grants, zones, their versions, the zones naming the user in their
    # feedback settings). The study panel reads its totals alone (one query,
    # not three).
    ("home", "zone_admin", 20),
    ("home", "secretary", 16),
    ("home", "supervisor", 14),
    ("home, cached", "zone_admin", 6),
    ("home, cached", "secretary", 6),
    ("home, cached", "supervisor", 6),
    # A problem's page reads its reviews once (not once each for the flagged
    # verification, the 销号审批表 and the last return), its evidence once
    # (also for the reuse check), and feedback only when some links to it.
    ("problem", "secretary", 14),
    ("problem", "supervisor", 14),
    ("inbox", "secretary", 12),
    ("inbox", "supervisor", 9),
    ("audit", "supervisor", 13),
    ("audit", "zone_admin", 13),
]


@pytest.mark.parametrize(("page", "who", "expected"), PAGES)
def test_pinned_query_count(
    world, login, zone_life, django_assert_num_queries, page, who, expected
):
    problem = zone_life()
    path = {
        "home": reverse("home"),
        "home, cached": reverse("home"),
        "problem": reverse("ledger:detail", args=[problem.pk]),
        "inbox": reverse("ledger:inbox"),
        "audit": reverse("audit:list"),
    }[page]
    client = login(world[who])
    client.get(path)  # warm up: content types, the session's first read
    if page == "home":
        cache.clear()
    counted(client, path, django_assert_num_queries, expected)
    zone_life()  # twice the problems, evidence, history, tasks, rules, sessions
    if page == "home, cached":
        client.get(path)  # the zone's writes made its figures to count again
    body = counted(client, path, django_assert_num_queries, expected)
    if page == "problem":  # the page shows what was counted
        assert all(f"第1轮第{i}次调度" in body for i in (1, 2, 3)) and "现场1-2.png" in body


@pytest.fixture
def register_life(world):
    """``add()`` adds one round of the register's records: two enterprises,
    a roundtable with both and two demands, a visit with a demand, two 为民实事
    with progress."""
    from shiji.outreach.services import projects, roundtables
    from tests.outreach import register_fixtures as made

    codes = iter(
        ["914403001922038216", "91440300708461136T", "91330100716105852F", "91110000710925462X"]
    )

    def add():
        firms = [made.enterprise(world, code=next(codes), name=f"企业{i}") for i in range(2)]
        table = made.roundtable(world, present=firms)
        for firm in firms:
            roundtables.roundtable_demand_add(
                actor=SYSTEM, roundtable=table, enterprise=firm, content="诉求"
            )
        trip = made.visit(world, firms[0])
        roundtables.visit_demand_add(actor=SYSTEM, visit=trip, content="用工")
        for days in (3, 30):
            plan = made.project(world, deadline=timezone.localdate() + dt.timedelta(days=days))
            projects.project_progress_add(actor=SYSTEM, project=plan, text="开工", percent=20)

    return add


# (page, who opens it, pinned number of queries)
REGISTER_PAGES = [
    ("outreach:enterprise_list", "zone_admin", 7),
    ("outreach:roundtable_list", "zone_admin", 7),
    ("outreach:visit_list", "secretary", 7),
    ("outreach:project_list", "zone_admin", 8),
    ("outreach:project_list", "secretary", 8),
]


@pytest.mark.parametrize(("page", "who", "expected"), REGISTER_PAGES)
def test_pinned_query_count_of_the_register_lists(
    world, login, register_life, django_assert_num_queries, page, who, expected
):
    register_life()
    path = reverse(page)
    client = login(world[who])
    client.get(path)
    counted(client, path, django_assert_num_queries, expected)
    register_life()
    counted(client, path, django_assert_num_queries, expected)
