"""The state guards of a problem's non-move actions live in ledger/workflow.py
and are the same for the services, the detail page's forms and the Excel
import; and a zone that requires list review (问题清单审核) does not let
rectification start before the entry is approved."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.urls import reverse

import shiji
from shiji.audit.models import AuditEvent
from shiji.campaigns.models import ZoneCampaign
from shiji.core.errors import Conflict
from shiji.ledger import selectors, services, workflow
from shiji.ledger.models import ReviewState, Status
from tests.ledger.conftest import png_upload

ATTEMPTS = {
    "edit": lambda p, u: services.problem_update(actor=u, problem=p, goal="新的整改目标"),
    "extend": lambda p, u: services.problem_extend_deadline(
        actor=u, problem=p, new_deadline="2099-12-31", reason="需要协调"
    ),
    "progress": lambda p, u: services.problem_add_progress(actor=u, problem=p, text="有进展"),
    "evidence": lambda p, u: services.problem_add_evidence(
        actor=u, problem=p, file=png_upload(seed=f"g{p.pk}")
    ),
    "review": lambda p, u: services.problem_review(actor=u, problem=p, decision="approve"),
}


def test_every_guarded_action_has_a_form_and_a_service():
    assert set(workflow.GUARDS) == set(ATTEMPTS)


@pytest.mark.parametrize("status", [s for s, _label in Status.choices])
@pytest.mark.parametrize("action", sorted(ATTEMPTS))
def test_the_page_offers_a_form_exactly_when_the_service_accepts_it(
    world, make_problem, status, action
):
    problem = make_problem(world, status=status)
    admin = world["sysadmin"]  # every role's action, so that only the state decides
    offered = action in selectors.available_actions(user=admin, problem=problem)
    try:
        ATTEMPTS[action](problem, admin)
    except Conflict:
        accepted = False
    else:
        accepted = True
    assert offered is accepted, (status, action)
    assert offered is workflow.allows(action, problem)


@pytest.fixture
def adopted(world, categories):
    """Zone A has adopted the campaign of the test categories (list review on)."""
    return ZoneCampaign.objects.create(zone=world.a.zone, campaign=categories["a"][0].campaign)


def test_adoption_requires_list_review_by_default(adopted):
    assert adopted.requires_list_review is True


def test_rectification_waits_for_the_list_review_where_the_zone_requires_it(
    world, make_problem, adopted
):
    problem = make_problem(world)
    with pytest.raises(Conflict, match="问题清单尚未审核通过"):
        services.problem_transition(actor=world["liaison"], problem=problem, action="start")
    problem.refresh_from_db()
    assert problem.status == Status.OPEN
    assert not AuditEvent.objects.filter(action="problem.start").exists()

    services.problem_review(actor=world["supervisor"], problem=problem, decision="approve")
    services.problem_transition(actor=world["liaison"], problem=problem, action="start")
    problem.refresh_from_db()
    assert problem.status == Status.IN_PROGRESS


def test_without_the_requirement_rectification_starts_at_once(world, make_problem, adopted):
    services_zone = adopted
    services_zone.requires_list_review = False
    services_zone.save(update_fields=["requires_list_review"])
    problem = make_problem(world)
    services.problem_transition(actor=world["liaison"], problem=problem, action="start")
    problem.refresh_from_db()
    assert problem.status == Status.IN_PROGRESS


def test_the_refused_start_shows_the_reason_on_the_page(world, make_problem, adopted, login):
    problem = make_problem(world)
    response = login(world["liaison"]).post(
        reverse("ledger:transition", args=[problem.pk]), {"action": "start"}
    )
    assert response.status_code == 409
    assert "问题清单尚未审核通过" in response.content.decode()


def test_the_zone_admin_switches_the_requirement_on_the_settings_page(world, adopted, login):
    url = reverse("campaigns:list_review", args=[adopted.pk])
    assert login(world["secretary"]).post(url, {}).status_code == 403
    adopted.refresh_from_db()
    assert adopted.requires_list_review is True

    response = login(world["zone_admin"]).post(url, {})
    assert response.status_code == 302
    adopted.refresh_from_db()
    assert adopted.requires_list_review is False
    event = AuditEvent.objects.get(action="zone_campaign.update", object_id=str(adopted.pk))
    assert event.changes == {"requires_list_review": [True, False]}
    assert event.actor == world["zone_admin"]

    assert login(world["outsider"]).post(url, {"requires_list_review": "on"}).status_code == 404
    adopted.refresh_from_db()
    assert adopted.requires_list_review is False


def test_editing_an_approved_entry_sends_it_back_for_review(world, make_problem, adopted):
    problem = make_problem(world)
    services.problem_review(actor=world["supervisor"], problem=problem, decision="approve")
    services.problem_transition(actor=world["liaison"], problem=problem, action="start")
    services.problem_update(actor=world["liaison"], problem=problem, goal="只改整改目标")
    problem.refresh_from_db()
    assert problem.review_state == ReviewState.APPROVED  # the goal is not what was reviewed

    services.problem_update(actor=world["liaison"], problem=problem, measures="改成只开一次会")
    problem.refresh_from_db()
    assert problem.review_state == ReviewState.PENDING
    event = AuditEvent.objects.filter(action="problem.update").order_by("-seq").first()
    assert event.changes["review_state"] == [ReviewState.APPROVED, ReviewState.PENDING]
    assert event.changes["measures"][1] == "改成只开一次会"

    # The supervisors see it in their review list again, and may review it
    # although rectification is under way.
    inbox = selectors.inbox_for(user=world["supervisor"])["review"]
    assert problem in inbox
    assert "review" in selectors.available_actions(user=world["supervisor"], problem=problem)
    services.problem_review(actor=world["supervisor"], problem=problem, decision="approve")
    problem.refresh_from_db()
    assert problem.review_state == ReviewState.APPROVED
    assert problem.status == Status.IN_PROGRESS


def test_an_entry_never_reviewed_is_not_reviewed_after_it_started(world, make_problem):
    problem = make_problem(world, status="in_progress")
    assert problem.review_state == ReviewState.PENDING
    with pytest.raises(Conflict, match="已开始整改"):
        services.problem_review(actor=world["supervisor"], problem=problem, decision="approve")
    assert problem not in selectors.inbox_for(user=world["supervisor"])["review"]


def test_templates_take_states_from_the_view_not_from_status_codes():
    """Pages get booleans and texts (can_edit, rework, status_note) from their
    views, which read the workflow; a template comparing a record's status
    with a literal code would be a second copy of the rule."""
    root = Path(shiji.__file__).parent
    literal = re.compile(r"\.(status|review_state)\s*[!=]=\s*[\"']")
    found = [
        f"{path.relative_to(root)}:{n}"
        for path in root.rglob("templates/**/*.html")
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if literal.search(line)
    ]
    assert found == []
