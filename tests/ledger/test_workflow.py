"""The problem lifecycle (DESIGN.md §4) as a specification: every move by every
role, every guard, and random sequences that must never close an item without
evidence and an independent verifier."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shiji.audit.models import AuditEvent
from shiji.audit.verify import verify_all
from shiji.core.errors import Conflict, Forbidden, Invalid
from shiji.ledger import services, workflow
from shiji.ledger.models import Problem, Review, ReviewState, Status
from shiji.orgs.policy import TABLE, roles_of
from tests.ledger.conftest import png_upload

# The problems here are found on 2026-03-10 with deadlines from 2026-06-30:
# the clock is inside that calendar, whatever the day the suite runs on.
pytestmark = pytest.mark.today("2026-04-01")


def png(salt: bytes = b""):
    return png_upload("整改后.png", seed=salt.decode() or "x")


def new_problem(world, categories, **kw) -> Problem:
    data = {
        "actor": world["zone_admin"],
        "zone": world.a.zone,
        "source": "self_check",
        "category": categories["a"][0],
        "description": "招商引资数据层层加码，虚报签约额",
        "org": world.a.dept,
        "kind": "deadline",
        "found_on": dt.date(2026, 3, 10),
        "deadline": dt.date(2026, 6, 30),
        "measures": "逐项核对签约台账",
    }
    data.update(kw)
    return services.problem_create(**data)


def walk(world, problem, target: str) -> Problem:
    """Bring a problem to ``target`` through the services, as people would."""
    admin, sup = world["zone_admin"], world["supervisor"]
    path = {
        Status.OPEN: [],
        Status.IN_PROGRESS: ["start"],
        Status.SUBMITTED: ["start", "evidence", "submit"],
        Status.CLOSED: ["start", "evidence", "submit", "verify"],
        Status.CANCELLED: ["cancel"],
    }[target]
    for step in path:
        if step == "evidence":
            # The branch's liaison does the work, so that the zone admin and
            # the supervisors stay independent verifiers.
            services.problem_add_evidence(
                actor=world["liaison"], problem=problem, file=png(salt=b"w")
            )
        elif step == "submit":
            services.problem_transition(
                actor=world["secretary"], problem=problem, action="submit", note="已完成核对"
            )
        elif step == "verify":
            services.problem_transition(actor=sup, problem=problem, action="verify")
        else:
            services.problem_transition(actor=admin, problem=problem, action=step, note="理由")
    problem.refresh_from_db()
    assert problem.status == target
    return problem


# The roles in the fixture world whose scope covers world.a.dept.
IN_SCOPE = [
    "sysadmin",
    "zone_admin",
    "leader",
    "secretary",
    "liaison",
    "supervisor",
    "national",
    "provincial",
]
OUT_OF_SCOPE = ["firm_secretary", "outsider", "nobody"]
NOTES = {
    "submit": "整改完成",
    "return": "凭证不足",
    "reopen": "回头看发现反弹",
    "cancel": "重复录入",
}


@pytest.mark.parametrize("action", workflow.ACTIONS)
@pytest.mark.parametrize("username", IN_SCOPE + OUT_OF_SCOPE)
def test_each_move_is_allowed_exactly_for_the_roles_in_the_table(
    world, categories, action, username
):
    move = workflow.MOVES[action]
    source = sorted(move.sources)[0]
    problem = walk(world, new_problem(world, categories), source)
    if action == "submit":  # the evidence guard is tested on its own below
        services.problem_add_evidence(actor=world["liaison"], problem=problem, file=png())
    user = world[username]
    allowed = username in IN_SCOPE and bool(roles_of(user) & TABLE[move.permission])
    events = AuditEvent.objects.count()
    if allowed:
        services.problem_transition(
            actor=user, problem=problem, action=action, note=NOTES.get(action, "")
        )
        problem.refresh_from_db()
        assert problem.status == move.target
        last = AuditEvent.objects.order_by("-pk").first()
        assert last.action == f"problem.{action}"
        assert last.changes == {"status": [source, move.target]}
        assert Review.objects.filter(problem=problem, action=action, actor=user).exists()
    else:
        with pytest.raises(Forbidden):
            services.problem_transition(
                actor=user, problem=problem, action=action, note=NOTES.get(action, "")
            )
        problem.refresh_from_db()
        assert problem.status == source
        assert AuditEvent.objects.count() == events


ILLEGAL = [
    (action, status)
    for action, move in workflow.MOVES.items()
    for status in Status.values
    if status not in move.sources
]


@pytest.mark.parametrize(("action", "status"), ILLEGAL)
def test_moves_from_the_wrong_state_are_refused_with_a_conflict(world, categories, action, status):
    problem = walk(world, new_problem(world, categories), status)
    with pytest.raises(Conflict, match="不能"):
        services.problem_transition(
            actor=world["sysadmin"], problem=problem, action=action, note="理由"
        )
    problem.refresh_from_db()
    assert problem.status == status


def test_submit_needs_evidence(world, categories):
    problem = walk(world, new_problem(world, categories), Status.IN_PROGRESS)
    with pytest.raises(Conflict, match="整改凭证"):
        services.problem_transition(
            actor=world["secretary"], problem=problem, action="submit", note="已完成"
        )
    assert Problem.objects.get(pk=problem.pk).status == Status.IN_PROGRESS


def test_submit_needs_a_completion_note(world, categories):
    problem = walk(world, new_problem(world, categories), Status.IN_PROGRESS)
    services.problem_add_evidence(actor=world["liaison"], problem=problem, file=png())
    with pytest.raises(Invalid) as err:
        services.problem_transition(actor=world["secretary"], problem=problem, action="submit")
    assert "note" in err.value.fields
    assert Problem.objects.get(pk=problem.pk).status == Status.IN_PROGRESS


@pytest.mark.parametrize("action", ["return", "reopen", "cancel"])
def test_return_reopen_and_cancel_need_a_reason(world, categories, action):
    source = sorted(workflow.MOVES[action].sources)[0]
    problem = walk(world, new_problem(world, categories), source)
    with pytest.raises(Invalid) as err:
        services.problem_transition(actor=world["zone_admin"], problem=problem, action=action)
    assert set(err.value.fields) == {"note"}
    assert Problem.objects.get(pk=problem.pk).status == source


def test_the_owner_may_not_verify_their_own_problem(world, categories):
    owner_user = world["supervisor"]
    person = world.a.dept.people.get(name="张三")
    person.user = owner_user
    person.save(update_fields=["user"])
    problem = walk(world, new_problem(world, categories, owner=person), Status.SUBMITTED)
    with pytest.raises(Conflict, match="责任人"):
        services.problem_transition(actor=owner_user, problem=problem, action="verify")
    services.problem_transition(actor=world["supervisor2"], problem=problem, action="verify")
    problem.refresh_from_db()
    assert problem.status == Status.CLOSED
    assert problem.verified_by == world["supervisor2"]
    assert problem.closed_on is not None


def test_the_submitter_may_not_verify_what_they_submitted(world, categories):
    problem = walk(world, new_problem(world, categories), Status.IN_PROGRESS)
    services.problem_add_evidence(actor=world["zone_admin"], problem=problem, file=png())
    services.problem_transition(
        actor=world["zone_admin"], problem=problem, action="submit", note="已完成"
    )
    with pytest.raises(Conflict, match="提交人"):
        services.problem_transition(actor=world["zone_admin"], problem=problem, action="verify")


def test_a_second_verification_of_the_same_item_is_refused(world, categories):
    problem = walk(world, new_problem(world, categories), Status.SUBMITTED)
    stale = Problem.objects.get(pk=problem.pk)  # loaded before the first verification
    services.problem_transition(actor=world["supervisor"], problem=problem, action="verify")
    with pytest.raises(Conflict):
        services.problem_transition(actor=world["supervisor2"], problem=stale, action="verify")
    assert Review.objects.filter(problem=problem, action="verify").count() == 1


def test_reopen_clears_the_closure_and_is_recorded(world, categories):
    problem = walk(world, new_problem(world, categories), Status.CLOSED)
    services.problem_transition(
        actor=world["supervisor2"], problem=problem, action="reopen", note="回头看发现反弹"
    )
    problem.refresh_from_db()
    assert (problem.status, problem.closed_on, problem.verified_by) == (
        Status.IN_PROGRESS,
        None,
        None,
    )
    event = AuditEvent.objects.order_by("-pk").first()
    assert (event.action, event.note) == ("problem.reopen", "回头看发现反弹")


def test_deadline_extensions_need_a_reason_and_are_counted(world, categories):
    problem = new_problem(world, categories)
    with pytest.raises(Invalid):
        services.problem_extend_deadline(
            actor=world["zone_admin"], problem=problem, new_deadline="2026-07-31", reason=""
        )
    with pytest.raises(Invalid):
        services.problem_extend_deadline(
            actor=world["zone_admin"], problem=problem, new_deadline="2026-05-01", reason="x"
        )
    services.problem_extend_deadline(
        actor=world["zone_admin"], problem=problem, new_deadline="2026-07-31", reason="涉及多部门"
    )
    services.problem_extend_deadline(
        actor=world["leader"], problem=problem, new_deadline="2026-08-31", reason="汛期施工"
    )
    problem.refresh_from_db()
    assert (problem.deadline, problem.extension_count) == (dt.date(2026, 8, 31), 2)
    assert problem.extensions.count() == 2
    with pytest.raises(Forbidden):
        services.problem_extend_deadline(
            actor=world["liaison"], problem=problem, new_deadline="2026-09-30", reason="再延"
        )


def test_editing_the_deadline_directly_is_refused(world, categories):
    problem = new_problem(world, categories)
    with pytest.raises(Invalid, match="延期"):
        services.problem_update(actor=world["zone_admin"], problem=problem, deadline="2026-12-31")


def test_a_sent_back_entry_cannot_start_until_it_is_reworked(world, categories):
    problem = new_problem(world, categories, description="作风不实")
    with pytest.raises(Invalid):
        services.problem_review(
            actor=world["supervisor"], problem=problem, decision="send_back", note=""
        )
    services.problem_review(
        actor=world["supervisor"], problem=problem, decision="send_back", note="查摆不深不准"
    )
    with pytest.raises(Conflict, match="退回重查"):
        services.problem_transition(actor=world["secretary"], problem=problem, action="start")
    services.problem_update(
        actor=world["secretary"],
        problem=problem,
        description="经发局对2025年签约项目未跟踪落地，12个项目中5个未开工",
    )
    problem.refresh_from_db()
    assert problem.review_state == ReviewState.PENDING
    services.problem_review(actor=world["supervisor"], problem=problem, decision="approve")
    services.problem_transition(actor=world["secretary"], problem=problem, action="start")
    with pytest.raises(Conflict):
        services.problem_review(actor=world["supervisor"], problem=problem, decision="approve")


def test_a_liaison_may_not_review_problem_lists(world, categories):
    problem = new_problem(world, categories)
    with pytest.raises(Forbidden):
        services.problem_review(actor=world["liaison"], problem=problem, decision="approve")


def test_problem_fields_are_validated(world, categories):
    before = Problem.objects.count()
    bad = [
        ({"deadline": dt.date(2026, 3, 1)}, "deadline"),  # before found_on
        ({"org": world.b.dept}, "org"),
        ({"category": categories["b"][0]}, "category"),
        ({"owner": world.b.firm.people.first()}, "owner"),
        ({"kind": "someday"}, "kind"),
        ({"source": "rumour"}, "source"),
        ({"description": "  "}, "description"),
        ({"description": "a\x00b"}, "description"),
        ({"deadline": None}, "deadline"),  # 限期整改 needs a deadline
        ({"found_on": "2026-13-45"}, "found_on"),
    ]
    for override, field in bad:
        with pytest.raises(Invalid) as err:
            new_problem(world, categories, **override)
        assert field in err.value.fields, override
    assert Problem.objects.count() == before


def test_codes_are_readable_and_sequential_per_zone(world, categories):
    p1 = new_problem(world, categories)
    p2 = new_problem(world, categories)
    assert (p1.code, p2.code) == ("ZA-2026-0001", "ZA-2026-0002")


# Random sequences ------------------------------------------------------------------

ACTORS = ["zone_admin", "secretary", "liaison", "leader", "supervisor", "supervisor2", "national"]
STEPS = st.lists(
    st.tuples(
        st.sampled_from(ACTORS),
        st.sampled_from([*workflow.ACTIONS, "evidence", "progress"]),
        st.booleans(),  # with a note?
    ),
    min_size=1,
    max_size=14,
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=STEPS)
def test_random_sequences_never_close_without_evidence_and_an_independent_verifier(
    world, categories, steps
):
    owner = world.a.dept.people.get(name="李四")
    owner.user = world["supervisor2"]  # the owner may verify other items, never this one
    owner.save(update_fields=["user"])
    problem = new_problem(world, categories, owner=owner)
    for username, action, with_note in steps:
        user = world[username]
        try:
            if action == "evidence":
                services.problem_add_evidence(actor=user, problem=problem, file=png(salt=b"r"))
            elif action == "progress":
                services.problem_add_progress(actor=user, problem=problem, text="推进中")
            else:
                services.problem_transition(
                    actor=user, problem=problem, action=action, note="说明" if with_note else ""
                )
        except (Conflict, Forbidden, Invalid):
            pass
        problem.refresh_from_db()
        if problem.status == Status.CLOSED:
            assert problem.evidence.exists()
            assert problem.completion_note
            assert problem.verified_by_id not in (problem.submitted_by_id, owner.user_id)
            assert problem.verified_by_id is not None
    assert verify_all().ok
