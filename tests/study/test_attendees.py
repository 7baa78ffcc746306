"""Expected attendees are chosen, presence is recorded, never assumed.

A session's expected attendees (应到人员) are the org's own people (the
default), its whole subtree, or a saved attendee group; nobody starts
ticked; saving without marking anyone stores the session as 出勤待补录;
every coverage figure counts only the people recorded present.

The fixture zone A for these tests (hand-counted):
  党工委 (root):       周建国, 吴海燕, 郑文博 (added here)
  机关党委 (organ):    10 staff 干部01–干部10 (added here)
    经济发展局党支部:   张三, 李四, 王五
  经济(社会)组织党委 → 某科技公司党支部: 赵六, 钱七
  投资集团党委:        nobody
  = 18 people. The 中心组 group: the three leaders, 张三 and 赵六 (5).
"""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from shiji.audit.models import AuditEvent
from shiji.core.errors import Conflict, Invalid
from shiji.orgs.services import person_create
from shiji.study import selectors, services
from shiji.study.models import Attendance, StudySession
from tests.conftest import SYSTEM
from tests.study.conftest import DAY, person

LEADERS = (("周建国", "党工委书记"), ("吴海燕", "党工委副书记"), ("郑文博", "党工委委员"))


@pytest.fixture
def zone(world):
    for name, position in LEADERS:
        person_create(actor=SYSTEM, org=world.a.root, name=name, position=position)
    for i in range(1, 11):
        person_create(actor=SYSTEM, org=world.a.organ, name=f"干部{i:02d}", position="干部")
    return world.a


@pytest.fixture
def central(world, zone):
    members = [person(zone.root, n) for n, _ in LEADERS]
    members += [person(zone.dept, "张三"), person(zone.firm, "赵六")]
    return services.group_create(
        actor=world["zone_admin"], org=zone.root, name="理论学习中心组", members=members
    )


def marks_of(session) -> dict[str, tuple]:
    return {a.person.name: (a.present, a.reason) for a in session.attendance.all()}


def create(world, kinds, org, **over):
    values = {
        "actor": world["zone_admin"],
        "zone": org.zone,
        "org": org,
        "kind": kinds["理论学习中心组"],
        "date": DAY,
        "topic": "中心组专题学习",
        "duration_hours": "3",
    }
    values.update(over)
    return services.session_create(**values)


# The 5-person 中心组 and its coverage -------------------------------------------


def test_a_central_group_session_from_a_saved_group_counts_only_who_came(
    world, kinds, zone, central, login, api
):
    session = create(
        world,
        kinds,
        zone.root,
        attendees="group",
        group=central.pk,
        attendance=[
            {"person": person(zone.root, "周建国").pk, "present": True},
            {"person": person(zone.root, "吴海燕").pk, "present": True},
            {"person": person(zone.root, "郑文博").pk, "present": True},
            {"person": person(zone.dept, "张三").pk, "present": True},
            {"person": person(zone.firm, "赵六").pk, "present": False, "reason": "出差"},
        ],
    )
    # Five rows, not the 18 of the subtree.
    assert session.attendance.count() == 5
    counted = selectors.with_counts(StudySession.objects.filter(pk=session.pk)).get()
    assert (counted.expected_count, counted.present_count) == (5, 4)
    assert (counted.absent_count, counted.pending_count) == (1, 0)

    # Coverage of the zone, by hand: 4 of 18 reached (22%), 4 × 3 h = 12 h,
    # 0.67 h per member; 党工委本级 3/3, 机关党委 1/13 (张三), 经济(社会)组织
    # 党委 0/2 (赵六 was away), 投资集团党委 0/0.
    figures = selectors.coverage(org=zone.root)
    assert (figures.total.members, figures.total.reached) == (18, 4)
    assert figures.total.percent == 22
    assert figures.total.hours == Decimal("12.0")
    assert figures.total.hours_per_member == Decimal("0.67")
    rows = {r.label: (r.members, r.reached) for r in figures.rows}
    assert rows == {
        f"{zone.root.name}（本级）": (3, 3),
        zone.organ.name: (13, 1),
        zone.econ.name: (2, 0),
        zone.soe.name: (0, 0),
    }
    assert figures.never_reached_count == 14

    # The same figures on the home panel, the coverage page, the API, the
    # list and the export.
    client = login(world["zone_admin"])
    home = client.get(reverse("home")).content.decode()
    assert 'data-study="share">22%<' in home[home.index('id="sj-study-panel"') :]
    page = client.get(reverse("study:coverage"), {"org": zone.root.pk}).content.decode()
    assert 'data-figure="reached">4 / 18<' in page
    data = api(world["zone_admin"]).get(f"/api/v1/study/coverage?org={zone.root.pk}").json()
    assert (data["total"]["members"], data["total"]["reached"]) == (18, 4)
    listing = client.get(reverse("study:list")).content.decode()
    assert 'data-attendance="4/5"' in listing
    response = client.get(reverse("study:export"))
    ws = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    exported = [c.value for c in ws[3]]
    assert exported[7:11] == [5, 4, 1, "赵六（出差）"]


def test_the_default_attendees_are_the_orgs_own_people_not_its_subtree(world, kinds, zone):
    session = create(world, kinds, zone.root)
    assert session.attendee_scope == "org"
    assert set(marks_of(session)) == {"周建国", "吴海燕", "郑文博"}
    subtree = create(world, kinds, zone.root, attendees="subtree")
    assert subtree.attendance.count() == 18
    # Neither counts anyone: nobody was recorded present.
    assert selectors.coverage(org=zone.root).total.reached == 0


# Nobody present by default -----------------------------------------------------


def required_fields(world, kinds, org, **over):
    """What the form posts when the user fills only the required fields and
    presses 保存: every listed person in ``roster``, nobody in ``present``."""
    data = {
        "org": str(org.pk),
        "kind": str(kinds["支部学习"].pk),
        "date": DAY.isoformat(),
        "topic": "支部学习",
        "duration_hours": "1.5",
        "attendees": "org",
        "roster": [str(p.pk) for p in org.people.order_by("name")],
    }
    data.update(over)
    return data


def test_the_form_ticks_nobody_and_a_bare_save_records_nobody_present(world, kinds, login):
    client = login(world["secretary"])
    body = client.get(reverse("study:create")).content.decode()
    boxes = [line for line in body.splitlines() if 'name="present"' in line]
    assert len(boxes) == 3 and not any("checked" in line for line in boxes)

    response = client.post(reverse("study:create"), required_fields(world, kinds, world.a.dept))
    session = StudySession.objects.get()
    assert response.status_code == 302
    # Saved as 出勤待补录: the three are expected, none recorded.
    assert marks_of(session) == {"张三": (None, ""), "李四": (None, ""), "王五": (None, "")}
    assert not Attendance.objects.filter(present=True).exists()
    assert selectors.coverage(org=world.a.dept).total.reached == 0
    page = client.get(response["Location"]).content.decode()
    assert "出勤待补录" in page and "应到 3 人" in page
    assert 'id="sj-pending"' in page
    event = AuditEvent.objects.get(action="study.create")
    assert event.changes["attendance"] == [
        None,
        {"expected": 3, "present": 0, "absent": [], "pending": 3},
    ]
    assert "marks" not in event.changes  # nothing was recorded
    listing = client.get(reverse("study:list")).content.decode()
    assert 'data-attendance="0/3"' in listing and "出勤待补录" in listing


def test_everyone_absent_needs_a_confirmation(world, kinds, login):
    client = login(world["secretary"])
    data = required_fields(world, kinds, world.a.dept, common_reason="请假")
    response = client.post(reverse("study:create"), data)
    assert response.status_code == 422
    body = response.content.decode()
    assert "确认本次无人出席" in body and 'name="confirm_none_present"' in body
    assert not StudySession.objects.exists()

    response = client.post(reverse("study:create"), {**data, "confirm_none_present": "1"})
    assert response.status_code == 302
    assert set(marks_of(StudySession.objects.get()).values()) == {(False, "请假")}


def test_one_reason_covers_every_unticked_person_without_their_own(world, kinds, login):
    zhang, wang = person(world.a.dept, "张三"), person(world.a.dept, "王五")
    data = required_fields(
        world,
        kinds,
        world.a.dept,
        present=[str(zhang.pk)],
        common_reason="other",
        common_reason_other="参加上级培训",
        **{f"reason_{wang.pk}": "病假"},
    )
    response = login(world["secretary"]).post(reverse("study:create"), data)
    assert response.status_code == 302
    assert marks_of(StudySession.objects.get()) == {
        "张三": (True, ""),
        "李四": (False, "参加上级培训"),
        "王五": (False, "病假"),
    }


def test_all_present_ticks_everyone_and_saves_nothing(world, kinds, login):
    data = required_fields(world, kinds, world.a.dept, do="all_present")
    response = login(world["secretary"]).post(reverse("study:create"), data)
    assert response.status_code == 200
    body = response.content.decode()
    boxes = [line for line in body.splitlines() if 'name="present"' in line]
    assert len(boxes) == 3 and all("checked" in line for line in boxes)
    assert "尚未保存" in body and 'value="支部学习"' in body
    assert not StudySession.objects.exists()


def test_choosing_a_group_lists_its_members_and_keeps_what_was_typed(
    world, kinds, zone, central, login
):
    data = required_fields(
        world, kinds, zone.root, attendees=f"group-{central.pk}", do="refresh", roster=[]
    )
    response = login(world["zone_admin"]).post(reverse("study:create"), data)
    assert response.status_code == 200
    body = response.content.decode()
    listed = body[body.index('id="sj-roster"') :]
    for name in ("周建国", "吴海燕", "郑文博", "张三", "赵六"):
        assert f"<strong>{name}</strong>" in listed
    assert "李四" not in listed and "干部01" not in listed
    assert "应到 5 人" in body and 'value="支部学习"' in body
    assert not StudySession.objects.exists()


def test_a_stopped_group_is_refused_for_a_new_session(world, kinds, zone, central):
    services.group_set_active(actor=world["zone_admin"], group=central, active=False)
    with pytest.raises(Invalid) as exc:
        create(world, kinds, zone.root, attendees="group", group=central)
    assert exc.value.fields == {"group": "参会名单“理论学习中心组”已停用，请选择其他名单"}
    assert not StudySession.objects.exists()


def test_a_person_outside_the_expected_attendees_cannot_be_marked(world, kinds, zone, central):
    with pytest.raises(Invalid) as exc:
        create(
            world,
            kinds,
            zone.root,
            attendees="group",
            group=central,
            attendance=[{"person": person(zone.dept, "李四").pk, "present": True}],
        )
    assert exc.value.fields == {
        "attendance[0].person": f"李四（{zone.dept.name}）不在本次学习的应到人员中；"
        "如确应参加，请先调整应到人员"
    }
    assert not StudySession.objects.exists()


# A session's list is fixed when recorded ---------------------------------------


def test_editing_the_group_later_does_not_rewrite_past_sessions(world, kinds, zone, central):
    session = create(world, kinds, zone.root, attendees="group", group=central)
    services.group_update(
        actor=world["zone_admin"], group=central, members=[person(zone.root, "周建国")]
    )
    services.group_set_active(actor=world["zone_admin"], group=central, active=False)
    assert session.attendance.count() == 5
    # Saving the session with its recorded choice keeps the five.
    services.session_update(
        actor=world["zone_admin"],
        session=session,
        topic="改过的主题",
        attendees="group",
        group=central.pk,
        attendance=[{"person": person(zone.dept, "张三").pk, "present": True}],
    )
    assert session.attendance.count() == 5
    assert marks_of(session)["张三"] == (True, "")


def test_changing_the_choice_keeps_the_marks_of_those_who_stay(world, kinds, zone, central):
    session = create(
        world,
        kinds,
        zone.root,
        attendance=[{"person": person(zone.root, "周建国").pk, "present": True}],
    )
    services.session_update(
        actor=world["zone_admin"], session=session, attendees="group", group=central
    )
    session.refresh_from_db()
    assert session.attendee_group == central
    assert marks_of(session) == {
        "周建国": (True, ""),
        "吴海燕": (None, ""),
        "郑文博": (None, ""),
        "张三": (None, ""),
        "赵六": (None, ""),
    }
    event = AuditEvent.objects.get(action="study.update")
    assert event.changes["attendees"] == ["本单位人员（3 人）", "理论学习中心组（5 人）"]
    assert event.changes["marks"] == [
        None,
        ["张三：加入应到人员（待补录）", "赵六：加入应到人员（待补录）"],
    ]
    # Narrowing to the leaders alone would drop 张三's recorded mark: refused.
    services.session_set_attendance(
        actor=world["zone_admin"],
        session=session,
        entries=[
            {"person": person(zone.root, "周建国").pk, "present": True},
            {"person": person(zone.dept, "张三").pk, "present": True},
        ],
    )
    with pytest.raises(Conflict):
        services.session_update(actor=world["zone_admin"], session=session, attendees="org")
    assert session.attendance.count() == 5


# API -------------------------------------------------------------------------


def api_body(world, kinds, org, **over):
    data = {
        "org": org.pk,
        "kind": kinds["理论学习中心组"].pk,
        "date": DAY.isoformat(),
        "topic": "中心组专题学习",
        "duration_hours": "3",
    }
    data.update(over)
    return data


def test_the_api_chooses_attendees_the_same_way(world, kinds, zone, central, api):
    client = api(world["zone_admin"])
    # No attendees named: the org's own three, nobody present.
    response = client.post("/api/v1/study/sessions", api_body(world, kinds, zone.root))
    assert response.status_code == 201, response.content
    data = response.json()
    assert (data["attendees"], data["expected_count"], data["present_count"]) == ("org", 3, 0)
    assert {m["present"] for m in data["attendance"]} == {None}

    zhang = person(zone.dept, "张三").pk
    response = client.post(
        "/api/v1/study/sessions",
        api_body(
            world,
            kinds,
            zone.root,
            attendees="group",
            group=central.pk,
            attendance=[{"person": zhang, "present": True}],
        ),
    )
    assert response.status_code == 201, response.content
    data = response.json()
    assert (data["group"], data["group_name"]) == (central.pk, "理论学习中心组")
    assert (data["expected_count"], data["present_count"], data["pending_count"]) == (5, 1, 4)


@pytest.mark.parametrize(
    ("over", "field"),
    [
        ({"attendees": "group"}, "group"),
        ({"attendees": "everyone"}, "attendees"),
        ({"attendees": "org", "group": 1}, "group"),
        ({"attendees": "group", "group": 2**40}, "group"),
    ],
)
def test_the_api_refuses_a_bad_attendee_choice(world, kinds, zone, api, over, field):
    response = api(world["zone_admin"]).post(
        "/api/v1/study/sessions", api_body(world, kinds, zone.root, **over)
    )
    assert response.status_code == 422
    assert field in {e["field"] for e in response.json()["errors"]}
    assert not StudySession.objects.exists()


def test_the_api_needs_a_confirmation_for_everyone_absent(world, kinds, zone, api):
    client = api(world["secretary"])
    absent = [
        {"person": person(zone.dept, n).pk, "present": False, "reason": "出差"}
        for n in ("张三", "李四", "王五")
    ]
    body = api_body(world, kinds, zone.dept, attendance=absent)
    response = client.post("/api/v1/study/sessions", body)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "confirm_none_present"
    assert not StudySession.objects.exists()
    body["confirm_none_present"] = True
    assert client.post("/api/v1/study/sessions", body).status_code == 201


def test_the_api_put_leaves_the_unlisted_pending_and_patch_relists(
    world, kinds, zone, central, api, client
):
    session = create(world, kinds, zone.root, attendees="group", group=central)
    headers = api(world["zone_admin"]).headers
    url = f"/api/v1/study/sessions/{session.pk}/attendance"
    entries = [{"person": person(zone.root, "周建国").pk, "present": False, "reason": "病假"}]
    response = client.put(url, entries, content_type="application/json", headers=headers)
    assert response.status_code == 422  # the only mark is an absence: confirm it
    response = client.put(
        f"{url}?confirm_none_present=true",
        entries,
        content_type="application/json",
        headers=headers,
    )
    assert response.status_code == 200
    assert response.json()["pending_count"] == 4
    response = api(world["zone_admin"]).patch(
        f"/api/v1/study/sessions/{session.pk}", {"attendees": "subtree"}
    )
    assert response.status_code == 200
    assert response.json()["expected_count"] == 18
    assert marks_of(session)["周建国"] == (False, "病假")


# The sign-in sheet -------------------------------------------------------------


def test_the_sign_in_sheet_lists_exactly_the_expected_attendees(world, kinds, zone, central, login):
    from tests.study.test_signin import template_rows

    session = create(
        world,
        kinds,
        zone.root,
        attendees="group",
        group=central,
        attendance=[{"person": person(zone.dept, "张三").pk, "present": True}],
    )
    response = login(world["zone_admin"]).get(reverse("study:signin_template", args=[session.pk]))
    ws = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = template_rows(ws)
    assert sorted(r["姓名"] for r in rows) == sorted(["周建国", "吴海燕", "郑文博", "张三", "赵六"])
    # Only what is recorded is filled in: nobody else is pre-marked present.
    assert {r["姓名"]: r["签到(是/否)"] for r in rows} == {
        "吴海燕": None,
        "周建国": None,
        "郑文博": None,
        "张三": "是",
        "赵六": None,
    }


def test_the_sign_in_sheet_cannot_add_someone_who_was_not_expected(world, kinds, zone, central):
    from shiji.study import excel
    from tests.study.test_signin import sheet

    session = create(world, kinds, zone.root, attendees="group", group=central)
    plan = excel._plan(session, sheet([("李四", zone.dept.name, "是", "")]))
    before = marks_of(session)
    with pytest.raises(Invalid):
        services.session_set_attendance(
            actor=world["zone_admin"],
            session=session,
            entries=[{"person": r.person_id, "present": r.present} for r in plan.rows],
        )
    assert marks_of(session) == before
    assert not AuditEvent.objects.filter(action="study.attendance").exists()


def test_importing_the_blank_template_records_nobody(world, kinds, zone, central, login):
    session = create(world, kinds, zone.root, attendees="group", group=central)
    client = login(world["zone_admin"])
    blank = b"".join(
        client.get(reverse("study:signin_template", args=[session.pk])).streaming_content
    )
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post(
        reverse("study:signin_import", args=[session.pk]),
        {"file": SimpleUploadedFile("签到表.xlsx", blank)},
    )
    assert response.status_code == 422
    assert not Attendance.objects.filter(present=True).exists()
