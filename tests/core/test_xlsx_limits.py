"""The bounded workbook reader (core/xlsx/reader.py): crafted files are refused
quickly and in little memory, the declared ``<dimension>`` is never trusted,
and each limit stops the read with a clear message."""

from __future__ import annotations

import datetime as dt
import io
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from openpyxl import Workbook

from shiji.core.errors import Invalid
from shiji.core.xlsx import (
    NOT_XLSX,
    ErrorList,
    ReadLimits,
    WorkbookTooLarge,
    find_header,
    iter_rows,
    open_workbook,
    workbook_bytes,
)
from tests import xlsx_attacks

ROOT = Path(__file__).resolve().parent.parent.parent
HEADERS = ["台账编号", "问题描述", "整改时限"]
LIMITS = ReadLimits(max_rows=100_000, max_columns=40)


def read_all(data: bytes, limits: ReadLimits = LIMITS):
    wb = open_workbook(io.BytesIO(data), limits=limits)
    try:
        errors = ErrorList()
        ws = wb.worksheets[0]
        header = find_header(ws, HEADERS, errors=errors)
        rows = list(iter_rows(ws, header, errors=errors)) if header else []
        return rows, errors.as_list()
    finally:
        wb.close()


def rows_workbook(count: int, *, extra=()) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(HEADERS)
    for n in range(1, count + 1):
        ws.append([f"A-{n}", f"问题{n}", None, *extra])
    return workbook_bytes(wb)


# Crafted files ---------------------------------------------------------------------

# Run in a child process: the honest measure of memory is the process's own
# resident size (tracemalloc misses what C code allocates). The child
# builds the file first, then resets its peak RSS and reads.
CHILD = textwrap.dedent(
    """
    import io, json, sys, time
    from pathlib import Path
    sys.path.insert(0, {root!r})
    from shiji.core.errors import Invalid
    from shiji.core.xlsx import ErrorList, ReadLimits, find_header, iter_rows
    from shiji.core.xlsx import open_workbook
    from tests import xlsx_attacks

    def status(field):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024

    headers = {headers!r}
    data = getattr(xlsx_attacks, {builder!r})(headers)
    Path("/proc/self/clear_refs").write_text("5")
    before = status("VmRSS")
    started = time.perf_counter()
    outcome = "read"
    try:
        wb = open_workbook(io.BytesIO(data), limits=ReadLimits(max_rows=100_000, max_columns=40))
        ws = wb.worksheets[0]
        errors = ErrorList()
        header = find_header(ws, headers, errors=errors)
        sum(1 for _ in iter_rows(ws, header, errors=errors))
    except Invalid as exc:
        outcome = exc.fields["file"]
    print(json.dumps({{
        "size": len(data),
        "outcome": outcome,
        "seconds": time.perf_counter() - started,
        "growth_mb": status("VmHWM") - before,
    }}))
    """
)


@pytest.mark.parametrize("builder", ["empty_cells_bomb", "one_row_bomb"])
def test_five_million_empty_cells_are_refused_in_seconds_and_little_memory(builder):
    code = CHILD.format(root=str(ROOT), headers=HEADERS, builder=builder)
    done = subprocess.run(  # noqa: S603 (our own interpreter and code)
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    measured = json.loads(done.stdout.strip().splitlines()[-1])

    assert measured["size"] < 40_000  # the 33 KB file of the report
    assert "含有大量空白单元格" in measured["outcome"]
    assert measured["seconds"] < 10
    assert measured["growth_mb"] < 50


def test_a_table_of_shared_strings_past_the_limit_is_refused_in_bounded_memory():
    limits = ReadLimits(max_rows=5000, max_columns=20)  # a sign-in sheet's
    data = xlsx_attacks.shared_strings_bomb(HEADERS, count=30_000)

    def read():
        with pytest.raises(WorkbookTooLarge) as caught:
            read_all(data, limits)
        return caught

    caught, seconds, peak = xlsx_attacks.measured(read)

    assert caught.value.fields["file"] == "工作簿中的文字过多（超过 26302 段），请拆分后导入"
    assert peak < 50 and seconds < 20


def test_shared_strings_are_read_as_before():
    """Excel (and openpyxl) write text as shared strings; they still read."""
    rows, errors = read_all(rows_workbook(3))
    assert errors == [] and [r["问题描述"] for r in rows] == ["问题1", "问题2", "问题3"]


def test_the_cell_budget_stops_a_sheet_of_stray_values():
    """Cells with content outside the expected columns are not empty, so the
    empty-cell rule does not see them; the cell budget does."""
    limits = ReadLimits(max_rows=50, max_columns=5)
    wb = Workbook()
    ws = wb.active
    ws.append(HEADERS)
    for n in range(200):
        ws.append([None, None, None, None, n])  # column E: inside the cap, unnamed
    with pytest.raises(WorkbookTooLarge) as caught:
        read_all(workbook_bytes(wb), limits)
    assert caught.value.fields["file"] == (
        "工作表“Sheet”的单元格过多（超过 360 个），请只保留要导入的数据，复制到新的工作簿后再导入"
    )


def test_content_right_of_the_column_cap_is_refused_and_empty_cells_there_skipped():
    limits = ReadLimits(max_rows=50, max_columns=5)
    rows, errors = read_all(rows_workbook(2, extra=[None, None, None]), limits)
    assert [r.number for r in rows] == [2, 3] and errors == []

    with pytest.raises(WorkbookTooLarge) as caught:
        read_all(rows_workbook(2, extra=[None, None, None, "备注"]), limits)
    assert (
        caught.value.fields["file"] == "工作表“Sheet”超过 5 列（G 列有内容），请删除多余的列后导入"
    )


def test_a_sheet_part_that_unpacks_past_its_limit_is_refused_before_reading():
    data = xlsx_attacks.empty_cells_bomb(HEADERS, cells=200_000)
    with pytest.raises(WorkbookTooLarge) as caught:
        read_all(data, ReadLimits(max_rows=10, max_columns=5, max_sheet_bytes=100_000))
    assert caught.value.fields["file"] == "工作表内容过大（解压后超过 0 MB），请拆分后导入"


def test_the_time_budget_stops_a_read():
    with pytest.raises(WorkbookTooLarge) as caught:
        read_all(rows_workbook(3), ReadLimits(max_rows=10, max_columns=5, max_seconds=0))
    assert caught.value.fields["file"] == (
        "读取工作簿超过 0 秒仍未完成，请拆分成几个较小的文件后分别导入"
    )


def test_too_many_merged_ranges_are_refused():
    wb = Workbook()
    ws = wb.active
    ws.append(HEADERS)
    for n in range(2, 2 + 1002):
        ws.merge_cells(f"D{n}:E{n}")
    with pytest.raises(WorkbookTooLarge) as caught:
        read_all(workbook_bytes(wb))
    assert "合并单元格过多（超过 1000 处）" in caught.value.fields["file"]


def test_a_merge_over_a_million_rows_costs_no_memory_per_cell():
    data = xlsx_attacks.merged_workbook([HEADERS, ["A-1", "问题", ""]], "B2:B1048576")
    (rows, errors), seconds, peak = xlsx_attacks.measured(lambda: read_all(data))
    assert [e["message"] for e in errors] == [
        "B2:B1048576 是合并单元格，请取消合并，每行分别填写完整"
    ]
    assert rows[0].bad == {"问题描述"}
    assert seconds < 5 and peak < 20


# The declared <dimension> ----------------------------------------------------------


def test_rows_past_an_under_stated_dimension_are_all_read():
    data = xlsx_attacks.with_dimension(rows_workbook(5), "A1:C2")
    rows, errors = read_all(data)
    assert errors == []
    assert [r["台账编号"] for r in rows] == ["A-1", "A-2", "A-3", "A-4", "A-5"]


def test_an_over_stated_dimension_makes_up_no_rows():
    data = xlsx_attacks.with_dimension(rows_workbook(2), "A1:XFD1048576")
    (rows, errors), seconds, _ = xlsx_attacks.measured(lambda: read_all(data))
    assert [r.number for r in rows] == [2, 3] and errors == []
    assert seconds < 2


def test_a_damaged_sheet_is_not_a_workbook():
    data = rows_workbook(3)
    broken = xlsx_attacks.with_dimension(data, 'A1"/><x')  # no longer XML
    with pytest.raises(Invalid):
        read_all(broken)


# The streamed parser ---------------------------------------------------------------


def mixed_workbook(*, write_only: bool) -> bytes:
    """Every kind of cell an import meets: numbers, text (shared or inline,
    rich or plain, quote-prefixed), bools, dates and times, formulas and
    error values, with gaps between cells."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.rich_text import CellRichText, TextBlock
    from openpyxl.cell.text import InlineFont

    wb = Workbook(write_only=write_only)
    ws = wb.create_sheet("Sheet") if write_only else wb.active
    rich = CellRichText(["整改", TextBlock(InlineFont(b=True), "台账")])
    quoted = WriteOnlyCell(ws, "=1+2")
    quoted.data_type = "s"
    quoted.quotePrefix = True
    day = WriteOnlyCell(ws, dt.date(2026, 3, 31))
    day.number_format = "yyyy-mm-dd"
    moment = WriteOnlyCell(ws, dt.datetime(2026, 3, 31, 8, 30))  # noqa: DTZ001 (a cell has no zone)
    moment.number_format = "yyyy-mm-dd hh:mm"
    error = WriteOnlyCell(ws, "#N/A")
    error.data_type = "e"
    ws.append(HEADERS)
    ws.append([1, 2.5, -3, 1e20, None, "  文字  ", True, False])
    ws.append([rich, quoted, day, moment, "=SUM(A2:B2)", error, None, "x005F_y"])
    ws.append([None, None, None, None, None, None, None, "最后一列"])
    return workbook_bytes(wb)


@pytest.mark.parametrize("write_only", [False, True])  # shared strings, inline strings
def test_rows_read_the_values_openpyxl_reads(write_only):
    """The expat parser gives each cell the value and data type openpyxl's
    own read-only parser gives it."""
    from openpyxl import load_workbook

    from shiji.core.xlsx import sheet_rows

    data = mixed_workbook(write_only=write_only)
    expected_book = load_workbook(io.BytesIO(data), read_only=True, rich_text=False)
    expected = [
        [(c.value, c.data_type) for c in row] for row in expected_book.worksheets[0].iter_rows()
    ]
    expected_book.close()
    wb = open_workbook(io.BytesIO(data), limits=LIMITS)
    try:
        got = [[(c.value, c.data_type) for c in cells] for _, cells in sheet_rows(wb.worksheets[0])]
        quoted = [c.quotePrefix for _, cells in sheet_rows(wb.worksheets[0]) for c in cells]
    finally:
        wb.close()

    # openpyxl pads every row to the widest; the reader stops at each row's
    # last value.
    assert got == [row[: len(got_row)] for row, got_row in zip(expected, got, strict=True)]
    padding = [
        v for row, got_row in zip(expected, got, strict=True) for v, _ in row[len(got_row) :]
    ]
    assert set(padding) <= {None}
    assert got[2][0] == ("整改台账", "s") and got[2][2][0] == dt.datetime(2026, 3, 31)  # noqa: DTZ001
    assert got[2][4] == ("=SUM(A2:B2)", "f") and got[2][5] == ("#N/A", "e")
    assert quoted.count(True) == 1


def test_a_part_that_declares_a_dtd_is_not_a_workbook():
    """No part of an .xlsx has a DTD; with one refused, no entity can be
    declared (the "billion laughs") or fetched from outside."""
    doctype = (
        b'<?xml version="1.0"?><!DOCTYPE worksheet [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
    )
    sheet = [
        doctype,
        f'<worksheet xmlns="{xlsx_attacks.MAIN}"><sheetData>'.encode(),
        b'<row r="1"><c r="A1" t="inlineStr"><is><t>&b;</t></is></c></row>',
        b"</sheetData></worksheet>",
    ]
    with pytest.raises(Invalid) as caught:
        read_all(xlsx_attacks.workbook([("Sheet1", sheet)]))
    assert caught.value.fields["file"] == str(NOT_XLSX)
