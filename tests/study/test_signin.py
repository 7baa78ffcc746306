"""The sign-in sheet (签到表): the template, the dry run with errors by row
and column, and the all-or-nothing import into a session's attendance."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from shiji.audit.models import AuditEvent
from shiji.core.models import StagedUpload
from shiji.study import excel
from shiji.study.models import Attendance
from tests.conftest import SYSTEM

HEADERS = ["姓名", "所属组织", "签到(是/否)", "缺席原因"]


def sheet(rows, *, headers=HEADERS, name="签到表.xlsx") -> SimpleUploadedFile:
    wb = Workbook()
    ws = wb.active
    ws.title = "签到表"
    ws.append(headers)
    for row in rows:
        ws.append(list(row))
    out = io.BytesIO()
    wb.save(out)
    return SimpleUploadedFile(name, out.getvalue())


@pytest.fixture
def session(world, make_session):
    return make_session(present=["张三"])


def marks(session):
    return {a.person.name: (a.present, a.reason) for a in session.attendance.all()}


def template_rows(ws) -> list[dict]:
    """The attendee rows of a downloaded sign-in sheet, by header: the rows
    under the header row (the first whose first cell is 序号)."""
    rows = [tuple(c.value for c in r) for r in ws.iter_rows()]
    at = next(i for i, r in enumerate(rows) if r[0] == "序号")
    return [dict(zip(rows[at], r, strict=True)) for r in rows[at + 1 :]]


def dry_run(client, session, file):
    return client.post(reverse("study:signin_import", args=[session.pk]), {"file": file})


def test_template_lists_the_roster_with_recorded_attendance(world, login, session):
    response = login(world["secretary"]).get(reverse("study:signin_template", args=[session.pk]))
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"
    ws = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    dept = world.a.dept.name
    assert [
        (r["序号"], r["姓名"], r["所属组织"], r["签名"], r["签到(是/否)"], r["缺席原因"])
        for r in template_rows(ws)
    ] == [
        (1, "张三", dept, None, "是", None),
        (2, "李四", dept, None, None, None),
        (3, "王五", dept, None, None, None),
    ]


def test_a_clean_sheet_is_checked_then_applied(world, login, session):
    client = login(world["secretary"])
    dept = world.a.dept.name
    response = dry_run(
        client,
        session,
        sheet([("张三", dept, "否", "出差"), ("李四", "", "是", ""), ("王五", dept, "是", None)]),
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "检查通过：出席 2 人，缺席 1 人" in body
    # Nothing applied yet: 李四 and 王五 are still 待补录.
    assert marks(session) == {"张三": (True, ""), "李四": (None, ""), "王五": (None, "")}
    staged = StagedUpload.objects.get()
    response = client.post(
        reverse("study:signin_confirm", args=[session.pk]), {"staged": staged.pk}
    )
    assert response.status_code == 302
    assert marks(session) == {"张三": (False, "出差"), "李四": (True, ""), "王五": (True, "")}
    event = AuditEvent.objects.get(action="study.attendance")
    assert "导入签到表 签到表.xlsx" in event.note and staged.sha256 in event.note
    assert not StagedUpload.objects.exists()


def test_people_not_on_the_sheet_keep_their_attendance(world, login, session):
    client = login(world["secretary"])
    dry_run(client, session, sheet([("李四", "", "否", "病假")]))
    client.post(
        reverse("study:signin_confirm", args=[session.pk]),
        {"staged": StagedUpload.objects.get().pk},
    )
    assert marks(session) == {"张三": (True, ""), "李四": (False, "病假"), "王五": (None, "")}


def test_errors_are_named_by_row_and_column_and_nothing_is_written(world, login, session):
    from shiji.orgs.services import person_create
    from tests.study.conftest import person

    person_create(actor=SYSTEM, org=world.a.organ, name="李四", position="干部")  # a namesake
    client = login(world["secretary"])
    before = marks(session)
    rows = [
        ("张三", "", "是", ""),  # 2: fine
        ("孙悟空", "", "是", ""),  # 3: unknown
        ("赵六", "", "是", ""),  # 4: another branch
        ("张三", "", "否", "重复"),  # 5: duplicate
        ("王五", "", "否", ""),  # 6: absent without reason
        ("李四", "", "也许", ""),  # 7: bad mark
    ]
    response = dry_run(client, session, sheet(rows))
    assert response.status_code == 422
    plan = excel._plan(session, sheet(rows))
    found = {(e["row"], e["column"]) for e in plan.errors}
    assert found == {(3, "姓名"), (4, "姓名"), (5, "姓名"), (6, "缺席原因"), (7, "签到(是/否)")}
    messages = {e["row"]: e["message"] for e in plan.errors}
    assert "花名册中没有“孙悟空”" in messages[3]
    assert f"赵六（{world.a.firm.name}）不属于{world.a.dept.name}" in messages[4]
    assert "与第 2 行重复" in messages[5]
    assert messages[6] == "王五缺席，请填写缺席原因"
    body = response.content.decode()
    assert "未导入任何记录" in body and "孙悟空" in body
    assert marks(session) == before
    assert not StagedUpload.objects.exists()
    assert person(world.a.dept, "李四")


def test_duplicate_rows_for_one_person_are_refused(world, login, session):
    plan = excel._plan(session, sheet([("李四", "", "是", ""), ("李四", "", "是", "")]))
    assert [{k: v for k, v in e.items() if k not in ("msgid", "params")} for e in plan.errors] == [
        {
            "sheet": "签到表",
            "row": 3,
            "column": "姓名",
            "message": "李四与第 2 行重复，每人只能填写一行",
        }
    ]
    assert plan.rows == []


def test_a_file_that_is_not_xlsx_is_refused(world, login, session):
    client = login(world["secretary"])
    response = dry_run(
        client, session, SimpleUploadedFile("签到表.xlsx", "姓名,签到\n张三,是\n".encode() * 5)
    )
    assert response.status_code == 422
    assert "不是有效的 Excel（.xlsx）文件" in response.content.decode()
    assert not StagedUpload.objects.exists()


def test_an_oversized_file_is_refused(world, login, session, monkeypatch):
    monkeypatch.setattr(excel, "SIGNIN_MAX_BYTES", 1024)
    big = sheet([("张三", "", "是", "x" * 50)] * 200)
    response = dry_run(login(world["secretary"]), session, big)
    assert response.status_code == 422
    assert "文件过大" in response.content.decode()


def test_a_sheet_without_the_headers_is_refused(world, login, session):
    plan = excel._plan(session, sheet([("张三", "是")], headers=["名字", "到了吗"]))
    assert plan.errors and plan.errors[0]["row"] is None
    assert "表头" in plan.errors[0]["message"]


def test_confirm_rechecks_against_the_roster_of_now(world, login, session):
    from shiji.orgs.models import Person

    client = login(world["secretary"])
    dry_run(client, session, sheet([("王五", "", "是", "")]))
    Person.objects.filter(org=world.a.dept, name="王五").update(is_active=False)
    response = client.post(
        reverse("study:signin_confirm", args=[session.pk]),
        {"staged": StagedUpload.objects.get().pk},
    )
    # The sheet no longer fits the roster: bad input now (422), listed again.
    assert response.status_code == 422
    assert "王五" in response.content.decode()
    assert marks(session) == {"张三": (True, ""), "李四": (None, ""), "王五": (None, "")}


def test_someone_elses_staged_upload_is_not_found(world, login, session):
    dry_run(login(world["secretary"]), session, sheet([("王五", "", "是", "")]))
    staged = StagedUpload.objects.get()
    response = login(world["liaison"]).post(
        reverse("study:signin_confirm", args=[session.pk]), {"staged": staged.pk}
    )
    assert response.status_code == 404  # not theirs: as if it did not exist
    assert Attendance.objects.get(person__name="王五").present is None


@pytest.mark.parametrize("role", ["leader", "supervisor", "firm_secretary", "outsider"])
def test_import_pages_are_refused_outside_the_manage_scope(world, login, session, role):
    client = login(world[role])
    expected = 403 if role in ("leader", "supervisor") else 404
    assert client.get(reverse("study:signin_import", args=[session.pk])).status_code == expected
    assert client.get(reverse("study:signin_template", args=[session.pk])).status_code == expected


# Crafted and misleading workbooks --------------------------------------------------------


def test_the_empty_cells_workbook_is_refused_quickly_in_bounded_memory(world, login, session):
    """The report's attack: 30 KB that a liaison may upload took this page
    from 606 MB to 2 GB."""
    from tests import xlsx_attacks

    bomb = xlsx_attacks.empty_cells_bomb(HEADERS, sheet="签到表")
    client = login(world["liaison"])
    before = marks(session)

    response, seconds, peak_mb = xlsx_attacks.measured(
        lambda: dry_run(client, session, SimpleUploadedFile("签到表.xlsx", bomb))
    )

    assert response.status_code == 422
    assert "含有大量空白单元格" in response.content.decode()
    assert seconds < 30 and peak_mb < 50  # traced: several times slower
    assert not StagedUpload.objects.exists()
    assert marks(session) == before


def test_every_row_past_an_under_stated_dimension_is_read(world, session):
    from tests import xlsx_attacks

    dept = world.a.dept.name
    data = sheet([("张三", dept, "否", "出差"), ("李四", "", "是", ""), ("王五", dept, "是", None)])
    understated = xlsx_attacks.with_dimension(data.read(), "A1:D2")

    plan = excel.signin_dry_run(
        actor=world["secretary"],
        session=session,
        file=SimpleUploadedFile("签到表.xlsx", understated),
    )

    assert plan.errors == []
    assert [r.name for r in plan.rows] == ["张三", "李四", "王五"]
