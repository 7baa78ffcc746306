"""为民实事: who may write, the leader's zone, progress rules, evidence and lights."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from django.utils import timezone

from shiji.audit.models import AuditEvent
from shiji.core.errors import Forbidden, Invalid, NotFound
from shiji.orgs.models import Person
from shiji.outreach.models import PracticalProject, ProjectStatus
from shiji.outreach.selectors.projects import (
    project_filter,
    project_get_for_user,
    projects_visible_to,
)
from shiji.outreach.services.projects import project_create, project_progress_add, project_update
from tests.ledger.conftest import png_bytes, png_upload
from tests.outreach.register_fixtures import project


def days(n: int) -> dt.date:
    return timezone.localdate() + dt.timedelta(days=n)


def test_the_zone_admin_adds_a_project_with_a_leader_of_the_zone(world):
    leader = Person.objects.filter(zone=world.a.zone).first()
    made = project_create(
        actor=world["zone_admin"],
        zone=world.a.zone,
        title="老旧小区加装电梯",
        org=world.a.dept,
        leader=leader.pk,
        target="加装 20 部",
        deadline=days(90),
        public="on",
    )
    assert made.leader == leader and made.public and made.status == ProjectStatus.PLANNED
    assert AuditEvent.objects.filter(action="project.create").exists()


def test_a_leader_of_another_zone_is_refused(world):
    stranger = Person.objects.filter(zone=world.b.zone).first()
    with pytest.raises(Invalid) as caught:
        project(world, leader=stranger.pk)
    assert "花名册" in caught.value.fields["leader"]


def test_an_empty_form_names_the_required_fields_and_writes_nothing(world):
    with pytest.raises(Invalid) as caught:
        project_create(actor=world["zone_admin"], zone=world.a.zone, title="", org="",
                       target="", deadline="")  # fmt: skip
    assert set(caught.value.fields) == {"title", "org", "target", "deadline"}
    assert not PracticalProject.objects.exists()


@pytest.mark.parametrize("who", ["secretary", "liaison", "leader", "supervisor", "outsider"])
def test_only_the_zones_task_force_adds_projects(world, who):
    with pytest.raises(Forbidden):
        project_create(actor=world[who], zone=world.a.zone, title="x", org=world.a.dept,
                       target="y", deadline=days(3))  # fmt: skip


def test_progress_moves_forward_and_100_percent_is_done(world):
    p = project(world)
    project_progress_add(actor=world["secretary"], project=p, text="完成招标", percent=30)
    p.refresh_from_db()
    assert p.percent == 30 and p.status == ProjectStatus.IN_PROGRESS
    project_progress_add(actor=world["liaison"], project=p, text="全部完工", percent="100")
    p.refresh_from_db()
    assert p.status == ProjectStatus.DONE and p.done_on == timezone.localdate()
    events = AuditEvent.objects.filter(action="project.progress").order_by("pk")
    assert events.last().changes["status"] == ["in_progress", "done"]


def test_going_backwards_needs_a_reason_which_is_kept(world):
    p = project(world)
    project_progress_add(actor=world["zone_admin"], project=p, text="完成", percent=100)
    with pytest.raises(Invalid) as caught:
        project_progress_add(actor=world["zone_admin"], project=p, text="返工", percent=60)
    assert "60" not in caught.value.fields["reason"] and "100%" in caught.value.fields["reason"]
    note = project_progress_add(
        actor=world["zone_admin"], project=p, text="返工", percent=60, reason="验收发现漏装"
    )
    p.refresh_from_db()
    assert p.status == ProjectStatus.IN_PROGRESS and p.done_on is None and p.percent == 60
    assert "验收发现漏装" in note.text
    assert AuditEvent.objects.filter(action="project.progress").last().note == "验收发现漏装"


@pytest.mark.parametrize("bad", ["", "abc", "-1", "101", 1.5, True, None, "\x00", "9" * 30])
def test_a_percent_outside_0_to_100_is_refused(world, bad):
    p = project(world)
    with pytest.raises(Invalid) as caught:
        project_progress_add(actor=world["zone_admin"], project=p, text="x", percent=bad)
    assert "percent" in caught.value.fields
    assert not p.progress.exists()


def test_evidence_is_checked_by_content_and_its_hash_kept(world):
    p = project(world)
    note = project_progress_add(
        actor=world["secretary"], project=p, text="路灯安装", percent=50,
        file=png_upload("现场.png", seed="lamp"),
    )  # fmt: skip
    assert note.sha256 == hashlib.sha256(png_bytes("lamp")).hexdigest()
    assert note.kind == "png" and note.file.name.endswith(".png")
    event = AuditEvent.objects.filter(action="project.progress").last()
    assert event.changes["file"][1]["sha256"] == note.sha256
    from django.core.files.uploadedfile import SimpleUploadedFile

    with pytest.raises(Invalid) as caught:
        project_progress_add(
            actor=world["secretary"], project=p, text="x", percent=60,
            file=SimpleUploadedFile("a.png", b"<script>alert(1)</script>"),
        )  # fmt: skip
    assert "file" in caught.value.fields
    p.refresh_from_db()
    assert p.percent == 50


def test_a_secretary_outside_the_projects_org_may_not_report(world):
    p = project(world, org=world.a.soe)
    with pytest.raises(Forbidden):
        project_progress_add(actor=world["secretary"], project=p, text="x", percent=10)


@pytest.mark.today("2026-06-10")
def test_lights_follow_the_ledger_rule(world):
    late = project(world, title="逾期", deadline=dt.date(2026, 6, 9))
    soon = project(world, title="临期", deadline=dt.date(2026, 6, 17))
    later = project(world, title="未到期", deadline=dt.date(2026, 6, 18))
    done = project(world, title="已完成逾期", deadline=dt.date(2026, 6, 1))
    project_progress_add(actor=world["zone_admin"], project=done, text="完工", percent=100)
    lights = {p.title: p.light for p in projects_visible_to(user=world["zone_admin"])}
    assert lights == {"逾期": "red", "临期": "yellow", "未到期": "green", "已完成逾期": "green"}
    ordered = project_filter(projects_visible_to(user=world["zone_admin"]), {}, user=None)
    assert [p.pk for p in ordered][:2] == [late.pk, soon.pk]
    red = project_filter(projects_visible_to(user=world["zone_admin"]), {"light": "red"}, user=None)
    assert list(red) == [late]
    assert later.pk in {p.pk for p in ordered}


def test_another_zones_project_is_not_found_and_update_is_audited(world):
    p = project(world, zone=world.b.zone, org=world.b.dept)
    with pytest.raises(NotFound):
        project_get_for_user(user=world["zone_admin"], pk=p.pk)
    mine = project(world)
    project_update(actor=world["zone_admin"], project=mine, public=False, title="路灯改造")
    changes = AuditEvent.objects.filter(action="project.update").get().changes
    assert changes == {"title": ["园区东门路灯改造", "路灯改造"], "public": [True, False]}
