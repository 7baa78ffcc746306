"""Migration 0006 moves the deployment meeting that adoptions used to hold
into a study session of the kind 部署会议, then drops the duplicate fields:
the meeting is stored once, and no recorded meeting is lost on the way."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from shiji.campaigns.services import campaign_load
from shiji.study.models import StudySession
from tests.conftest import SYSTEM, make_tree

pytestmark = pytest.mark.django_db(transaction=True)

STUDY = ("study", "0002_attendee_groups")
BEFORE = [("campaigns", "0005_zone_campaign_requires_list_review"), STUDY]
AFTER = [("campaigns", "0006_deployment_meeting_is_a_study_session"), STUDY]


def latest() -> list[tuple[str, str]]:
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


@pytest.fixture
def old_schema(db):
    a = make_tree("za", "甲高新区", "江苏")
    b = make_tree("zb", "乙高新区", "广东")
    c = make_tree("zc", "丙高新区", "贵州")
    campaign = campaign_load(actor=SYSTEM, path="zhengjiguan-2026").campaign
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    apps = executor.loader.project_state(BEFORE).apps
    try:
        yield apps, (a, b, c), campaign
    finally:
        MigrationExecutor(connection).migrate(latest())


def test_each_recorded_meeting_becomes_or_joins_one_deployment_session(old_schema):
    apps, (a, b, c), campaign = old_schema
    ZoneCampaign = apps.get_model("campaigns", "ZoneCampaign")
    Session = apps.get_model("study", "StudySession")
    StudyKind = apps.get_model("campaigns", "StudyKind")
    kind = StudyKind.objects.get(campaign_id=campaign.pk, code="deployment")
    # Zone A recorded its meeting only on the adoption.
    ZoneCampaign.objects.create(
        zone_id=a.zone.pk,
        campaign_id=campaign.pk,
        meeting_date=dt.date(2026, 3, 3),
        meeting_name="党工委(扩大)会议",
        meeting_requirements="一体推进学查改",
        meeting_source="工作简报①",
    )
    # Zone B recorded it twice: on the adoption and as a session that day.
    ZoneCampaign.objects.create(
        zone_id=b.zone.pk,
        campaign_id=campaign.pk,
        meeting_date=dt.date(2026, 3, 5),
        meeting_name="部署会",
        meeting_requirements="学查改一体推进",
        meeting_source="区委办",
    )
    Session.objects.create(
        zone_id=b.zone.pk, org_id=b.root.pk, kind=kind, date=dt.date(2026, 3, 5),
        topic="学习教育部署会议", duration_hours=2, minutes="会议纪要：学查改一体推进",
    )  # fmt: skip
    # Zone C adopted without a meeting yet.
    ZoneCampaign.objects.create(zone_id=c.zone.pk, campaign_id=campaign.pk)

    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)

    (moved,) = StudySession.objects.filter(zone=a.zone, kind__code="deployment")
    assert (moved.date, moved.topic, moved.org_id) == (
        dt.date(2026, 3, 3),
        "党工委(扩大)会议",
        a.root.pk,
    )
    assert "一体推进学查改" in moved.minutes and "信息来源：工作简报①" in moved.minutes
    assert not moved.attendance.exists()  # nobody is invented as present
    (kept,) = StudySession.objects.filter(zone=b.zone, kind__code="deployment")
    # Kept as recorded; only what its minutes lacked is added, nothing twice.
    assert (kept.topic, kept.minutes) == (
        "学习教育部署会议",
        "会议纪要：学查改一体推进\n\n信息来源：区委办",
    )
    assert not StudySession.objects.filter(zone=c.zone).exists()
    columns = {
        col.name
        for col in connection.introspection.get_table_description(
            connection.cursor(), "campaigns_zonecampaign"
        )
    }
    assert not {c for c in columns if c.startswith("meeting_")}
