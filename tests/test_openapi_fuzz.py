"""Schemathesis over the whole JSON API, signed in as a zone admin: no input
may cause a 500, and every response must match the OpenAPI document.

All three generating phases run: examples, coverage (every boundary, wrong
type and missing field of each parameter; positive and negative cases) and
fuzzing (random cases, also both modes). Path ids and zones are aimed at
real records half of the time, so that the write paths and the responses
with nested objects (evidence, attendance, linked problems) see the junk
too, not only 404s."""

from __future__ import annotations

from decimal import Decimal

import pytest
import schemathesis
from django.core import signals
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from shiji.assessment.services import indicators_load, measurement_enter
from shiji.campaigns import services as campaigns
from shiji.campaigns.models import StudyKind, WorkArrangement
from shiji.core.validation import MAX_ID
from shiji.orgs import policy, services
from shiji.regulations import services as regulations
from shiji.study import services as study
from shiji.wsgi import application
from tests.conftest import SYSTEM, build_world, relative_day, shared_records
from tests.ledger.conftest import create_categories, problem_maker
from tests.samples import image_bytes, pdf_bytes

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)
schema.config.generation.modes = [GenerationMode.POSITIVE, GenerationMode.NEGATIVE]
for phase in ("examples", "coverage", "fuzzing"):
    schema.config.phases.get_by_name(name=phase).enabled = True
# Methods an operation does not declare get django-ninja's plain 405; probing
# every operation with each of them only costs time.
schema.config.phases.coverage.unexpected_methods = set()

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
    ignored_auth,
]


@pytest.fixture(autouse=True)
def _keep_test_transaction():
    # The WSGI app sends request_started/finished, whose handler would close
    # the connection holding the test transaction (on PostgreSQL it does, as
    # autocommit is off inside it). Django's own test client does the same.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def bearer(world) -> dict[str, str]:
    return {"Authorization": "Bearer " + services.token_issue(user=world["zone_admin"])}


def make_targets(world) -> dict[str, int]:
    """Records in the admin's zone, one of each kind a path names, with
    files and links so that their responses carry nested objects."""
    admin, secretary = world["zone_admin"], world["secretary"]
    make_problem = problem_maker(create_categories(world))
    submitted = make_problem(world, status="submitted")  # with evidence
    make_problem(world, status="in_progress")
    campaign = campaigns.campaign_load(actor=SYSTEM, path="zhengjiguan-2026").campaign
    campaigns.zone_adopt_campaign(actor=SYSTEM, zone=world.a.zone, campaign=campaign)
    task = campaigns.task_create(
        actor=admin,
        zone=world.a.zone,
        campaign=campaign,
        arrangement=WorkArrangement.objects.get(campaign=campaign, code="study"),
        title="召开专题学习会",
        sectors=["organ"],
        deadline=None,
    )
    assignment = task.assignments.get(org=world.a.dept)
    campaigns.assignment_transition(
        actor=secretary,
        assignment=assignment,
        action="report",
        note="已召开",
        files=[SimpleUploadedFile("现场.jpg", image_bytes("jpeg", "fuzz"))],
    )
    regulation = regulations.regulation_create(
        actor=admin,
        zone=world.a.zone,
        org=world.a.organ,
        title="审批时限管理办法",
        action="new",
        problems=[submitted],
        file=SimpleUploadedFile("办法.pdf", pdf_bytes("fuzz")),
    )
    session = study.session_create(
        actor=admin,
        zone=world.a.zone,
        org=world.a.dept,
        kind=StudyKind.objects.filter(campaign=campaign).first(),
        date=relative_day(-7),
        topic="学习正确政绩观重要论述",
        duration_hours=Decimal("2"),
        attendance=[{"person": p.pk, "present": True} for p in world.a.dept.people.all()],
    )
    group = study.group_create(
        actor=admin,
        org=world.a.dept,
        name="支部委员",
        members=[p.pk for p in world.a.dept.people.all()],
    )
    study.material_add(
        actor=admin,
        session=session,
        file=SimpleUploadedFile("材料.png", image_bytes("png", "fuzz")),
    )
    register = _register_targets(world)
    public = _feedback_targets(world, submitted)
    indicators_load(actor=SYSTEM)
    figure = measurement_enter(
        actor=world["liaison"], zone=world.a.zone, indicator="industrial-output",
        period="2026Q1", value="312.5", source="统计局",
    )  # fmt: skip
    return {
        **register,
        **public,
        # Not the admin's own account: a fuzzed password change would end the token.
        "user_id": world["secretary"].pk,
        "problem_id": submitted.pk,
        "task_id": task.pk,
        "assignment_id": assignment.pk,
        "regulation_id": regulation.pk,
        "session_id": session.pk,
        "group_id": group.pk,
        "measurement_id": figure.pk,
        "zone": world.a.zone.pk,
    }


# The fixture world and the targets, built once for the module rather than
# for each of its ~70 operations; each test (all of its examples) runs in a
# savepoint rolled back after it, so every operation starts from the records
# as built, as it did when they were built for it.
@pytest.fixture(scope="module")
def shared(django_db_setup, django_db_blocker, tmp_path_factory):
    def build():
        world = build_world()
        return world, make_targets(world)

    yield from shared_records(django_db_blocker, tmp_path_factory, build)


@pytest.fixture
def world(shared, db):
    return shared.value[0]


@pytest.fixture
def targets(shared, db) -> dict[str, int]:
    return shared.value[1]


@pytest.fixture
def _media_root(shared, settings, tmp_path):
    settings.MEDIA_ROOT = shared.media_copy(tmp_path)


def _register_targets(world) -> dict[str, int]:
    """An enterprise, a roundtable with a file and a demand, a visit and a
    为民实事 with evidence (tests/outreach/register_fixtures.py)."""
    from shiji.outreach.services import projects as outreach_projects
    from shiji.outreach.services import roundtables as outreach_roundtables
    from tests.outreach import register_fixtures as made

    firm = made.enterprise(world)
    table = made.roundtable(world, present=[firm])
    outreach_roundtables.roundtable_add_files(
        actor=SYSTEM, roundtable=table, files=[SimpleUploadedFile("纪要.pdf", pdf_bytes("rt"))]
    )
    outreach_roundtables.roundtable_demand_add(actor=SYSTEM, roundtable=table, content="用地")
    trip = made.visit(world, firm)
    project = made.project(world)
    outreach_projects.project_progress_add(
        actor=SYSTEM, project=project, text="开工", percent=10,
        file=SimpleUploadedFile("现场.png", image_bytes("png", "project")),
    )  # fmt: skip
    return {
        "enterprise_id": firm.pk,
        "roundtable_id": table.pk,
        "visit_id": trip.pk,
        "project_id": project.pk,
    }


def _feedback_targets(world, problem) -> dict:
    """Feedback in the admin's zone: one with a published reply and steps
    (its tracking code for the public paths), one merged into it, one
    forwarded, and one in the ledger; so the back office's moves and the
    public status, rating and merged answers see the junk too."""
    from shiji.outreach.services.handling import feedback_act
    from shiji.outreach.services.intake import feedback_create

    admin, portal = world["zone_admin"], policy.system("portal")

    def item(content: str):
        return feedback_create(
            actor=portal, zone=world.a.zone, kind="complaint", content=content,
            name="王先生", phone="13912345678",
        )  # fmt: skip

    answered = item("东门路灯坏了")
    feedback_act(actor=admin, feedback=answered.feedback, action="accept")
    merged = item("东门很黑")
    feedback_act(actor=admin, feedback=merged.feedback, action="merge", into=answered.feedback.pk)
    feedback_act(actor=admin, feedback=answered.feedback, action="reply", reply="已修复")
    feedback_act(actor=admin, feedback=answered.feedback, action="publish_reply")
    forwarded = item("路面积水").feedback
    feedback_act(actor=admin, feedback=forwarded, action="accept")
    feedback_act(actor=admin, feedback=forwarded, action="forward", org=world.a.dept.pk)
    return {
        "feedback_id": forwarded.pk,
        "code": answered.tracking_code,
        "merged_code": merged.tracking_code,
    }


@pytest.fixture(autouse=True)
def _generous_public_limits(settings):
    # The public endpoints count per client address; at the default limits
    # nearly every case would be a 429 and the validation never reached.
    settings.PUBLIC_SUBMIT_LIMIT = "100000/h"
    settings.PUBLIC_LOOKUP_LIMIT = "100000/m"
    settings.PUBLIC_WRONG_CODE_LIMIT = "100000/m"


def _aim(values, targets: dict[str, int]) -> None:
    """Random ids almost never exist: point the even ones at a real record.
    (Only valid ids: 0, -2 or one above MAX_ID are a negative case's point
    and must stay, or a real record's 200 would answer an invalid input.)"""
    if not isinstance(values, dict):
        return
    for name, value in values.items():
        is_id = isinstance(value, int) and not isinstance(value, bool)
        if name in targets and is_id and 1 <= value <= MAX_ID and value % 2 == 0:
            values[name] = targets[name]
        elif name == "code" and isinstance(value, str) and value and len(value) % 3 == 1:
            # A tracking code (public paths): the answered item's or the merged one's.
            values[name] = targets["code" if len(value) % 2 else "merged_code"]


@schema.parametrize()
@settings(
    # Coverage cases are not counted by max_examples (it bounds the random
    # ones); this budget keeps the whole API to about a minute on SQLite.
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_api_answers_every_input_within_its_contract(case, bearer, targets):
    for values in (case.path_parameters, case.query, case.body):
        _aim(values, targets)
    case.call_and_validate(headers=bearer, checks=CHECKS)
