"""Exports follow the page language, except the workbooks that are read back.

The task list and the rule-making register are only read by people: in
English mode their sheet names, titles, headers and page footers are
English. The ledger workbook keeps its Chinese headers whatever the language
(a contract, DESIGN.md §6; its import reads them back), as do the roster and
sign-in sheet templates.
"""

from __future__ import annotations

import io
from urllib.parse import unquote

from django.utils import translation
from openpyxl import load_workbook

from shiji.ledger.excel.layout import HEADERS
from shiji.orgs.services import accounts


def _english(client):
    client.cookies["django_language"] = "en"
    return client


def _book(response):
    assert response.status_code == 200, response.content[:300]
    return load_workbook(io.BytesIO(b"".join(response.streaming_content)))


def _row(ws, number):
    return [c.value for c in ws[number] if c.value is not None]


def test_the_task_list_export_in_english(world, login):
    client = _english(login(world["zone_admin"]))
    book = _book(client.get("/campaigns/tasks/export/"))
    assert book.sheetnames == ["Task list", "By organization"]
    ws = book["Task list"]
    assert _row(ws, 2)[:3] == ["No.", "Work arrangement", "Task"]
    assert "Page &P of &N" in ws.oddFooter.center.text


def test_the_rule_register_export_in_english(world, login):
    client = _english(login(world["zone_admin"]))
    response = client.get("/regulations/export/")
    assert "Rule-making register" in unquote(response["Content-Disposition"])
    ws = _book(response).active
    assert ws.title == "Rule-making"
    assert _row(ws, 1) == ["甲高新区 Rule-making register"]
    assert _row(ws, 2)[:3] == ["No.", "Rule title", "Document no."]


def test_the_exports_stay_chinese_by_default(world, login):
    client = login(world["zone_admin"])
    ws = _book(client.get("/regulations/export/")).active
    assert ws.title == "建章立制" and _row(ws, 2)[:2] == ["序号", "制度名称"]


def test_the_ledger_workbook_keeps_its_chinese_contract_in_english(world, login):
    client = _english(login(world["zone_admin"]))
    response = client.get("/api/v1/ledger/export")
    ws = _book(response)["整改台账"]
    assert _row(ws, 2) == list(HEADERS)


def test_the_study_list_export_in_english(world, login):
    client = _english(login(world["zone_admin"]))
    ws = _book(client.get("/study/export/")).active
    assert ws.title == "Study sessions"
    assert _row(ws, 1) == ["甲高新区 study sessions"]
    assert _row(ws, 2)[:4] == ["No.", "Date", "Study format", "Topic"]


def test_the_audit_trail_records_role_labels_in_chinese_in_english_mode(world):
    """What the audit trail stores does not depend on the admin's page language."""
    with translation.override("en"):
        labels = accounts._grant_labels(world["secretary"])
    assert labels and all(label.startswith("书记@") for label in labels)
