"""``manage.py generate_national``: a small national data set (3 zones × 20
problems) is deterministic, complete and consistent with what the services
would have left, the pages read it, and a database with real data is never
touched."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import Counter, defaultdict

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
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
from shiji.national.generator import Params, generate
from shiji.national.models import GeneratedDataset
from shiji.national.zones import ZONES
from shiji.orgs.models import Organization, Person, RoleGrant, User, Zone
from shiji.outreach.models import Feedback, FeedbackContact, FeedbackRating
from shiji.outreach.models import Status as FeedbackStatus
from shiji.regulations.models import Regulation
from shiji.study.models import Attendance, AttendeeScope, StudySession

pytestmark = pytest.mark.django_db

SMALL = {
    "zones": 3,
    "problems_per_zone": 20,
    "people_per_zone": 250,
    "sessions_per_zone": 10,
    "feedback_per_zone": 40,
}
OPTIONS = ["--zones", "3", "--problems-per-zone", "20", "--people-per-zone", "250",
           "--sessions-per-zone", "10", "--feedback-per-zone", "40"]  # fmt: skip


def small(seed: int = 7) -> Params:
    return Params(**SMALL, seed=seed, today=timezone.localdate())


def digest() -> str:
    """The key columns of every generated table, in id order."""
    h = hashlib.sha256()
    for qs in (
        Zone.objects.values_list("id", "code", "province"),
        Organization.objects.values_list("id", "zone", "parent", "name", "path"),
        Person.objects.values_list("id", "org", "name", "position", "user"),
        User.objects.values_list("id", "username", "zone"),
        Problem.objects.values_list(
            "id", "code", "status", "review_state", "org", "owner", "found_on", "deadline",
            "closed_on", "verified_by", "extension_count", "description",
        ),
        Review.objects.values_list("id", "problem", "action", "to_status", "actor", "created_at"),
        Evidence.objects.values_list("id", "problem", "sha256"),
        StudySession.objects.values_list("id", "org", "date", "topic"),
        Attendance.objects.values_list("id", "session", "person", "present"),
        TaskAssignment.objects.values_list("id", "task", "org", "status"),
        Feedback.objects.values_list("id", "number", "code_hash", "status", "problem"),
    ):  # fmt: skip
        for row in qs.order_by("id"):
            h.update(repr(row).encode())
    return h.hexdigest()


def generated_digest(params: Params) -> str:
    with transaction.atomic():
        generate(params)
        value = digest()
        transaction.set_rollback(True)
    return value


def test_the_same_seed_gives_the_same_rows_and_another_seed_other_rows():
    first = generated_digest(small(7))
    assert Problem.objects.count() == 0  # rolled back
    assert generated_digest(small(7)) == first
    assert generated_digest(small(8)) != first


def test_the_command_writes_what_its_options_ask_for_and_marks_the_database(capsys):
    call_command("generate_national", *OPTIONS, "--seed", "3")

    zones = list(Zone.objects.order_by("id"))
    assert [(z.code, z.name, z.province, z.city) for z in zones] == [
        (r.code, r.name, r.province, r.city) for r in ZONES[:3]
    ]
    assert Problem.objects.count() == 3 * 20
    assert StudySession.objects.count() == 3 * 10
    for zone in zones:
        assert Person.objects.filter(zone=zone).count() == 250
        assert Problem.objects.filter(zone=zone).count() == 20
    marker = GeneratedDataset.objects.get()
    assert marker.params == {**SMALL, "seed": 3}
    assert marker.counts["ledger.Problem"] == 60
    assert "60" in capsys.readouterr().out.replace(",", "")


def test_every_status_is_there_with_the_fields_and_reviews_its_moves_leave():
    generate(small())
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


def test_codes_and_counters_are_as_the_ledger_assigns_them():
    generate(small())
    for zone in Zone.objects.all():
        by_year = defaultdict(list)
        for p in Problem.objects.filter(zone=zone).order_by("found_on", "id"):
            by_year[p.found_on.year].append(p.code)
        for year, codes in by_year.items():
            prefix = f"{zone.code.upper()}-{year}-"
            assert codes == [f"{prefix}{n:04d}" for n in range(1, len(codes) + 1)]
            assert CodeCounter.objects.get(zone=zone, year=year).value == len(codes)


def test_org_paths_are_built_as_the_org_service_builds_them():
    generate(small())
    orgs = {o.pk: o for o in Organization.objects.all()}
    for o in orgs.values():
        parent_path = orgs[o.parent_id].path if o.parent_id else ""
        assert o.path == f"{parent_path}{o.pk:08d}."
        assert o.depth == parent_path.count(".")
        if o.parent_id:
            assert orgs[o.parent_id].zone_id == o.zone_id
    assert Organization.objects.filter(parent=None).count() == 3


def test_attendance_is_only_for_the_people_a_session_expected():
    generate(small())
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


def test_accounts_tasks_and_regulations_hang_together():
    generate(small())
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


def test_public_feedback_is_in_every_state_with_what_its_moves_leave():
    generate(small())
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


def test_indicator_figures_are_entered_and_confirmed_by_two_people_and_pass_the_checks():
    generate(small())
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


def test_a_database_with_real_data_is_refused_and_left_untouched():
    Zone.objects.create(
        code="real", name="真实高新区", short_name="真实", province="广东", city="广州"
    )

    with pytest.raises(CommandError) as refused:
        call_command("generate_national", *OPTIONS)

    assert refused.value.returncode == 3
    assert "拒绝" in str(refused.value)
    assert Zone.objects.count() == 1
    assert Problem.objects.count() == 0 and Person.objects.count() == 0
    assert not GeneratedDataset.objects.exists()


def test_an_account_alone_counts_as_real_data():
    User.objects.create_user(username="someone", password="x" * 12)
    with pytest.raises(CommandError) as refused:
        call_command("generate_national", *OPTIONS)
    assert refused.value.returncode == 3
    assert not Zone.objects.exists()


def test_a_generated_database_is_recognized_by_its_parameters(capsys):
    call_command("generate_national", *OPTIONS, "--seed", "5")
    rows = Problem.objects.count()

    call_command("generate_national", *OPTIONS, "--seed", "5")  # nothing to do
    assert Problem.objects.count() == rows
    assert "无需重新生成" in capsys.readouterr().out
    call_command("generate_national", *OPTIONS, "--seed", "5", "--check")
    with pytest.raises(CommandError) as other:
        call_command("generate_national", *OPTIONS, "--seed", "6", "--check")
    assert other.value.returncode == 1
    with pytest.raises(CommandError) as refused:
        call_command("generate_national", *OPTIONS, "--seed", "6")
    assert refused.value.returncode == 3
    assert Problem.objects.count() == rows
    assert GeneratedDataset.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_replace_empties_a_generated_database_and_fills_it_again():
    call_command("generate_national", *OPTIONS, "--seed", "5")
    first = set(Problem.objects.values_list("description", "found_on"))

    call_command("generate_national", *OPTIONS, "--seed", "6", "--replace")

    assert GeneratedDataset.objects.get().params["seed"] == 6
    assert Problem.objects.count() == 60 and Zone.objects.count() == 3
    assert set(Problem.objects.values_list("description", "found_on")) != first


def test_options_out_of_range_are_refused():
    with pytest.raises(CommandError) as bad:
        call_command("generate_national", "--zones", str(len(ZONES) + 1))
    assert bad.value.returncode == 2
    with pytest.raises(CommandError):
        call_command("generate_national", "--zones", "1", "--people-per-zone", "10")
    assert not Zone.objects.exists()


def test_the_pages_read_the_generated_data(client):
    generate(small())
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


def test_on_sqlite_a_reference_to_a_missing_row_stops_the_load():
    from shiji.national.generator import check_references

    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL checks references itself (or trusts the ids)")
    generate(small())
    check_references()  # all good
    with connection.cursor() as cursor:  # deferred: accepted until the commit
        cursor.execute("UPDATE study_attendance SET person_id = 999999 WHERE id = 1")
    with pytest.raises(RuntimeError, match="missing rows"):
        check_references()
    transaction.set_rollback(True)


@pytest.mark.django_db(transaction=True)
def test_the_indexes_of_the_big_tables_are_all_there_afterwards():
    """Outside a transaction, as the command runs: on PostgreSQL the big
    tables' indexes are dropped while they fill and built again."""
    from shiji.national.generator import BIG_TABLES

    def indexes():
        with connection.cursor() as cursor:
            return {
                (model._meta.db_table, name)
                for model in BIG_TABLES
                for name, info in connection.introspection.get_constraints(
                    cursor, model._meta.db_table
                ).items()
                if info["index"]
            }

    before = indexes()
    assert len(before) > 10
    call_command("generate_national", *OPTIONS)
    assert indexes() == before
    assert Problem.objects.count() == 60


def test_dates_follow_the_anchor_day():
    day = dt.date(2026, 6, 30)
    generate(Params(**SMALL, seed=1, today=day))
    assert max(Problem.objects.values_list("found_on", flat=True)) <= day
    assert max(StudySession.objects.values_list("date", flat=True)) <= day
    assert GeneratedDataset.objects.get().anchor_day == day
