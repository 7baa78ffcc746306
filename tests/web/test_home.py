"""The home page's figures from the cache (shiji/web/summaries.py): a zone's
figures are counted again when something is written in the zone or the date
turns, never served stale, and only the zones written since are counted."""

from __future__ import annotations

import datetime as dt
import re

import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from shiji.campaigns.services import campaign_load
from tests.conftest import SYSTEM
from tests.web.test_todo import _client, kinds, make, session, text

__all__ = ["kinds", "make"]  # fixtures used here


def _zone_row(body: str, zone) -> str:
    return body.split(f'data-zone="{zone.code}"')[1].split("</tr>")[0]


def _red(body: str, zone) -> int:
    return int(re.search(r"data-red>(\d+)<", _zone_row(body, zone)).group(1))


def _todo(body: str, key: str) -> int:
    panel = body.split('id="sj-todo-panel"')[1]
    found = re.search(rf'data-todo="{key}".*?<div class="h1[^"]*">(\d+)</div>', panel, re.S)
    return int(found.group(1))


def _light(body: str, light: str) -> int:
    panel = body.split('id="sj-ledger-panel"')[1]
    found = re.search(rf'data-light="{light}".*?<div class="h1[^"]*">(\d+)</div>', panel, re.S)
    return int(found.group(1))


def _zones_counted(queries) -> set[int]:
    """The zones whose problems the page counted."""
    [sql] = [q["sql"] for q in queries if 'FROM "ledger_problem"' in q["sql"]]
    return {int(z) for z in re.search(r'"zone_id" IN \(([\d, ]+)\)', sql).group(1).split(",")}


def test_national_home_counts_again_only_the_zones_written_since(
    world, make, kinds, django_assert_num_queries
):
    today = timezone.localdate()
    make(world, deadline=today - dt.timedelta(days=2), status="in_progress")
    make(world, zone="b")
    session(world, kinds, present=["张三"])
    client = _client(world, "national")
    # Session, user and grants, the zones, their versions (audit chain
    # heads); then problems, campaign starts and people of every zone.
    with CaptureQueriesContext(connection) as cold:
        body = text(client.get("/"))
    assert len(cold) == 8, [q["sql"][:80] for q in cold.captured_queries]
    assert _zones_counted(cold) == {world.a.zone.pk, world.b.zone.pk}
    assert (_red(body, world.a.zone), _red(body, world.b.zone)) == (1, 0)
    with django_assert_num_queries(5):  # nothing written: every zone from the cache
        again = text(client.get("/"))
    assert _zone_row(again, world.a.zone) == _zone_row(body, world.a.zone)

    make(world, zone="b", deadline=today - dt.timedelta(days=1))
    with CaptureQueriesContext(connection) as after:
        body = text(client.get("/"))
    assert len(after) == 8 and _zones_counted(after) == {world.b.zone.pk}
    assert (_red(body, world.a.zone), _red(body, world.b.zone)) == (1, 1)


def test_study_coverage_on_the_national_home_follows_attendance(world, kinds):
    client = _client(world, "national")
    assert re.search(r"data-coverage>0%<", _zone_row(text(client.get("/")), world.a.zone))
    session(world, kinds, present=["张三"])
    row = _zone_row(text(client.get("/")), world.a.zone)
    assert not re.search(r"data-coverage>0%<", row)


def test_lights_turn_with_the_date_without_any_write(world, make):
    make(world, deadline=timezone.localdate() + dt.timedelta(days=1))
    national, secretary = _client(world, "national"), _client(world, "secretary")
    assert _red(text(national.get("/")), world.a.zone) == 0
    body = text(secretary.get("/"))
    assert (_light(body, "red"), _light(body, "yellow")) == (0, 1)
    with time_machine.travel(timezone.now() + dt.timedelta(days=3), tick=True):
        # Signed in again: a session does not last three days.
        national, secretary = _client(world, "national"), _client(world, "secretary")
        assert _red(text(national.get("/")), world.a.zone) == 1
        body = text(secretary.get("/"))
        assert (_light(body, "red"), _light(body, "yellow")) == (1, 0)


def test_a_zone_users_counts_follow_writes_in_their_zone_only(
    world, make, django_assert_num_queries
):
    make(world)
    client = _client(world, "secretary")
    body = text(client.get("/"))
    assert _todo(body, "rectify") == 1 and _light(body, "yellow") == 0
    # Session, user and grants, zones, versions, the zones naming the user
    # in their feedback settings: the figures themselves from the cache.
    with django_assert_num_queries(6):
        assert _todo(text(client.get("/")), "rectify") == 1
    make(world, zone="b")  # another zone's write leaves zone A's figures
    with django_assert_num_queries(6):
        text(client.get("/"))
    make(world, deadline=timezone.localdate() + dt.timedelta(days=3))  # by the zone admin
    body = text(client.get("/"))
    assert _todo(body, "rectify") == 2 and _light(body, "yellow") == 1


def test_each_user_reads_their_own_figures(world, make):
    make(world, status="submitted")
    supervisor, secretary = _client(world, "supervisor"), _client(world, "secretary")
    assert _todo(text(supervisor.get("/")), "verify") == 1
    body = text(secretary.get("/"))  # the same zone, the same versions
    assert 'data-todo="verify"' not in body and _todo(body, "rectify") == 0


def test_a_system_wide_write_counts_every_zone_again(world, make):
    """Events without a zone (a campaign, a template) join the system chain,
    part of every zone's version."""
    make(world, zone="b", deadline=timezone.localdate() - dt.timedelta(days=1))
    client = _client(world, "national")
    text(client.get("/"))
    campaign_load(actor=SYSTEM, path="zhengjiguan-2026")
    with CaptureQueriesContext(connection) as after:
        body = text(client.get("/"))
    assert _zones_counted(after) == {world.a.zone.pk, world.b.zone.pk}
    assert _red(body, world.b.zone) == 1


def test_the_study_panel_shows_the_coverage_pages_totals(world, kinds):
    from shiji.study import selectors

    session(world, kinds, present=["张三", "李四"], absent=["王五"])
    for org in (world.a.root, world.a.dept):
        full = selectors.coverage(org=org, date_from=None, date_to=timezone.localdate())
        total = selectors.coverage_total(org=org, date_from=None, date_to=timezone.localdate())
        assert (total.members, total.reached, total.hours) == (
            full.total.members,
            full.total.reached,
            full.total.hours,
        )
        assert total.members - total.reached == full.never_reached_count
    assert total.reached == 2 and total.hours == 4  # two present for two hours each
