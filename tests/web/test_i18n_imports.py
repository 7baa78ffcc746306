"""Import errors in the reader's language, the workbook's words in Chinese.

An import is checked in Chinese (the workbook's headers and 状态 labels are
a contract, DESIGN.md §6) and its result may be stored (a background job's
``result``, always in Chinese); each error keeps its msgid and parameters
(``core.i18n.msg``), so an English page shows it in English while the
column names and cell values it quotes stay as the workbook has them.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from shiji.core.i18n import msg, stored_text
from shiji.ledger import tasks
from shiji.ledger.models import JobState, LedgerJob, Status
from tests.ledger.conftest import categories, make_problem  # noqa: F401 (fixtures)
from tests.ledger.test_excel import COL, export_bytes, open_xlsx, row_of, save
from tests.ledger.test_excel_pages import run_worker, xlsx_upload
from tests.orgs.test_roster import IMPORT, workbook_file


@pytest.fixture
def problems(world, make_problem):  # noqa: F811 (the imported fixture)
    return [make_problem(world), make_problem(world, status=Status.IN_PROGRESS)]


def _bad_workbook(world, problems) -> bytes:
    """A ledger export with an unknown 责任单位 and a second copy of a 台账编号."""
    wb = open_xlsx(export_bytes(world["zone_admin"]))
    ws = wb["整改台账"]
    r = row_of(ws, problems[0].code)
    ws.cell(r, COL["责任单位"], "没有的单位")
    ws.cell(row_of(ws, problems[1].code), COL["台账编号"], problems[0].code)
    return save(wb)


def _english(client):
    client.cookies["django_language"] = "en"
    return client


def test_an_english_reader_sees_english_errors_naming_chinese_columns(world, problems, login):
    client = _english(login(world["zone_admin"]))
    data = _bad_workbook(world, problems)

    html = client.post(
        reverse("ledger:import"), {"zone": world.a.zone.pk, "file": xlsx_upload(data)}
    ).content.decode()

    assert "Column “责任单位”: “没有的单位” is not an organization of this zone" in html
    assert f"Column “台账编号”: “{problems[0].code}” is also on row" in html
    assert "不在本区的组织中" not in html and "行重复" not in html


def test_a_chinese_reader_sees_the_same_errors_in_chinese(world, problems, login):
    client = login(world["zone_admin"])
    data = _bad_workbook(world, problems)

    html = client.post(
        reverse("ledger:import"), {"zone": world.a.zone.pk, "file": xlsx_upload(data)}
    ).content.decode()

    assert "责任单位“没有的单位”不在本区的组织中" in html


@pytest.mark.django_db(transaction=True)
def test_a_background_check_stores_chinese_and_shows_english(world, problems, login, monkeypatch):
    monkeypatch.setattr(tasks, "IMPORT_SYNC_MAX_ROWS", 0)
    client = _english(login(world["zone_admin"]))
    data = _bad_workbook(world, problems)

    location = client.post(
        reverse("ledger:import"), {"zone": world.a.zone.pk, "file": xlsx_upload(data)}
    )["Location"]
    run_worker()

    job = LedgerJob.objects.get()
    assert job.state == JobState.DONE and job.phase == "已完成"  # stored in Chinese
    stored = {e["message"] for e in job.result["errors"]}
    assert "责任单位“没有的单位”不在本区的组织中，请使用“组织与人员”中的组织全称" in stored
    html = client.get(location).content.decode()
    assert "Column “责任单位”: “没有的单位” is not an organization of this zone" in html


def test_stored_text_renders_in_the_active_language(settings):
    from django.utils import translation

    message = msg("台账编号“%(code)s”不存在；新增问题请留空", code="ZA-1")
    entry = {"message": str(message), "msgid": message.msgid, "params": message.params}
    assert entry["message"] == "台账编号“ZA-1”不存在；新增问题请留空"
    with translation.override("en"):
        assert stored_text(entry) == (
            "Column “台账编号”: “ZA-1” does not exist; leave it empty for a new problem"
        )
        assert stored_text({"message": "中断"}) == "Interrupted"  # a plain msgid
        assert stored_text({"message": "某个数据"}) == "某个数据"  # data as stored


def test_roster_errors_in_english(world, login):
    client = _english(login(world["zone_admin"]))
    upload = workbook_file(orgs=[["新组织", "没有的上级", "党支部", "非公企业"]])

    html = client.post(IMPORT, {"zone": world.a.zone.pk, "file": upload}).content.decode()

    assert "Column “上级组织”: “没有的上级” does not exist" in html
