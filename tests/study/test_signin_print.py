"""The sign-in sheet (签到表) as a paper form: title, time, place, topic and
the expected attendees with a 签名 column, 25 names to a portrait A4 page,
every page headed alike; printed through LibreOffice; and filled in, it
imports back."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from shiji.core.models import StagedUpload
from shiji.orgs import services as org_services
from shiji.study import excel
from tests.conftest import SYSTEM
from tests.paper import assert_prints_on_a4, page_numbers_printed, print_to_pdf
from tests.study.test_signin import dry_run, marks, template_rows

NAMES = 60


@pytest.fixture
def big_session(world, make_session):
    """A branch meeting of 60 expected attendees, 张三 recorded present."""
    for n in range(NAMES - 3):
        org_services.person_create(
            actor=SYSTEM, org=world.a.dept, name=f"学员{n + 1:02d}号", position="干部"
        )
    return make_session(
        present=["张三"], topic="深入学习贯彻树立和践行正确政绩观的重要论述，对照检视问题"
    )


def template(client, session):
    response = client.get(reverse("study:signin_template", args=[session.pk]))
    assert response.status_code == 200
    return response, b"".join(response.streaming_content)


def test_the_sheet_is_a_form_with_title_date_place_topic_and_a_signature_column(
    world, login, big_session
):
    response, data = template(login(world["secretary"]), big_session)
    ws = load_workbook(io.BytesIO(data))["签到表"]

    dept = world.a.dept.name
    assert ws["A1"].value == f"{dept}学习研讨签到表"
    assert ws["A2"].value == "时间：2026年3月10日（2.0 小时）"
    assert ws["D2"].value == "形式：支部学习\u3000地点："
    assert ws["A3"].value == f"主题：{big_session.topic}"
    assert ws["D3"].value == f"应到 {NAMES} 人，实到 ______ 人"
    assert [c.value for c in ws[4]] == [
        "序号",
        "姓名",
        "所属组织",
        "签名",
        "签到(是/否)",
        "缺席原因",
    ]
    rows = template_rows(ws)
    assert len(rows) == NAMES and [r["序号"] for r in rows] == list(range(1, NAMES + 1))
    assert all(r["签名"] is None for r in rows)
    # Bordered cells to sign in, rows tall enough to write in.
    for r in range(5, 5 + NAMES):
        assert ws.row_dimensions[r].height >= 24
        for c in range(1, 7):
            border = ws.cell(r, c).border
            assert border.left.style == border.right.style == border.bottom.style == "thin"
    assert "filename*=utf-8''" in response["Content-Disposition"]
    # 签到 offers 是 / 否 to choose from, as before.
    (choice,) = ws.data_validations.dataValidation
    assert choice.formula1 == '"是,否"' and str(choice.sqref) == f"E5:E{5 + NAMES + 200}"


def test_the_sheet_prints_25_names_to_a_portrait_page_each_headed_alike(world, login, big_session):
    _, data = template(login(world["secretary"]), big_session)
    ws = load_workbook(io.BytesIO(data))["签到表"]
    assert_prints_on_a4(ws, landscape=False, header_rows="$1:$4")
    # A page break after every 25 names (rows 5-29, 30-54, 55-64).
    assert [b.id for b in ws.row_breaks.brk] == [29, 54]
    assert ws.page_setup.scale in (None, 100)  # full size: nothing shrinks the signatures


def test_a_filled_in_sheet_in_the_new_layout_imports_back(world, login, big_session):
    client = login(world["secretary"])
    _, data = template(client, big_session)
    wb = load_workbook(io.BytesIO(data))
    ws = wb["签到表"]
    # The secretary copies the paper: everyone signed but 学员07号, away on duty.
    for r in range(5, 5 + NAMES):
        away = ws.cell(r, 2).value == "学员07号"
        ws.cell(r, 4).value = None if away else ws.cell(r, 2).value  # a "signature"
        ws.cell(r, 5).value = "否" if away else "是"
        ws.cell(r, 6).value = "外出执行任务" if away else None
    out = io.BytesIO()
    wb.save(out)

    checked = dry_run(client, big_session, SimpleUploadedFile("签到表.xlsx", out.getvalue()))
    assert checked.status_code == 200, checked.content.decode()[:500]
    assert f"检查通过：出席 {NAMES - 1} 人，缺席 1 人" in checked.content.decode()
    applied = client.post(
        reverse("study:signin_confirm", args=[big_session.pk]),
        {"staged": StagedUpload.objects.get().pk},
    )
    assert applied.status_code == 302

    recorded = marks(big_session)
    assert len(recorded) == NAMES
    assert recorded["学员07号"] == (False, "外出执行任务")
    assert all(present for name, (present, _) in recorded.items() if name != "学员07号")


def test_the_unchanged_template_reads_back_as_its_recorded_marks(world, big_session):
    """Only the people already recorded have 签到 filled in; the others must
    be filled in before importing, and the check says so by row."""
    data = excel.signin_template_bytes(session=big_session)
    plan = excel.signin_dry_run(
        actor=world["secretary"],
        session=big_session,
        file=SimpleUploadedFile("签到表.xlsx", data),
    )
    names = {
        5 + i: r["姓名"]
        for i, r in enumerate(template_rows(load_workbook(io.BytesIO(data))["签到表"]))
    }
    assert {e["column"] for e in plan.errors} == {excel.H_PRESENT}
    assert {e["row"] for e in plan.errors} == {r for r, name in names.items() if name != "张三"}


def test_libreoffice_prints_60_names_on_3_portrait_pages(
    world, login, big_session, tmp_path, libreoffice_profile
):
    _, data = template(login(world["secretary"]), big_session)
    pdf = print_to_pdf(data, name="签到表-60人", workdir=tmp_path, profile=libreoffice_profile)

    assert len(pdf.pages) == 3 and pdf.portrait
    assert page_numbers_printed(pdf)
    for page in (1, 2, 3):  # every page is the whole form: title and header again
        words = {w.text for w in pdf.words if w.page == page}
        assert f"{world.a.dept.name}学习研讨签到表" in words
        assert {"序号", "姓名", "所属组织", "签名"} <= words
    people = {r["姓名"] for r in template_rows(load_workbook(io.BytesIO(data))["签到表"])}
    per_page = [len([w for w in pdf.words if w.page == p and w.text in people]) for p in (1, 2, 3)]
    assert per_page == [25, 25, 10]
    assert min(pdf.printed_sizes()) >= 9.0 - 0.05
    assert not pdf.overprinted()
