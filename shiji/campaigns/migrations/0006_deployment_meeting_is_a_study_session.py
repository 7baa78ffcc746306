"""The deployment meeting is stored once, as a study session of the kind
部署会议 (code ``deployment``), no longer also as fields of ZoneCampaign.

Before the fields go, each adoption that recorded a meeting gets its session:
an existing session of that kind on the meeting's day is kept as it is (the
values the adoption held are added to its minutes where missing); otherwise
one is created at the zone's top organization. No attendance is invented:
the session lists nobody until staff record who was there. Duration is 0
(not recorded), so the meeting adds no study hours it cannot show.
"""

from decimal import Decimal

from django.db import migrations

DEPLOYMENT = "deployment"


def _parts(adoption) -> list[str]:
    parts = [adoption.meeting_requirements.strip()]
    if adoption.meeting_source.strip():
        parts.append(f"信息来源：{adoption.meeting_source.strip()}")
    return [p for p in parts if p]


def forwards(apps, schema_editor):
    ZoneCampaign = apps.get_model("campaigns", "ZoneCampaign")
    StudyKind = apps.get_model("campaigns", "StudyKind")
    StudySession = apps.get_model("study", "StudySession")
    Organization = apps.get_model("orgs", "Organization")
    for adoption in ZoneCampaign.objects.select_related("campaign").order_by("pk"):
        if not (
            adoption.meeting_date
            or adoption.meeting_name.strip()
            or adoption.meeting_requirements.strip()
            or adoption.meeting_source.strip()
        ):
            continue
        kind, _ = StudyKind.objects.get_or_create(
            campaign=adoption.campaign,
            code=DEPLOYMENT,
            defaults={"name": "部署会议", "order": 99},
        )
        day = adoption.meeting_date or adoption.campaign.starts_on
        parts = _parts(adoption)
        session = (
            StudySession.objects.filter(zone_id=adoption.zone_id, kind=kind, date=day)
            .order_by("pk")
            .first()
        )
        if session is not None:
            # Only what the session's minutes do not already say.
            missing = [p for p in parts if p not in session.minutes]
            if missing:
                session.minutes = "\n\n".join([session.minutes, *missing]).strip()
                session.save(update_fields=["minutes"])
            continue
        root = (
            Organization.objects.filter(zone_id=adoption.zone_id, parent__isnull=True)
            .order_by("path", "pk")
            .first()
        )
        if root is None:
            # Nowhere to hold the session: keep the words rather than lose them
            # silently (a zone without organizations has no one to attend).
            raise RuntimeError(
                f"高新区 {adoption.zone_id} 没有组织，无法把部署会议“{adoption.meeting_name}”"
                "迁入学习研讨；请先建立组织树再迁移"
            )
        StudySession.objects.create(
            zone_id=adoption.zone_id,
            org=root,
            kind=kind,
            date=day,
            topic=(adoption.meeting_name.strip() or "学习教育部署会议")[:200],
            duration_hours=Decimal("0"),
            minutes="\n\n".join(parts),
        )


def backwards(apps, schema_editor):
    ZoneCampaign = apps.get_model("campaigns", "ZoneCampaign")
    StudySession = apps.get_model("study", "StudySession")
    for adoption in ZoneCampaign.objects.all():
        session = (
            StudySession.objects.filter(
                zone_id=adoption.zone_id,
                kind__campaign_id=adoption.campaign_id,
                kind__code=DEPLOYMENT,
            )
            .order_by("date", "pk")
            .first()
        )
        if session is not None:
            adoption.meeting_date = session.date
            adoption.meeting_name = session.topic
            adoption.meeting_requirements = session.minutes
            adoption.save(update_fields=["meeting_date", "meeting_name", "meeting_requirements"])


class Migration(migrations.Migration):
    dependencies = [
        ("campaigns", "0005_zone_campaign_requires_list_review"),
        ("orgs", "0001_initial"),
        ("study", "0002_attendee_groups"),
    ]

    operations = [
        migrations.RunPython(forwards, backwards),
        migrations.RemoveField(model_name="zonecampaign", name="meeting_date"),
        migrations.RemoveField(model_name="zonecampaign", name="meeting_name"),
        migrations.RemoveField(model_name="zonecampaign", name="meeting_requirements"),
        migrations.RemoveField(model_name="zonecampaign", name="meeting_source"),
    ]
