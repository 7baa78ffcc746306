"""Inputs are what the OpenAPI document says, or a 422 with the field named.

Each case is one the API fuzzing (tests/test_openapi_fuzz.py, negative
cases) found accepted although its schema forbids it: a lax parse that
silently gave the request another meaning."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone

from shiji.audit.models import AuditEvent
from shiji.campaigns.models import StudyKind
from shiji.campaigns.services import campaign_load, zone_adopt_campaign
from shiji.ledger.models import Problem
from shiji.study import services as study
from tests.conftest import SYSTEM, relative_day
from tests.ledger.conftest import create_categories


def _fields(response) -> dict[str, str]:
    return {e["field"]: e["message"] for e in response.json().get("errors") or []}


@pytest.mark.parametrize("value", ["0", "1700000000", "2026-3-1", "20260301"])
def test_a_date_that_is_no_iso_date_is_refused_not_read_as_a_timestamp(world, api, value):
    # Pydantic's lax mode read "0" as 1970-01-01 and "1700000000" as 2023-11-14.
    response = api(world["zone_admin"]).get(f"/api/v1/study/sessions?to={value}")

    assert response.status_code == 422
    assert _fields(response) == {"to": "日期格式应为 YYYY-MM-DD（如 2026-03-31）"}


def test_an_iso_date_is_still_read(world, api):
    response = api(world["zone_admin"]).get("/api/v1/study/sessions?to=2026-03-31")
    assert response.status_code == 200


def test_a_number_for_a_boolean_is_refused(world, api):
    categories = create_categories(world)
    today = timezone.localdate()
    body = {
        "zone": world.a.zone.pk,
        "source": "self_check",
        "category": categories["a"][0].pk,
        "description": "审批久拖不决",
        "org": world.a.dept.pk,
        "kind": "immediate",
        "found_on": today.isoformat(),
        "deadline": today.isoformat(),
        "needs_rule_change": 0,
    }

    response = api(world["zone_admin"]).post("/api/v1/problems", body)

    assert response.status_code == 422
    assert set(_fields(response)) == {"needs_rule_change"}
    assert not Problem.objects.exists()


@pytest.mark.parametrize("body", ["-1140.5", "[]", '"topic"', "true", "null"])
def test_a_body_that_is_no_object_is_refused_not_read_as_an_empty_patch(world, api, client, body):
    campaign = campaign_load(actor=SYSTEM, path="zhengjiguan-2026").campaign
    zone_adopt_campaign(actor=SYSTEM, zone=world.a.zone, campaign=campaign)
    session = study.session_create(
        actor=world["zone_admin"],
        zone=world.a.zone,
        org=world.a.dept,
        kind=StudyKind.objects.filter(campaign=campaign).first(),
        date=relative_day(-7),
        topic="学习正确政绩观重要论述",
        duration_hours=Decimal("2"),
    )
    admin = api(world["zone_admin"])
    events = AuditEvent.objects.count()

    response = client.patch(
        f"/api/v1/study/sessions/{session.pk}",
        body,
        content_type="application/json",
        headers=admin.headers,
    )

    assert response.status_code == 422
    assert response.json()["errors"][0]["message"] == "应为对象"
    assert AuditEvent.objects.count() == events
