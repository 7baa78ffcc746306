"""Recording sessions and their attendance through the services: what is
written, what the audit trail says, and that bad input writes nothing."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.utils import timezone

from shiji.audit.models import AuditEvent
from shiji.core.errors import Conflict, Forbidden, Invalid
from shiji.study import services
from shiji.study.models import Attendance, Material, Speech, StudySession
from tests.conftest import SYSTEM
from tests.study.conftest import DAY, person


def counts() -> tuple[int, int, int, int]:
    return (
        StudySession.objects.count(),
        Attendance.objects.count(),
        Material.objects.count(),
        AuditEvent.objects.filter(action__startswith="study.").count(),
    )


def test_secretary_records_a_branch_session_with_attendance_in_one_call(world, kinds):
    dept = world.a.dept
    session = services.session_create(
        actor=world["secretary"],
        zone=world.a.zone,
        org=dept,
        kind=kinds["支部学习"],
        date=DAY,
        topic="学习习近平总书记关于正确政绩观的重要论述",
        duration_hours="1.5",
        place="三楼会议室",
        attendance=[
            {"person": person(dept, "张三").pk, "present": True, "reason": ""},
            {"person": person(dept, "李四"), "present": False, "reason": "出差"},
            {"person": person(dept, "王五").pk, "present": True, "reason": "多余的原因"},
        ],
    )
    session.refresh_from_db()
    assert session.duration_hours == Decimal("1.5")
    assert session.created_by == world["secretary"]
    rows = {a.person.name: (a.present, a.reason) for a in session.attendance.all()}
    assert rows == {"张三": (True, ""), "李四": (False, "出差"), "王五": (True, "")}
    event = AuditEvent.objects.get(action="study.create", object_id=str(session.pk))
    assert event.actor == world["secretary"]
    assert event.changes["topic"] == [None, "学习习近平总书记关于正确政绩观的重要论述"]
    assert event.changes["attendees"] == [None, "本单位人员（3 人）"]
    assert event.changes["attendance"] == [
        None,
        {"expected": 3, "present": 2, "absent": ["李四：出差"], "pending": 0},
    ]
    assert event.changes["marks"] == [None, ["张三：出席", "李四：缺席（出差）", "王五：出席"]]


def test_attendance_for_a_person_outside_the_session_org_is_refused_and_nothing_written(
    world, kinds
):
    before = counts()
    outsider = person(world.a.firm, "赵六")
    with pytest.raises(Invalid) as exc:
        services.session_create(
            actor=world["zone_admin"],
            zone=world.a.zone,
            org=world.a.dept,
            kind=kinds["支部学习"],
            date=DAY,
            topic="学习",
            duration_hours=2,
            attendance=[
                {"person": person(world.a.dept, "张三").pk, "present": True},
                {"person": outsider.pk, "present": True},
            ],
        )
    assert exc.value.fields == {
        "attendance[1].person": f"赵六（{world.a.firm.name}）不属于{world.a.dept.name}"
        "及其下级组织，不能记入本次学习的出勤"
    }
    assert counts() == before


def test_another_zones_person_is_not_on_the_roster(world, kinds):
    other = person(world.b.dept, "张三")
    with pytest.raises(Invalid) as exc:
        services.session_create(
            actor=world["zone_admin"],
            zone=world.a.zone,
            org=world.a.dept,
            kind=kinds["支部学习"],
            date=DAY,
            topic="学习",
            duration_hours=2,
            attendance=[{"person": other.pk, "present": True}],
        )
    assert exc.value.fields == {"attendance[0].person": "人员不在本区花名册中"}
    assert not StudySession.objects.exists()


def test_a_person_listed_twice_is_refused(world, kinds):
    p = person(world.a.dept, "张三")
    with pytest.raises(Invalid) as exc:
        services.session_create(
            actor=world["zone_admin"],
            zone=world.a.zone,
            org=world.a.dept,
            kind=kinds["支部学习"],
            date=DAY,
            topic="学习",
            duration_hours=2,
            attendance=[
                {"person": p.pk, "present": True},
                {"person": p.pk, "present": False, "reason": "病假"},
            ],
        )
    assert "attendance[1].person" in exc.value.fields
    assert "重复" in exc.value.message
    assert counts()[:2] == (0, 0)


def test_absent_without_reason_is_refused(world, kinds):
    with pytest.raises(Invalid) as exc:
        services.session_create(
            actor=world["zone_admin"],
            zone=world.a.zone,
            org=world.a.dept,
            kind=kinds["支部学习"],
            date=DAY,
            topic="学习",
            duration_hours=2,
            attendance=[
                {"person": person(world.a.dept, "李四").pk, "present": False, "reason": "  "}
            ],
        )
    assert exc.value.fields == {"attendance[0].reason": "李四缺席，请填写缺席原因"}
    assert counts()[:2] == (0, 0)


def test_a_session_dated_in_the_future_is_refused(world, kinds):
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    with pytest.raises(Invalid) as exc:
        services.session_create(
            actor=world["zone_admin"],
            zone=world.a.zone,
            org=world.a.dept,
            kind=kinds["支部学习"],
            date=tomorrow,
            topic="学习",
            duration_hours=2,
        )
    assert exc.value.fields == {"date": "日期不能晚于今天：学习研讨应在开展后记录"}
    assert counts() == (0, 0, 0, 0)


@pytest.mark.parametrize(
    ("hours", "message"),
    [
        ("0", "时长应大于 0"),
        ("-1", "时长应大于 0"),
        ("24.5", "时长不能超过 24 小时"),
        ("abc", "时长应为数字，如 1.5"),
        ("1.25", "时长最多保留一位小数，如 1.5"),
        ("NaN", "时长应大于 0"),
    ],
)
def test_duration_must_be_positive_and_at_most_a_day(world, kinds, hours, message):
    with pytest.raises(Invalid) as exc:
        services.session_create(
            actor=world["zone_admin"],
            zone=world.a.zone,
            org=world.a.dept,
            kind=kinds["支部学习"],
            date=DAY,
            topic="学习",
            duration_hours=hours,
        )
    assert exc.value.fields == {"duration_hours": message}
    assert not StudySession.objects.exists()


def test_kind_must_come_from_a_campaign_the_zone_adopted(world, kinds):
    from shiji.campaigns.models import StudyKind
    from shiji.campaigns.services import campaign_load

    other = campaign_load(actor=SYSTEM, path="dangji-2024").campaign
    foreign = StudyKind.objects.filter(campaign=other).first()
    with pytest.raises(Invalid) as exc:
        services.session_create(
            actor=world["zone_admin"],
            zone=world.a.zone,
            org=world.a.dept,
            kind=foreign,
            date=DAY,
            topic="学习",
            duration_hours=1,
        )
    assert "kind" in exc.value.fields


@pytest.mark.parametrize(
    ("role", "refusal"),
    [
        ("leader", Forbidden),
        ("supervisor", Forbidden),
        ("national", Forbidden),
        # The branch is out of their sight: the reference itself is bad (422).
        ("firm_secretary", Invalid),
        ("outsider", Invalid),
    ],
)
def test_roles_that_only_read_or_sit_elsewhere_cannot_record_for_the_branch(
    world, kinds, role, refusal
):
    with pytest.raises(refusal):
        services.session_create(
            actor=world[role],
            zone=world.a.zone,
            org=world.a.dept,
            kind=kinds["支部学习"],
            date=DAY,
            topic="学习",
            duration_hours=1,
        )
    assert not StudySession.objects.exists()


def test_liaison_replaces_attendance_and_the_trail_shows_before_and_after(world, make_session):
    session = make_session(present=["张三", "李四", "王五"], actor=world["liaison"])
    dept = world.a.dept
    services.session_set_attendance(
        actor=world["liaison"],
        session=session,
        entries=[
            {"person": person(dept, "张三").pk, "present": True},
            {"person": person(dept, "李四").pk, "present": False, "reason": "病假"},
        ],
    )
    rows = {a.person.name: (a.present, a.reason) for a in session.attendance.all()}
    # 王五 stays expected, no longer recorded: 待补录.
    assert rows == {"张三": (True, ""), "李四": (False, "病假"), "王五": (None, "")}
    event = AuditEvent.objects.get(action="study.attendance")
    assert event.changes["attendance"] == [
        {"expected": 3, "present": 3, "absent": [], "pending": 0},
        {"expected": 3, "present": 1, "absent": ["李四：病假"], "pending": 1},
    ]
    assert event.changes["marks"] == [None, ["李四：出席 → 缺席（病假）", "王五：出席 → 待补录"]]


def test_a_bad_entry_leaves_the_existing_attendance_untouched(world, make_session):
    session = make_session(present=["张三", "李四"])
    before = list(session.attendance.values_list("person__name", "present", "reason"))
    with pytest.raises(Invalid):
        services.session_set_attendance(
            actor=world["zone_admin"],
            session=session,
            entries=[
                {"person": person(world.a.dept, "张三").pk, "present": False, "reason": "出差"},
                {"person": person(world.a.firm, "钱七").pk, "present": True},
            ],
        )
    assert list(session.attendance.values_list("person__name", "present", "reason")) == before
    assert not AuditEvent.objects.filter(action="study.attendance").exists()


def test_update_changes_fields_and_records_the_diff(world, make_session):
    session = make_session(present=["张三"])
    services.session_update(
        actor=world["secretary"], session=session, topic="再学习", duration_hours="3"
    )
    session.refresh_from_db()
    assert (session.topic, session.duration_hours) == ("再学习", Decimal("3.0"))
    event = AuditEvent.objects.get(action="study.update")
    assert event.changes["topic"] == ["学习正确政绩观重要论述", "再学习"]
    assert event.changes["duration_hours"] == ["2.0", "3.0"]


def test_moving_a_session_to_an_org_that_excludes_its_attendees_conflicts(world, make_session):
    session = make_session(org=world.a.organ, present=["张三"])
    with pytest.raises(Conflict):
        services.session_update(actor=world["zone_admin"], session=session, org=world.a.soe)
    session.refresh_from_db()
    assert session.org == world.a.organ


def png(seed: str = "") -> io.BytesIO:
    from tests.ledger.conftest import png_bytes

    f = io.BytesIO(png_bytes(seed))
    f.name = "现场照片.png"
    return f


def test_material_is_stored_under_its_sha256_and_sniffed_extension(world, make_session):
    import hashlib

    session = make_session()
    upload = png("m1")
    digest = hashlib.sha256(upload.getvalue()).hexdigest()
    item = services.material_add(actor=world["secretary"], session=session, file=upload)
    assert item.sha256 == digest
    assert item.file.name == f"study/{world.a.zone.pk}/{digest[:2]}/{digest}.png"
    assert item.original_name == "现场照片.png"
    event = AuditEvent.objects.get(action="study.material")
    assert event.changes["material"] == [None, {"name": "现场照片.png", "sha256": digest}]


def test_a_disguised_material_file_is_refused_and_nothing_written(world, make_session):
    session = make_session()
    before = counts()
    fake = io.BytesIO(b"MZ\x90\x00 this is an executable, not a PDF" * 10)
    fake.name = "学习材料.pdf"
    with pytest.raises(Invalid) as exc:
        services.material_add(actor=world["secretary"], session=session, file=fake)
    assert "file" in exc.value.fields
    assert counts() == before


def test_speech_needs_a_person_of_the_subtree_and_some_content(world, make_session):
    session = make_session()
    with pytest.raises(Invalid) as exc:
        services.speech_add(
            actor=world["secretary"],
            session=session,
            person=person(world.a.firm, "赵六"),
            title="体会",
        )
    assert "person" in exc.value.fields
    with pytest.raises(Invalid) as exc:
        services.speech_add(
            actor=world["secretary"],
            session=session,
            person=person(world.a.dept, "张三"),
            title="体会",
        )
    assert exc.value.fields == {"text": "请填写发言内容或上传发言材料"}
    speech = services.speech_add(
        actor=world["secretary"],
        session=session,
        person=person(world.a.dept, "张三"),
        title="以实绩检验学习成效",
        text="要做到新官理旧账。",
    )
    assert Speech.objects.get() == speech
    assert AuditEvent.objects.get(action="study.speech").changes["speech"][1]["title"] == (
        "以实绩检验学习成效"
    )
