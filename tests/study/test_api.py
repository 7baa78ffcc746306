"""The study API: the same services behind /api/v1/study, with the status
codes of DESIGN.md §6 and scope checks for every endpoint."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from shiji.audit.models import AuditEvent
from shiji.study import services
from shiji.study.models import Attendance, StudySession
from tests.study.conftest import DAY, person

BASE = "/api/v1/study"


def body(world, kinds, **over):
    data = {
        "org": world.a.dept.pk,
        "kind": kinds["支部学习"].pk,
        "date": DAY.isoformat(),
        "topic": "学习正确政绩观",
        "duration_hours": "1.5",
        "attendance": [
            {"person": person(world.a.dept, "张三").pk, "present": True},
            {"person": person(world.a.dept, "李四").pk, "present": False, "reason": "出差"},
        ],
    }
    data.update(over)
    return data


def test_liaison_creates_a_session_with_attendance(world, kinds, api):
    response = api(world["liaison"]).post(f"{BASE}/sessions", body(world, kinds))
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["present_count"] == 1 and data["absent_count"] == 1
    # The branch's own people are expected by default; 王五 is not recorded yet.
    assert (data["attendees"], data["expected_count"], data["pending_count"]) == ("org", 3, 1)
    assert data["duration_hours"] == "1.5"
    assert {(m["person_name"], m["present"], m["reason"]) for m in data["attendance"]} == {
        ("张三", True, ""),
        ("李四", False, "出差"),
        ("王五", None, ""),
    }
    assert AuditEvent.objects.filter(action="study.create", actor=world["liaison"]).exists()


@pytest.mark.parametrize(
    ("over", "field"),
    [
        ({"date": (dt.date(2099, 1, 1)).isoformat()}, "date"),
        ({"duration_hours": "0"}, "duration_hours"),
        ({"duration_hours": "25"}, "duration_hours"),
        ({"topic": "学习\x00"}, "topic"),
    ],
)
def test_bad_sessions_are_422_and_write_nothing(world, kinds, api, over, field):
    response = api(world["secretary"]).post(f"{BASE}/sessions", body(world, kinds, **over))
    assert response.status_code == 422
    assert field in {e["field"] for e in response.json()["errors"]}
    assert not StudySession.objects.exists()


def test_attendance_outside_the_org_duplicates_and_missing_reasons_are_422(world, kinds, api):
    client = api(world["secretary"])
    zhang = person(world.a.dept, "张三").pk
    for marks, field in (
        ([{"person": person(world.a.firm, "赵六").pk, "present": True}], "attendance[0].person"),
        (
            [{"person": zhang, "present": True}, {"person": zhang, "present": True}],
            "attendance[1].person",
        ),
        ([{"person": zhang, "present": False, "reason": ""}], "attendance[0].reason"),
    ):
        response = client.post(f"{BASE}/sessions", body(world, kinds, attendance=marks))
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == field
    assert not StudySession.objects.exists() and not Attendance.objects.exists()


def test_future_date_message_is_chinese(world, kinds, api):
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    response = api(world["secretary"]).post(
        f"{BASE}/sessions", body(world, kinds, date=tomorrow.isoformat())
    )
    assert response.json()["errors"] == [
        {"field": "date", "message": "日期不能晚于今天：学习研讨应在开展后记录"}
    ]


def test_read_only_role_gets_403_and_another_zones_org_422(world, kinds, api):
    assert api(world["leader"]).post(f"{BASE}/sessions", body(world, kinds)).status_code == 403
    response = api(world["outsider"]).post(f"{BASE}/sessions", body(world, kinds))
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "org"


def test_unauthenticated_is_401(world, kinds, api):
    assert api(None).get(f"{BASE}/sessions").status_code == 401
    assert api(None).get(f"{BASE}/coverage?org={world.a.root.pk}").status_code == 401


def test_list_and_detail_are_scoped(world, make_session, api):
    mine = make_session(present=["张三"])
    firm = make_session(org=world.a.firm, present=["赵六"])
    data = api(world["secretary"]).get(f"{BASE}/sessions").json()
    assert [s["id"] for s in data["items"]] == [mine.pk]
    assert api(world["secretary"]).get(f"{BASE}/sessions/{firm.pk}").status_code == 404
    assert api(world["outsider"]).get(f"{BASE}/sessions/{mine.pk}").status_code == 404
    assert api(world["leader"]).get(f"{BASE}/sessions/{mine.pk}").status_code == 200
    assert api(world["secretary"]).get(f"{BASE}/sessions?org={world.b.dept.pk}").status_code == 404


def test_list_filters(world, make_session, kinds, api):
    make_session(topic="三月", date=dt.date(2026, 3, 1))
    make_session(topic="五月", kind="研讨交流", date=dt.date(2026, 5, 1))
    client = api(world["zone_admin"])
    topics = lambda q: [s["topic"] for s in client.get(f"{BASE}/sessions?{q}").json()["items"]]  # noqa: E731
    assert topics(f"kind={kinds['研讨交流'].pk}") == ["五月"]
    assert topics("from=2026-04-01") == ["五月"]
    assert topics("to=2026-04-01") == ["三月"]
    assert topics(f"org={world.a.dept.pk}") == ["五月", "三月"]


def test_list_query_count_is_pinned(world, make_session, api, django_assert_num_queries):
    client = api(world["zone_admin"])
    group = services.group_create(
        actor=world["zone_admin"],
        org=world.a.dept,
        name="支部委员",
        members=[person(world.a.dept, "张三")],
    )
    for i in range(4):
        make_session(present=["张三"], topic=f"第{i}次", attendees="group", group=group)
    with django_assert_num_queries(5):  # token and user, its last use, grants, count, page
        response = client.get(f"{BASE}/sessions")
    assert response.json()["count"] == 4


def test_patch_changes_fields_and_read_only_roles_get_403(world, make_session, api):
    session = make_session(present=["张三"])
    response = api(world["secretary"]).patch(
        f"{BASE}/sessions/{session.pk}", {"topic": "改过的主题", "duration_hours": "3"}
    )
    assert response.status_code == 200
    assert response.json()["topic"] == "改过的主题"
    session.refresh_from_db()
    assert str(session.duration_hours) == "3.0"
    assert (
        api(world["supervisor"]).patch(f"{BASE}/sessions/{session.pk}", {"topic": "x"}).status_code
        == 403
    )
    assert (
        api(world["outsider"]).patch(f"{BASE}/sessions/{session.pk}", {"topic": "x"}).status_code
        == 404
    )


def test_patch_org_that_excludes_the_attendees_is_409(world, make_session, api):
    session = make_session(org=world.a.organ, present=["张三"])
    response = api(world["zone_admin"]).patch(
        f"{BASE}/sessions/{session.pk}", {"org": world.a.soe.pk}
    )
    assert response.status_code == 409


def test_put_attendance_replaces_it_all_or_nothing(world, make_session, api, client):
    session = make_session(present=["张三", "李四"])
    url = f"{BASE}/sessions/{session.pk}/attendance"
    headers = api(world["liaison"]).headers
    good = [
        {"person": person(world.a.dept, "王五").pk, "present": True},
        {"person": person(world.a.dept, "张三").pk, "present": False, "reason": "病假"},
    ]
    response = client.put(url, good, content_type="application/json", headers=headers)
    assert response.status_code == 200
    # 李四, expected but not listed, is back to 待补录.
    assert {(m["person_name"], m["present"]) for m in response.json()["attendance"]} == {
        ("王五", True),
        ("张三", False),
        ("李四", None),
    }
    recorded = set(session.attendance.values_list("person__name", "present", "reason"))
    bad = [*good, {"person": person(world.a.firm, "钱七").pk, "present": True}]
    response = client.put(url, bad, content_type="application/json", headers=headers)
    assert response.status_code == 422
    assert set(session.attendance.values_list("person__name", "present", "reason")) == recorded
    other = api(world["outsider"]).headers
    assert client.put(url, good, content_type="application/json", headers=other).status_code == 404


def test_coverage_endpoint_matches_the_selector(world, make_session, api):
    make_session(present=["张三", "王五"], absent={"李四": "出差"}, hours="2")
    response = api(world["zone_admin"]).get(
        f"{BASE}/coverage?org={world.a.root.pk}&from=2026-01-01&to=2026-11-01"
    )
    assert response.status_code == 200
    data = response.json()
    assert data["total"]["members"] == 5 and data["total"]["reached"] == 2
    assert data["total"]["share"] == 0.4
    assert data["total"]["hours_per_member"] == "0.80"
    assert [p["name"] for p in data["never_reached"]] == ["李四", "赵六", "钱七"]
    assert api(world["secretary"]).get(f"{BASE}/coverage?org={world.a.firm.pk}").status_code == 404
    assert api(world["outsider"]).get(f"{BASE}/coverage?org={world.a.root.pk}").status_code == 404
