"""A small, hand-countable set of records for the campaign scores, made
through the services and then moved to fixed dates (the services stamp
today's date; the figures must not depend on the day the tests run).

The period is 2026-03-01 – 2026-05-31 (``START``, ``END``). What is there,
and what the figures must be, is written out in tests/assessment/
test_campaign_scores.py.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.utils import timezone

from shiji.campaigns.models import StudyKind, Task, TaskAssignment, WorkArrangement
from shiji.ledger import services as ledger
from shiji.ledger.models import DeadlineExtension, Problem, Review
from shiji.orgs import policy
from shiji.orgs.models import Person
from shiji.outreach.models import Feedback, FeedbackRating, FeedbackStep
from shiji.outreach.services.handling import feedback_act
from shiji.outreach.services.intake import feedback_create
from shiji.outreach.services.rating import feedback_rate
from shiji.regulations import services as regulations
from shiji.regulations.models import Regulation
from shiji.study.models import Attendance, StudySession
from tests.ledger.conftest import create_categories, problem_maker

START = dt.date(2026, 3, 1)
END = dt.date(2026, 5, 31)
PUBLIC = policy.system("portal")


def d(month: int, day: int) -> dt.date:
    return dt.date(2026, month, day)


def at(month: int, day: int) -> dt.datetime:
    return dt.datetime(2026, month, day, 10, 0, tzinfo=timezone.get_current_timezone())


@dataclass
class Records:
    world: Any
    categories: dict[str, list[Any]]
    problems: dict[str, Problem] = field(default_factory=dict)
    regulations: dict[str, Regulation] = field(default_factory=dict)
    feedback: dict[str, Feedback] = field(default_factory=dict)


def _dates(problem: Problem, **values: Any) -> None:
    Problem.objects.filter(pk=problem.pk).update(**values)


def _problem(rec: Records, make, name: str, *, zone="a", org=None, status=None, **dates):
    extensions = dates.pop("extensions", 0)
    category = dates.pop("category", 0)
    p = make(rec.world, zone=zone, org=org, status=None, category=rec.categories[zone][category])
    worker = rec.world["zone_admin"] if zone == "a" else rec.world["outsider"]
    for i in range(extensions):
        ledger.problem_extend_deadline(
            actor=worker,
            problem=p,
            new_deadline=timezone.localdate() + dt.timedelta(days=40 + i),
            reason="需协调多部门",
        )
    if status:
        p = _walk(rec, make, p, zone, status)
    _dates(p, **dates)
    p.refresh_from_db()
    rec.problems[name] = p
    return p


def _walk(rec: Records, make, p: Problem, zone: str, status: str) -> Problem:
    from tests.ledger.conftest import _workers, png_upload

    worker, verifier, admin = _workers(rec.world, zone, p)
    if status == "cancelled":
        return ledger.problem_transition(actor=admin, problem=p, action="cancel", note="不属于")
    p = ledger.problem_transition(actor=worker, problem=p, action="start")
    if status == "in_progress":
        return p
    ledger.problem_add_evidence(
        actor=worker, problem=p, file=png_upload(seed=p.code), stage="after", note="整改后"
    )
    p = ledger.problem_transition(actor=worker, problem=p, action="submit", note="已完成")
    p = ledger.problem_transition(actor=verifier, problem=p, action="verify")
    if status == "closed":
        return p
    assert status == "reopened"
    return ledger.problem_transition(actor=admin, problem=p, action="reopen", note="回头看发现反弹")


def _study(rec: Records) -> None:
    """Zone A's roster: 张三 李四 王五 (经济发展局党支部), 赵六 钱七 (某科技公司党支部).
    Present in the period: 张三 and 李四 (03-20), 赵六 (04-05); 王五 was
    absent on 03-20 and present only on 02-10, before the period; 钱七's mark
    is missing (待补录), which counts as not reached."""
    world = rec.world
    a = world.a
    campaign = rec.categories["a"][0].campaign
    kind = StudyKind.objects.create(campaign=campaign, code="group", name="集体学习")

    def session(org, day, marks):
        s = StudySession.objects.create(
            zone=a.zone, org=org, kind=kind, date=day, topic="专题学习", duration_hours=2
        )
        for name, present in marks.items():
            Attendance.objects.create(
                session=s,
                person=Person.objects.get(org=org, name=name),
                present=present,
                reason="出差" if present is False else "",
            )

    session(a.dept, d(3, 20), {"张三": True, "李四": True, "王五": False})
    session(a.dept, d(2, 10), {"王五": True})
    session(a.firm, d(4, 5), {"赵六": True, "钱七": None})


def _tasks(rec: Records) -> None:
    """Zone A: t1 due 04-15 for 经济发展局党支部 (reported 04-10: on time),
    某科技公司党支部 (reported 04-20: late) and 投资集团党委 (not reported);
    t2 due 06-15 (after the period), accepted for 经济发展局党支部."""
    a = rec.world.a
    campaign = rec.categories["a"][0].campaign
    arrangement = WorkArrangement.objects.create(campaign=campaign, code="study", name="学习研讨")

    def task(title, deadline, shares):
        t = Task.objects.create(
            zone=a.zone, campaign=campaign, arrangement=arrangement, title=title, deadline=deadline
        )
        for org, status, reported in shares:
            TaskAssignment.objects.create(
                task=t, org=org, status=status, reported_at=at(*reported) if reported else None
            )

    task("t1", d(4, 15), [
        (a.dept, "accepted", (4, 10)), (a.firm, "reported", (4, 20)), (a.soe, "pending", None),
    ])  # fmt: skip
    task("t2", d(6, 15), [(a.dept, "accepted", (6, 1))])


def build(world) -> Records:
    rec = Records(world=world, categories=create_categories(world))
    make = problem_maker(rec.categories)
    a, b = world.a, world.b
    # Zone A, found in the period (not cancelled): p1 p2 p3 p4 p7.
    _problem(
        rec,
        make,
        "p1",
        org=a.dept,
        status="closed",
        found_on=d(3, 10),
        deadline=d(4, 30),
        closed_on=d(4, 20),
    )  # on time
    _problem(
        rec,
        make,
        "p2",
        org=a.dept,
        status="closed",
        extensions=1,
        found_on=d(3, 15),
        deadline=d(4, 10),
        closed_on=d(4, 25),
    )  # late
    _problem(
        rec,
        make,
        "p3",
        org=a.firm,
        status="in_progress",
        extensions=2,
        found_on=d(4, 1),
        deadline=d(5, 1),
    )
    _problem(
        rec, make, "p4", org=a.firm, status="reopened", found_on=d(3, 20), deadline=d(6, 30)
    )  # relapsed
    _problem(rec, make, "p5", org=a.dept, status="cancelled", found_on=d(3, 5))  # not counted
    _problem(rec, make, "p6", org=a.dept, found_on=d(2, 1), deadline=d(3, 1))  # before the period
    _problem(rec, make, "p7", org=a.soe, category=1, found_on=d(5, 10), deadline=d(6, 10))
    # Zone B: q1 closed without a deadline, q2 open.
    _problem(
        rec,
        make,
        "q1",
        zone="b",
        org=b.dept,
        status="closed",
        found_on=d(3, 3),
        deadline=None,
        kind="long_term",
        closed_on=d(3, 30),
    )
    _problem(rec, make, "q2", zone="b", org=b.dept, found_on=d(4, 4), deadline=d(5, 4))

    # Rules: r1, r2 issued in the period (A: dept, firm); r3 issued before
    # it; r4 still a draft; r5 issued in zone B.
    def rule(name, tree, org, issued_on, issue=True):
        admin = world["zone_admin"] if tree is a else world["outsider"]
        reg = regulations.regulation_create(
            actor=admin, zone=tree.zone, org=org, title=f"制度{name}", action="new"
        )
        if issue:
            reg = regulations.regulation_transition(actor=admin, regulation=reg, action="submit")
            reg = regulations.regulation_transition(
                actor=world["sysadmin"],
                regulation=reg,
                action="issue",
                issued_on=timezone.localdate(),
            )
            Regulation.objects.filter(pk=reg.pk).update(issued_on=issued_on)
        rec.regulations[name] = reg

    rule("r1", a, a.dept, d(4, 2))
    rule("r2", a, a.firm, d(5, 31))
    rule("r3", a, a.dept, d(2, 27))
    rule("r4", a, a.dept, None, issue=False)
    rule("r5", b, b.dept, d(3, 9))

    # Feedback of zone A: f1 answered on time (dept), f2 answered late
    # (firm), f3 received and not answered, f4 received before the period.
    def item(name, org, received, due, answered=None, ratings=()):
        fb = feedback_create(
            actor=PUBLIC, zone=a.zone, kind="complaint", content=f"园区路灯坏了{name}"
        ).feedback
        admin = world["zone_admin"]
        if answered:
            fb = feedback_act(actor=admin, feedback=fb, action="accept")
            fb = feedback_act(actor=admin, feedback=fb, action="forward", org=org)
            fb = feedback_act(actor=admin, feedback=fb, action="reply", reply="已修复")
            fb = feedback_act(actor=admin, feedback=fb, action="publish_reply")
            FeedbackStep.objects.filter(feedback=fb, action="publish_reply").update(
                at=at(*answered)
            )
        for rating, when in ratings:
            fb.refresh_from_db()
            made = feedback_rate(actor=PUBLIC, feedback=fb, rating=rating)
            FeedbackRating.objects.filter(pk=made.pk).update(created_at=at(*when))
            if rating == "unsatisfied":  # back to accepted: answer again
                fb = feedback_act(actor=admin, feedback=fb, action="reply", reply="再次修复")
                fb = feedback_act(actor=admin, feedback=fb, action="publish_reply")
                FeedbackStep.objects.filter(feedback=fb, action="publish_reply").exclude(
                    at__lt=at(4, 30)
                ).update(at=at(5, 3))
        # After the ratings: 不满意 starts a new round with a new due date.
        Feedback.objects.filter(pk=fb.pk).update(received_at=at(*received), due_on=d(*due))
        fb.refresh_from_db()
        rec.feedback[name] = fb

    item("f1", a.dept, (3, 2), (3, 16), answered=(3, 10), ratings=[("satisfied", (3, 12))])
    item(
        "f2",
        a.firm,
        (4, 1),
        (4, 15),
        answered=(4, 20),
        ratings=[("unsatisfied", (4, 22)), ("basically_satisfied", (5, 5))],
    )
    item("f3", a.dept, (5, 20), (6, 3))
    item("f4", a.dept, (2, 10), (2, 24), answered=(2, 20), ratings=[("satisfied", (2, 21))])
    _study(rec)
    _tasks(rec)
    assert Review.objects.filter(action="reopen").count() == 1
    assert DeadlineExtension.objects.count() == 3
    return rec


def module_fixtures() -> tuple[Any, ...]:
    """The fixtures of a test module that reads one world and its campaign
    records: ``shared`` builds them once for the module rather than for each
    test (about 600 queries), and each test runs in a savepoint rolled back
    after it (tests/conftest.py's shared_records); ``world``, ``records`` and
    ``_media_root`` hand them to the tests. The tests that take only
    ``world`` do not depend on the records being absent. A module takes
    them with ``shared, world, records, _media_root = module_fixtures()``."""
    from tests.conftest import build_world, forget_memos, shared_records

    @pytest.fixture(scope="module")
    def shared(django_db_setup, django_db_blocker, tmp_path_factory):
        def world_and_records():
            world = build_world()
            return world, build(world)

        yield from shared_records(django_db_blocker, tmp_path_factory, world_and_records)

    @pytest.fixture
    def world(shared, db):
        return forget_memos(shared.value[0])

    @pytest.fixture
    def records(shared, world):
        return shared.value[1]

    @pytest.fixture
    def _media_root(shared, settings, tmp_path):
        settings.MEDIA_ROOT = shared.media_copy(tmp_path)

    return shared, world, records, _media_root
