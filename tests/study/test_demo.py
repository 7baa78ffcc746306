"""The demo's study step: every zone's deployment meeting from the seed as a
部署会议 session, sample sessions around it, and an idempotent second run."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings

from shiji.campaigns.models import ZoneCampaign
from shiji.campaigns.selectors import deployment_meetings
from shiji.demo.zones import ZONES
from shiji.study import selectors
from shiji.study.models import Attendance, Speech, StudySession
from tests.clock import travel_to
from tests.conftest import SYSTEM
from tests.study.conftest import CALENDAR_DAY


@pytest.fixture(autouse=True)
def _media_root():
    """The files are the demo's, in the media folder the module's demo
    fixture set: not a folder of each test's own (tests/conftest.py)."""


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker, tmp_path_factory):
    """The demo loaded once for the module inside a transaction rolled back
    at the end (argon2 would cost seconds for the demo accounts)."""
    fast = override_settings(
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        MEDIA_ROOT=tmp_path_factory.mktemp("media"),
    )
    # Module-wide, so before the per-test clock: on the study calendar's day
    # too (the demo's deployment meetings are on fixed days of March 2026).
    with django_db_blocker.unblock(), fast, travel_to(CALENDAR_DAY):
        outer = transaction.atomic()
        outer.__enter__()
        try:
            out = StringIO()
            call_command("load_demo", stdout=out)
            yield out.getvalue()
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


def test_each_zone_has_its_deployment_meeting_as_a_session(demo, db):
    assert len(ZONES) == 5
    for spec in ZONES:
        adoption = ZoneCampaign.objects.get(zone__code=spec.code)
        meeting = StudySession.objects.get(zone__code=spec.code, kind__name="部署会议")
        # Stored once: the settings page reads this very session.
        assert list(deployment_meetings(user=SYSTEM, adoption=adoption)) == [meeting]
        assert meeting.date == spec.meeting.date
        assert meeting.topic == spec.meeting.name
        assert meeting.minutes.startswith(spec.meeting.requirements)
        assert f"信息来源：{spec.meeting.source}" in meeting.minutes
        assert meeting.org.name == spec.root
        assert meeting.is_sample
        marks = list(meeting.attendance.select_related("person__org"))
        assert len(marks) > 5
        assert all(m.person.zone_id == meeting.zone_id for m in marks)
        assert all(m.present or m.reason for m in marks)


def test_sample_sessions_leave_branches_ahead_and_behind(demo, db):
    kinds = set(StudySession.objects.values_list("kind__name", flat=True))
    assert {"部署会议", "理论学习中心组", "支部学习", "研讨交流"} <= kinds
    assert not StudySession.objects.filter(is_sample=False).exists()
    assert Speech.objects.count() == 2 * len(ZONES)
    assert Attendance.objects.filter(present=False, reason="").count() == 0
    for spec in ZONES:
        root = StudySession.objects.get(zone__code=spec.code, kind__name="部署会议").org
        figures = selectors.coverage(org=root)
        assert 0 < figures.total.reached < figures.total.members
        percents = {r.percent for r in figures.rows if r.members}
        assert len(percents) > 1


def test_a_second_run_records_nothing_new(demo, db):
    before = StudySession.objects.count()
    out = StringIO()
    call_command("load_demo", stdout=out)
    assert "演示数据已加载" in out.getvalue()
    assert StudySession.objects.count() == before


def test_each_zone_saves_its_groups_and_its_sessions_use_them(demo, db):
    from shiji.study.models import AttendeeGroup

    for spec in ZONES:
        groups = {g.name: g for g in AttendeeGroup.objects.filter(zone__code=spec.code)}
        central = groups["理论学习中心组"]
        assert central.org.name == spec.root
        assert 5 <= central.members.count() <= 9
        assert groups["班子成员"].members.count() >= 3
        assert any(g.org.kind == "branch" for g in groups.values())
        session = StudySession.objects.get(zone__code=spec.code, kind__name="理论学习中心组")
        assert session.attendee_group == central
        expected = set(session.attendance.values_list("person_id", flat=True))
        assert expected == set(central.members.values_list("pk", flat=True))
        # Nobody is expected from the whole tree; every list was chosen.
        sessions = StudySession.objects.filter(zone__code=spec.code)
        assert not sessions.filter(attendee_scope="subtree").exists()
        for s in selectors.with_counts(sessions):
            assert s.expected_count < 30


def test_a_session_still_to_be_recorded_counts_nobody(demo, db):
    pending = [
        s
        for s in selectors.with_counts(StudySession.objects.all())
        if s.expected_count and s.pending_count == s.expected_count
    ]
    assert len(pending) == len(ZONES)
    for session in pending:
        assert not Attendance.objects.filter(session=session, present=True).exists()
        # Its branch's coverage counts only the other sessions' present marks.
        figures = selectors.coverage(org=session.org)
        present = (
            Attendance.objects.filter(present=True, person__org__path__startswith=session.org.path)
            .values("person")
            .distinct()
            .count()
        )
        assert figures.total.reached == present
