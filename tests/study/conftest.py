"""Fixtures for study and discussion: the 2026 preset adopted by both zones
(its study kinds are the session kinds), and ``make_session`` recording a
session through the service as the branch secretary would."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from shiji.campaigns.models import StudyKind
from shiji.campaigns.services import campaign_load, zone_adopt_campaign
from shiji.orgs.models import Person
from shiji.study import services
from tests.conftest import SYSTEM

DAY = dt.date(2026, 3, 10)
# Sessions here happen from 2026-03 to 2026-05 and coverage is asked for up
# to 2026-11-01: the tests of this folder run on a day after that calendar,
# whatever the day the suite runs on (``--today``).
CALENDAR_DAY = "2026-12-01"


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents and item.get_closest_marker("today") is None:
            item.add_marker(pytest.mark.today(CALENDAR_DAY))


@pytest.fixture
def kinds(world) -> dict[str, StudyKind]:
    campaign = campaign_load(actor=SYSTEM, path="zhengjiguan-2026").campaign
    for tree in (world.a, world.b):
        zone_adopt_campaign(actor=SYSTEM, zone=tree.zone, campaign=campaign)
    return {k.name: k for k in StudyKind.objects.filter(campaign=campaign)}


def person(org, name: str) -> Person:
    return Person.objects.get(org=org, name=name)


@pytest.fixture
def make_session(world, kinds):
    """``make_session(org=world.a.dept, present=["张三"], absent={"李四": "出差"})``.

    The expected attendees are the org's whole subtree unless ``attendees``
    (and ``group``) say otherwise; whoever is not named stays 待补录."""

    def _make(
        *,
        org=None,
        actor=None,
        kind: str = "支部学习",
        date: dt.date = DAY,
        hours: str = "2",
        present=(),
        absent=None,
        topic: str = "学习正确政绩观重要论述",
        attendees: str = "subtree",
        group=None,
    ):
        org = org or world.a.dept
        actor = actor or world["zone_admin"]
        people = {p.name: p for p in Person.objects.filter(org__path__startswith=org.path)}
        marks = [{"person": people[n].pk, "present": True, "reason": ""} for n in present]
        marks += [
            {"person": people[n].pk, "present": False, "reason": r}
            for n, r in (absent or {}).items()
        ]
        return services.session_create(
            actor=actor,
            zone=org.zone,
            org=org,
            kind=kinds[kind],
            date=date,
            topic=topic,
            duration_hours=Decimal(hours),
            attendees=attendees,
            group=group,
            attendance=marks,
        )

    return _make
