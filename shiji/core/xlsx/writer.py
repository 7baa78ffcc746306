"""Writing workbooks: user text that can never become a formula, choice
lists, and streamed exports (XlsxWriter) laid out for A4 by ``SheetWriter``
with the measures of ``paper``."""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any

import xlsxwriter
from django.utils.translation import gettext
from openpyxl import Workbook
from openpyxl.worksheet.datavalidation import DataValidation
from xlsxwriter.utility import _utf16_len, _utf16_truncate, xl_col_to_name
from xlsxwriter.xmlwriter import XMLwriter

# The XML parser openpyxl itself uses (the standard library's, or
# defusedxml's when installed): it never fetches external entities.
from shiji.core.xlsx.paper import (
    DATE_FORMAT,
    FONT,
    FONT_CHARSET_GB2312,
    FONT_SIZE,
    LINE_SPACING,
    MARGIN_BOTTOM,
    MARGIN_HEADER,
    MARGIN_SIDE,
    MARGIN_TOP,
    MIN_PRINT_PT,
    PAGE_NUMBERS,
    PAPER_A4,
    ROW_PADDING_PT,
    TITLE_SIZE,
    line_room,
    lines_height,
    merged_width,
    page_text,
    paper_orientation,
    print_scale,
    row_height,
    wrapped_lines,
)
from shiji.core.xlsx.reader import FORMULA_TRIGGERS

if TYPE_CHECKING:
    from django_stubs_ext import StrPromise

# Writing -------------------------------------------------------------------------


def safe_cell_text(value: Any) -> Any:
    """``value`` made harmless for any spreadsheet reader (CSV included): text
    that begins with = + - @ (or a tab or carriage return) gets a leading
    single quote, so it is shown and never evaluated. Other values pass as is.
    """
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def safe_cell(cell: Any, value: Any) -> Any:
    """Put ``value`` into an openpyxl cell (also a write-only ``WriteOnlyCell``)
    so that Excel shows text exactly as written and never evaluates it: such
    text is stored as a string with Excel's quote-prefix style, the same as
    typing a leading ' in Excel. Returns the cell."""
    cell.value = value.replace("\x00", "") if isinstance(value, str) else value
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        cell.data_type = "s"
        cell.quotePrefix = True
    return cell


def _choice_messages(choices: Sequence[str], title: str) -> dict[str, str]:
    listed = gettext("、").join(choices)
    return {
        "error_title": gettext("%(title)s不正确") % {"title": title},
        "error": gettext("请从下拉列表中选择：%(choices)s") % {"choices": listed},
        "prompt_title": title,
        "prompt": gettext("请选择：%(choices)s") % {"choices": listed},
    }


def add_choice_validation(
    ws: Any,
    *,
    column: str,
    first_row: int,
    last_row: int,
    choices: Sequence[str],
    title: str,
) -> DataValidation:
    """A drop-down list on ``column`` (a letter) for rows ``first_row``..``last_row``
    that refuses other values with a Chinese message (an openpyxl sheet)."""
    text = _choice_messages(choices, title)
    validation = DataValidation(
        type="list",
        formula1='"' + ",".join(choices) + '"',
        allow_blank=True,
        showDropDown=False,  # openpyxl's name is inverted: False shows the arrow
        showErrorMessage=True,
        showInputMessage=True,
        errorTitle=text["error_title"],
        error=text["error"],
        promptTitle=text["prompt_title"],
        prompt=text["prompt"],
    )
    ws.add_data_validation(validation)
    validation.add(f"{column}{first_row}:{column}{last_row}")
    return validation


def add_choice_list(
    ws: Any, *, column: int, first_row: int, last_row: int, choices: Sequence[str], title: str
) -> None:
    """``add_choice_validation`` for an XlsxWriter sheet (0-based row and column)."""
    text = _choice_messages(choices, title)
    ws.data_validation(
        first_row,
        column,
        last_row,
        column,
        {
            "validate": "list",
            "source": list(choices),
            "ignore_blank": True,
            "error_title": text["error_title"],
            "error_message": text["error"],
            "input_title": text["prompt_title"],
            "input_message": text["prompt"],
        },
    )


def workbook_bytes(wb: Workbook) -> bytes:
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# Streamed exports (XlsxWriter) ---------------------------------------------------

# Constant memory: each row goes to disk as it is written, so a long list never
# sits in memory. Text is text: nothing a user typed may become a formula, a
# number or a link in someone else's spreadsheet.
STREAMING_OPTIONS: dict[str, bool] = {
    "constant_memory": True,
    "strings_to_formulas": False,
    "strings_to_numbers": False,
    "strings_to_urls": False,
}


def streaming_workbook(out: IO[bytes] | Any) -> xlsxwriter.Workbook:
    """An XlsxWriter workbook writing to ``out`` with ``STREAMING_OPTIONS``;
    rows must be written top to bottom. Close it to finish the file."""
    return xlsxwriter.Workbook(out, dict(STREAMING_OPTIONS))


class ExportFormats:
    """The cell formats of an export, made once per workbook (XlsxWriter
    keeps each distinct format in the workbook's style table), all in
    ``FONT``: a bold title, an info line, a shaded bold header, centred
    dates and numbers, and text with or without wrapping and Excel's quote
    prefix (shown as typed, never evaluated)."""

    def __init__(self, book: Any, *, font_size: float = FONT_SIZE) -> None:
        self.book = book
        self.size = font_size
        font = {"font_name": FONT, "font_charset": FONT_CHARSET_GB2312, "font_size": font_size}
        self.base = {**font, "border": 1, "valign": "top"}
        self.title = book.add_format(
            {**font, "bold": True, "font_size": TITLE_SIZE, "align": "center", "valign": "vcenter"}
        )
        self.info = book.add_format({**font, "valign": "vcenter", "text_wrap": True})
        self.info_right = book.add_format(
            {**font, "valign": "vcenter", "text_wrap": True, "align": "right"}
        )
        self.header = book.add_format(
            {
                **self.base,
                "bold": True,
                "align": "center",
                "valign": "vcenter",
                "text_wrap": True,
                "bg_color": "#D9E1F2",
            }
        )
        self.date = book.add_format({**self.base, "num_format": DATE_FORMAT, "align": "center"})
        self.number = book.add_format({**self.base, "align": "center"})
        self._numbers: dict[str, Any] = {}
        self.text: dict[tuple[bool, bool], Any] = {
            (wrap, quoted): book.add_format(
                {**self.base, "text_wrap": wrap, "quote_prefix": quoted}
            )
            for wrap in (False, True)
            for quoted in (False, True)
        }

    def text_for(self, value: str, *, wrap: bool) -> Any:
        """The text format for ``value``: quote-prefixed when a spreadsheet
        would otherwise read it as a formula."""
        return self.text[(wrap, value.startswith(FORMULA_TRIGGERS))]

    def number_for(self, num_format: str | None) -> Any:
        if not num_format:
            return self.number
        if num_format not in self._numbers:
            self._numbers[num_format] = self.book.add_format(
                {**self.base, "align": "center", "num_format": num_format}
            )
        return self._numbers[num_format]


@dataclass(frozen=True)
class Column:
    """One column of an export: its header, width (in characters, see
    ``column_pixels``) and how its cells look. Text wraps unless
    ``wrap=False`` (for values known to fit: a cut-off value would be lost
    on paper)."""

    header: str | StrPromise  # a lazy translation is made str by SheetWriter
    width: float
    date: bool = False  # blank cells keep the date format
    wrap: bool = True
    num_format: str | None = None  # for numbers other than whole ones, e.g. "0.0"


# Cell text as XlsxWriter stores it (its own helpers, so that the rows written
# here and by XlsxWriter cannot differ): at most 32,767 UTF-16 units, control
# characters as _xHHHH_ (and a literal _xHHHH_ escaped), XML-escaped, spaces
# at either end kept. Unlike XlsxWriter's constant-memory writer, text that
# looks like rich-text markup ("<r>…</r>") is escaped too: it is user text.
_CONTROL = re.compile(r"_x[0-9a-fA-F]{4}_|[\x00-\x08\x0b-\x1f\ufffe\uffff]")
_STRING_MAX = 32767  # UTF-16 units


def _inline_string(ref: str, style: int, text: str) -> str:
    if len(text) > _STRING_MAX // 2 and _utf16_len(text) > _STRING_MAX:
        text = _utf16_truncate(text, _STRING_MAX)
    if _CONTROL.search(text):
        text = XMLwriter._escape_control_characters(text)
    preserve = ' xml:space="preserve"' if text[:1].isspace() or text[-1:].isspace() else ""
    if "&" in text or "<" in text or ">" in text:
        text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return f'<c r="{ref}" s="{style}" t="inlineStr"><is><t{preserve}>{text}</t></is></c>'


def _style(fmt: Any) -> int:
    """The index of ``fmt`` in the workbook's style table (XlsxWriter numbers
    formats as they are first used)."""
    index = fmt.xf_index
    return fmt._get_xf_index() if index is None else index


_NOT_TEXT = (int, float, dt.date)


def plain_text(value: Any) -> str:
    """User text as a cell holds it: Excel's line break is LF (forms submit
    CRLF), and NUL is not allowed in the file."""
    text = str(value)
    if "\r" in text or "\x00" in text:
        return text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    return text


class SheetWriter:
    """One sheet of an export, laid out for the screen and for A4 paper.

    Written top to bottom (so it works in constant-memory mode): an optional
    merged title, optional info lines (each a left and a right part, e.g.
    填报单位 and 填报日期), the header row, then one row per ``write``. The
    page setup follows the rules at the top of this section: portrait or
    landscape by width (``paper_orientation``; or as given), scaled to one
    page wide (``print_scale``; a layout that would print below
    ``MIN_PRINT_PT`` is a ``ValueError``), the header row (with the title
    and info lines when ``repeat_title``) on every page, page numbers in the
    footer, ``page_header`` (left, right) in the header, frozen panes and
    an autofilter on the header row. ``rows_per_page`` puts a page break
    after every so many rows; ``min_row_height`` leaves room for
    handwriting.
    """

    def __init__(
        self,
        book: Any,
        formats: ExportFormats,
        *,
        name: str | StrPromise,
        columns: Sequence[Column],
        title: str | StrPromise | None = None,
        info: Sequence[tuple[str, str]] = (),
        page_header: tuple[str, str] | None = None,
        landscape: bool | None = None,
        repeat_title: bool = False,
        rows_per_page: int | None = None,
        min_row_height: float = 0,
        autofilter: bool = True,
    ) -> None:
        # Headers and titles may be lazy translations: the writer takes str.
        sheet_name, title_text = str(name), (str(title) if title else None)
        columns = [Column(str(c.header), c.width, c.date, c.wrap, c.num_format) for c in columns]
        self.ws = ws = book.add_worksheet(sheet_name)
        self.formats = formats
        self.columns = list(columns)
        self.widths = [c.width for c in self.columns]
        self.min_row_height = min_row_height
        self.rows_per_page = rows_per_page
        self.autofilter = autofilter
        self.count = 0
        # Per column: its letters, the column, the length of text that
        # surely fits on one line, the text formats (plain, quote-prefixed)
        # and the format of a blank cell.
        self._cells = [
            (
                xl_col_to_name(index),
                column,
                line_room(column.width, font_size=formats.size),
                (formats.text[(column.wrap, False)], formats.text[(column.wrap, True)]),
                formats.date if column.date else formats.text[(column.wrap, False)],
            )
            for index, column in enumerate(self.columns)
        ]
        self._serials: dict[dt.date, float] = {}
        size = formats.size
        self.landscape = (
            paper_orientation(self.widths, font_size=size) if landscape is None else landscape
        )
        self.scale = print_scale(self.widths, landscape=self.landscape)
        if size * self.scale / 100 < MIN_PRINT_PT:
            raise ValueError(f"sheet {sheet_name}: columns too wide for A4 at {self.scale} %")
        last = len(self.columns) - 1
        for index, width in enumerate(self.widths):
            ws.set_column(index, index, width)
        row = 0
        if title_text:
            ws.set_row(row, round(TITLE_SIZE * 2.2, 1))
            ws.merge_range(row, 0, row, last, title_text, formats.title)
            row += 1
        split = max(1, (last + 1) // 2)
        for left, right in info:
            # A line of two parts, left and right (填报单位 | 填报日期), or
            # one part across the whole width when there is no right one.
            parts = [(left, 0, split - 1), (right, split, last)] if right and last else []
            parts = parts or [(left, 0, last)]
            ws.set_row(
                row,
                row_height(
                    ((text, merged_width(self.widths[a : b + 1])) for text, a, b in parts),
                    font_size=size,
                    minimum=size * LINE_SPACING + 2 * ROW_PADDING_PT,
                ),
            )
            for (text, a, b), fmt in zip(parts, (formats.info, formats.info_right), strict=False):
                self._merge(row, a, b, text, fmt)
            row += 1
        self.header_row = row
        ws.set_row(
            row,
            row_height(
                zip([str(c.header) for c in self.columns], self.widths, strict=True), font_size=size
            ),
        )
        for index, column in enumerate(self.columns):
            ws.write_string(row, index, column.header, formats.header)
        self.next_row = row + 1
        ws.freeze_panes(self.next_row, 0)

        ws.set_paper(PAPER_A4)
        if self.landscape:
            ws.set_landscape()
        else:
            ws.set_portrait()
        ws.set_margins(left=MARGIN_SIDE, right=MARGIN_SIDE, top=MARGIN_TOP, bottom=MARGIN_BOTTOM)
        ws.repeat_rows(0 if repeat_title else row, row)
        ws.center_horizontally()
        ws.set_print_scale(self.scale)
        ws.set_footer(gettext(PAGE_NUMBERS), {"margin": MARGIN_HEADER})
        if page_header:
            left, right = (page_text(t) for t in page_header)
            ws.set_header(
                (f"&L{left}" if left else "") + (f"&R{right}" if right else ""),
                {"margin": MARGIN_HEADER},
            )

    def _merge(self, row: int, first: int, last: int, text: str, fmt: Any) -> None:
        if first == last:
            self.ws.write_string(row, first, text, fmt)
        else:
            self.ws.merge_range(row, first, row, last, text, fmt)

    def write(self, values: Sequence[Any]) -> int:
        """Write one row (a value per column): dates become date cells, ints
        and floats numbers, anything else text (None and "" stay blank).
        Returns the Excel row index (0-based). The row is as tall as its
        tallest wrapped text (``wrapped_lines``)."""
        formats, r = self.formats, self.next_row
        if len(values) != len(self.columns):
            raise ValueError(f"{len(values)} values for {len(self.columns)} columns")
        self._start_row(r)
        size, number, lines = formats.size, r + 1, 1
        cells = []
        for (letters, column, room, text_styles, blank), value in zip(
            self._cells, values, strict=True
        ):
            if value is None or value == "":
                cells.append(f'<c r="{letters}{number}" s="{_style(blank)}"/>')
            elif isinstance(value, _NOT_TEXT):
                if isinstance(value, dt.date):
                    style, value = formats.date, self._serial(value)
                else:  # int or float (bool is an int: no such column)
                    style = formats.number_for(column.num_format)
                cells.append(
                    f'<c r="{letters}{number}" s="{_style(style)}"><v>{value:.16G}</v></c>'
                )
            else:
                text = plain_text(value)
                if len(text) > room or "\n" in text:
                    lines = max(lines, wrapped_lines(text, width=column.width, font_size=size))
                style = text_styles[text.startswith(FORMULA_TRIGGERS)]
                cells.append(_inline_string(f"{letters}{number}", _style(style), text))
        self._write_row_xml(
            r, lines_height(lines, font_size=size, minimum=self.min_row_height), cells
        )
        self.count += 1
        self.next_row += 1
        return r

    # The rows of an export are written as XML straight into XlsxWriter's
    # row file, the markup its own constant-memory writer produces for the
    # same calls (tests/core/test_xlsx_writer.py compares the two byte for byte):
    # its per-cell path (argument checks, a tuple per cell, attribute
    # escaping) cost 14 of the 20 s of a 100,000-row ledger export. The
    # title, info and header rows, merges and the page setup stay XlsxWriter's.

    def _serial(self, value: dt.date) -> float:
        """Excel's serial number of a date (or a datetime)."""
        if type(value) is not dt.date:
            return self.ws._convert_date_time(value)
        serial = self._serials.get(value)
        if serial is None:
            serial = self._serials[value] = self.ws._convert_date_time(value)
        return serial

    def _start_row(self, r: int) -> None:
        ws = self.ws
        if ws._check_dimensions(r, len(self.columns) - 1):
            raise ValueError(f"row {r} cannot be written (rows go top to bottom)")
        if r > ws.previous_row:
            # XlsxWriter's pending row (the header) goes first, and its
            # formats take their numbers first, as XlsxWriter would.
            ws._write_single_row(r)

    def _write_row_xml(self, r: int, height: float, cells: list[str]) -> None:
        ws = self.ws
        pixels = int(height * 4.0 / 3.0 + 0.5)  # set_row's rounding
        attributes = f' r="{r + 1}"'
        if pixels != ws.original_row_height or pixels != ws.default_row_height:
            attributes += f' ht="{pixels * 0.75:.16g}" customHeight="1"'
        if ws.excel_version == 2010:
            attributes += ' x14ac:dyDescent="0.25"'
        ws.fh.write(f"<row{attributes}>{''.join(cells)}</row>")

    def close(self) -> None:
        """Finish the sheet: the autofilter over the rows written, the page
        breaks."""
        last_row = max(self.next_row - 1, self.header_row + 1)
        if self.autofilter:
            self.ws.autofilter(self.header_row, 0, last_row, len(self.columns) - 1)
        if self.rows_per_page:
            first = self.header_row + 1
            self.ws.set_h_pagebreaks(
                list(range(first + self.rows_per_page, self.next_row, self.rows_per_page))
            )


@dataclass(frozen=True)
class ListSheet:
    """One sheet of ``write_sheets_workbook``: its name, columns and rows,
    and the title and info lines above the header row when given."""

    name: str | StrPromise
    columns: Sequence[Column]
    rows: Iterable[Sequence[Any]]
    title: str | StrPromise | None = None
    info: Sequence[tuple[str, str]] = ()
    page_header: tuple[str, str] | None = None


def write_sheets_workbook(
    out: IO[bytes] | Any, *, sheets: Sequence[ListSheet], title: str | StrPromise | None = None
) -> list[int]:
    """Write one list per sheet to ``out`` with ``SheetWriter``, in order.
    Returns the number of data rows of each sheet."""
    book = streaming_workbook(out)
    if title:
        book.set_properties({"title": str(title), "author": gettext("实绩")})
    formats = ExportFormats(book)
    counts = []
    for sheet in sheets:
        writer = SheetWriter(
            book,
            formats,
            name=sheet.name,
            columns=sheet.columns,
            title=sheet.title,
            info=sheet.info,
            page_header=sheet.page_header,
        )
        for cells in sheet.rows:
            writer.write(cells)
        writer.close()
        counts.append(writer.count)
    book.close()
    return counts


def write_list_workbook(
    out: IO[bytes] | Any,
    *,
    sheet: str | StrPromise,
    columns: Sequence[Column],
    rows: Iterable[Sequence[Any]],
    title: str | StrPromise | None = None,
    info: Sequence[tuple[str, str]] = (),
    page_header: tuple[str, str] | None = None,
) -> int:
    """Write a one-sheet list to ``out`` (``write_sheets_workbook``): the
    title and info lines when given, the header row, then one row per item
    of ``rows``. Returns the number of data rows."""
    one = ListSheet(sheet, columns, rows, title=title, info=info, page_header=page_header)
    return write_sheets_workbook(out, sheets=[one], title=title)[0]
