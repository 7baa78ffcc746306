"""What ``generate`` leaves, checked on one small national data set (3 zones ×
20 problems) built once for the module: each check only reads it (the pages
test's sign-ins and the SQLite test's broken row are rolled back after it),
so nine generations of the same rows were nine times the same work.
tests/national/test_generate.py covers the command, determinism, refusals
and the runs outside a transaction."""

from __future__ import annotations

from collections import Counter, defaultdict

import pytest
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from shiji.assessment.models import Indicator, IndicatorRelation, Measurement
from shiji.campaigns.models import Task, TaskAssignment
from shiji.ledger.models import (
    CodeCounter,
    DeadlineExtension,
    Evidence,
    Problem,
    ProgressNote,
    Review,
    ReviewState,
    Status,
)
from shiji.national.generator import generate
from shiji.orgs.models import Organization, Person, RoleGrant, User, Zone
from shiji.outreach.models import Feedback, FeedbackContact, FeedbackRating
from shiji.outreach.models import Status as FeedbackStatus
from shiji.regulations.models import Regulation
from shiji.study.models import Attendance, AttendeeScope, StudySession
from tests.conftest import shared_records
from tests.national.test_generate import small

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def generated(django_db_setup, django_db_blocker, tmp_path_factory):
    """``generate(small())``, once for the module (tests/conftest.py's
    ``shared_records``: each test runs in a savepoint inside it)."""
    yield from shared_records(django_db_blocker, tmp_path_factory, lambda: generate(small()))


def test_every_status_is_there_with_the_fields_and_reviews_its_moves_leave(generated):
    problems = list(Problem.objects.all())
    for zone in Zone.objects.all():
        assert {p.status for p in problems if p.zone_id == zone.pk} == set(Status.values)
    reviews = defaultdict(list)
    for r in Review.objects.order_by("created_at", "pk"):
        reviews[r.problem_id].append(r)
    evidence = defaultdict(list)
    for e in Evidence.objects.all():
        evidence[e.problem_id].append(e)
    extensions = defaultdict(list)
    for x in DeadlineExtension.objects.order_by("created_at", "pk"):
        extensions[x.problem_id].append(x)
    for p in problems:
        moves = [r for r in reviews[p.pk] if r.action not in ("approve", "send_back")]
        # The moves chain from open to the problem's status.
        state = Status.OPEN
        for r in moves:
            assert r.from_status == state, (p.code, r.action)
            state = r.to_status
        assert state == p.status, p.code
        if p.status == Status.CLOSED:
            assert p.closed_on is not None and p.closed_on >= p.found_on
            assert p.verified_by_id is not None
            assert p.verified_by_id != p.submitted_by_id
            assert moves[-1].action == "verify" and moves[-1].actor_id == p.verified_by_id
        else:
            assert p.closed_on is None and p.verified_by_id is None
        if p.status in (Status.SUBMITTED, Status.CLOSED):
            assert p.completion_note and p.submitted_by_id
            first_submit = next(r for r in moves if r.action == "submit")
            assert evidence[p.pk]
            assert min(e.uploaded_at for e in evidence[p.pk]) <= first_submit.created_at
        if p.status != Status.OPEN and any(r.action == "start" for r in moves):
            assert p.review_state == ReviewState.APPROVED
        if p.review_state == ReviewState.REWORK:
            assert reviews[p.pk][-1].action == "send_back" and p.review_note
        assert p.extension_count == len(extensions[p.pk])
        if extensions[p.pk]:
            assert extensions[p.pk][-1].new_deadline == p.deadline
            assert extensions[p.pk][0].old_deadline < p.deadline
        times = [r.created_at for r in reviews[p.pk]]
        assert times == sorted(times)
        assert all(t.date() <= timezone.localdate() for t in times)
    assert all(len(e.sha256) == 64 for es in evidence.values() for e in es)
    counts = Counter(p.status for p in problems)
    assert counts[Status.CLOSED] > counts[Status.CANCELLED]


def test_codes_and_counters_are_as_the_ledger_assigns_them(generated):
    for zone in Zone.objects.all():
        by_year = defaultdict(list)
        for p in Problem.objects.filter(zone=zone).order_by("found_on", "id"):
            by_year[p.found_on.year].append(p.code)
        for year, codes in by_year.items():
            prefix = f"{zone.code.upper()}-{year}-"
            assert codes == [f"{prefix}{n:04d}" for n in range(1, len(codes) + 1)]
            assert CodeCounter.objects.get(zone=zone, year=year).value == len(codes)


def test_org_paths_are_built_as_the_org_service_builds_them(generated):
    orgs = {o.pk: o for o in Organization.objects.all()}
    for o in orgs.values():
        parent_path = orgs[o.parent_id].path if o.parent_id else ""
        assert o.path == f"{parent_path}{o.pk:08d}."
        assert o.depth == parent_path.count(".")
        if o.parent_id:
            assert orgs[o.parent_id].zone_id == o.zone_id
    assert Organization.objects.filter(parent=None).count() == 3


def test_attendance_is_only_for_the_people_a_session_expected(generated):
    people = {p.pk: p for p in Person.objects.all()}
    sessions = {s.pk: s for s in StudySession.objects.all()}
    seen = defaultdict(set)
    for a in Attendance.objects.all():
        session, person = sessions[a.session_id], people[a.person_id]
        assert person.zone_id == session.zone_id
        if session.attendee_scope == AttendeeScope.ORG:
            assert person.org_id == session.org_id
        assert (a.present is False) == bool(a.reason)
        seen[a.session_id].add(a.person_id)
    for session in sessions.values():
        expected = {
            p.pk
            for p in people.values()
            if p.zone_id == session.zone_id
            and (session.attendee_scope == AttendeeScope.SUBTREE or p.org_id == session.org_id)
        }
        assert seen[session.pk] == expected
        assert session.date <= timezone.localdate()


def test_accounts_tasks_and_regulations_hang_together(generated):
    for zone in Zone.objects.all():
        admin = User.objects.get(username=f"{zone.code}_admin")
        assert admin.zone == zone and admin.person.zone == zone
        assert RoleGrant.objects.filter(user=admin, role="zone_admin", zone=zone).exists()
        assert Task.objects.filter(zone=zone).count() > 0
    assert User.objects.get(username="national").grants.get().role == "viewer"
    provinces = {z.province for z in Zone.objects.all()}
    assert set(RoleGrant.objects.exclude(province="").values_list("province", flat=True)) == (
        provinces
    )
    for a in TaskAssignment.objects.select_related("task", "org"):
        assert a.org.zone_id == a.task.zone_id and a.org.sector in a.task.sectors
        assert (a.status == "pending") == (a.reported_at is None)
    for r in Regulation.objects.all():
        assert (r.status == "issued") == (r.issued_on is not None and bool(r.doc_number))
        assert all(p.zone_id == r.zone_id for p in r.problems.all())
    assert ProgressNote.objects.exists()


def test_public_feedback_is_in_every_state_with_what_its_moves_leave(generated):
    items = list(Feedback.objects.prefetch_related("steps", "ratings"))
    assert len(items) == 3 * 40
    assert {f.status for f in items} == set(FeedbackStatus.values)
    contacts = set(FeedbackContact.objects.values_list("feedback_id", flat=True))
    for f in items:
        actions = [s.action for s in f.steps.all()]
        assert actions[0] == "submit"
        assert (f.pk in contacts) == (not f.anonymous)
        assert f.due_on >= f.received_at.date()
        if f.status == FeedbackStatus.DECLINED:
            assert f.decline_reason and actions[-1] == "decline"
        if f.status == FeedbackStatus.ANSWERED:
            assert f.reply and f.replied_at and "publish_reply" in actions
        else:
            assert not f.reply and f.replied_at is None
        if f.status == FeedbackStatus.REPLY_PENDING:
            assert f.reply_draft and actions[-1] == "reply"
        if f.status == FeedbackStatus.FORWARDED:
            assert f.org_id is not None and f.org.zone_id == f.zone_id
        if f.status == FeedbackStatus.MERGED:
            assert f.merged_into.zone_id == f.zone_id and actions == ["submit", "merge"]
        if f.status == FeedbackStatus.IN_LEDGER:
            assert f.problem.zone_id == f.zone_id and f.problem.source == "public"
            assert f.received_at.date() <= f.problem.found_on
        else:
            assert f.problem_id is None
        if f.ratings.all():
            assert f.status == FeedbackStatus.ANSWERED and actions[-1] == "rate"
    assert FeedbackRating.objects.exclude(rating="unsatisfied").count() > 0
    linked = [f.problem_id for f in items if f.problem_id]
    assert len(linked) == len(set(linked))
    for zone in Zone.objects.all():
        numbers = sorted(
            Feedback.objects.filter(zone=zone)
            .order_by("received_at", "pk")
            .values_list("number", flat=True)
        )
        assert len(numbers) == len(set(numbers))
        assert all(n.startswith(f"{zone.code.upper()}-FK-") for n in numbers)


def test_indicator_figures_are_entered_and_confirmed_by_two_people_and_pass_the_checks(generated):
    figures = list(Measurement.objects.select_related("indicator", "zone"))
    indicators = Indicator.objects.filter(is_active=True, computed_from="")
    assert {m.indicator for m in figures} == set(indicators)
    keys = [(m.zone_id, m.indicator_id, m.period) for m in figures]
    assert len(keys) == len(set(keys))
    by_key = {k: m.value for k, m in zip(keys, figures, strict=True)}
    for m in figures:
        assert m.is_current and m.flags == []
        assert m.entered_by.zone_id == m.zone_id
        if m.status == "confirmed":
            assert m.confirmed_by_id not in (None, m.entered_by_id)
            assert m.confirmed_at > m.entered_at
        else:
            assert m.confirmed_by_id is None and m.confirmed_at is None
        ind = m.indicator
        assert ind.min_value is None or m.value >= ind.min_value
        assert ind.max_value is None or m.value <= ind.max_value
        year = m.period[:4]
        before = by_key.get(
            (m.zone_id, m.indicator_id, m.period.replace(year, str(int(year) - 1), 1))
        )
        if before:
            assert abs(m.value - before) / before * 100 <= ind.usual_change
    for left, right in IndicatorRelation.objects.values_list("left_id", "right_id"):
        for (zone, pk, period), value in by_key.items():
            if pk == left and (zone, right, period) in by_key:
                assert value <= by_key[(zone, right, period)]
    assert {m.status for m in figures} == {"entered", "confirmed"}


def test_the_pages_read_the_generated_data(generated, client):
    zone = Zone.objects.order_by("id").first()
    client.force_login(User.objects.get(username=f"{zone.code}_admin"))

    page = client.get(reverse("ledger:list"))
    assert page.status_code == 200
    shown = Problem.objects.filter(zone=zone).order_by("code").first()
    assert shown.code in page.content.decode()
    for status in Status.values:
        problem = Problem.objects.filter(zone=zone, status=status).first()
        assert client.get(reverse("ledger:detail", args=[problem.pk])).status_code == 200
    session = StudySession.objects.filter(zone=zone).first()
    assert client.get(reverse("study:detail", args=[session.pk])).status_code == 200
    assert client.get(reverse("home")).status_code == 200
    other = Problem.objects.exclude(zone=zone).first()
    assert client.get(reverse("ledger:detail", args=[other.pk])).status_code == 404

    assert client.get(reverse("outreach:feedback_list")).status_code == 200
    assert client.get(reverse("assessment:figures")).status_code == 200
    item = Feedback.objects.filter(zone=zone, status="in_ledger").first()
    assert client.get(reverse("outreach:feedback_detail", args=[item.pk])).status_code == 200

    client.force_login(User.objects.get(username="national"))
    assert client.get(reverse("home")).status_code == 200
    assert client.get(reverse("ledger:list")).status_code == 200


def test_on_sqlite_a_reference_to_a_missing_row_stops_the_load(generated):
    from shiji.national.generator import check_references

    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL checks references itself (or trusts the ids)")
    check_references()  # all good
    with connection.cursor() as cursor:  # deferred: accepted until the commit
        cursor.execute("UPDATE study_attendance SET person_id = 999999 WHERE id = 1")
    with pytest.raises(RuntimeError, match="missing rows"):
        check_references()
    transaction.set_rollback(True)
