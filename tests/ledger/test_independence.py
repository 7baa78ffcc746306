"""Independent verification (销号) that cannot be got round: the verifier never
owned the problem, uploaded its evidence, wrote its progress, edited its
measures or submitted it — at any time in its history — and a verifier who
created or granted the account of someone who did must write why, and the
verification is flagged for the supervisors. The attacks of the probe are
reproduced: verifying after moving the owner away, and verifying work done
entirely by a secretary account the verifier had just created."""

from __future__ import annotations

import pytest
from django.urls import reverse

from shiji.audit.models import AuditEvent
from shiji.core.errors import Conflict, Invalid
from shiji.ledger import selectors, services
from shiji.ledger.models import Problem, Review, Status
from shiji.orgs import services as org_services
from shiji.orgs.models import Person
from tests.conftest import PASSWORD
from tests.ledger.conftest import png_upload


def person(world, name: str) -> Person:
    return Person.objects.get(zone=world.a.zone, name=name)


def submit(world, problem, worker="secretary"):
    services.problem_add_evidence(
        actor=world[worker], problem=problem, file=png_upload(seed=f"{problem.pk}-{worker}")
    )
    return services.problem_transition(
        actor=world[worker], problem=problem, action="submit", note="已完成整改"
    )


def verify(world, problem, who, note=""):
    return services.problem_transition(
        actor=world[who], problem=problem, action="verify", note=note
    )


def assert_still_submitted(problem):
    problem.refresh_from_db()
    assert problem.status == Status.SUBMITTED and problem.verified_by is None
    assert not Review.objects.filter(problem=problem, action="verify").exists()
    assert not AuditEvent.objects.filter(
        action="problem.verify", object_id=str(problem.pk)
    ).exists()


# The attack through reassignment ---------------------------------------------------------


def test_who_uploaded_evidence_may_not_verify_even_after_moving_the_owner_away(world, make_problem):
    problem = make_problem(world, status="in_progress", owner=person(world, "张三"))
    # The zone admin uploads the evidence, then hands the problem to someone else.
    services.problem_add_evidence(actor=world["zone_admin"], problem=problem, file=png_upload())
    services.problem_update(actor=world["zone_admin"], problem=problem, owner=person(world, "李四"))
    services.problem_transition(
        actor=world["secretary"], problem=problem, action="submit", note="已完成整改"
    )
    with pytest.raises(Conflict, match="上传过本问题整改凭证的人不能审核销号"):
        verify(world, problem, "zone_admin")
    assert_still_submitted(problem)
    verify(world, problem, "supervisor")
    problem.refresh_from_db()
    assert problem.status == Status.CLOSED and problem.verified_by == world["supervisor"]


def test_a_former_owner_may_not_verify(world, make_problem):
    former = person(world, "张三")
    former.user = world["supervisor2"]
    former.save(update_fields=["user"])
    problem = make_problem(world, status="in_progress", owner=former)
    services.problem_update(actor=world["zone_admin"], problem=problem, owner=person(world, "李四"))
    submit(world, problem)
    with pytest.raises(Conflict, match="责任人不能审核销号"):
        verify(world, problem, "supervisor2")
    assert_still_submitted(problem)


@pytest.mark.parametrize("step", ["progress", "measures"])
def test_who_wrote_progress_or_edited_measures_may_not_verify(world, make_problem, step):
    problem = make_problem(world, status="in_progress")
    if step == "progress":
        services.problem_add_progress(actor=world["zone_admin"], problem=problem, text="已推进")
        match = "填写过本问题整改进展"
    else:
        services.problem_update(actor=world["zone_admin"], problem=problem, measures="只开一次会")
        match = "修改过本问题整改措施"
    submit(world, problem)
    with pytest.raises(Conflict, match=match):
        verify(world, problem, "zone_admin")
    assert_still_submitted(problem)


def test_a_submitter_whose_submission_was_returned_may_not_verify_the_next_one(world, make_problem):
    problem = make_problem(world, status="in_progress")
    services.problem_add_evidence(actor=world["liaison"], problem=problem, file=png_upload())
    services.problem_transition(
        actor=world["zone_admin"], problem=problem, action="submit", note="完成"
    )
    services.problem_transition(
        actor=world["supervisor"], problem=problem, action="return", note="补充材料"
    )
    services.problem_transition(
        actor=world["secretary"], problem=problem, action="submit", note="已补充"
    )
    with pytest.raises(Conflict, match="提交人不能审核销号"):
        verify(world, problem, "zone_admin")


# The attack through a newly created account ---------------------------------------------------


@pytest.fixture
def new_secretary(world):
    """A secretary account the zone admin has just created."""
    user = org_services.user_create(
        actor=world["zone_admin"],
        username="new_secretary",
        password=PASSWORD,
        name="新书记",
        grants=[{"role": "secretary", "org": world.a.dept.pk}],
    )
    world.users["new_secretary"] = user
    return user


def test_work_done_by_an_account_the_verifier_created_needs_a_reason_and_is_flagged(
    world, make_problem, new_secretary
):
    problem = make_problem(world)
    services.problem_transition(actor=new_secretary, problem=problem, action="start")
    services.problem_add_progress(actor=new_secretary, problem=problem, text="已整改")
    submit(world, problem, worker="new_secretary")

    with pytest.raises(Invalid) as err:
        verify(world, problem, "zone_admin")
    assert "由您创建或授权" in err.value.fields["note"]
    assert_still_submitted(problem)

    verify(world, problem, "zone_admin", note="督导组人手不足，经党工委同意由工作专班审核")
    problem.refresh_from_db()
    assert problem.status == Status.CLOSED and problem.verified_by == world["zone_admin"]
    review = Review.objects.get(problem=problem, action="verify")
    assert review.flagged is True
    assert "新书记（new_secretary）" in review.independence_note
    assert review.note == "督导组人手不足，经党工委同意由工作专班审核"
    event = AuditEvent.objects.get(action="problem.verify", object_id=str(problem.pk))
    assert "由您创建或授权" in event.changes["independence"][1]

    # Counted for the supervisors, and not for those who may not re-check.
    assert list(selectors.flagged_verifications(user=world["supervisor"])) == [problem]
    assert list(selectors.flagged_verifications(user=world["secretary"])) == []


def test_a_grant_given_by_the_verifier_counts_like_a_new_account(world, make_problem):
    liaison = world["liaison"]
    org_services.user_update(
        actor=world["zone_admin"],
        user=liaison,
        grants=[
            {"role": "liaison", "org": world.a.dept.pk},
            {"role": "secretary", "org": world.a.dept.pk},
        ],
    )
    problem = make_problem(world, status="in_progress")
    submit(world, problem, worker="liaison")
    with pytest.raises(Invalid):
        verify(world, problem, "zone_admin")
    verify(world, problem, "supervisor")  # the supervisor gave no one anything
    assert not Review.objects.get(problem=problem, action="verify").flagged


def test_an_independent_verifier_is_not_flagged(world, make_problem):
    problem = make_problem(world, status="submitted")
    assert not Review.objects.filter(problem=problem, flagged=True).exists()
    assert Problem.objects.get(pk=problem.pk).status == Status.SUBMITTED
    verify(world, problem, "supervisor2")
    assert Review.objects.get(problem=problem, action="verify").flagged is False


# The page and the API say the same ---------------------------------------------------------------


def test_the_page_asks_for_the_reason_and_shows_the_flag(world, make_problem, new_secretary, login):
    problem = make_problem(world)
    services.problem_transition(actor=new_secretary, problem=problem, action="start")
    submit(world, problem, worker="new_secretary")
    client = login(world["zone_admin"])
    url = reverse("ledger:detail", args=[problem.pk])
    form = client.get(url).content.decode().split('data-form="decide"')[1].split("</form>")[0]
    assert "data-independence" in form and "销号理由（必填）" in form and " required" in form

    refused = client.post(reverse("ledger:transition", args=[problem.pk]), {"action": "verify"})
    assert refused.status_code == 422 and "请填写销号理由" in refused.content.decode()
    refused = client.post(
        reverse("ledger:transition", args=[problem.pk]), {"action": "verify", "confirmed": "1"}
    )
    assert refused.status_code == 422 and "由您创建或授权" in refused.content.decode()
    assert_still_submitted(problem)

    done = client.post(
        reverse("ledger:transition", args=[problem.pk]),
        {"action": "verify", "note": "经党工委同意由工作专班审核", "confirmed": "1"},
    )
    assert done.status_code == 302
    page = login(world["supervisor"]).get(url).content.decode()
    assert 'id="sj-flagged"' in page and "经党工委同意由工作专班审核" in page
    inbox = login(world["supervisor"]).get(reverse("ledger:inbox")).content.decode()
    assert problem.code in inbox.split('id="inbox-flagged"')[1]


def test_a_participant_sees_why_instead_of_the_verify_form(world, make_problem, login):
    problem = make_problem(world, status="in_progress")
    services.problem_add_progress(actor=world["zone_admin"], problem=problem, text="已推进")
    submit(world, problem)
    page = login(world["zone_admin"]).get(reverse("ledger:detail", args=[problem.pk]))
    html = page.content.decode()
    assert 'data-form="move:verify"' not in html
    assert "填写过本问题整改进展的人不能审核销号本问题" in html


def test_the_api_refuses_a_participant_and_asks_for_the_reason(
    world, make_problem, new_secretary, api
):
    mine = make_problem(world, status="in_progress")
    services.problem_add_progress(actor=world["zone_admin"], problem=mine, text="已推进")
    submit(world, mine)
    path = f"/api/v1/problems/{mine.pk}/transitions"
    refused = api(world["zone_admin"]).post(path, {"action": "verify"})
    assert refused.status_code == 409
    assert refused.json()["detail"] == "填写过本问题整改进展的人不能审核销号本问题"
    assert_still_submitted(mine)

    theirs = make_problem(world)
    services.problem_transition(actor=new_secretary, problem=theirs, action="start")
    submit(world, theirs, worker="new_secretary")
    path = f"/api/v1/problems/{theirs.pk}/transitions"
    missing = api(world["zone_admin"]).post(path, {"action": "verify"})
    assert missing.status_code == 422
    assert [e["field"] for e in missing.json()["errors"]] == ["note"]
    done = api(world["zone_admin"]).post(path, {"action": "verify", "note": "已说明理由"})
    assert done.status_code == 200 and done.json()["status"] == "closed"
    history = api(world["supervisor"]).get(f"/api/v1/problems/{theirs.pk}/history").json()
    verified = [r for r in history["reviews"] if r["action"] == "verify"]
    assert verified[0]["flagged"] is True and "new_secretary" in verified[0]["independence_note"]
