"""The task list (任务清单): assignment by sector (分类指导), adopting the
preset's templates, 补充分派, and the report → accept / return moves."""

from __future__ import annotations

import pytest

from shiji.audit.models import AuditEvent
from shiji.campaigns import selectors, services
from shiji.campaigns.models import AssignmentStatus, Task, TaskAssignment, TaskTemplate
from shiji.core.errors import Conflict, Forbidden, Invalid, NotFound
from shiji.orgs.models import OrgKind, Sector
from shiji.orgs.services import org_create
from tests.conftest import SYSTEM, make_user
from tests.ledger.conftest import png_upload


def orgs_of(task: Task) -> set[str]:
    return set(TaskAssignment.objects.filter(task=task).values_list("org__name", flat=True))


def report(world, assignment, user="secretary", note="已召开专题会议", files=None):
    return services.assignment_transition(
        actor=world[user],
        assignment=assignment,
        action="report",
        note=note,
        files=files if files is not None else [png_upload(seed=f"{assignment.pk}-{note}")],
    )


# Assignment by sector --------------------------------------------------------------


def test_a_task_for_organs_goes_to_the_party_organisations_of_the_organ_sector(world, make_task):
    task = make_task(sectors=["organ"])
    # 党工委 (the root) sets tasks and is not assigned; 机关党委 and its branch are.
    assert orgs_of(task) == {world.a.organ.name, world.a.dept.name}
    assert not TaskAssignment.objects.filter(org__zone=world.b.zone).exists()


def test_a_task_for_several_sectors_reaches_each_of_them(world, make_task):
    task = make_task(sectors=["soe", "private"])
    assert orgs_of(task) == {world.a.soe.name, world.a.econ.name, world.a.firm.name}


def test_sectors_may_be_given_by_their_chinese_names(world, make_task):
    task = make_task(sectors=["国企"])
    assert task.sectors == [Sector.SOE]
    assert orgs_of(task) == {world.a.soe.name}


def test_departments_and_the_working_committee_get_no_assignment(world, make_task):
    org_create(
        actor=SYSTEM, zone=world.a.zone, parent=world.a.organ, name="甲办公室",
        kind=OrgKind.DEPARTMENT, sector="organ",
    )  # fmt: skip
    task = make_task(sectors=["organ"])
    assert "甲办公室" not in orgs_of(task)
    assert world.a.root.name not in orgs_of(task)


def test_every_assignment_is_audited(world, make_task):
    task = make_task(sectors=["organ"])
    events = AuditEvent.objects.filter(action="task_assignment.create", zone_id=world.a.zone.pk)
    assert events.count() == 2
    assert AuditEvent.objects.filter(action="task.create", object_id=str(task.pk)).exists()


def test_an_unknown_sector_is_refused_and_nothing_is_written(world, make_task):
    with pytest.raises(Invalid) as err:
        make_task(sectors=["organ", "军队"])
    assert "sectors" in err.value.fields
    assert not Task.objects.exists()
    assert not TaskAssignment.objects.exists()


def test_adding_tasks_is_for_the_zone_admin(world, campaign):
    arrangement = campaign.arrangements.first()
    with pytest.raises(Forbidden):
        services.task_create(
            actor=world["secretary"], zone=world.a.zone, campaign=campaign,
            arrangement=arrangement, title="x", sectors=["organ"],
        )  # fmt: skip
    with pytest.raises(NotFound):
        services.task_create(
            actor=world["zone_admin"], zone=world.b.zone, campaign=campaign,
            arrangement=arrangement, title="x", sectors=["organ"],
        )  # fmt: skip
    assert not Task.objects.exists()


def test_adopting_the_templates_assigns_each_by_its_sectors_and_is_safe_to_repeat(world, campaign):
    result = services.tasks_adopt_templates(
        actor=world["zone_admin"], zone=world.a.zone, campaign=campaign
    )
    templates = TaskTemplate.objects.filter(campaign=campaign)
    assert result.tasks == templates.count() == Task.objects.filter(zone=world.a.zone).count()
    soe_only = Task.objects.get(zone=world.a.zone, template__code="soe-review")
    assert orgs_of(soe_only) == {world.a.soe.name}
    private = Task.objects.get(zone=world.a.zone, template__code="enterprise-voice")
    assert orgs_of(private) == {world.a.econ.name, world.a.firm.name}
    assert result.assignments == TaskAssignment.objects.count()

    again = services.tasks_adopt_templates(
        actor=world["zone_admin"], zone=world.a.zone, campaign=campaign
    )
    assert (again.tasks, again.assignments) == (0, 0)
    assert Task.objects.filter(zone=world.a.zone).count() == templates.count()


def test_an_org_added_later_is_assigned_by_supplementary_assignment(world, make_task):
    task = make_task(sectors=["private"])
    late = org_create(
        actor=SYSTEM, zone=world.a.zone, parent=world.a.econ, name="甲新材料公司党支部",
        kind=OrgKind.BRANCH, sector="private",
    )  # fmt: skip
    assert late.name not in orgs_of(task)
    made = services.tasks_assign_missing(actor=world["zone_admin"], zone=world.a.zone)
    assert made == 1
    assert late.name in orgs_of(task)
    event = AuditEvent.objects.get(action="task_assignment.create", note="补充分派")
    assert event.zone_id == world.a.zone.pk
    assert services.tasks_assign_missing(actor=world["zone_admin"], zone=world.a.zone) == 0


# Report, accept, return ------------------------------------------------------------


def dept_assignment(world, task) -> TaskAssignment:
    return TaskAssignment.objects.get(task=task, org=world.a.dept)


def test_the_branch_reports_with_a_note_and_evidence_and_the_zone_admin_accepts(world, make_task):
    a = dept_assignment(world, make_task())
    report(world, a)
    a.refresh_from_db()
    assert a.status == AssignmentStatus.REPORTED
    assert a.reported_by == world["secretary"] and a.report_note == "已召开专题会议"
    assert a.evidence.count() == 1 and len(a.evidence.get().sha256) == 64

    services.assignment_transition(actor=world["zone_admin"], assignment=a, action="accept")
    a.refresh_from_db()
    assert a.status == AssignmentStatus.ACCEPTED and a.reviewed_by == world["zone_admin"]
    actions = list(
        AuditEvent.objects.filter(object_type="campaigns.taskassignment", object_id=str(a.pk))
        .order_by("pk")
        .values_list("action", flat=True)
    )
    assert actions == [
        "task_assignment.create",
        "task_assignment.evidence",
        "task_assignment.report",
        "task_assignment.accept",
    ]


@pytest.mark.parametrize("action", ["accept", "return"])
def test_who_reported_may_not_review_their_own_report(world, make_task, action):
    # One account holding both roles: the branch's secretary and the zone's task force.
    both = make_user(
        "both-hats", world.a.zone,
        [{"role": "secretary", "zone": world.a.zone, "org": world.a.dept},
         {"role": "zone_admin", "zone": world.a.zone}],
    )  # fmt: skip
    world.users["both"] = both
    a = dept_assignment(world, make_task())
    report(world, a, user="both")
    with pytest.raises(Conflict, match="报送人不能审核自己报送的任务"):
        services.assignment_transition(actor=both, assignment=a, action=action, note="理由")
    a.refresh_from_db()
    assert a.status == AssignmentStatus.REPORTED and a.reviewed_by is None
    assert not AuditEvent.objects.filter(action=f"task_assignment.{action}").exists()
    services.assignment_transition(
        actor=world["zone_admin"], assignment=a, action=action, note="理由"
    )
    a.refresh_from_db()
    assert a.reviewed_by == world["zone_admin"]


def test_a_returned_assignment_needs_a_reason_and_can_be_reported_again(world, make_task):
    a = dept_assignment(world, make_task())
    report(world, a)
    with pytest.raises(Invalid):
        services.assignment_transition(actor=world["zone_admin"], assignment=a, action="return")
    services.assignment_transition(
        actor=world["zone_admin"], assignment=a, action="return", note="缺少会议记录"
    )
    a.refresh_from_db()
    assert (a.status, a.return_reason) == (AssignmentStatus.RETURNED, "缺少会议记录")
    report(world, a, user="liaison", note="补充会议记录", files=[])
    a.refresh_from_db()
    assert a.status == AssignmentStatus.REPORTED and a.reported_by == world["liaison"]


def test_reporting_needs_evidence(world, make_task):
    a = dept_assignment(world, make_task())
    with pytest.raises(Invalid) as err:
        report(world, a, files=[])
    assert "file" in err.value.fields
    a.refresh_from_db()
    assert a.status == AssignmentStatus.PENDING and not a.report_note


def test_accepting_an_unreported_assignment_is_a_conflict(world, make_task):
    a = dept_assignment(world, make_task())
    with pytest.raises(Conflict):
        services.assignment_transition(actor=world["zone_admin"], assignment=a, action="accept")
    a.refresh_from_db()
    assert a.status == AssignmentStatus.PENDING
    assert not AuditEvent.objects.filter(action="task_assignment.accept").exists()


def test_a_report_for_another_orgs_assignment_is_not_found(world, make_task):
    task = make_task(sectors=["organ", "private"])
    theirs = dept_assignment(world, task)
    # The firm's secretary cannot see the department's share at all.
    with pytest.raises(NotFound):
        selectors.assignment_get_for_user(user=world["firm_secretary"], pk=theirs.pk)
    with pytest.raises(Forbidden):
        report(world, theirs, user="firm_secretary")
    theirs.refresh_from_db()
    assert theirs.status == AssignmentStatus.PENDING


def test_the_zone_admin_does_not_report_and_the_secretary_does_not_accept(world, make_task):
    a = dept_assignment(world, make_task())
    with pytest.raises(Forbidden):
        report(world, a, user="zone_admin")
    report(world, a)
    with pytest.raises(Forbidden):
        services.assignment_transition(actor=world["secretary"], assignment=a, action="accept")


# Traffic lights --------------------------------------------------------------------


def test_lights_red_past_deadline_yellow_within_seven_days_green_otherwise(world, make_task):
    late, soon, later = make_task(days=-1), make_task(days=7), make_task(days=8)
    none = make_task(days=None)
    lights = {
        a.task_id: a.light
        for a in selectors.assignments_visible_to(user=world["zone_admin"]).filter(org=world.a.dept)
    }
    assert lights == {late.pk: "red", soon.pk: "yellow", later.pk: "green", none.pk: "green"}


def test_an_accepted_assignment_is_green_even_past_its_deadline(world, make_task):
    a = dept_assignment(world, make_task(days=-2))
    report(world, a)
    services.assignment_transition(actor=world["zone_admin"], assignment=a, action="accept")
    assert selectors.assignment_get_for_user(user=world["zone_admin"], pk=a.pk).light == "green"
