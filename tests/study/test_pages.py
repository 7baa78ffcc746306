"""The study pages: who sees what, the fast attendance form (with and
without JavaScript), inline errors, the coverage page and the Excel export."""

from __future__ import annotations

import datetime as dt
import io
from urllib.parse import quote

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from shiji.study import services
from shiji.study.models import Attendance, StudySession
from tests.paper import assert_prints_on_a4
from tests.study.conftest import DAY, person


@pytest.fixture
def branch_session(world, make_session):
    return make_session(present=["张三", "王五"], absent={"李四": "出差"})


@pytest.fixture
def firm_session(world, make_session):
    return make_session(org=world.a.firm, present=["赵六"], topic="企业支部学习")


def form_data(world, kinds, *, absent=None, **over):
    """What the session form posts: every roster person listed, the ticked
    ones in ``present`` and each absence's reason as ``reason_<id>``."""
    people = list(world.a.dept.people.order_by("name"))
    absent = absent or {}
    data = {
        "org": str(world.a.dept.pk),
        "kind": str(kinds["支部学习"].pk),
        "date": DAY.isoformat(),
        "topic": "学习正确政绩观",
        "duration_hours": "2",
        "place": "会议室",
        "minutes": "",
        "roster": [str(p.pk) for p in people],
        "present": [str(p.pk) for p in people if p.name not in absent],
    }
    for p in people:
        data[f"reason_{p.pk}"] = absent.get(p.name, "")
    data.update(over)
    return data


# List ----------------------------------------------------------------------


def test_branch_secretary_sees_only_the_branch_sessions(world, login, branch_session, firm_session):
    body = login(world["secretary"]).get(reverse("study:list")).content.decode()
    assert branch_session.topic in body
    assert "企业支部学习" not in body


def test_another_zone_sees_none_of_zone_a(world, login, branch_session):
    body = login(world["outsider"]).get(reverse("study:list")).content.decode()
    assert branch_session.topic not in body
    assert "还没有学习研讨记录" in body


def test_list_query_count_does_not_grow_with_rows(
    world, login, make_session, django_assert_num_queries
):
    client = login(world["zone_admin"])
    make_session(present=["张三"])
    client.get(reverse("study:list"))
    with django_assert_num_queries(8):
        client.get(reverse("study:list"))
    for i in range(5):
        make_session(present=["张三", "李四"], topic=f"第{i}次")
    with django_assert_num_queries(8):
        response = client.get(reverse("study:list"))
    assert response.content.decode().count('data-session="') == 6


def test_list_filters_by_kind_org_and_dates_and_serves_an_htmx_fragment(
    world, login, make_session, kinds
):
    make_session(topic="早的支部学习", date=dt.date(2026, 3, 1))
    make_session(topic="晚的研讨交流", kind="研讨交流", date=dt.date(2026, 5, 1))
    make_session(org=world.a.firm, topic="企业的学习", present=["赵六"])
    client = login(world["zone_admin"])
    url = reverse("study:list")
    body = client.get(url, {"kind": kinds["研讨交流"].pk}).content.decode()
    assert "晚的研讨交流" in body and "早的支部学习" not in body
    body = client.get(url, {"org": world.a.econ.pk}).content.decode()
    assert "企业的学习" in body and "早的支部学习" not in body
    response = client.get(
        url, {"from": "2026-04-01", "to": "2026-06-30"}, headers={"HX-Request": "true"}
    )
    body = response.content.decode()
    assert "晚的研讨交流" in body and "早的支部学习" not in body
    assert "<html" not in body
    assert "HX-Request" in response["Vary"]


def test_list_filter_by_an_org_out_of_sight_is_404(world, login, kinds):
    response = login(world["secretary"]).get(reverse("study:list"), {"org": world.b.dept.pk})
    assert response.status_code == 404


# Detail --------------------------------------------------------------------


def test_detail_shows_attendance_reasons_and_timeline(world, login, branch_session):
    body = (
        login(world["leader"])
        .get(reverse("study:detail", args=[branch_session.pk]))
        .content.decode()
    )
    assert "出差" in body
    assert "出席 2 人" in body and "缺席 1 人" in body
    assert 'data-action="study.create"' in body
    assert reverse("study:edit", args=[branch_session.pk]) not in body  # the leader reads


def test_detail_leads_with_the_managers_actions_after_the_summary(world, login, branch_session):
    body = (
        login(world["secretary"])
        .get(reverse("study:detail", args=[branch_session.pk]))
        .content.decode()
    )
    keys = ("sj-summary", "sj-actions", "sj-attendance", "sj-speeches", "sj-timeline")
    order = [body.index(f'id="{key}"') for key in keys]
    assert order == sorted(order)
    assert 'id="sj-primary"' in body and 'id="sj-speech-form"' in body
    # A reader gets no action panel.
    body = login(world["leader"]).get(reverse("study:detail", args=[branch_session.pk]))
    assert 'id="sj-actions"' not in body.content.decode()


def test_an_action_returns_to_the_panel_and_htmx_gets_the_page_body(world, login, branch_session):
    zhang = person(world.a.dept, "张三")
    client = login(world["secretary"])
    url = reverse("study:speech_add", args=[branch_session.pk])
    response = client.post(url, {"person": zhang.pk, "title": "体会", "text": "要理旧账"})
    assert response["Location"] == (
        reverse("study:detail", args=[branch_session.pk]) + "#sj-actions"
    )
    response = client.post(
        url, {"person": zhang.pk, "title": "再谈", "text": "新官"}, headers={"HX-Request": "true"}
    )
    body = response.content.decode()
    assert response.status_code == 200 and "<html" not in body
    assert 'id="sj-session"' in body and "data-flash" in body and "再谈" in body
    assert "HX-Request" in response["Vary"]
    assert branch_session.speeches.count() == 2


@pytest.mark.parametrize("role", ["outsider", "firm_secretary", "nobody"])
def test_detail_out_of_scope_is_404(world, login, branch_session, role):
    response = login(world[role]).get(reverse("study:detail", args=[branch_session.pk]))
    assert response.status_code == 404


@pytest.mark.parametrize("role", ["leader", "supervisor", "national"])
def test_read_only_roles_get_403_on_edit(world, login, branch_session, role):
    client = login(world[role])
    assert client.get(reverse("study:edit", args=[branch_session.pk])).status_code == 403
    assert (
        client.post(reverse("study:material_upload", args=[branch_session.pk])).status_code == 403
    )


def test_create_page_is_refused_to_roles_that_cannot_record(world, login, kinds):
    assert login(world["leader"]).get(reverse("study:create")).status_code == 403


def test_anonymous_is_sent_to_login(client, world):
    response = client.get(reverse("study:list"))
    assert response.status_code == 302 and reverse("login") in response["Location"]


# The attendance form -------------------------------------------------------


def test_form_lists_the_branch_people_with_nobody_ticked(world, login, kinds):
    body = login(world["secretary"]).get(reverse("study:create")).content.decode()
    for name in ("张三", "李四", "王五"):
        assert name in body
    boxes = [line for line in body.splitlines() if 'type="checkbox" name="present"' in line]
    assert len(boxes) == 3
    assert not any("checked" in line for line in boxes)
    assert 'name="do" value="all_present"' in body
    assert "赵六" not in body


def test_saving_without_javascript_records_the_absent_with_their_reasons(world, login, kinds):
    data = form_data(world, kinds, absent={"李四": "出差", "王五": "病假"})
    response = login(world["secretary"]).post(reverse("study:create"), data)
    session = StudySession.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("study:detail", args=[session.pk])
    rows = {a.person.name: (a.present, a.reason) for a in Attendance.objects.all()}
    assert rows == {"张三": (True, ""), "李四": (False, "出差"), "王五": (False, "病假")}


def test_absent_without_reason_shows_the_error_on_that_row_and_writes_nothing(world, login, kinds):
    data = form_data(world, kinds, absent={"李四": ""})
    response = login(world["secretary"]).post(reverse("study:create"), data)
    assert response.status_code == 422
    body = response.content.decode()
    lisi = person(world.a.dept, "李四")
    row = body[body.index(f'data-person="{lisi.pk}"') :]
    row = row[: row.index("</li>")]
    assert "李四缺席，请填写缺席原因" in row
    assert "is-invalid" in row
    assert not StudySession.objects.exists()
    # What was typed is kept.
    assert 'value="学习正确政绩观"' in body


def test_future_date_is_shown_next_to_the_date_field(world, login, kinds):
    tomorrow = (timezone.localdate() + dt.timedelta(days=2)).isoformat()
    response = login(world["secretary"]).post(
        reverse("study:create"), form_data(world, kinds, date=tomorrow)
    )
    assert response.status_code == 422
    assert "日期不能晚于今天" in response.content.decode()
    assert not StudySession.objects.exists()


def test_a_forged_person_from_another_org_is_refused(world, login, kinds):
    data = form_data(world, kinds)
    outsider = person(world.a.firm, "赵六")
    data["roster"] = [*data["roster"], str(outsider.pk)]
    data["present"] = [*data["present"], str(outsider.pk)]
    response = login(world["secretary"]).post(reverse("study:create"), data)
    assert response.status_code == 422
    assert "不属于" in response.content.decode()
    assert not StudySession.objects.exists()


def test_secretary_cannot_create_for_an_org_outside_their_subtree(world, login, kinds):
    data = form_data(world, kinds)
    data["org"] = str(world.a.firm.pk)  # not in their choices: falls back to their own branch
    login(world["secretary"]).post(reverse("study:create"), data)
    assert StudySession.objects.get().org == world.a.dept


def test_edit_shows_recorded_attendance_and_replaces_it(world, login, branch_session, kinds):
    client = login(world["liaison"])
    body = client.get(reverse("study:edit", args=[branch_session.pk])).content.decode()
    assert 'value="出差"' in body
    data = form_data(world, kinds, absent={"张三": "开会"})
    response = client.post(reverse("study:edit", args=[branch_session.pk]), data)
    assert response.status_code == 302
    rows = {a.person.name: (a.present, a.reason) for a in branch_session.attendance.all()}
    assert rows == {"张三": (False, "开会"), "李四": (True, ""), "王五": (True, "")}


# Coverage page -------------------------------------------------------------


def test_coverage_page_shows_the_figures(world, login, branch_session, django_assert_num_queries):
    client = login(world["secretary"])
    url = reverse("study:coverage")
    client.get(url)
    # session, user, grants, org, its zone's campaign, the three coverage
    # queries, the org choices and the zones: whatever the size of the roster.
    with django_assert_num_queries(10):
        response = client.get(url, {"from": "2026-01-01", "to": "2026-11-01"})
    body = response.content.decode()
    assert 'data-figure="reached">2 / 3<' in body
    assert 'data-figure="share">67%<' in body
    assert "李四" in body[body.index('id="sj-never"') :]


def test_coverage_of_an_org_out_of_sight_is_404(world, login, kinds):
    client = login(world["secretary"])
    assert client.get(reverse("study:coverage"), {"org": world.a.firm.pk}).status_code == 404
    assert client.get(reverse("study:coverage"), {"org": world.b.root.pk}).status_code == 404


def test_zone_admin_sees_child_rows_and_drills_down(world, login, branch_session):
    body = login(world["zone_admin"]).get(reverse("study:coverage")).content.decode()
    assert world.a.root.name in body
    assert f'data-org="{world.a.organ.pk}"' in body
    assert f'data-org="{world.a.econ.pk}"' in body


# Export --------------------------------------------------------------------


def test_export_has_real_dates_a_frozen_header_and_safe_text(world, login, make_session):
    make_session(topic='=HYPERLINK("http://evil")', present=["张三"], absent={"李四": "出差"})
    make_session(org=world.a.firm, present=["赵六"], topic="企业学习")
    response = login(world["secretary"]).get(reverse("study:export"))
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"
    wb = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    ws = wb.active
    assert ws.freeze_panes == "A3"
    assert [c.value for c in ws[2]][:4] == ["序号", "日期", "学习形式", "主题"]
    rows = list(ws.iter_rows(min_row=3, values_only=False))
    assert len(rows) == 1  # the firm's session is not the secretary's
    date_cell, topic_cell = rows[0][1], rows[0][3]
    assert isinstance(date_cell.value, dt.datetime) and date_cell.value.date() == DAY
    assert topic_cell.data_type == "s" and topic_cell.value.startswith("=HYPERLINK")
    assert topic_cell.quotePrefix
    assert rows[0][10].value == "李四（出差）"
    assert ws["A1"].value == "甲高新区学习研讨记录"
    assert_prints_on_a4(ws, landscape=True, header_rows="$2:$2")
    name = f"甲高新区-学习研讨记录-{timezone.localdate().isoformat()}.xlsx"
    assert quote(name) in response["Content-Disposition"]


# Materials -----------------------------------------------------------------


def test_material_download_is_access_checked(world, login, branch_session):
    from tests.ledger.conftest import png_bytes

    f = io.BytesIO(png_bytes("dl"))
    f.name = "照片.png"
    item = services.material_add(actor=world["secretary"], session=branch_session, file=f)
    url = reverse("study:material_download", args=[branch_session.pk, item.pk])
    response = login(world["leader"]).get(url)
    assert response.status_code == 200
    assert response["X-Content-Type-Options"] == "nosniff"
    assert login(world["outsider"]).get(url).status_code == 404
    assert login(world["firm_secretary"]).get(url).status_code == 404


def test_uploading_a_disguised_file_shows_the_error_and_stores_nothing(
    world, login, branch_session
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    fake = SimpleUploadedFile("材料.docx", b"not a word document at all" * 20)
    response = login(world["secretary"]).post(
        reverse("study:material_upload", args=[branch_session.pk]), {"file": fake}
    )
    assert response.status_code == 422
    assert "不支持此类文件" in response.content.decode()
    assert not branch_session.materials.exists()


def test_speech_with_a_file_is_added_and_downloaded_only_in_scope(world, login, branch_session):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.ledger.conftest import png_bytes

    zhang = person(world.a.dept, "张三")
    response = login(world["secretary"]).post(
        reverse("study:speech_add", args=[branch_session.pk]),
        {
            "person": zhang.pk,
            "title": "新官要理旧账",
            "text": "",
            "file": SimpleUploadedFile("发言.png", png_bytes("speech")),
        },
    )
    assert response.status_code == 302
    speech = branch_session.speeches.get()
    assert (speech.person, speech.original_name, len(speech.sha256)) == (zhang, "发言.png", 64)
    body = login(world["leader"]).get(reverse("study:detail", args=[branch_session.pk])).content
    assert "新官要理旧账" in body.decode()
    url = reverse("study:speech_download", args=[branch_session.pk, speech.pk])
    assert login(world["leader"]).get(url).status_code == 200
    assert login(world["outsider"]).get(url).status_code == 404


def test_speech_without_content_shows_the_error_next_to_the_field(world, login, branch_session):
    zhang = person(world.a.dept, "张三")
    response = login(world["secretary"]).post(
        reverse("study:speech_add", args=[branch_session.pk]),
        {"person": zhang.pk, "title": "体会", "text": ""},
    )
    assert response.status_code == 422
    assert "请填写发言内容或上传发言材料" in response.content.decode()
    assert not branch_session.speeches.exists()


def test_coverage_serves_an_htmx_fragment(world, login, branch_session):
    response = login(world["zone_admin"]).get(
        reverse("study:coverage"), {"org": world.a.organ.pk}, headers={"HX-Request": "true"}
    )
    body = response.content.decode()
    assert "<html" not in body and 'id="sj-coverage-figures"' in body
    assert "HX-Request" in response["Vary"]


def test_export_is_refused_to_an_account_without_a_role(world, login):
    assert login(world["nobody"]).get(reverse("study:export")).status_code == 403


def test_the_role_table_lets_branch_officers_record_and_others_read():
    from shiji.orgs import policy

    assert set(policy.TABLE["study.manage"]) == {
        "system_admin",
        "zone_admin",
        "secretary",
        "liaison",
    }
    assert set(policy.TABLE["study.view"]) == set(policy.ALL)


def test_an_empty_form_asks_to_choose_the_kind(world, login, kinds):
    data = form_data(world, kinds, kind="")
    response = login(world["secretary"]).post(reverse("study:create"), data)
    assert response.status_code == 422
    assert "请选择学习形式" in response.content.decode()
    assert not StudySession.objects.exists()


def test_home_shows_the_branch_coverage(world, login, branch_session):
    body = login(world["secretary"]).get(reverse("home")).content.decode()
    panel = body[body.index('id="sj-study-panel"') :]
    assert world.a.dept.name in panel
    assert 'data-study="share">67%<' in panel


def test_home_has_no_study_panel_for_an_account_without_a_role(world, login):
    body = login(world["nobody"]).get(reverse("home")).content.decode()
    assert "sj-study-panel" not in body


WRITE_PAGES = ["study:edit", "study:material_upload", "study:speech_add", "study:signin_import",
               "study:signin_confirm"]  # fmt: skip


@pytest.mark.parametrize("name", WRITE_PAGES)
@pytest.mark.parametrize(("role", "status"), [("outsider", 404), ("firm_secretary", 404),
                                              ("leader", 403), ("supervisor", 403)])  # fmt: skip
def test_every_write_page_refuses_out_of_scope_and_read_only_roles(
    world, login, branch_session, name, role, status
):
    before = (branch_session.updated_at, branch_session.speeches.count())
    response = login(world[role]).post(reverse(name, args=[branch_session.pk]), {"title": "x"})
    assert response.status_code == status
    branch_session.refresh_from_db()
    assert (branch_session.updated_at, branch_session.speeches.count()) == before
