"""Workbook helpers shared by every Excel import and export (openpyxl).

Reading an uploaded workbook, in the order an importer uses them::

    check_upload(file, allowed={"xlsx"}, max_bytes=...)   # shiji.core.uploads
    wb = open_workbook(file, read_only=False)               # Invalid if unreadable
    try:
        errors = ErrorList()
        ws = wb[sheet_name]
        header = find_header(ws, ["台账编号", "问题描述", ...], errors=errors)
        if header:
            for row in iter_rows(ws, header, errors=errors, date_columns={"整改时限"}):
                row.number, row["问题描述"], row.text("责任单位"), row.bad
    finally:
        wb.close()
    errors.as_list()  # [{"sheet", "row", "column", "message"}, ...]

``row`` is the Excel row number and ``column`` the header's name, so a user
can find each problem in the file. Cells that cannot be trusted (formulas,
error values, merged cells, text in a date column) are reported by
``iter_rows`` and left out of ``row.values`` (their header is in ``row.bad``),
so the importer does not report them a second time as empty.

Writing: values that start with = + - @ are formulas to Excel (and to
LibreOffice and CSV readers). Put user text into cells with ``safe_cell``
(literal text, shown as typed) or, where no cell object exists (CSV),
``safe_cell_text`` (prefixes a single quote, which ``cell_text`` drops again
on import so an exported file imports back unchanged).

Streamed exports (XlsxWriter, rows written in order and never held in
memory): ``streaming_workbook`` opens one with the safe options,
``ExportFormats`` makes the shared cell formats, and ``write_list_workbook``
writes a whole flat list (header row, widths, frozen header, autofilter)::

    COLUMNS = [Column("序号", 6), Column("日期", 12, date=True), Column("纪要", 40, wrap=True)]
    count = write_list_workbook(out, sheet="清单", columns=COLUMNS, rows=cells)
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import IO, Any

import xlsxwriter
from openpyxl import Workbook, load_workbook
from openpyxl.worksheet.cell_range import CellRange
from openpyxl.worksheet.datavalidation import DataValidation

from shiji.core.errors import Invalid, invalid

NOT_XLSX = "文件不是有效的 Excel（.xlsx）文件，无法打开；请用 Excel 重新保存为 .xlsx 后再上传"
# Characters that make a spreadsheet treat a typed value as a formula; the
# full-width forms count too, since Excel converts them when typed with a CJK IME.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")
# An .xlsx is a zip of XML; a small file can unpack to gigabytes.
DEFAULT_MAX_UNZIPPED = 200 * 1024 * 1024
DEFAULT_MAX_ROWS = 100_000


# Errors --------------------------------------------------------------------------


class ErrorList:
    """Problems found in a workbook, each ``{"sheet", "row", "column", "message"}``.

    ``row`` is the Excel row number (None for a problem with the whole sheet or
    file), ``column`` the header's name ("" when no single column is meant).
    """

    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = []

    def add(self, sheet: str, row: int | None, column: str, message: str) -> None:
        item = {"sheet": sheet, "row": row, "column": column, "message": message}
        if item not in self.items:
            self.items.append(item)

    def __bool__(self) -> bool:
        return bool(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self.items)

    def as_list(self, sheet_order: Sequence[str] = ()) -> list[dict[str, Any]]:
        """Sorted by sheet (in ``sheet_order``, then by name), row, then as found."""
        order = {name: i for i, name in enumerate(sheet_order)}
        indexed = list(enumerate(self.items))
        indexed.sort(
            key=lambda pair: (
                order.get(pair[1]["sheet"], len(order)),
                pair[1]["sheet"],
                pair[1]["row"] or 0,
                pair[0],
            )
        )
        return [item for _, item in indexed]


# Opening -------------------------------------------------------------------------


def open_workbook(
    file: IO[bytes] | Any,
    *,
    read_only: bool = True,
    max_unzipped_bytes: int = DEFAULT_MAX_UNZIPPED,
) -> Workbook:
    """Open an uploaded .xlsx, or raise ``Invalid`` (field ``file``) saying why.

    ``read_only`` streams rows and suits large files (openpyxl then knows
    nothing of merged cells, so ``merged_ranges`` reads them from the sheet's
    XML; ``iter_rows`` reports them either way). Formulas are kept as
    formulas (never their cached results) so they can be reported. Close the
    workbook when done (``wb.close()``): a read-only one holds the file open.
    """
    _check_zip(file, max_unzipped_bytes)
    try:
        file.seek(0)
        return load_workbook(
            file, read_only=read_only, data_only=False, keep_vba=False, keep_links=False
        )
    except Invalid:
        raise
    # openpyxl reports a damaged or foreign file with whatever its parser hit
    # (KeyError, TypeError, ValueError, zip and XML errors, ...); any of them
    # means the same thing to the user, and none may become a server error.
    except Exception:
        raise invalid(file=NOT_XLSX) from None


def _check_zip(file: Any, max_unzipped_bytes: int) -> None:
    try:
        file.seek(0)
        with zipfile.ZipFile(file) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        raise invalid(file=NOT_XLSX) from None
    if len(infos) > 10_000 or sum(i.file_size for i in infos) > max_unzipped_bytes:
        raise invalid(file="工作簿内容过大，请拆分成几个较小的文件后分别上传")


# Headers -------------------------------------------------------------------------


def normalize_header(value: Any) -> str:
    """A header cell's text without spaces, line breaks or "*" required-marks."""
    if value is None:
        return ""
    return re.sub(r"[\s*＊]+", "", str(value))


@dataclass
class Header:
    """Where a sheet's header row is and which column holds each header."""

    row: int  # Excel row number
    columns: dict[str, int]  # expected header -> 1-based column index
    unknown: list[str] = field(default_factory=list)  # header texts nobody expected

    @property
    def last_column(self) -> int:
        return max(self.columns.values(), default=0)

    def name_of(self, column_index: int) -> str:
        for name, index in self.columns.items():
            if index == column_index:
                return name
        return ""


def find_header(
    ws: Any,
    expected: Sequence[str],
    *,
    errors: ErrorList,
    required: Iterable[str] | None = None,
    search_rows: int = 5,
) -> Header | None:
    """Find the header row among the first ``search_rows`` rows.

    The row matching the most ``expected`` headers wins (a title or an
    instructions row above it is fine). Missing ``required`` headers (all of
    ``expected`` by default) are reported by name, with any unrecognised
    header texts in that row as the likely renamed ones; then None is
    returned, since the sheet's rows cannot be read reliably.
    """
    wanted = {normalize_header(h): h for h in expected}
    required = list(expected if required is None else required)
    best: tuple[int, int, list[Any]] | None = None  # (matches, row, cells)
    for number, cells in enumerate(
        ws.iter_rows(min_row=1, max_row=search_rows, values_only=True), start=1
    ):
        matches = sum(1 for v in cells if normalize_header(v) in wanted)
        if matches and (best is None or matches > best[0]):
            best = (matches, number, list(cells))
    if best is None:
        errors.add(
            ws.title,
            None,
            "",
            f"前 {search_rows} 行中没有找到表头（应包含：{'、'.join(expected)}），"
            "请使用下载的模板填写",
        )
        return None
    _, number, cells = best
    columns: dict[str, int] = {}
    unknown: list[str] = []
    for index, value in enumerate(cells, start=1):
        key = normalize_header(value)
        if key in wanted and wanted[key] not in columns:
            columns[wanted[key]] = index
        elif key:
            unknown.append(str(value).strip())
    header = Header(row=number, columns=columns, unknown=unknown)
    missing = [h for h in required if h not in columns]
    if missing:
        message = f"缺少列：{'、'.join(missing)}"
        if unknown:
            message += f"（第 {number} 行有未识别的列：{'、'.join(unknown)}，是否改了列名？）"
        errors.add(ws.title, number, "", message + "。请按模板的列名填写")
        return None
    return header


# Rows ----------------------------------------------------------------------------


@dataclass
class Row:
    """One data row: ``values`` by header name (blank cells are None; text is
    stripped; whole-number floats are ints). ``bad`` holds the headers whose
    cells were reported and left out."""

    sheet: str
    number: int
    values: dict[str, Any]
    bad: set[str] = field(default_factory=set)

    def __getitem__(self, column: str) -> Any:
        return self.values.get(column)

    def text(self, column: str) -> str:
        return cell_text(self.values.get(column))


def iter_rows(
    ws: Any,
    header: Header,
    *,
    errors: ErrorList,
    date_columns: Iterable[str] = (),
    max_rows: int = DEFAULT_MAX_ROWS,
) -> Iterator[Row]:
    """The data rows under ``header``, skipping empty ones.

    Reports, per cell: formulas (a formula cell, or text starting with "="
    unless Excel marks it as literal text), error values (#N/A, #REF! ...),
    merged cells (also in read-only mode, see ``merged_ranges``) and anything
    but a real date in ``date_columns``. Stops with an error after ``max_rows``.
    """
    date_columns = set(date_columns)
    merged = _merged_cells(ws, header, errors)
    last = header.last_column
    count = 0
    for number, cells in enumerate(
        ws.iter_rows(min_row=header.row + 1, max_col=last), start=header.row + 1
    ):
        number = _row_number(cells, number)
        values: dict[str, Any] = {}
        bad: set[str] = set()
        for name, index in header.columns.items():
            cell = cells[index - 1] if index - 1 < len(cells) else None
            value = getattr(cell, "value", None)
            data_type = getattr(cell, "data_type", "n")
            if (number, index) in merged:
                bad.add(name)
            elif data_type == "f" or (
                isinstance(value, str) and value.startswith("=") and not _quote_prefixed(cell)
            ):
                errors.add(
                    ws.title,
                    number,
                    name,
                    "单元格含公式，请直接填写内容（可复制后“选择性粘贴 → 值”）",
                )
                bad.add(name)
            elif data_type == "e":
                errors.add(ws.title, number, name, f"单元格为错误值 {value}，请改为直接填写内容")
                bad.add(name)
            else:
                value = _plain_value(value)
                if name in date_columns and value is not None:
                    if isinstance(value, dt.datetime):
                        value = value.date()
                    elif not isinstance(value, dt.date):
                        errors.add(
                            ws.title,
                            number,
                            name,
                            "请填写日期（如 2026-03-31），并把单元格设为日期格式，不要填成文本",
                        )
                        bad.add(name)
                        continue
                values[name] = value
        if not bad and all(v is None for v in values.values()):
            continue
        count += 1
        if count > max_rows:
            errors.add(ws.title, number, "", f"数据行超过 {max_rows} 行，请拆分成几个文件")
            return
        yield Row(sheet=ws.title, number=number, values=values, bad=bad)


def _quote_prefixed(cell: Any) -> bool:
    """Excel's mark for "literal text, not a formula" (a typed leading ', or
    ``safe_cell``); read-only cells carry it in their style array."""
    prefixed = getattr(cell, "quotePrefix", None)
    if prefixed is None:
        try:
            prefixed = cell.style_array.quotePrefix
        except (AttributeError, IndexError, KeyError):
            return False
    return bool(prefixed)


def _row_number(cells: Sequence[Any], fallback: int) -> int:
    for cell in cells:
        row = getattr(cell, "row", None)
        if isinstance(row, int):
            return row
    return fallback


# A <mergeCell ref="A5:B6"/> element, with or without a namespace prefix.
_MERGE_CELL = re.compile(
    rb'<(?:[A-Za-z_][\w.-]*:)?mergeCell\b[^>]*?\bref="([A-Za-z]{1,3}[0-9]{1,7}(?::[A-Za-z]{1,3}[0-9]{1,7})?)"'
)


def merged_ranges(ws: Any) -> list[CellRange]:
    """The sheet's merged ranges, also for a sheet opened with ``read_only=True``.

    openpyxl keeps merged cells only for fully loaded sheets; a streamed one
    would need a second full load (hundreds of MB for 100,000 rows), so its
    XML is scanned for ``<mergeCell>`` elements instead, a megabyte at a time.
    Cell text cannot fake one: "<" is always escaped inside cell values.
    """
    merged = getattr(ws, "merged_cells", None)
    if merged is not None:
        return list(merged.ranges)
    open_source = getattr(ws, "_get_source", None)  # openpyxl's ReadOnlyWorksheet
    if open_source is None:
        return []
    refs: set[str] = set()
    tail = b""
    with open_source() as source:
        while chunk := source.read(1 << 20):
            data = tail + chunk
            refs.update(m.group(1).decode("ascii") for m in _MERGE_CELL.finditer(data))
            tail = data[-300:]  # an element cut in two by the chunk boundary
    return [CellRange(ref.upper()) for ref in sorted(refs)]


def _merged_cells(ws: Any, header: Header, errors: ErrorList) -> set[tuple[int, int]]:
    """Report each merged range that reaches the data rows; return its cells."""
    covered: set[tuple[int, int]] = set()
    ranges = merged_ranges(ws)
    for rng in sorted(ranges, key=lambda r: (r.min_row, r.min_col)):
        if rng.max_row <= header.row or rng.min_col > header.last_column:
            continue
        cells = {
            (r, c)
            for r in range(max(rng.min_row, header.row + 1), rng.max_row + 1)
            for c in range(rng.min_col, min(rng.max_col, header.last_column) + 1)
        }
        covered |= cells
        first_row = max(rng.min_row, header.row + 1)
        column = next(
            (header.name_of(c) for c in range(rng.min_col, rng.max_col + 1) if header.name_of(c)),
            "",
        )
        errors.add(
            ws.title,
            first_row,
            column,
            f"{rng.coord} 是合并单元格，请取消合并，每行分别填写完整",
        )
    return covered


def _plain_value(value: Any) -> Any:
    if isinstance(value, str):
        value = value.replace("\x00", "").strip()
        if len(value) > 1 and value[0] == "'" and value[1:].startswith(FORMULA_TRIGGERS):
            value = value[1:]  # undo safe_cell_text, so exports import back unchanged
        return value or None
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value


def cell_text(value: Any) -> str:
    """A cell value as text: phone numbers typed as numbers keep their digits,
    dates read as 2026-03-31, blanks are ""."""
    value = _plain_value(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


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
    that refuses other values with a Chinese message."""
    validation = DataValidation(
        type="list",
        formula1='"' + ",".join(choices) + '"',
        allow_blank=True,
        showDropDown=False,  # openpyxl's name is inverted: False shows the arrow
        showErrorMessage=True,
        showInputMessage=True,
        errorTitle=f"{title}不正确",
        error=f"请从下拉列表中选择：{'、'.join(choices)}",
        promptTitle=title,
        prompt=f"请选择：{'、'.join(choices)}",
    )
    ws.add_data_validation(validation)
    validation.add(f"{column}{first_row}:{column}{last_row}")
    return validation


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
    """The cell formats of a list export, made once per workbook (XlsxWriter
    keeps each distinct format in the workbook's style table): a shaded bold
    header, centred dates and numbers, and text with or without wrapping and
    Excel's quote prefix (shown as typed, never evaluated)."""

    def __init__(self, book: Any, *, header_valign: str = "top") -> None:
        base = {"border": 1, "valign": "top", "font_size": 10}
        self.header = book.add_format(
            {
                **base,
                "bold": True,
                "align": "center",
                "valign": header_valign,
                "bg_color": "#D9E1F2",
            }
        )
        self.date = book.add_format({**base, "num_format": "yyyy-mm-dd", "align": "center"})
        self.number = book.add_format({**base, "align": "center"})
        self.text: dict[tuple[bool, bool], Any] = {
            (wrap, quoted): book.add_format({**base, "text_wrap": wrap, "quote_prefix": quoted})
            for wrap in (False, True)
            for quoted in (False, True)
        }

    def text_for(self, value: str, *, wrap: bool) -> Any:
        """The text format for ``value``: quote-prefixed when a spreadsheet
        would otherwise read it as a formula."""
        return self.text[(wrap, value.startswith(FORMULA_TRIGGERS))]


@dataclass(frozen=True)
class Column:
    """One column of a list export: its header, width and how its cells look."""

    header: str
    width: int
    date: bool = False  # blank cells keep the date format
    wrap: bool = False


def write_list_workbook(
    out: IO[bytes] | Any,
    *,
    sheet: str,
    columns: Sequence[Column],
    rows: Iterable[Sequence[Any]],
) -> int:
    """Write a one-sheet list to ``out``: the header row (frozen, with an
    autofilter), then one row per item of ``rows``, a value per column.
    Dates become date cells, ints numbers, anything else text (None and ""
    stay blank). Returns the number of data rows."""
    book = streaming_workbook(out)
    ws = book.add_worksheet(sheet)
    formats = ExportFormats(book)
    for col, column in enumerate(columns):
        ws.set_column(col, col, column.width)
        ws.write_string(0, col, column.header, formats.header)
    ws.freeze_panes(1, 0)
    count = 0
    for count, cells in enumerate(rows, start=1):
        for col, value in enumerate(cells):
            if value is None or value == "":
                blank = formats.date if columns[col].date else formats.text[(False, False)]
                ws.write_blank(count, col, None, blank)
            elif isinstance(value, dt.date):
                ws.write_datetime(count, col, value, formats.date)
            elif isinstance(value, int):
                ws.write_number(count, col, value, formats.number)
            else:
                # Excel's own line break is LF; forms submit CRLF.
                text = str(value).replace("\r\n", "\n")
                ws.write_string(count, col, text, formats.text_for(text, wrap=columns[col].wrap))
    ws.autofilter(0, 0, max(count, 1), len(columns) - 1)
    book.close()
    return count
