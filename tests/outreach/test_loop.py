"""The whole open-door loop, through the pages people use: a resident submits
on the portal the day before the 2026 National Day holiday, the zone accepts
and forwards it after the holiday, the branch drafts the answer, the zone
admin publishes it on the make-up Saturday, turns the item into a ledger
problem that is fixed and verified, the resident rates the result by code,
and the zone discloses it. Then the other way: 不满意 reopens the problem
with the comment as the reason, and the third 不满意 escalates the item
(提级督办). Time limits run in working days across the holiday week."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from shiji.audit.models import AuditEvent
from shiji.audit.verify import verify_all
from shiji.core.lights import Light
from shiji.ledger import services as ledger
from shiji.ledger.models import Problem, Review
from shiji.ledger.models import Status as ProblemStatus
from shiji.outreach.limits import light
from shiji.outreach.models import Feedback, FeedbackRating, Status
from tests.clock import travel_to
from tests.ledger.conftest import create_categories, png_upload

NAME, PHONE = "韩梅梅", "13912345678"
CONTENT = "园区东门路灯坏了一个月，晚上下班路过很危险"
SUMMARY = "东门路灯线路老化，已更换线路和灯具 12 盏并纳入日常巡查（示例）"


@pytest.fixture
def categories(world):
    return create_categories(world)


def staff(world, who: str) -> Client:
    client = Client()
    client.force_login(world[who])
    return client


def code_on(response) -> str:
    found = re.search(r'id="tracking-code"[^>]*>([^<]+)<', response.content.decode())
    assert found, response.content.decode()[:500]
    return found[1].strip()


def act(world, who: str, item: Feedback, action: str, **data) -> None:
    response = staff(world, who).post(
        reverse("outreach:feedback_act", args=[item.pk]), {"action": action, **data}
    )
    assert response.status_code == 302, response.content.decode()[:2000]


def track(public: Client, code: str) -> str:
    response = public.post(reverse("public:track"), {"code": code})
    assert response.status_code == 200
    return response.content.decode()


def rate(public: Client, code: str, rating: str, comment: str = ""):
    return public.post(reverse("public:rate"), {"code": code, "rating": rating, "comment": comment})


def fix_and_verify(world, problem: Problem, n: int) -> None:
    """The branch fixes the problem again and the supervisor verifies it."""
    problem = Problem.objects.get(pk=problem.pk)
    if problem.status == ProblemStatus.OPEN:
        problem = ledger.problem_transition(
            actor=world["secretary"], problem=problem, action="start"
        )
    ledger.problem_add_evidence(
        actor=world["secretary"], problem=problem, file=png_upload(seed=f"after-{n}")
    )
    ledger.problem_transition(
        actor=world["secretary"], problem=problem, action="submit", note=f"第{n}次整改完成"
    )
    ledger.problem_transition(actor=world["supervisor"], problem=problem, action="verify")


def submitted_on_the_eve_of_national_day(world) -> tuple[Client, str, Feedback]:
    public = Client()
    with travel_to("2026-09-30"):
        done = public.post(
            reverse("public:submit", args=[world.a.zone.code]),
            {"kind": "complaint", "category": "infrastructure", "content": CONTENT}
            | {"name": NAME, "phone": PHONE},
        )
    assert done.status_code == 200
    return public, code_on(done), Feedback.objects.get()


def through_the_ledger(world, categories) -> tuple[Client, str, Feedback]:
    """Submitted, accepted, forwarded, answered, published and in the ledger
    with its problem closed: the state in which the resident judges it."""
    public, code, item = submitted_on_the_eve_of_national_day(world)
    with travel_to("2026-10-08"):  # the first working day after the holiday
        act(world, "zone_admin", item, "accept")
        act(world, "zone_admin", item, "forward", org=world.a.dept.pk)
    with travel_to("2026-10-09"):
        act(world, "secretary", item, "reply", reply="已安排电工排查线路，本周内修复。")
    with travel_to("2026-10-10"):  # Saturday, a make-up working day
        act(world, "zone_admin", item, "publish_reply")
        assert "已安排电工排查线路" in track(public, code)
    with travel_to("2026-10-12"):
        act(
            world,
            "zone_admin",
            item,
            "to_problem",
            category=categories["a"][0].pk,
            description="东门路灯线路老化、长期失修",
        )
    with travel_to("2026-10-19"):
        fix_and_verify(world, Feedback.objects.get(pk=item.pk).problem, 1)
    return public, code, Feedback.objects.get(pk=item.pk)


@pytest.mark.today("2026-10-21")
def test_submit_accept_forward_reply_publish_problem_closed_rated_and_disclosed(world, categories):
    public, code, item = through_the_ledger(world, categories)
    assert item.status == Status.IN_LEDGER and item.org == world.a.dept
    problem = item.problem
    assert problem.status == ProblemStatus.CLOSED and problem.source == "public"
    assert problem.description == "东门路灯线路老化、长期失修"

    # The resident follows every public step by code, and is asked to rate.
    status = track(public, code)
    for label in ("已提交，等待受理", "已受理", "已转交承办单位办理", "已答复"):
        assert label in status, label
    assert "已列入问题整改台账" in status and "整改完成，请评价" in status
    assert NAME not in status and PHONE not in status
    with travel_to("2026-10-21"):
        rated = rate(public, code, "satisfied", "修得很快，谢谢")
    assert rated.status_code == 200 and "感谢您的评价" in rated.content.decode()
    assert FeedbackRating.objects.get().rating == "satisfied"
    assert Problem.objects.get(pk=problem.pk).status == ProblemStatus.CLOSED

    # The zone admin discloses it; the public page shows it without the person.
    response = staff(world, "zone_admin").post(
        reverse("outreach:feedback_disclose", args=[item.pk]),
        {"disclosed": "1", "summary": SUMMARY},
    )
    assert response.status_code == 302
    page = Client().get(reverse("public:disclosure", args=[world.a.zone.code]))
    html = page.content.decode()
    assert SUMMARY in html and world.a.dept.name in html
    assert "<dt>群众评价</dt><dd>满意</dd>" in html
    assert "2026-10-19" in html  # the problem's close, the result's date
    for private in (NAME, PHONE, CONTENT, "已安排电工排查线路"):
        assert private not in html, private
    # September's item: answered on Oct 10 after 3 working days (Oct 8, 9 and
    # the make-up Saturday), well within its 10-day limit.
    september = re.search(r'<tr data-month="2026-09">(.*?)</tr>', html, re.S)[1]
    cells = dict(re.findall(r"data-([a-z-]+)>([^<]*)<", september))
    assert (cells["received"], cells["answered"]) == ("1", "1")
    assert cells["days"] == "3.0" and cells["on-time"] == "100%"
    october = re.search(r'<tr data-month="2026-10">(.*?)</tr>', html, re.S)[1]
    assert "data-satisfaction>100%<" in october

    # Every step is in the audit trail, and the chain holds.
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    for action in (
        "feedback.submit",
        "feedback.accept",
        "feedback.forward",
        "feedback.reply",
        "feedback.publish_reply",
        "feedback.to_problem",
        "problem.verify",
        "feedback.rate",
        "feedback.disclose",
    ):
        assert action in actions, action
    assert verify_all().ok


@pytest.mark.today("2026-10-21")
def test_unsatisfied_reopens_the_problem_and_the_third_time_escalates(world, categories):
    public, code, item = through_the_ledger(world, categories)
    problem = item.problem
    disclosed = staff(world, "zone_admin").post(
        reverse("outreach:feedback_disclose", args=[item.pk]),
        {"disclosed": "1", "summary": SUMMARY},
    )
    assert disclosed.status_code == 302
    open_page = reverse("public:disclosure", args=[world.a.zone.code])

    for n in (1, 2, 3):
        comment = f"第{n}次：路灯还是不亮"
        assert rate(public, code, "unsatisfied", comment).status_code == 200
        reopened = Problem.objects.get(pk=problem.pk)
        assert reopened.status == ProblemStatus.IN_PROGRESS
        review = Review.objects.filter(problem=problem, action="reopen").latest("created_at", "pk")
        assert review.note == comment
        event = AuditEvent.objects.filter(action="problem.reopen").latest("pk")
        assert event.note == comment and event.object_id == str(problem.pk)
        item.refresh_from_db()
        assert item.unsatisfied_count == n and item.escalated == (n == 3)
        # Reopened: off the disclosure page, and nothing to rate until fixed again.
        assert SUMMARY not in Client().get(open_page).content.decode()
        again = rate(public, code, "satisfied")
        assert again.status_code == 409 and "尚无办理结果" in again.content.decode()
        if n < 3:
            fix_and_verify(world, problem, n + 1)
            assert SUMMARY in Client().get(open_page).content.decode()

    assert AuditEvent.objects.filter(action="feedback.escalate").count() == 1
    assert AuditEvent.objects.filter(action="problem.reopen").count() == 3
    assert "提级督办" in track(public, code)
    detail = staff(world, "zone_admin").get(reverse("outreach:feedback_detail", args=[item.pk]))
    assert "提级督办" in detail.content.decode()
    assert verify_all().ok


def test_time_limits_run_in_working_days_across_the_national_day_week(world):
    _public, _code, item = submitted_on_the_eve_of_national_day(world)
    # 投诉: 10 working days from Sep 30: Oct 8, 9, 10 (make-up Saturday), 12–16, 19, 20.
    assert item.due_on.isoformat() == "2026-10-20"
    assert light(item, today=item.due_on.replace(day=9)) == Light.GREEN
    assert light(item, today=item.due_on.replace(day=19)) == Light.YELLOW
    assert light(item, today=item.due_on.replace(day=21)) == Light.RED
    # 咨询 (1 working day) on Friday Oct 9 is due on the make-up Saturday;
    # on Sep 30 it is due on Oct 8, after the whole holiday.
    for day, due in (("2026-10-09", "2026-10-10"), ("2026-09-30", "2026-10-08")):
        with travel_to(day):
            done = Client().post(
                reverse("public:submit", args=[world.a.zone.code]),
                {"kind": "consult", "content": "人才公寓申请需要哪些材料？"},
            )
        number = Feedback.objects.filter(kind="consult").latest("pk")
        assert done.status_code == 200 and number.due_on.isoformat() == due, day
