"""``manage.py generate_national``: a small national data set (3 zones × 20
problems) is deterministic and written as the options ask, outside a
transaction too, and a database with real data is never touched. That it is
complete and consistent with what the services would have left, and that the
pages read it: tests/national/test_generated_data.py, on one shared set."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.utils import timezone

from shiji.campaigns.models import TaskAssignment
from shiji.ledger.models import (
    Evidence,
    Problem,
    Review,
)
from shiji.national.generator import Params, generate
from shiji.national.models import GeneratedDataset
from shiji.national.zones import ZONES
from shiji.orgs.models import Organization, Person, User, Zone
from shiji.outreach.models import Feedback
from shiji.study.models import Attendance, StudySession

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
