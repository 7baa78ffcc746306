"""Fixtures for the task list and campaign settings: the built-in 2026 preset
loaded and adopted by both zones of the fixture world, and hand-made tasks
with deadlines relative to today (the preset's own deadlines may be past)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from shiji.campaigns.models import Campaign, WorkArrangement
from shiji.campaigns.services import campaign_load, task_create, zone_adopt_campaign
from tests.conftest import SYSTEM


@pytest.fixture
def campaign(world) -> Campaign:
    campaign = campaign_load(actor=SYSTEM, path="zhengjiguan-2026").campaign
    for tree in (world.a, world.b):
        zone_adopt_campaign(actor=SYSTEM, zone=tree.zone, campaign=campaign)
    return campaign


@pytest.fixture
def make_task(world, campaign):
    """``make_task(zone="a", sectors=["organ"], days=30, title=...)``: a task
    added by the zone's admin (the system admin in zone B), due in ``days``."""
    counter = {"n": 0}

    def _make(zone: str = "a", sectors=("organ",), days: int | None = 30, **kw):
        counter["n"] += 1
        tree = getattr(world, zone)
        actor = world["zone_admin"] if zone == "a" else world["outsider"]
        deadline = timezone.localdate() + dt.timedelta(days=days) if days is not None else None
        return task_create(
            actor=actor,
            zone=tree.zone,
            campaign=campaign,
            arrangement=kw.pop(
                "arrangement", WorkArrangement.objects.get(campaign=campaign, code="study")
            ),
            title=kw.pop("title", f"测试任务{counter['n']}"),
            sectors=list(sectors),
            deadline=deadline,
            **kw,
        )

    return _make
