"""One timeline builder for every record page: the kind's label, the fields
as the pages name them, labels for codes, names for ids (through the scoped
selectors: what the reader may not see stays a number), and people as name
with organization, never a login name."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.urls import reverse

from shiji.audit.kinds import EventKind
from shiji.audit.timeline import timeline
from shiji.ledger import services as ledger
from shiji.orgs import services as orgs
from shiji.orgs.models import Person
from tests.conftest import SYSTEM, relative_day

SHIJI = Path(__file__).resolve().parents[2] / "shiji"


def test_a_problem_reads_in_words(world, make_problem):
    problem = make_problem(world, status="in_progress")
    rows = timeline(problem, world["supervisor"])
    assert [r.kind for r in rows] == [EventKind.PROBLEM_CREATE, EventKind.PROBLEM_START]
    created, started = rows
    assert created.label == "新增问题" and created.is_creation
    fields = {c.label: c.new for c in created.changes}
    assert fields["问题来源"] == "自查"
    assert fields["问题类别"] == "新官不理旧账"
    assert fields["责任单位"] == world.a.dept.name
    assert fields["责任人"] == f"张三（{world.a.dept.name}）"
    assert fields["整改类型"] == "限期整改"
    assert [(c.label, c.old, c.new) for c in started.changes] == [("状态", "待整改", "整改中")]


def test_names_the_reader_may_not_see_stay_numbers(world, make_problem):
    firm_person = Person.objects.get(org=world.a.firm, name="赵六")
    problem = make_problem(world, owner=firm_person)
    wang = Person.objects.get(org=world.a.dept, name="王五")
    ledger.problem_update(actor=world["zone_admin"], problem=problem, owner=wang)
    change = timeline(problem, world["liaison"])[-1].changes[0]  # the dept's liaison
    assert change.label == "责任人"
    assert change.old == f"编号 {firm_person.pk}"  # a person outside their subtree
    assert change.new == f"王五（{world.a.dept.name}）"
    change = timeline(problem, world["zone_admin"])[-1].changes[0]
    assert change.old == f"赵六（{world.a.firm.name}）"


def test_the_actor_is_a_name_with_an_organization(world, make_problem):
    zhang = Person.objects.get(org=world.a.dept, name="张三")
    Person.objects.filter(pk=zhang.pk).update(user=world["secretary"])  # a roster link
    problem = make_problem(world, status="in_progress")
    row = timeline(problem, world["zone_admin"])[-1]
    assert row.actor == f"secretary（{world.a.dept.name}）"
    assert "（secretary）" not in row.actor
    assert (
        timeline(problem, world["zone_admin"])[0].actor == "zone_admin（甲高）"
    )  # no roster entry


def test_the_reason_is_labelled_by_the_kind(world, make_problem):
    problem = make_problem(world)
    ledger.problem_extend_deadline(
        actor=world["leader"], problem=problem,
        new_deadline=problem.deadline + dt.timedelta(days=10), reason="涉及上级审批",
    )  # fmt: skip
    row = timeline(problem, world["zone_admin"])[-1]
    assert (row.label, row.note_label, row.event.note) == ("延期", "延期理由", "涉及上级审批")
    assert row.changes[0].label == "整改时限"


def test_an_account_reads_with_zone_names_and_yes_no(world):
    orgs.user_update(actor=world["zone_admin"], user=world["liaison"], is_active=False)
    row = timeline(world["liaison"], world["zone_admin"], newest_first=True)[0]
    assert row.label == "修改账号"
    assert [(c.label, c.old, c.new) for c in row.changes] == [("启用", "是", "否")]


def test_account_creation_names_the_zone(world):
    account = orgs.user_create(
        actor=world["zone_admin"], username="wang", password="Wang-pass-2026", name="王主任",
        grants=[{"role": "liaison", "org": world.a.dept.pk}],
    )  # fmt: skip
    fields = {c.label: c.new for c in timeline(account, world["zone_admin"])[0].changes}
    assert fields["所属高新区"] == world.a.zone.name and fields["姓名"] == "王主任"


def adopted_campaign(world):
    from shiji.campaigns.services import campaign_load, zone_adopt_campaign

    campaign = campaign_load(actor=SYSTEM, path="zhengjiguan-2026").campaign
    zone_adopt_campaign(actor=SYSTEM, zone=world.a.zone, campaign=campaign)
    return campaign


def record_page(page: str, world, make_problem) -> tuple[str, str]:
    """A record of each kind with a history, and the label its creation reads as."""
    if page == "ledger":
        return reverse("ledger:detail", args=[make_problem(world).pk]), "新增问题"
    if page == "regulation":
        from shiji.regulations import services as regulations

        r = regulations.regulation_create(
            actor=world["zone_admin"], zone=world.a.zone, org=world.a.dept,
            title="审批时限管理办法", action="new",
        )  # fmt: skip
        return reverse("regulations:detail", args=[r.pk]), "登记制度"
    if page == "assignment":
        from shiji.campaigns.models import TaskAssignment, WorkArrangement
        from shiji.campaigns.services import task_create

        campaign = adopted_campaign(world)
        task_create(
            actor=world["zone_admin"], zone=world.a.zone, campaign=campaign,
            arrangement=WorkArrangement.objects.get(campaign=campaign, code="study"),
            title="测试任务", sectors=["organ"], deadline=relative_day(30),
        )  # fmt: skip
        a = TaskAssignment.objects.get(org=world.a.dept)
        return reverse("campaigns:assignment", args=[a.pk]), "分派任务"
    if page == "study":
        from shiji.campaigns.models import StudyKind
        from shiji.study import services as study

        campaign = adopted_campaign(world)
        s = study.session_create(
            actor=world["zone_admin"], zone=world.a.zone, org=world.a.dept,
            kind=StudyKind.objects.filter(campaign=campaign).first(),
            date=relative_day(-7), topic="学习正确政绩观", duration_hours="2",
        )  # fmt: skip
        return reverse("study:detail", args=[s.pk]), "记录学习研讨"
    orgs.user_update(actor=world["zone_admin"], user=world["liaison"], name="联络员")
    return f"/orgs/users/{world['liaison'].pk}/", "修改账号"


@pytest.mark.parametrize("page", ["ledger", "study", "regulation", "assignment", "account"])
def test_every_record_page_shows_the_one_timeline(page, world, login, make_problem):
    """Each page includes audit/_timeline.html: the same markup, the kinds' labels."""
    url, label = record_page(page, world, make_problem)
    body = login(world["zone_admin"]).get(url).content.decode()
    part = body.split('id="sj-timeline"', 1)[1]
    assert 'class="timeline timeline-simple"' in part and label in part
    assert "zone_admin（甲高）" in part


def test_no_view_keeps_its_own_event_labels():
    """The kinds' labels live in shiji/audit/kinds.py only."""
    for path in SHIJI.rglob("*.py"):
        if "audit" in path.parts or "migrations" in path.parts:
            continue
        source = path.read_text(encoding="utf-8")
        for name in ("EVENT_LABELS", "NOTE_LABELS", "ACTION_LABELS", "FIELD_LABELS"):
            assert name not in source, f"{path.relative_to(SHIJI)}: {name}"


def test_a_study_session_reads_with_attendance_in_words(world):
    from shiji.campaigns.models import StudyKind
    from shiji.study import services as study

    campaign = adopted_campaign(world)
    people = {p.name: p.pk for p in Person.objects.filter(org=world.a.dept)}
    session = study.session_create(
        actor=world["zone_admin"], zone=world.a.zone, org=world.a.dept,
        kind=StudyKind.objects.filter(campaign=campaign).first(), date=relative_day(-7),
        topic="学习正确政绩观", duration_hours="2",
        attendance=[
            {"person": people["张三"], "present": True, "reason": ""},
            {"person": people["李四"], "present": False, "reason": "出差"},
        ],
    )  # fmt: skip
    row = timeline(session, world["zone_admin"])[0]
    fields = {c.label: c.new for c in row.changes}
    assert row.label == "记录学习研讨"
    assert fields["组织单位"] == world.a.dept.name
    assert fields["出勤"] == "出席 1 人，缺席 1 人（李四：出差），待补录 1 人"
    assert fields["出勤明细"] == "张三：出席；李四：缺席（出差）"
    assert "应到人员" in fields
