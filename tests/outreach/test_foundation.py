"""The pieces every part of open-door education stands on: working days,
time limits, tracking codes and the one way an item is created."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from shiji.audit.models import AuditEvent
from shiji.core.errors import Invalid
from shiji.core.workdays import add_working_days, is_working_day, working_days_between
from shiji.orgs import policy
from shiji.outreach import codes
from shiji.outreach.models import Feedback, FeedbackContact, OutreachSettings
from shiji.outreach.services.intake import feedback_create

PUBLIC = policy.system("portal")


def test_national_day_2026_is_a_holiday_and_the_saturday_after_is_a_working_day():
    assert not is_working_day(dt.date(2026, 10, 1))
    assert not is_working_day(dt.date(2026, 10, 7))
    assert is_working_day(dt.date(2026, 10, 10))  # Saturday, a make-up working day
    assert not is_working_day(dt.date(2026, 10, 11))  # an ordinary Sunday


def test_ten_working_days_from_the_eve_of_national_day_skip_the_week_and_count_the_make_up_day():
    # Sep 30 (Wed) → Oct 8, 9, 10 (Sat, make-up), 12, 13, 14, 15, 16, 19, 20.
    assert add_working_days(dt.date(2026, 9, 30), 10) == dt.date(2026, 10, 20)
    assert working_days_between(dt.date(2026, 9, 30), dt.date(2026, 10, 20)) == 10


def test_a_year_the_calendar_does_not_know_falls_back_to_monday_to_friday():
    assert is_working_day(dt.date(2031, 1, 6))  # a Monday
    assert not is_working_day(dt.date(2031, 1, 5))  # a Sunday


def test_tracking_codes_are_ten_symbols_without_look_alikes_and_stored_only_as_hashes():
    seen = {codes.new_code() for _ in range(200)}
    assert len(seen) == 200
    for code in seen:
        assert len(code) == 12 and code[4] == code[9] == "-"
        assert codes.well_formed(code)
        assert not set(code) & set("0O1IL")
    code = next(iter(seen))
    assert codes.code_hash(code.lower().replace("-", " ")) == codes.code_hash(code)


@pytest.mark.today("2026-09-30")
def test_an_item_is_due_after_its_kinds_working_days_and_keeps_contact_apart(world):
    created = feedback_create(
        actor=PUBLIC,
        zone=world.a.zone,
        kind="complaint",
        category="business",
        content="园区东门路灯坏了一个月",
        name="王先生",
        phone="13800138000",
    )
    item = Feedback.objects.get(pk=created.feedback.pk)
    assert item.due_on == dt.date(2026, 10, 20)
    assert item.number == "ZA-FK-2026-0001"
    assert item.code_hash == codes.code_hash(created.tracking_code)
    assert FeedbackContact.objects.get(feedback=item).phone == "13800138000"
    event = AuditEvent.objects.get(action="feedback.submit")
    assert "13800138000" not in str(event.changes) and "王先生" not in str(event.changes)


def test_a_zone_may_shorten_a_kinds_limit(world):
    OutreachSettings.objects.create(zone=world.a.zone, limit_help=2)
    item = feedback_create(actor=PUBLIC, zone=world.a.zone, kind="help", content="求助").feedback
    assert item.due_on == add_working_days(timezone.localdate(item.received_at), 2)


@pytest.mark.parametrize(
    ("field", "value"),
    [("kind", "praise"), ("content", ""), ("content", "x" * 2001), ("phone", "call me")],
)
def test_bad_input_names_its_field_and_writes_nothing(world, field, value):
    data = {"kind": "help", "content": "路面积水", "phone": ""} | {field: value}
    with pytest.raises(Invalid) as caught:
        feedback_create(actor=PUBLIC, zone=world.a.zone, **data)
    assert field in caught.value.fields
    assert not Feedback.objects.exists()
