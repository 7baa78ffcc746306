"""The register's JSON API: lists as {count, items}, the contract's error
codes, demands into tracked items, progress with evidence."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from shiji.audit.models import AuditEvent
from shiji.ledger.models import Problem
from shiji.outreach.models import Enterprise, Feedback
from tests.ledger.conftest import create_categories, png_upload
from tests.outreach.register_fixtures import CODES, enterprise, project, roundtable, visit


def test_enterprises_list_create_patch(world, api):
    admin = api(world["zone_admin"])
    r = admin.post(
        "/api/v1/enterprises",
        {"zone": world.a.zone.pk, "name": "华为", "credit_code": CODES[0], "industry": "通信"},
    )
    assert r.status_code == 201, r.content
    pk = r.json()["id"]
    r = admin.get("/api/v1/enterprises?q=华为")
    assert r.json()["count"] == 1 and r.json()["items"][0]["credit_code"] == CODES[0]
    r = admin.patch(f"/api/v1/enterprises/{pk}", {"contact_name": "陈经理"})
    assert r.status_code == 200 and r.json()["contact_name"] == "陈经理"


def test_a_bad_credit_code_is_422_with_its_field(world, api):
    r = api(world["zone_admin"]).post(
        "/api/v1/enterprises",
        {"zone": world.a.zone.pk, "name": "某公司", "credit_code": "914403001922038217"},
    )
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "credit_code"
    assert not Enterprise.objects.exists()


def test_the_contracts_error_codes(world, api, client):
    theirs = enterprise(world, zone=world.b.zone)
    mine = enterprise(world, code=CODES[1], name="腾讯")
    assert client.get("/api/v1/enterprises").status_code == 401
    admin = api(world["zone_admin"])
    assert admin.get(f"/api/v1/enterprises/{theirs.pk}").status_code == 404
    assert admin.patch(f"/api/v1/enterprises/{theirs.pk}", {"name": "x"}).status_code == 404
    assert admin.get(f"/api/v1/enterprises?zone={world.b.zone.pk}").status_code == 404
    viewer = api(world["national"])
    assert viewer.patch(f"/api/v1/enterprises/{mine.pk}", {"name": "x"}).status_code == 403
    assert admin.post("/api/v1/enterprises", [1]).status_code == 422
    r = admin.post("/api/v1/enterprises", {"zone": world.a.zone.pk, "name": "a\x00",
                                            "credit_code": CODES[2]})  # fmt: skip
    assert r.status_code == 422


def test_roundtable_with_a_demand_into_the_inbox_and_one_into_the_ledger(world, api):
    categories = create_categories(world)
    firm = enterprise(world)
    admin = api(world["zone_admin"])
    r = admin.post(
        "/api/v1/roundtables",
        {
            "zone": world.a.zone.pk,
            "title": "二季度政企圆桌会",
            "held_on": timezone.localdate().isoformat(),
            "hosts": "主任",
            "enterprises": [firm.pk],
            "satisfaction": "满意",
        },
    )
    assert r.status_code == 201, r.content
    table = r.json()
    assert table["enterprises"] == [{"id": firm.pk, "name": "华为技术有限公司"}]
    assert table["satisfaction"] == "satisfied"
    url = f"/api/v1/roundtables/{table['id']}/demands"
    r = admin.post(url, {"content": "融资难", "enterprise": firm.pk, "kind": "help"})
    assert r.status_code == 201 and r.json()["status"] == "received"
    assert r.json()["channel"] == "roundtable" and r.json()["enterprise_name"] == "华为技术有限公司"
    r = admin.post(
        url,
        {
            "content": "道路破损",
            "route": "problem",
            "problem": {"org": world.a.dept.pk, "category": categories["a"][0].pk,
                        "kind": "deadline", "deadline": "2099-01-01"},
        },
    )  # fmt: skip
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["status"] == "in_ledger" and body["problem_code"] == Problem.objects.get().code
    r = admin.post(url, {"content": "x", "route": "problem"})
    assert r.status_code == 422
    assert {e["field"] for e in r.json()["errors"]} >= {"problem_org"}
    detail = admin.get(f"/api/v1/roundtables/{table['id']}").json()
    assert len(detail["demands"]) == 2
    assert admin.get("/api/v1/roundtables").json()["items"][0]["demand_count"] == 2


def test_a_demand_on_another_zones_roundtable_is_404_and_writes_nothing(world, api):
    table = roundtable(world, zone=world.b.zone)
    r = api(world["zone_admin"]).post(f"/api/v1/roundtables/{table.pk}/demands", {"content": "x"})
    assert r.status_code == 404
    assert not Feedback.objects.exists()


def test_a_supervisor_may_read_but_not_record(world, api):
    table = roundtable(world)
    sup = api(world["supervisor"])
    assert sup.get(f"/api/v1/roundtables/{table.pk}").status_code == 200
    r = sup.post(f"/api/v1/roundtables/{table.pk}/demands", {"content": "x"})
    assert r.status_code == 403


def test_visits_and_their_demands(world, api):
    firm = enterprise(world)
    admin = api(world["zone_admin"])
    r = admin.post(
        "/api/v1/visits",
        {"zone": world.a.zone.pk, "enterprise": firm.pk, "visitors": "张三",
         "visited_on": (timezone.localdate() - dt.timedelta(days=2)).isoformat(),
         "org": world.a.dept.pk},
    )  # fmt: skip
    assert r.status_code == 201, r.content
    pk = r.json()["id"]
    assert r.json()["org_name"] == world.a.dept.name
    r = admin.post(f"/api/v1/visits/{pk}/demands", {"content": "用工"})
    assert r.status_code == 201 and r.json()["channel"] == "enterprise_visit"
    assert admin.get(f"/api/v1/visits?enterprise={firm.pk}").json()["items"][0]["demand_count"] == 1
    future = (timezone.localdate() + dt.timedelta(days=2)).isoformat()
    r = admin.post("/api/v1/visits", {"zone": world.a.zone.pk, "enterprise": firm.pk,
                                      "visitors": "张三", "visited_on": future})  # fmt: skip
    assert r.status_code == 422


def test_projects_with_lights_and_progress_with_evidence(world, api):
    admin = api(world["zone_admin"])
    r = admin.post(
        "/api/v1/projects",
        {"zone": world.a.zone.pk, "title": "路灯", "org": world.a.dept.pk, "target": "全部更换",
         "deadline": (timezone.localdate() + dt.timedelta(days=3)).isoformat()},
    )  # fmt: skip
    assert r.status_code == 201, r.content
    pk = r.json()["id"]
    assert r.json()["light"] == "yellow" and r.json()["progress"] == []
    r = api(world["secretary"]).post(
        f"/api/v1/projects/{pk}/progress",
        {"text": "完成一半", "percent": "50", "file": png_upload("现场.png")},
        format="multipart",
    )
    assert r.status_code == 201, r.content
    assert len(r.json()["sha256"]) == 64 and r.json()["file_kind"] == "png"
    r = admin.post(f"/api/v1/projects/{pk}/progress", {"text": "x", "percent": "20"},
                   format="multipart")  # fmt: skip
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "reason"
    r = admin.post(f"/api/v1/projects/{pk}/progress", {"text": "x", "percent": "101"},
                   format="multipart")  # fmt: skip
    assert r.status_code == 422
    detail = admin.get(f"/api/v1/projects/{pk}").json()
    assert detail["percent"] == 50 and len(detail["progress"]) == 1
    assert admin.get("/api/v1/projects?light=yellow").json()["count"] == 1
    assert AuditEvent.objects.filter(action="project.progress").count() == 1


def test_another_zones_project_is_404(world, api):
    theirs = project(world, zone=world.b.zone, org=world.b.dept)
    admin = api(world["zone_admin"])
    assert admin.get(f"/api/v1/projects/{theirs.pk}").status_code == 404
    r = admin.post(f"/api/v1/projects/{theirs.pk}/progress", {"text": "x", "percent": "1"},
                   format="multipart")  # fmt: skip
    assert r.status_code == 404


@pytest.mark.parametrize("who", ["secretary", "leader"])
def test_only_the_task_force_creates_projects(world, api, who):
    r = api(world[who]).post(
        "/api/v1/projects",
        {"zone": world.a.zone.pk, "title": "x", "org": world.a.dept.pk, "target": "y",
         "deadline": "2030-01-01"},
    )  # fmt: skip
    assert r.status_code == 403


def test_a_visit_is_listed_for_the_zone(world, api):
    firm = enterprise(world)
    visit(world, firm)
    assert api(world["secretary"]).get("/api/v1/visits").json()["count"] == 1
    assert api(world["outsider"]).get("/api/v1/visits").json()["count"] == 0
