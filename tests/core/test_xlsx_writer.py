"""SheetWriter's rows: written as XML straight into XlsxWriter's row file (the
per-cell path of XlsxWriter was most of a 100,000-row export), they must be
the very bytes XlsxWriter's own constant-memory writer produces for the same
cells, formats and heights."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import pytest
from openpyxl import load_workbook

from shiji.core.xlsx import (
    Column,
    ExportFormats,
    SheetWriter,
    plain_text,
    row_height,
    streaming_workbook,
)

COLUMNS = [
    Column("序号", 5),
    Column("台账编号", 11, wrap=False),
    Column("问题描述", 16),
    Column("整改时限", 11.5, date=True),
    Column("得分", 6, num_format="0.0"),
]

ROWS = [
    [
        1,
        "WX-2026-0001",
        "财政金融局举债建设标准厂房，空置率较高，偿债压力大",
        dt.date(2026, 3, 5),
        1.5,
    ],
    [2, "", None, None, None],
    [3, '=HYPERLINK("x")', "+1 -2 @3 ＝全角", dt.datetime(2026, 3, 5, 14, 30), 0],  # noqa: DTZ001
    [4, " leading space", "trailing space ", dt.date(1900, 1, 1), 12345678901234567],
    [5, 'a & b < c > d "q"', "第一行\r\n第二行\r第三行\n\n第五行", dt.date(2026, 12, 31), -0.25],
    [6, "_x0041_ literal", "control \x01\x1f and \x00 NUL", None, 3],
    [7, "x" * 40, "汉" * 400 + "Lorem ipsum dolor sit amet, " * 20, None, 1e-7],
    [8, 42, "\t tab first", None, True],
]


def _reference_write(writer: SheetWriter, values: list) -> None:
    """What SheetWriter.write did through XlsxWriter's public calls (the
    reference the fast path must match)."""
    ws, formats, r = writer.ws, writer.formats, writer.next_row
    texts = [
        None if v is None or v == "" or isinstance(v, int | float | dt.date) else plain_text(v)
        for v in values
    ]
    ws.set_row(
        r,
        row_height(
            ((t, c.width) for t, c in zip(texts, writer.columns, strict=True) if t),
            font_size=formats.size,
            minimum=writer.min_row_height,
        ),
    )
    for col, (value, text, column) in enumerate(zip(values, texts, writer.columns, strict=True)):
        if text is not None:
            ws.write_string(r, col, text, formats.text_for(text, wrap=column.wrap))
        elif value is None or value == "":
            blank = formats.date if column.date else formats.text[(column.wrap, False)]
            ws.write_blank(r, col, None, blank)
        elif isinstance(value, dt.date):
            ws.write_datetime(r, col, value, formats.date)
        else:
            ws.write_number(r, col, value, formats.number_for(column.num_format))
    writer.next_row += 1


def _workbook(rows: list[list], *, reference: bool, **options) -> bytes:
    out = io.BytesIO()
    book = streaming_workbook(out)
    formats = ExportFormats(book)
    writer = SheetWriter(book, formats, name="清单", columns=COLUMNS, title="标题", **options)
    for row in rows:
        if reference:
            _reference_write(writer, row)
        else:
            writer.write(row)
    writer.close()
    book.close()
    return out.getvalue()


def _parts(content: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(content)) as zf:
        return {name: zf.read(name) for name in zf.namelist() if not name.startswith("docProps")}


@pytest.mark.parametrize("options", [{}, {"min_row_height": 30}, {"rows_per_page": 3}])
def test_rows_are_the_bytes_xlsxwriter_writes_for_the_same_cells(options):
    fast, reference = (
        _workbook(ROWS, reference=False, **options),
        _workbook(ROWS, reference=True, **options),
    )
    fast_parts, reference_parts = _parts(fast), _parts(reference)
    assert fast_parts.keys() == reference_parts.keys()
    for name in fast_parts:
        assert fast_parts[name] == reference_parts[name], name


def test_the_fast_rows_read_back_as_written():
    ws = load_workbook(io.BytesIO(_workbook(ROWS, reference=False)))["清单"]
    assert ws.cell(3, 3).value.startswith("财政金融局")
    assert ws.cell(3, 4).value.date() == dt.date(2026, 3, 5)  # a real date
    assert ws.cell(3, 4).number_format == "yyyy-mm-dd"
    assert ws.cell(5, 2).value == '=HYPERLINK("x")' and ws.cell(5, 2).data_type == "s"
    assert ws.cell(5, 2).quotePrefix and not ws.cell(3, 2).quotePrefix
    assert ws.cell(7, 3).value == "第一行\n第二行\n第三行\n\n第五行"
    assert ws.cell(3, 5).value == 1.5 and ws.cell(3, 5).number_format == "0.0"
    assert ws.cell(4, 3).border.left.style == "thin"  # blank cells keep their borders
    assert ws.row_dimensions[9].height > ws.row_dimensions[3].height > 15


def test_user_text_that_looks_like_rich_text_markup_stays_text():
    """XlsxWriter's constant-memory writer copies a string that starts with
    <r> and ends with </r> into the sheet unescaped (its rich strings): from
    user text, that would be markup of the user's choosing in the file."""
    markup = '<r><t>x</t></r></is></c><c r="Z9"><f>HYPERLINK("http://evil")</f></c><c><is><r></r>'
    rows = [[1, markup, markup, None, None]]
    content = _workbook(rows, reference=False)
    ws = load_workbook(io.BytesIO(content))["清单"]
    assert ws.cell(3, 2).value == markup and ws.cell(3, 3).value == markup
    assert ws["Z9"].value is None
