"""Workbook helpers: opening safely, finding headers, reading rows with every
problem reported at its Excel row and header, and writing text safely."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import pytest
from openpyxl import Workbook, load_workbook

from shiji.core.errors import Invalid
from shiji.core.xlsx import (
    DEFAULT_LIMITS,
    NOT_XLSX,
    ErrorList,
    ReadLimits,
    WorkbookTooLarge,
    add_choice_validation,
    cell_text,
    find_header,
    iter_rows,
    open_workbook,
    safe_cell,
    safe_cell_text,
    workbook_bytes,
)

HEADERS = ["台账编号", "问题描述", "整改时限"]


def saved(wb: Workbook) -> io.BytesIO:
    return io.BytesIO(workbook_bytes(wb))


def ledger_like(rows: list[list], *, title_rows: int = 1) -> Workbook:
    wb = Workbook()
    ws = wb.active
    ws.title = "整改台账"
    for i in range(title_rows):
        ws.append([f"说明第 {i + 1} 行"])
    ws.append(HEADERS)
    for row in rows:
        ws.append(row)
    return wb


def read(file, *, date_columns=("整改时限",), limits=DEFAULT_LIMITS):
    wb = open_workbook(file, limits=limits)
    errors = ErrorList()
    try:
        ws = wb.worksheets[0]
        header = find_header(ws, HEADERS, errors=errors)
        rows = (
            list(iter_rows(ws, header, errors=errors, date_columns=date_columns)) if header else []
        )
    finally:
        wb.close()
    # The Chinese text; msgid/params render it in English (test_i18n_imports.py).
    plain = [{k: v for k, v in e.items() if k not in ("msgid", "params")} for e in errors.as_list()]
    return header, rows, plain


# Opening ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content",
    [b"MZ\x90\x00 an exe", b"plain text", b"PK\x03\x04 broken zip"],
    ids=["exe", "text", "broken-zip"],
)
def test_open_workbook_refuses_what_is_not_a_workbook(content):
    with pytest.raises(Invalid) as exc:
        open_workbook(io.BytesIO(content))
    assert exc.value.fields == {"file": str(NOT_XLSX)}


def test_open_workbook_refuses_a_zip_without_a_workbook_inside():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "not xml at all <")
    with pytest.raises(Invalid) as exc:
        open_workbook(out)
    assert exc.value.fields == {"file": str(NOT_XLSX)}


def test_open_workbook_refuses_content_that_unpacks_too_large():
    wb = ledger_like([["A-1", "x" * 5000, None]])
    with pytest.raises(Invalid) as exc:
        open_workbook(
            saved(wb), limits=ReadLimits(max_rows=10, max_columns=5, max_unzipped_bytes=2000)
        )
    assert "过大" in exc.value.message


# Headers ---------------------------------------------------------------------------


@pytest.mark.parametrize("title_rows", [0, 1, 4])
def test_header_row_is_found_below_title_rows(title_rows):
    header, rows, errors = read(saved(ledger_like([["A-1", "问题", None]], title_rows=title_rows)))
    assert errors == []
    assert header.row == title_rows + 1
    assert header.columns == {"台账编号": 1, "问题描述": 2, "整改时限": 3}
    assert rows[0].number == title_rows + 2


def test_header_below_the_first_five_rows_is_not_found():
    header, _, errors = read(saved(ledger_like([], title_rows=5)))
    assert header is None
    assert errors[0]["row"] is None
    assert "前 5 行中没有找到表头" in errors[0]["message"]


def test_missing_and_renamed_headers_are_reported_by_name():
    wb = Workbook()
    ws = wb.active
    ws.append(["问题整改台账"])
    ws.append(["台账编号", "问题 描述*", "完成时限"])  # spaces and * are fine; 完成时限 is not
    header, _, errors = read(saved(wb))
    assert header is None
    assert errors == [
        {
            "sheet": "Sheet",
            "row": 2,
            "column": "",
            "message": "缺少列：整改时限（第 2 行有未识别的列：完成时限，是否改了列名？）。"
            "请按模板的列名填写",
        }
    ]


def test_optional_headers_may_be_missing():
    wb = Workbook()
    wb.active.append(["台账编号", "问题描述"])
    errors = ErrorList()
    book = open_workbook(saved(wb))
    header = find_header(book.active, HEADERS, errors=errors, required=["台账编号"])
    assert header is not None and not errors
    assert "整改时限" not in header.columns


# Rows ------------------------------------------------------------------------------


def test_rows_carry_excel_numbers_and_skip_blank_rows():
    wb = ledger_like([["A-1", " 问题一 ", dt.datetime(2026, 3, 31)], [None, None, None]])  # noqa: DTZ001 (Excel cells are naive)
    wb.active.append(["A-3", "问题三", dt.date(2026, 7, 31)])
    _, rows, errors = read(saved(wb))
    assert errors == []
    assert [r.number for r in rows] == [3, 5]
    assert rows[0]["问题描述"] == "问题一"
    assert rows[0]["整改时限"] == dt.date(2026, 3, 31)
    assert rows[1].text("整改时限") == "2026-07-31"


def test_formulas_and_error_values_are_reported():
    wb = ledger_like([["=1+1", "问题", None], ["A-2", "#N/A", None]])
    _, rows, errors = read(saved(wb))
    assert [(e["row"], e["column"]) for e in errors] == [(3, "台账编号"), (4, "问题描述")]
    assert "公式" in errors[0]["message"]
    assert "#N/A" in errors[1]["message"]
    # Reported cells are left out, so the importer does not call them empty.
    assert rows[0].bad == {"台账编号"} and "台账编号" not in rows[0].values


def test_text_in_a_date_column_is_reported():
    wb = ledger_like([["A-1", "问题", "2026年3月31日"], ["A-2", "问题", 46112]])
    _, rows, errors = read(saved(wb))
    assert [(e["row"], e["column"]) for e in errors] == [(3, "整改时限"), (4, "整改时限")]
    assert "请填写日期" in errors[0]["message"]
    assert rows[0].bad == {"整改时限"}


def test_merged_cells_in_data_rows_are_reported_but_a_merged_title_is_fine():
    wb = ledger_like([["A-1", "同一个问题", None], ["A-2", None, None]])
    ws = wb.active
    ws.merge_cells("A1:C1")  # the title above the header
    ws.merge_cells("B3:B4")
    _, rows, errors = read(saved(wb))
    assert errors == [
        {
            "sheet": "整改台账",
            "row": 3,
            "column": "问题描述",
            "message": "B3:B4 是合并单元格，请取消合并，每行分别填写完整",
        }
    ]
    assert [r.bad for r in rows] == [{"问题描述"}, {"问题描述"}]


def test_too_many_rows_stop_the_whole_read_with_a_message():
    wb = ledger_like([[f"A-{i}", "问题", None] for i in range(5)])
    with pytest.raises(WorkbookTooLarge) as caught:
        read(saved(wb), limits=ReadLimits(max_rows=3, max_columns=5))
    assert caught.value.fields == {"file": "工作表“整改台账”超过 3 行，请拆分后导入"}


def test_cell_text_keeps_phone_digits_and_formats_dates():
    assert cell_text(13800000000.0) == "13800000000"
    assert cell_text(1.5) == "1.5"
    assert cell_text(dt.datetime(2026, 3, 31)) == "2026-03-31"  # noqa: DTZ001
    assert cell_text(None) == ""
    assert cell_text("  张三 ") == "张三"


def test_error_list_sorts_by_sheet_then_row():
    errors = ErrorList()
    errors.add("人员", 5, "姓名", "b")
    errors.add("组织", 9, "组织名称", "c")
    errors.add("组织", 3, "领域", "a")
    errors.add("组织", 3, "领域", "a")  # the same problem once
    assert [e["message"] for e in errors.as_list(sheet_order=("组织", "人员"))] == ["a", "c", "b"]


# Writing ---------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["=1+1", "+86 138", "-加强整改", "@SUM(A1)", "＝1+1"])
def test_safe_cell_text_neutralises_formula_triggers(text):
    assert safe_cell_text(text) == "'" + text


@pytest.mark.parametrize("value", ["加强整改", "", 42, None, dt.date(2026, 3, 31)])
def test_safe_cell_text_leaves_other_values_alone(value):
    assert safe_cell_text(value) == value


def test_safe_cell_text_imports_back_unchanged():
    wb = ledger_like([[safe_cell_text('=HYPERLINK("http://x")'), "问题", None]])
    _, rows, errors = read(saved(wb))
    assert errors == []
    assert rows[0]["台账编号"] == '=HYPERLINK("http://x")'


@pytest.mark.parametrize("write_only", [False, True])
def test_safe_cell_stores_literal_text_that_excel_never_evaluates(write_only):
    from openpyxl.cell import WriteOnlyCell

    wb = Workbook(write_only=write_only)
    ws = wb.create_sheet("整改台账") if write_only else wb.active
    if not write_only:
        ws.title = "整改台账"
    ws.append(["说明"])
    ws.append(HEADERS)
    if write_only:
        ws.append([safe_cell(WriteOnlyCell(ws), "=cmd|' /C calc'!A0"), "问题", None])
    else:
        ws.append([None, "问题", None])
        safe_cell(ws["A3"], "=cmd|' /C calc'!A0")
    data = saved(wb)
    cell = load_workbook(data)["整改台账"]["A3"]
    assert cell.data_type == "s" and cell.quotePrefix
    # and it reads back exactly, not as a formula
    _, rows, errors = read(data)
    assert errors == []
    assert rows[0]["台账编号"] == "=cmd|' /C calc'!A0"


def test_choice_validation_adds_a_drop_down():
    wb = Workbook()
    add_choice_validation(
        wb.active, column="B", first_row=3, last_row=100, choices=["是", "否"], title="是否党员"
    )
    loaded = load_workbook(saved(wb))
    (validation,) = loaded.active.data_validations.dataValidation
    assert validation.type == "list"
    assert validation.formula1 == '"是,否"'
    assert str(validation.sqref) == "B3:B100"
