"""Workbook helpers shared by every Excel import and export (openpyxl).

Reading an uploaded workbook, in the order an importer uses them::

    check_upload(file, allowed={"xlsx"}, max_bytes=...)   # shiji.core.uploads
    wb = open_workbook(file, limits=ReadLimits(max_rows=5000, max_columns=20))
    try:                                                    # Invalid if unreadable or too big
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
``ExportFormats`` makes the shared cell formats (宋体), ``SheetWriter`` lays
a sheet out for A4 paper (see "Paper" below: the one place for the page
setup of every export), and ``write_list_workbook`` writes a whole flat
list with it::

    COLUMNS = [Column("序号", 5), Column("日期", 11.5, date=True), Column("纪要", 40)]
    count = write_list_workbook(
        out, sheet="清单", columns=COLUMNS, rows=cells, title="甲高新区某某清单"
    )
"""

from __future__ import annotations

import datetime as dt
import io
import re
import time
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import IO, Any

import xlsxwriter
from django.utils import timezone
from django.utils.translation import get_language, gettext, gettext_noop
from openpyxl import Workbook
from openpyxl.cell.read_only import EMPTY_CELL, ReadOnlyCell
from openpyxl.reader.excel import ExcelReader
from openpyxl.utils import column_index_from_string, get_column_letter
from openpyxl.worksheet._read_only import ReadOnlyWorksheet
from openpyxl.worksheet._reader import WorkSheetParser
from openpyxl.worksheet.cell_range import CellRange
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.xml.constants import SHARED_STRINGS, SHEET_MAIN_NS

# The XML parser openpyxl itself uses (the standard library's, or
# defusedxml's when installed): it never fetches external entities.
from openpyxl.xml.functions import iterparse

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
        self._seen: set[tuple[str, int | None, str, str]] = set()

    def add(self, sheet: str, row: int | None, column: str, message: str) -> None:
        key = (sheet, row, column, message)
        if key not in self._seen:  # a set: thousands of errors must not cost n²
            self._seen.add(key)
            self.items.append({"sheet": sheet, "row": row, "column": column, "message": message})

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


@dataclass(frozen=True)
class ReadLimits:
    """How much of an uploaded workbook one kind of import may read.

    An .xlsx is a zip of XML: 30 KB can hold 5 million empty cells, a
    ``<dimension>`` can claim any size, and every cell costs time to parse
    even when it is empty. So each import states its own bounds, and the
    reader stops with a clear message at the first one it meets:

    - ``max_rows``: data rows under the header (``iter_rows``);
    - ``max_columns``: no cell right of this column may hold a value (empty
      styled cells there are skipped);
    - cells: every ``<c>`` and ``<row>`` element read counts, up to about
      ``max_rows`` × ``max_columns`` (``max_cells``); and a sheet that is mostly empty cells
      (more than ``EMPTY_CELLS_FREE`` of them, and ``EMPTY_CELLS_RATIO``
      times the cells with content) is refused early;
    - ``max_sheet_bytes``: the unpacked size of any sheet (and of the shared
      strings), ``max_unzipped_bytes`` of the whole file;
    - ``max_seconds``: wall-clock time for the whole read, all passes.
    """

    max_rows: int
    max_columns: int
    max_sheet_bytes: int = 50 * 1024 * 1024
    max_unzipped_bytes: int = DEFAULT_MAX_UNZIPPED
    max_seconds: float = 60.0

    @property
    def max_cells(self) -> int:
        # Each row element counts too, and the rows above the data (titles,
        # instructions, the header) get a little room.
        return (self.max_rows + 10) * (self.max_columns + 1)

    @property
    def max_strings(self) -> int:
        # The shared strings table is held in memory for the whole read (cells
        # refer to it by index). Each string is used by some cell, and most
        # cells hold numbers, dates, blanks or a repeated text.
        return self.max_cells // 4


DEFAULT_LIMITS = ReadLimits(max_rows=DEFAULT_MAX_ROWS, max_columns=50)
# A sheet of mostly empty cells is a crafted file or a formatted template
# that nobody filled in: past this many, empty cells may not outnumber the
# cells with content by more than this ratio.
EMPTY_CELLS_FREE = 100_000
EMPTY_CELLS_RATIO = 10
# Elements inside one cell (an inline rich-text string has a few per run):
# bounds the memory a single cell can take while its row is parsed.
MAX_ELEMENTS_PER_CELL = 1000
MAX_MERGED_RANGES = 1000
# The small XML parts openpyxl reads whole (styles, workbook, relationships,
# properties, theme): real ones are kilobytes, and each is parsed into a
# tree in memory.
MAX_OTHER_PART_BYTES = 4 * 1024 * 1024


class WorkbookTooLarge(Invalid):
    """A workbook past one of its import's ``ReadLimits`` (field ``file``)."""

    def __init__(self, message: str):
        super().__init__(message, fields={"file": message})


def open_workbook(
    file: IO[bytes] | Any,
    *,
    limits: ReadLimits = DEFAULT_LIMITS,
) -> Workbook:
    """Open an uploaded .xlsx for a bounded, streamed read, or raise
    ``Invalid`` (field ``file``) saying why not.

    Every sheet is read row by row from the zip (never loaded whole), its
    declared ``<dimension>`` is ignored (rows are read until the sheet
    ends), and ``limits`` bound what the read may cost (``WorkbookTooLarge``,
    an ``Invalid``, when one is passed). Read sheets with ``find_header``
    and ``iter_rows`` (or ``sheet_rows``). Formulas are kept as formulas
    (never their cached results) so they can be reported. Close the
    workbook when done (``wb.close()``): it holds the file open.
    """
    _check_zip(file, limits)
    budget = _Budget(limits)
    try:
        file.seek(0)
        reader = _BoundedReader(file, budget)
        reader.read()
        return reader.wb
    except Invalid:
        raise
    # openpyxl reports a damaged or foreign file with whatever its parser hit
    # (KeyError, TypeError, ValueError, zip and XML errors, ...); any of them
    # means the same thing to the user, and none may become a server error.
    except Exception:
        raise invalid(file=NOT_XLSX) from None


def _check_zip(file: Any, limits: ReadLimits) -> None:
    """Sizes from the zip's directory. They can be trusted as upper bounds:
    ``zipfile`` never returns more than an entry's recorded size (longer
    data fails its CRC check), so no part can unpack to more than this."""
    try:
        file.seek(0)
        with zipfile.ZipFile(file) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        raise invalid(file=NOT_XLSX) from None
    if len(infos) > 10_000 or sum(i.file_size for i in infos) > limits.max_unzipped_bytes:
        raise WorkbookTooLarge("工作簿内容过大，请拆分成几个较小的文件后分别上传")
    for info in infos:
        name = info.filename.lower()
        if not name.endswith((".xml", ".rels")):
            continue  # pictures and the like are never read
        if name.startswith("xl/worksheets/") or name == "xl/sharedstrings.xml":
            if info.file_size > limits.max_sheet_bytes:
                mb = limits.max_sheet_bytes // (1024 * 1024)
                raise WorkbookTooLarge(f"工作表内容过大（解压后超过 {mb} MB），请拆分后导入")
        elif info.file_size > MAX_OTHER_PART_BYTES:
            raise WorkbookTooLarge("工作簿中的格式或附加内容过大，请把数据复制到新的工作簿后再上传")


class _Budget:
    """What one read of a workbook may still spend: time and cells."""

    def __init__(self, limits: ReadLimits) -> None:
        self.limits = limits
        self.deadline = time.monotonic() + limits.max_seconds
        self.cells = 0
        self.empty = 0
        self.filled = 0

    def check_time(self) -> None:
        if time.monotonic() > self.deadline:
            raise WorkbookTooLarge(
                f"读取工作簿超过 {self.limits.max_seconds:.0f} 秒仍未完成，"
                "请拆分成几个较小的文件后分别导入"
            )

    def spend(self, sheet: str) -> None:
        """One more ``<row>`` or ``<c>`` element read."""
        self.cells += 1
        if self.cells > self.limits.max_cells:
            raise WorkbookTooLarge(
                f"工作表“{sheet}”的单元格过多（超过 {self.limits.max_cells} 个），"
                "请只保留要导入的数据，复制到新的工作簿后再导入"
            )

    def count(self, sheet: str, *, filled: bool) -> None:
        if filled:
            self.filled += 1
            return
        self.empty += 1
        if self.empty > EMPTY_CELLS_FREE and self.empty > EMPTY_CELLS_RATIO * self.filled:
            raise WorkbookTooLarge(
                f"工作表“{sheet}”含有大量空白单元格（已超过 {EMPTY_CELLS_FREE} 个），"
                "请只把要导入的数据复制到新的工作簿后再导入"
            )


class _MeteredStream(io.RawIOBase):
    """A part of the zip whose every read checks the time budget: the XML
    parsers read in small chunks, so a slow read stops within one."""

    def __init__(self, raw: Any, budget: _Budget) -> None:
        self.raw = raw
        self.budget = budget

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        self.budget.check_time()
        return self.raw.read(size)

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self.raw.close()
        super().close()


class _MeteredZip(zipfile.ZipFile):
    budget: _Budget

    def open(self, name: Any, mode: str = "r", pwd: Any = None, **kwargs: Any) -> Any:
        part = super().open(name, mode, pwd, **kwargs)
        return _MeteredStream(part, self.budget) if mode == "r" else part


class _BoundedSheet(ReadOnlyWorksheet):
    """openpyxl's streamed sheet, minus the ``<dimension>``: openpyxl would
    parse the sheet's head for it and then fill in or cut off rows to match
    it; here rows are only what the sheet holds (``sheet_rows``)."""

    budget: _Budget

    def _get_size(self) -> None:
        pass


class _BoundedReader(ExcelReader):
    """openpyxl's read-only loading with every part read through the budget
    and sheets that know their budget."""

    def __init__(self, file: Any, budget: _Budget) -> None:
        super().__init__(file, read_only=True, keep_vba=False, data_only=False, keep_links=False)
        self.archive.close()
        file.seek(0)
        self.archive = _MeteredZip(file)
        self.archive.budget = budget
        self.budget = budget

    def read_strings(self) -> None:
        """openpyxl's table of shared strings, counted as it is read (and
        each entry's elements dropped once read, which openpyxl does not)."""
        part = self.package.find(SHARED_STRINGS)
        if part is None:
            return
        limit = self.budget.limits.max_strings
        strings: list[str] = []
        with self.archive.open(part.PartName[1:]) as source:
            root = None
            for event, node in iterparse(source, events=("start", "end")):
                if root is None:
                    root = node
                if event == "end" and node.tag == _STRING:
                    strings.append(_string_text(node))
                    root.remove(node)
                    if len(strings) > limit:
                        raise WorkbookTooLarge(
                            f"工作簿中的文字过多（超过 {limit} 段），请拆分后导入"
                        )
        self.shared_strings = strings

    def read_worksheets(self) -> None:
        for sheet, rel in self.parser.find_sheets():
            if rel.target not in self.valid_files or "chartsheet" in rel.Type:
                continue
            ws = _BoundedSheet(self.wb, sheet.name, rel.target, self.shared_strings)
            ws.sheet_state = sheet.state
            ws.budget = self.budget
            self.wb._sheets.append(ws)


_ROW, _CELL = f"{{{SHEET_MAIN_NS}}}row", f"{{{SHEET_MAIN_NS}}}c"
_STRING = f"{{{SHEET_MAIN_NS}}}si"
_TEXT, _RUN = f"{{{SHEET_MAIN_NS}}}t", f"{{{SHEET_MAIN_NS}}}r"


def _string_text(node: Any) -> str:
    """A shared string's text: its ``<t>``, or the ``<t>`` of each rich-text
    run (phonetic guides, ``<rPh>``, are not part of it), as openpyxl reads
    it (``Text.content``, and its undoing of the "_x005F" escape)."""
    parts = []
    for child in node:
        if child.tag == _TEXT:
            parts.append(child.text or "")
        elif child.tag == _RUN:
            text = child.find(_TEXT)
            if text is not None:
                parts.append(text.text or "")
    return "".join(parts).replace("x005F_", "")


_SHEET_DATA = f"{{{SHEET_MAIN_NS}}}sheetData"
_CELL_REF = re.compile(r"^\$?([A-Za-z]{1,3})\$?[0-9]*$")


def sheet_rows(ws: Any, *, max_row: int | None = None) -> Iterator[tuple[int, tuple[Any, ...]]]:
    """``(row number, cells)`` for each row the sheet holds, in order, within
    its workbook's ``ReadLimits``; ``cells`` are openpyxl read-only cells by
    position (column 1 first, gaps filled with empty cells), up to the last
    one with content. Rows the sheet does not hold are not made up, and rows
    past a declared ``<dimension>`` are read like any other. Stops after row
    ``max_row`` when given.
    """
    try:
        yield from _sheet_rows(ws, max_row)
    except Invalid:
        raise
    # The sheet's XML is parsed only as rows are read, so a damaged file
    # fails here rather than when it was opened; any parser error means the
    # same to the user, and none may become a server error.
    except Exception:
        raise invalid(file=NOT_XLSX) from None


def _sheet_rows(ws: Any, max_row: int | None) -> Iterator[tuple[int, tuple[Any, ...]]]:
    budget: _Budget = ws.budget
    limits = budget.limits
    title = ws.title
    with ws._get_source() as source:
        parser = WorkSheetParser(
            source,
            ws._shared_strings,
            data_only=False,
            epoch=ws.parent.epoch,
            date_formats=ws.parent._date_formats,
            timedelta_formats=ws.parent._timedelta_formats,
        )
        stack: list[Any] = []  # open elements, root first
        row_el: Any = None
        cell_el: Any = None
        column = 0  # of the last cell in the row (cells may omit their reference)
        in_cell = 0  # elements inside the open cell
        for event, el in iterparse(source, events=("start", "end")):
            if event == "start":
                stack.append(el)
                if el.tag == _ROW:
                    budget.spend(title)
                    budget.check_time()
                    row_el, column = el, 0
                elif cell_el is not None:
                    in_cell += 1
                    if in_cell > MAX_ELEMENTS_PER_CELL:
                        raise WorkbookTooLarge(
                            f"工作表“{title}”中有内容过于复杂的单元格，"
                            "请把数据复制到新的工作簿后再导入"
                        )
                elif row_el is not None:
                    budget.spend(title)
                    if el.tag == _CELL:
                        cell_el, in_cell = el, 0
                continue
            stack.pop()
            if el is cell_el:
                cell_el = None
                column = _cell_column(el, column)
                filled = len(el) > 0  # a <v>, <f> or <is> inside
                budget.count(title, filled=filled)
                if column > limits.max_columns:
                    if filled:
                        raise WorkbookTooLarge(
                            f"工作表“{title}”超过 {limits.max_columns} 列"
                            f"（{get_column_letter(column)} 列有内容），请删除多余的列后导入"
                        )
                    row_el.remove(el)  # an empty cell out there: never kept
            elif el is row_el:
                number, cells = parser.parse_row(el)
                row_el = None
                if stack:
                    del stack[-1][:]  # the rows read so far are not kept either
                if max_row is not None and number > max_row:
                    return
                yield number, _positional(ws, number, cells)
            elif row_el is None and len(stack) > 0:
                stack[-1].remove(el)  # anything else (columns, merges, ...): dropped


def _cell_column(el: Any, previous: int) -> int:
    ref = el.get("r")
    if ref:
        match = _CELL_REF.match(ref)
        if match:
            return column_index_from_string(match.group(1).upper())
    return previous + 1


def _positional(ws: Any, number: int, cells: list[dict[str, Any]]) -> tuple[Any, ...]:
    last = max((c["column"] for c in cells if c["value"] is not None), default=0)
    row: list[Any] = [EMPTY_CELL] * last
    for c in cells:
        if 1 <= c["column"] <= last:
            row[c["column"] - 1] = ReadOnlyCell(
                ws, number, c["column"], c["value"], c["data_type"], c["style_id"]
            )
    return tuple(row)


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
    for number, cells in sheet_rows(ws, max_row=search_rows):
        values = [cell.value for cell in cells]
        matches = sum(1 for v in values if normalize_header(v) in wanted)
        if matches and (best is None or matches > best[0]):
            best = (matches, number, values)
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
) -> Iterator[Row]:
    """The data rows under ``header``, skipping empty ones: every row the
    sheet holds, whatever its ``<dimension>`` says.

    Reports, per cell: formulas (a formula cell, or text starting with "="
    unless Excel marks it as literal text), error values (#N/A, #REF! ...),
    merged cells (see ``merged_ranges``) and anything but a real date in
    ``date_columns``. Past the workbook's ``ReadLimits.max_rows`` data rows
    it raises ``WorkbookTooLarge``.
    """
    date_columns = set(date_columns)
    merged = _merged_cells(ws, header, errors)
    max_rows = ws.budget.limits.max_rows
    count = 0
    for number, cells in sheet_rows(ws):
        if number <= header.row:
            continue
        values: dict[str, Any] = {}
        bad: set[str] = set()
        merged_columns = merged.columns(number)
        for name, index in header.columns.items():
            cell = cells[index - 1] if index - 1 < len(cells) else None
            value = getattr(cell, "value", None)
            data_type = getattr(cell, "data_type", "n")
            if index in merged_columns:
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
            raise WorkbookTooLarge(f"工作表“{ws.title}”超过 {max_rows} 行，请拆分后导入")
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


# A <mergeCell ref="A5:B6"/> element, with or without a namespace prefix.
_MERGE_CELL = re.compile(
    rb'<(?:[A-Za-z_][\w.-]*:)?mergeCell\b[^>]*?\bref="([A-Za-z]{1,3}[0-9]{1,7}(?::[A-Za-z]{1,3}[0-9]{1,7})?)"'
)


def merged_ranges(ws: Any) -> list[CellRange]:
    """The sheet's merged ranges, read from its XML.

    openpyxl keeps merged cells only for fully loaded sheets, and a full load
    is what the limits exist to avoid; so the XML is scanned for
    ``<mergeCell>`` elements, a megabyte at a time, within the read's time
    budget. Cell text cannot fake one: "<" is always escaped inside cell
    values. More than ``MAX_MERGED_RANGES`` is ``WorkbookTooLarge``.
    """
    refs: set[str] = set()
    tail = b""
    with ws._get_source() as source:
        while chunk := _read_part(source):
            data = tail + chunk
            if b"mergeCell" in data:  # a plain search is far faster than the pattern
                refs.update(m.group(1).decode("ascii") for m in _MERGE_CELL.finditer(data))
            if len(refs) > MAX_MERGED_RANGES:
                raise WorkbookTooLarge(
                    f"工作表“{ws.title}”的合并单元格过多（超过 {MAX_MERGED_RANGES} 处），"
                    "请取消合并后再导入"
                )
            tail = data[-300:]  # an element cut in two by the chunk boundary
    return [CellRange(ref.upper()) for ref in sorted(refs)]


def _read_part(source: Any) -> bytes:
    try:
        return source.read(1 << 20)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError):  # e.g. a bad CRC
        raise invalid(file=NOT_XLSX) from None


class _MergedIndex:
    """Which columns of a row lie in a merged range, for rows read in
    order: ranges join as their first row comes and leave after their
    last, so a row costs only the ranges that cover it (never a set of
    every merged cell, which one range over a million rows would make huge)."""

    def __init__(self, ranges: list[CellRange]) -> None:
        self.ranges = sorted(ranges, key=lambda r: r.min_row)
        self.next = 0
        self.active: list[CellRange] = []
        self.last_row = 0

    def columns(self, row: int) -> set[int]:
        if row < self.last_row:  # rows out of order: start over
            self.next, self.active = 0, []
        self.last_row = row
        while self.next < len(self.ranges) and self.ranges[self.next].min_row <= row:
            self.active.append(self.ranges[self.next])
            self.next += 1
        self.active = [r for r in self.active if r.max_row >= row]
        return {c for r in self.active for c in range(r.min_col, r.max_col + 1)}


def _merged_cells(ws: Any, header: Header, errors: ErrorList) -> _MergedIndex:
    """Report each merged range that reaches the data rows; return them."""
    reaching = []
    for rng in sorted(merged_ranges(ws), key=lambda r: (r.min_row, r.min_col)):
        if rng.max_row <= header.row or rng.min_col > header.last_column:
            continue
        first_row = max(rng.min_row, header.row + 1)
        reaching.append(
            CellRange(
                min_col=rng.min_col,
                min_row=first_row,
                max_col=min(rng.max_col, header.last_column),
                max_row=rng.max_row,
            )
        )
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
    return _MergedIndex(reaching)


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


def _choice_messages(choices: Sequence[str], title: str) -> dict[str, str]:
    return {
        "error_title": f"{title}不正确",
        "error": f"请从下拉列表中选择：{'、'.join(choices)}",
        "prompt_title": title,
        "prompt": f"请选择：{'、'.join(choices)}",
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


# Paper -----------------------------------------------------------------------------
#
# Every export prints on A4 (``SheetWriter`` applies all of this): one page
# wide, never split across pages sideways; text at least MIN_PRINT_PT on
# paper; the header row repeated on every page; page numbers in the footer;
# every row as tall as its wrapped text (XlsxWriter and openpyxl never
# compute heights, and Excel does not either when it opens a file: a row
# left at the default height shows one line and prints the rest over the
# next row).
#
# Widths are in Excel's characters: the width of a digit of the workbook's
# default font (Calibri 11), plus a padding. Excel and WPS draw a digit 7
# pixels wide (at 96 dpi); LibreOffice measures Calibri, or Carlito, the
# metric-compatible font that stands in for it on Linux, unrounded, and so
# draws every column about 6 % wider. The print scale is therefore set
# explicitly, from the wider of the two, rather than left to "fit to one
# page wide": each application's fitting would shrink the text by its own
# measure (LibreOffice's, below 9 pt where Excel's was above), and Excel
# ignores manual page breaks when fitting.
#
# Chinese text is in 宋体 (SimSun), named in every cell format with the
# GB2312 character set. Where it is missing (LibreOffice on Linux, WPS on
# Kylin or UOS) the application substitutes a Chinese font of its own
# (fontconfig, WPS's font table): the heights below are computed wide and
# tall enough for the substitutes too (Noto Sans CJK and WenQuanYi draw
# taller lines than SimSun, DejaVu Sans wider digits and Latin letters).

PAPER_A4 = 9  # Excel's paper size code
A4_INCHES = (8.27, 11.69)  # short and long side
MARGIN_SIDE, MARGIN_TOP, MARGIN_BOTTOM, MARGIN_HEADER = 0.3, 0.6, 0.6, 0.25  # inches
MIN_PRINT_PT = 9.0
PAGE_NUMBERS = gettext_noop("&C第 &P 页 共 &N 页")  # translated when written
FONT = "宋体"
FONT_CHARSET_GB2312 = 134
FONT_SIZE = 10
TITLE_SIZE = 16
MAX_ROW_HEIGHT = 409.0  # points: Excel's limit
DATE_FORMAT = "yyyy-mm-dd"
# A line of text takes 1.45 × the font size (Noto Sans CJK's line height,
# the tallest of the fonts that stand in for 宋体; SimSun itself needs 1.35),
# and a row a few points more for the cell's padding.
LINE_SPACING = 1.45
ROW_PADDING_PT = 4.0
CELL_PADDING_PX = 8  # left and right, inside a cell's width
PX_PER_INCH = 96
EXCEL_DIGIT_PX, EXCEL_PADDING_PX = 7, 5
LIBREOFFICE_DIGIT_PX = 7.42  # Carlito 11 at 96 dpi, as LibreOffice measures it


def column_pixels(width: float) -> int:
    """The width in pixels (at 96 dpi, on screen and on paper at 100 %) of
    a column ``width`` characters wide in Excel: its own rounding."""
    if width <= 0:
        return 0
    if width < 1:
        return int(width * (EXCEL_DIGIT_PX + EXCEL_PADDING_PX) + 0.5)
    return int(width * EXCEL_DIGIT_PX + 0.5) + EXCEL_PADDING_PX


def paper_pixels(width: float) -> float:
    """The widest a column ``width`` characters wide prints at 100 %, in
    pixels at 96 dpi: LibreOffice's measure (the stored width, padding
    included, times its digit width), which is wider than Excel's."""
    # The file stores Excel's pixels over its digit width (XlsxWriter's rounding).
    stored = column_pixels(width) / EXCEL_DIGIT_PX
    return max(float(column_pixels(width)), stored * LIBREOFFICE_DIGIT_PX)


def printable_pixels(*, landscape: bool) -> float:
    """The width between the side margins of an A4 page, in pixels at 96 dpi."""
    paper = A4_INCHES[1] if landscape else A4_INCHES[0]
    return (paper - 2 * MARGIN_SIDE) * PX_PER_INCH


def print_scale(widths: Iterable[float], *, landscape: bool) -> int:
    """The percentage at which columns of these widths fit one A4 page
    wide in every application: 100 when they fit as they are, else the
    largest whole percentage that fits."""
    total = sum(paper_pixels(w) for w in widths)
    room = printable_pixels(landscape=landscape)
    return min(100, int(100 * room / total)) if total else 100


def paper_orientation(widths: Sequence[float], *, font_size: float = FONT_SIZE) -> bool:
    """True for landscape: portrait when the columns fit an A4 page upright
    at full size, landscape when they need more room. A layout too wide
    for text of at least ``MIN_PRINT_PT`` even across is a mistake in the
    layout: ``ValueError`` (narrow or drop columns instead)."""
    if print_scale(widths, landscape=False) == 100:
        return False
    scale = print_scale(widths, landscape=True)
    if font_size * scale / 100 < MIN_PRINT_PT:
        raise ValueError(
            f"columns {sum(widths)} characters wide print at {scale} %: "
            f"{font_size * scale / 100:.1f} pt is below {MIN_PRINT_PT} pt"
        )
    return True


def _char_em(char: str) -> float:
    # Chinese characters, full-width forms and the punctuation Chinese fonts
    # draw full width (“”…—·) take a whole em; Latin letters and digits
    # about 0.65 em at most in any of the fonts that may draw them (DejaVu
    # Sans, LibreOffice's stand-in on Linux, is the widest; SimSun's are 0.5).
    return 1.0 if unicodedata.east_asian_width(char) in "WFA" else 0.65


# Punctuation that may not begin a line: a renderer that would put one there
# carries the character before it to the next line too.
_NO_LINE_START = frozenset("，。、；：？！）》」』】〕〉…—,.;:?!)]}%’”")
_TOKENS = re.compile(r"\s|[^\s\u2e80-\uffef]+|.")


def wrapped_lines(text: str, *, width: float, font_size: float = FONT_SIZE) -> int:
    """How many lines ``text`` takes in a wrapping cell ``width`` characters
    wide: Chinese breaks between any two characters, Latin words at spaces
    (a word longer than the line anywhere), LF starts a new line."""
    room = max(column_pixels(width) - CELL_PADDING_PX, 1) * 72 / PX_PER_INCH / font_size
    return sum(_paragraph_lines(p, room) for p in text.split("\n")) or 1


def _paragraph_lines(paragraph: str, room: float) -> int:
    lines, used, previous = 1, 0.0, 0.0
    for token in _TOKENS.findall(paragraph):
        width = sum(_char_em(c) for c in token)
        if token.isspace():
            used += width  # a space at the end of a line hangs past it
            continue
        if used + width <= room:
            used, previous = used + width, width
        elif width > room:  # a word longer than a line breaks anywhere
            for char in token:
                em = _char_em(char)
                if used + em > room:
                    lines, used = lines + 1, 0.0
                used += em
            previous = 0.0
        elif token in _NO_LINE_START and previous:
            lines, used, previous = lines + 1, previous + width, 0.0
        else:
            lines, used, previous = lines + 1, width, width
    return lines


def row_height(
    cells: Iterable[tuple[str, float]], *, font_size: float = FONT_SIZE, minimum: float = 0
) -> float:
    """The height in points of a row whose wrapping cells hold these
    ``(text, column width)`` pairs: the tallest cell's lines, at least
    ``minimum`` and at most Excel's limit (a text longer than that is shown
    whole on screen, cut on paper)."""
    lines = max((wrapped_lines(t, width=w, font_size=font_size) for t, w in cells if t), default=1)
    height = lines * font_size * LINE_SPACING + ROW_PADDING_PT
    return round(min(MAX_ROW_HEIGHT, max(height, minimum)), 1)


def _merged_width(widths: Sequence[float]) -> float:
    """The width, in characters, of cells merged across these columns."""
    return sum(widths) + (len(widths) - 1) * EXCEL_PADDING_PX / EXCEL_DIGIT_PX


def page_text(text: str) -> str:
    """``text`` for a page header or footer, where & starts a code."""
    return text.replace("&", "&&")


def chinese_date(day: dt.date) -> str:
    """2026年3月5日, as dates are written on official paper."""
    return f"{day.year}年{day.month}月{day.day}日"


def paper_date(day: dt.date) -> str:
    """``chinese_date`` in Chinese, ISO 8601 in another language."""
    return chinese_date(day) if (get_language() or "zh").startswith("zh") else day.isoformat()


def dated_page_header(left: str, *, label: str | None = None) -> tuple[str, str]:
    """A page header with ``left`` (e.g. the zone) and today's date on the right."""
    label = label or gettext("导出日期")
    return (
        left,
        gettext("%(label)s：%(date)s") % {"label": label, "date": paper_date(timezone.localdate())},
    )


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

    header: str
    width: float
    date: bool = False  # blank cells keep the date format
    wrap: bool = True
    num_format: str | None = None  # for numbers other than whole ones, e.g. "0.0"


def plain_text(value: Any) -> str:
    """User text as a cell holds it: Excel's line break is LF (forms submit
    CRLF), and NUL is not allowed in the file."""
    return str(value).replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")


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
        name: str,
        columns: Sequence[Column],
        title: str | None = None,
        info: Sequence[tuple[str, str]] = (),
        page_header: tuple[str, str] | None = None,
        landscape: bool | None = None,
        repeat_title: bool = False,
        rows_per_page: int | None = None,
        min_row_height: float = 0,
        autofilter: bool = True,
    ) -> None:
        # Headers and titles may be lazy translations: the writer takes str.
        name, title = str(name), (str(title) if title else title)
        columns = [Column(str(c.header), c.width, c.date, c.wrap, c.num_format) for c in columns]
        self.ws = ws = book.add_worksheet(name)
        self.formats = formats
        self.columns = list(columns)
        self.widths = [c.width for c in self.columns]
        self.min_row_height = min_row_height
        self.rows_per_page = rows_per_page
        self.autofilter = autofilter
        self.count = 0
        size = formats.size
        self.landscape = (
            paper_orientation(self.widths, font_size=size) if landscape is None else landscape
        )
        self.scale = print_scale(self.widths, landscape=self.landscape)
        if size * self.scale / 100 < MIN_PRINT_PT:
            raise ValueError(f"sheet {name}: columns too wide for A4 at {self.scale} %")
        last = len(self.columns) - 1
        for index, width in enumerate(self.widths):
            ws.set_column(index, index, width)
        row = 0
        if title:
            ws.set_row(row, round(TITLE_SIZE * 2.2, 1))
            ws.merge_range(row, 0, row, last, title, formats.title)
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
                    ((text, _merged_width(self.widths[a : b + 1])) for text, a, b in parts),
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
                zip([c.header for c in self.columns], self.widths, strict=True), font_size=size
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
        Returns the Excel row index (0-based)."""
        ws, formats, r = self.ws, self.formats, self.next_row
        texts = [
            None if v is None or v == "" or isinstance(v, int | float | dt.date) else plain_text(v)
            for v in values
        ]
        ws.set_row(
            r,
            row_height(
                ((t, c.width) for t, c in zip(texts, self.columns, strict=True) if t),
                font_size=formats.size,
                minimum=self.min_row_height,
            ),
        )
        for col, (value, text, column) in enumerate(zip(values, texts, self.columns, strict=True)):
            if text is not None:
                ws.write_string(r, col, text, formats.text_for(text, wrap=column.wrap))
            elif value is None or value == "":
                blank = formats.date if column.date else formats.text[(column.wrap, False)]
                ws.write_blank(r, col, None, blank)
            elif isinstance(value, dt.date):
                ws.write_datetime(r, col, value, formats.date)
            else:  # int or float (bool is an int: no such column)
                ws.write_number(r, col, value, formats.number_for(column.num_format))
        self.count += 1
        self.next_row += 1
        return r

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


def write_list_workbook(
    out: IO[bytes] | Any,
    *,
    sheet: str,
    columns: Sequence[Column],
    rows: Iterable[Sequence[Any]],
    title: str | None = None,
    info: Sequence[tuple[str, str]] = (),
    page_header: tuple[str, str] | None = None,
) -> int:
    """Write a one-sheet list to ``out`` with ``SheetWriter``: the title and
    info lines when given, the header row, then one row per item of
    ``rows``. Returns the number of data rows."""
    book = streaming_workbook(out)
    if title:
        book.set_properties({"title": str(title), "author": "实绩"})
    writer = SheetWriter(
        book,
        ExportFormats(book),
        name=sheet,
        columns=columns,
        title=title,
        info=info,
        page_header=page_header,
    )
    for cells in rows:
        writer.write(cells)
    writer.close()
    book.close()
    return writer.count
