"""Roundtables and visits, and every demand raised at them becoming a
tracked item: a feedback item in the inbox, or a problem in the ledger."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from shiji.audit.models import AuditEvent
from shiji.core.errors import Forbidden, Invalid
from shiji.ledger.models import Problem
from shiji.outreach.models import Channel, Feedback, FeedbackContact, RoundtableFile, Status
from shiji.outreach.selectors.enterprises import demands_of, roundtables_visible_to
from shiji.outreach.services import roundtables as svc
from tests.ledger.conftest import create_categories, png_upload
from tests.outreach.register_fixtures import CODES, enterprise, roundtable, visit


@pytest.fixture
def firms(world):
    return [
        enterprise(world),
        enterprise(world, code=CODES[1], name="腾讯"),
        enterprise(world, code=CODES[2], name="阿里", zone=world.b.zone),
    ]


def test_a_roundtable_records_who_was_there_its_files_and_satisfaction(world, firms):
    table = svc.roundtable_create(
        actor=world["secretary"],
        zone=world.a.zone,
        title="第一期政企圆桌会",
        held_on=timezone.localdate(),
        hosts="管委会主任",
        enterprises=[firms[0].pk, firms[1]],
        minutes="纪要",
        satisfaction="基本满意",
        files=[png_upload("签到表.png")],
    )
    assert set(table.enterprises.values_list("name", flat=True)) == {"华为技术有限公司", "腾讯"}
    assert table.satisfaction == "basically_satisfied"
    stored = RoundtableFile.objects.get(roundtable=table)
    assert stored.kind == "png" and len(stored.sha256) == 64
    actions = list(AuditEvent.objects.order_by("pk").values_list("action", flat=True))
    assert actions[-2:] == ["roundtable.create", "roundtable.file"]


def test_enterprises_of_another_zone_are_refused(world, firms):
    with pytest.raises(Invalid) as caught:
        roundtable(world, present=[firms[0], firms[2]])
    assert "enterprises" in caught.value.fields


def test_an_empty_roundtable_form_names_every_field_and_writes_nothing(world):
    with pytest.raises(Invalid) as caught:
        svc.roundtable_create(actor=world["zone_admin"], zone=world.a.zone, title="",
                              held_on="", hosts="")  # fmt: skip
    assert set(caught.value.fields) == {"title", "held_on", "hosts"}
    assert not roundtables_visible_to(user=world["zone_admin"]).exists()


def test_a_roundtable_cannot_be_recorded_for_a_future_date(world):
    with pytest.raises(Invalid) as caught:
        roundtable(world, held_on=timezone.localdate() + dt.timedelta(days=1))
    assert "不能晚于今天" in caught.value.fields["held_on"]


def test_a_supervisor_and_another_zone_may_not_record(world):
    for who in ("supervisor", "outsider"):
        with pytest.raises(Forbidden):
            svc.roundtable_create(actor=world[who], zone=world.a.zone, title="x",
                                  held_on=timezone.localdate(), hosts="y")  # fmt: skip


def test_update_changes_attendance_and_records_it(world, firms):
    table = roundtable(world, present=[firms[0]])
    svc.roundtable_update(
        actor=world["zone_admin"], roundtable=table, enterprises=[firms[1].pk], satisfaction=""
    )
    event = AuditEvent.objects.filter(action="roundtable.update").get()
    assert event.changes["enterprises"] == [["华为技术有限公司"], ["腾讯"]]


def test_a_demand_becomes_a_feedback_item_with_the_enterprise_and_no_contact(world, firms):
    table = roundtable(world, present=firms[:2])
    item = svc.roundtable_demand_add(
        actor=world["liaison"],
        roundtable=table,
        enterprise=firms[0].pk,
        content="希望协调解决员工子女入学",
        kind="help",
        category="livelihood",
    )
    item.refresh_from_db()
    assert item.channel == Channel.ROUNDTABLE and item.roundtable == table
    assert item.enterprise == firms[0] and item.status == Status.RECEIVED
    assert not FeedbackContact.objects.filter(feedback=item).exists()
    assert AuditEvent.objects.filter(action="feedback.enter", object_id=str(item.pk)).exists()
    assert [d.pk for d in demands_of(user=world["secretary"], roundtable=table)] == [item.pk]


def test_a_demand_from_an_enterprise_not_present_is_refused(world, firms):
    table = roundtable(world, present=[firms[0]])
    with pytest.raises(Invalid) as caught:
        svc.roundtable_demand_add(
            actor=world["zone_admin"], roundtable=table, enterprise=firms[1].pk, content="x"
        )
    assert "参会企业" in caught.value.fields["enterprise"]
    with pytest.raises(Invalid):
        svc.roundtable_demand_add(
            actor=world["zone_admin"], roundtable=table, enterprise=firms[2].pk, content="x"
        )
    assert not Feedback.objects.exists()


def test_a_demand_straight_into_the_ledger_makes_a_linked_problem(world, firms):
    categories = create_categories(world)
    table = roundtable(world, present=[firms[0]])
    item = svc.roundtable_demand_add(
        actor=world["zone_admin"],
        roundtable=table,
        enterprise=firms[0],
        content="园区道路破损影响货车通行",
        route="problem",
        problem={
            "org": world.a.dept.pk,
            "category": categories["a"][0].pk,
            "kind": "deadline",
            "deadline": (timezone.localdate() + dt.timedelta(days=30)).isoformat(),
        },
    )
    item.refresh_from_db()
    problem = Problem.objects.get()
    assert item.problem == problem and item.status == Status.IN_LEDGER
    assert problem.source == "roundtable" and problem.found_on == table.held_on
    assert problem.description == "园区道路破损影响货车通行"
    kinds = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"feedback.enter", "problem.create", "feedback.to_problem"} <= kinds
    assert item.steps.filter(action="to_problem").exists()


def test_a_ledger_demand_without_its_problem_fields_writes_nothing(world, firms):
    table = roundtable(world, present=[firms[0]])
    before = AuditEvent.objects.count()
    with pytest.raises(Invalid) as caught:
        svc.roundtable_demand_add(
            actor=world["zone_admin"], roundtable=table, content="", route="problem"
        )
    assert {"content", "problem_org", "problem_category", "problem_kind"} <= set(
        caught.value.fields
    )
    assert not Feedback.objects.exists() and not Problem.objects.exists()
    assert AuditEvent.objects.count() == before


def test_a_ledger_error_rolls_the_item_back_too(world, firms):
    categories = create_categories(world)
    table = roundtable(world, present=[firms[0]])
    with pytest.raises(Invalid) as caught:
        svc.roundtable_demand_add(
            actor=world["zone_admin"],
            roundtable=table,
            content="诉求",
            route="problem",
            problem={"org": world.a.dept.pk, "category": categories["b"][0].pk, "kind": "deadline"},
        )
    assert "problem_category" in caught.value.fields
    assert not Feedback.objects.exists()


def test_a_secretary_may_not_put_a_demand_on_another_orgs_ledger(world, firms):
    categories = create_categories(world)
    table = roundtable(world, present=[firms[0]])
    # An org outside their subtree is "not there" to them, as in the ledger.
    with pytest.raises(Invalid) as caught:
        svc.roundtable_demand_add(
            actor=world["secretary"],
            roundtable=table,
            content="诉求",
            route="problem",
            problem={"org": world.a.soe.pk, "category": categories["a"][0].pk, "kind": "long_term"},
        )
    assert "problem_org" in caught.value.fields
    assert not Feedback.objects.exists()


def test_a_visit_and_its_demand(world, firms):
    trip = visit(world, firms[0], satisfaction="satisfied")
    assert AuditEvent.objects.filter(action="visit.create").exists()
    item = svc.visit_demand_add(actor=world["secretary"], visit=trip, content="用工缺口 50 人")
    assert item.channel == Channel.ENTERPRISE_VISIT and item.visit == trip
    assert item.enterprise == firms[0]
    with pytest.raises(Invalid):
        svc.visit_update(actor=world["zone_admin"], visit=trip, enterprise=firms[1].pk)
    svc.visit_update(actor=world["zone_admin"], visit=trip, satisfaction="unsatisfied")
    assert AuditEvent.objects.filter(action="visit.update").get().changes == {
        "satisfaction": ["satisfied", "unsatisfied"]
    }


def test_a_visit_to_another_zones_enterprise_is_refused(world, firms):
    with pytest.raises(Invalid) as caught:
        visit(world, firms[2])
    assert "enterprise" in caught.value.fields


def test_a_visit_ledger_demand_has_the_research_source(world, firms):
    categories = create_categories(world)
    trip = visit(world, firms[0])
    svc.visit_demand_add(
        actor=world["zone_admin"],
        visit=trip,
        content="厂房漏水",
        route="problem",
        problem={"org": world.a.dept.pk, "category": categories["a"][1].pk, "kind": "long_term"},
    )
    assert Problem.objects.get().source == "research"
