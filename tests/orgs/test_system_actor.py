"""Who acts is always explicit: a signed-in user, or the system actor of a
command, the demo loader or a job. A missing actor (None) is a programming
error that shows (TypeError), never a silent way round the policy."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from shiji.audit.models import AuditEvent
from shiji.campaigns import services as campaign_services
from shiji.campaigns.models import StudyKind
from shiji.core.errors import Forbidden, NotFound
from shiji.ledger import services as ledger_services
from shiji.ledger.models import Problem
from shiji.orgs import policy
from shiji.orgs import services as org_services
from shiji.orgs.models import Organization, Person, Zone
from shiji.regulations import services as regulation_services
from shiji.regulations.models import Regulation
from shiji.study import services as study_services
from shiji.study.models import Material
from tests.conftest import SYSTEM, relative_day
from tests.ledger.conftest import create_categories, problem_maker


def _writes(world, who):
    """One write of each service module, as ``who``."""
    cats = create_categories(world)
    problem = problem_maker(cats)(world)
    session = _session(world)
    return {
        "zone_create": lambda: org_services.zone_create(
            actor=who, code="zc", name="丙高新区", short_name="丙", province="浙江", city="丙"
        ),
        "org_create": lambda: org_services.org_create(
            actor=who, zone=world.a.zone, parent=world.a.root, name="新组织", kind="branch",
            sector="organ",
        ),
        "person_create": lambda: org_services.person_create(
            actor=who, org=world.a.dept, name="新同志"
        ),
        "problem_create": lambda: ledger_services.problem_create(
            actor=who, zone=world.a.zone, source="self_check", category=cats["a"][0],
            description="新问题", org=world.a.dept, kind="long_term", found_on=relative_day(-7),
        ),
        "problem_transition": lambda: ledger_services.problem_transition(
            actor=who, problem=problem, action="start"
        ),
        "problem_progress": lambda: ledger_services.problem_add_progress(
            actor=who, problem=problem, text="进展"
        ),
        "regulation_create": lambda: regulation_services.regulation_create(
            actor=who, zone=world.a.zone, org=world.a.dept, title="新制度", action="new"
        ),
        "category_create": lambda: campaign_services.category_create(
            actor=who, zone=world.a.zone, campaign=cats["a"][0].campaign, name="新类别"
        ),
        "study_material": lambda: study_services.material_add(
            actor=who, session=session, file=SimpleUploadedFile("a.pdf", b"%PDF-1.4")
        ),
    }  # fmt: skip


def _session(world):
    campaign = campaign_services.campaign_load(actor=SYSTEM, path="zhengjiguan-2026").campaign
    campaign_services.zone_adopt_campaign(actor=SYSTEM, zone=world.a.zone, campaign=campaign)
    return study_services.session_create(
        actor=world["secretary"], zone=world.a.zone, org=world.a.dept,
        kind=StudyKind.objects.filter(campaign=campaign).first(), date=relative_day(-7),
        topic="学习", duration_hours="2", attendance=[],
    )  # fmt: skip


COUNTS = (Zone, Organization, Person, Problem, Regulation, Material, AuditEvent)


def _counts():
    return [m.objects.count() for m in COUNTS]


@pytest.mark.parametrize(
    "write",
    [
        "zone_create",
        "org_create",
        "person_create",
        "problem_create",
        "problem_transition",
        "problem_progress",
        "regulation_create",
        "category_create",
        "study_material",
    ],
)
def test_no_actor_is_an_error_not_a_bypass(world, write):
    call = _writes(world, None)[write]
    before = _counts()
    with pytest.raises(TypeError, match="actor"):
        call()
    assert _counts() == before


def test_a_user_without_the_role_is_refused_where_none_used_to_pass(world):
    writes = _writes(world, world["national"])
    for name in ("problem_create", "regulation_create", "org_create", "person_create"):
        with pytest.raises(Forbidden):
            writes[name]()
    campaign = Problem.objects.first().category.campaign
    with pytest.raises(NotFound):  # another zone's campaign settings: not even there
        campaign_services.category_create(
            actor=world["outsider"], zone=world.a.zone, campaign=campaign, name="新类别"
        )


def test_the_system_actor_may_act_and_is_named_in_the_audit_trail(world):
    system = policy.system("load_demo")
    zone = org_services.zone_create(
        actor=system, code="zc", name="丙高新区", short_name="丙", province="浙江", city="丙"
    )
    event = AuditEvent.objects.get(action="zone.create", object_id=str(zone.pk))
    assert event.actor is None
    assert event.actor_label == "系统（load_demo）"


def test_the_system_actor_owns_nothing_it_creates(world):
    cats = create_categories(world)
    problem = ledger_services.problem_create(
        actor=policy.system("ledger_import"), zone=world.a.zone, source="self_check",
        category=cats["a"][0], description="系统导入的问题", org=world.a.dept,
        kind="long_term", found_on=relative_day(-7),
    )  # fmt: skip
    assert problem.created_by is None
    assert policy.user_of(policy.system("x")) is None
    assert policy.user_of(world["secretary"]) == world["secretary"]


def test_the_system_actor_is_no_user_and_no_grant(world):
    system = policy.system("jobs")
    assert str(system) == "系统（jobs）"
    assert policy.can(system, "problem.verify", world.b.dept)
    assert policy.is_global_admin(system)
    with pytest.raises(KeyError):
        policy.can(system, "no.such.action")
    assert policy.grants_of(system) == []
