"""Reading uploaded workbooks safely: bounded opening (zip bombs, huge
sheets, crafted XML), header lookup, rows with their Excel row numbers, and
the errors a user can find in the file. See the package docstring."""

from __future__ import annotations

import datetime as dt
import functools
import io
import re
import time
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING, Any, Literal
from xml.parsers import expat as pyexpat

from openpyxl import Workbook
from openpyxl.reader.excel import ExcelReader
from openpyxl.utils import column_index_from_string, get_column_letter
from openpyxl.utils.datetime import from_excel, from_ISO8601
from openpyxl.worksheet._read_only import ReadOnlyWorksheet
from openpyxl.worksheet.cell_range import CellRange
from openpyxl.xml.constants import SHARED_STRINGS, SHEET_MAIN_NS

from shiji.core.errors import Invalid, invalid
from shiji.core.i18n import Message, msg

if TYPE_CHECKING:
    from django_stubs_ext import StrPromise

# Joins lists of the workbook's words (its headers) inside messages.
HEADER_SEPARATOR = "、"  # zh-only: joins Chinese headers
NOT_XLSX = msg("文件不是有效的 Excel（.xlsx）文件，无法打开；请用 Excel 重新保存为 .xlsx 后再上传")
# Characters that make a spreadsheet treat a typed value as a formula; the
# full-width forms count too, since Excel converts them when typed with a CJK IME.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")  # zh-only: characters
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
        self._seen: set[tuple[str, int | None, str, str | StrPromise]] = set()

    def add(
        self, sheet: str, row: int | None, column: str, message: str | StrPromise | Message
    ) -> None:
        text = str(message)
        key = (sheet, row, column, text)
        if key not in self._seen:  # a set: thousands of errors must not cost n²
            self._seen.add(key)
            item: dict[str, Any] = {"sheet": sheet, "row": row, "column": column, "message": text}
            if isinstance(message, Message):
                # Shown in the reader's language (core.i18n.stored_text).
                item.update(msgid=message.msgid, params=message.params)
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

    def __init__(self, message: str | Message):
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
        raise WorkbookTooLarge(msg("工作簿内容过大，请拆分成几个较小的文件后分别上传"))
    for info in infos:
        name = info.filename.lower()
        if not name.endswith((".xml", ".rels")):
            continue  # pictures and the like are never read
        if name.startswith("xl/worksheets/") or name == "xl/sharedstrings.xml":
            if info.file_size > limits.max_sheet_bytes:
                mb = limits.max_sheet_bytes // (1024 * 1024)
                raise WorkbookTooLarge(
                    msg("工作表内容过大（解压后超过 %(mb)s MB），请拆分后导入", mb=mb)
                )
        elif info.file_size > MAX_OTHER_PART_BYTES:
            raise WorkbookTooLarge(
                msg("工作簿中的格式或附加内容过大，请把数据复制到新的工作簿后再上传")
            )


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
                msg(
                    "读取工作簿超过 %(seconds)s 秒仍未完成，请拆分成几个较小的文件后分别导入",
                    seconds=f"{self.limits.max_seconds:.0f}",
                )
            )

    def spend(self, sheet: str) -> None:
        """One more ``<row>`` or ``<c>`` element read."""
        self.cells += 1
        if self.cells > self.limits.max_cells:
            raise WorkbookTooLarge(
                msg(
                    "工作表“%(sheet)s”的单元格过多（超过 %(limit)s 个），"
                    "请只保留要导入的数据，复制到新的工作簿后再导入",
                    sheet=sheet,
                    limit=self.limits.max_cells,
                )
            )

    def count(self, sheet: str, *, filled: bool) -> None:
        if filled:
            self.filled += 1
            return
        self.empty += 1
        if self.empty > EMPTY_CELLS_FREE and self.empty > EMPTY_CELLS_RATIO * self.filled:
            raise WorkbookTooLarge(
                msg(
                    "工作表“%(sheet)s”含有大量空白单元格（已超过 %(limit)s 个），"
                    "请只把要导入的数据复制到新的工作簿后再导入",
                    sheet=sheet,
                    limit=EMPTY_CELLS_FREE,
                )
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

    def open(self, name: Any, mode: Literal["r", "w"] = "r", pwd: Any = None, **kwargs: Any) -> Any:
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

    archive: zipfile.ZipFile

    def __init__(self, file: Any, budget: _Budget) -> None:
        super().__init__(file, read_only=True, keep_vba=False, data_only=False, keep_links=False)
        self.archive.close()
        file.seek(0)
        self.archive = _MeteredZip(file)
        self.archive.budget = budget
        self.budget = budget

    def read_strings(self) -> None:
        """openpyxl's table of shared strings, read with expat as it streams
        (``_StringsReader``) and counted as it is read."""
        part = self.package.find(SHARED_STRINGS)
        if part is None:
            return
        reader = _StringsReader(self.budget.limits.max_strings)
        with self.archive.open(part.PartName[1:]) as source:
            while True:
                chunk = source.read(_CHUNK)  # a metered read: checks the time budget
                reader.parser.Parse(chunk, not chunk)
                if not chunk:
                    break
        self.shared_strings = reader.strings

    def read_worksheets(self) -> None:
        for sheet, rel in self.parser.find_sheets():
            if rel.target not in self.valid_files or "chartsheet" in rel.Type:
                continue
            ws = _BoundedSheet(self.wb, sheet.name, rel.target, self.shared_strings)
            ws.sheet_state = sheet.state
            ws.budget = self.budget
            self.wb._sheets.append(ws)


# Element names as expat gives them ("namespace}local").
_X_ROW, _X_CELL, _X_VALUE, _X_FORMULA, _X_INLINE, _X_TEXT, _X_RUN, _X_STRING = (
    f"{SHEET_MAIN_NS}}}{tag}" for tag in ("row", "c", "v", "f", "is", "t", "r", "si")
)
_NS_SEPARATOR = "}"
_CHUNK = 1 << 16


class _StringsReader:
    """The shared strings part, parsed by expat's callbacks: each ``<si>``'s
    text is its ``<t>``, or the first ``<t>`` of each rich-text run
    (phonetic guides, ``<rPh>``, are not part of it), as openpyxl reads it
    (``Text.content``, and its undoing of the "_x005F" escape). Only the
    texts are kept, and past ``limit`` of them the read stops."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.strings: list[str] = []
        self.path: list[str] = []  # the open elements inside the current <si>
        self.parts: list[str] = []
        self.run_done = False  # the open run's <t> was read
        self.text: list[str] | None = None
        self.parser = _expat(self.start, self.end, self.chars)

    def chars(self, data: str) -> None:
        if self.text is not None:
            self.text.append(data)

    def start(self, name: str, attrs: dict[str, str]) -> None:
        path = self.path
        if path:
            if self.text is not None:
                raise ValueError("an element inside a string's text")
            if name == _X_TEXT and (
                len(path) == 1 or (len(path) == 2 and path[1] == _X_RUN and not self.run_done)
            ):
                self.text = []
            elif name == _X_RUN and len(path) == 1:
                self.run_done = False
            path.append(name)
        elif name == _X_STRING:
            path.append(name)
            self.parts = []

    def end(self, name: str) -> None:
        path = self.path
        if not path:
            return
        path.pop()
        if self.text is not None:
            self.parts.append("".join(self.text))
            self.text = None
            self.run_done = True
        elif not path:
            self.strings.append("".join(self.parts).replace("x005F_", ""))
            if len(self.strings) > self.limit:
                raise WorkbookTooLarge(
                    msg("工作簿中的文字过多（超过 %(limit)s 段），请拆分后导入", limit=self.limit)
                )


_COLUMN_REF = re.compile(r"^\$?([A-Za-z]{1,3})\$?$")


class ReadCell:
    """One cell of a row as ``sheet_rows`` reads it: ``value`` typed as
    openpyxl types it (numbers, text, bools, dates for date-formatted
    numbers, "=..." for formulas), ``data_type`` openpyxl's letter ("n",
    "s", "b", "d", "f", "e"), and ``quotePrefix``, Excel's mark for literal
    text (a typed leading ', or ``safe_cell``)."""

    __slots__ = ("data_type", "quotePrefix", "value")

    def __init__(self, value: Any, data_type: str, quote_prefix: bool) -> None:
        self.value = value
        self.data_type = data_type
        self.quotePrefix = quote_prefix

    def __repr__(self) -> str:
        return f"ReadCell({self.value!r}, {self.data_type!r})"


EMPTY = ReadCell(None, "n", False)


def sheet_rows(ws: Any, *, max_row: int | None = None) -> Iterator[tuple[int, tuple[Any, ...]]]:
    """``(row number, cells)`` for each row the sheet holds, in order, within
    its workbook's ``ReadLimits``; ``cells`` are ``ReadCell`` by position
    (column 1 first, gaps filled with empty cells), up to the last one with
    content. Rows the sheet does not hold are not made up, and rows past a
    declared ``<dimension>`` are read like any other. Stops after row
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
    rows: list[tuple[int, tuple[ReadCell, ...]]] = []
    parser = _row_parser(ws, rows)
    with ws._get_source() as source:
        while True:
            chunk = source.read(_CHUNK)  # a metered read: checks the time budget
            parser.Parse(chunk, not chunk)
            parsed = rows[:]
            rows.clear()
            for number, cells in parsed:
                if max_row is not None and number > max_row:
                    return
                yield number, cells
            if not chunk:
                return


def _refuse_dtd(*args: Any) -> None:
    # A sheet (or any part of an .xlsx) never declares a DTD; one that does
    # is crafted, and without it no entity can be declared or expanded.
    raise ValueError("DTD in a workbook part")


def _expat(start: Any, end: Any, chars: Any) -> Any:
    """An expat parser for a workbook part: streamed (fed in chunks, never
    a tree in memory), no DTD, so no entities and nothing fetched."""
    parser = pyexpat.ParserCreate(namespace_separator=_NS_SEPARATOR)
    parser.buffer_text = True
    parser.buffer_size = _CHUNK
    parser.StartDoctypeDeclHandler = _refuse_dtd
    parser.EntityDeclHandler = _refuse_dtd
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = chars
    return parser


def _row_parser(ws: Any, done: list[tuple[int, tuple[ReadCell, ...]]]) -> Any:
    """An expat parser that turns a worksheet's XML, as it is fed, into rows
    of ``ReadCell`` appended to ``done``: the values openpyxl's read-only
    sheets give (its ``WorkSheetParser.parse_cell``) at a fraction of the
    cost, since no element objects are built (expat is a C parser and calls
    back with names and attributes). Every ``<row>`` and ``<c>``, and each
    other element inside a row, spends the budget; a cell's elements are
    capped; cells past ``max_columns`` must be empty and are dropped.

    The handlers are closures over local state rather than methods: they
    run several times per cell, millions of times for a big sheet, and a
    closure's variables are read faster than an object's attributes."""
    wb = ws.parent
    budget: _Budget = ws.budget
    title: str = ws.title
    max_columns = budget.limits.max_columns
    max_cells = budget.limits.max_cells
    strings: list[str] = ws._shared_strings
    epoch = wb.epoch
    date_styles = set(wb._date_formats)
    timedelta_styles = set(wb._timedelta_formats)
    quoted = {i for i, style in enumerate(wb._cell_styles) if style.quotePrefix}

    number = 0  # the current row's (rows may omit their "r")
    in_row = False
    cells: list[tuple[int, ReadCell]] = []  # the open row's
    last = 0  # the open row's last column with a value
    column = 0  # of the last cell in the row (cells may omit their "r")
    cell: dict[str, str] | None = None  # the open cell's attributes
    inside: list[str] = []  # the elements open inside the cell
    count = 0  # elements met inside the cell
    filled = False  # the cell has an element inside (<v>, <f>, <is>)
    text: list[str] | None = None  # character data being collected
    value: str | None = None  # the cell's <v>
    formula: str | None = None  # its <f>
    plain: str | None = None  # an inline string's <t>
    runs: list[str | None] = []  # its rich-text runs' <t>

    def chars(data: str) -> None:
        if text is not None:
            text.append(data)

    def start(name: str, attrs: dict[str, str]) -> None:
        nonlocal number, in_row, column, cell, count, filled, text, value, formula, plain, runs
        if cell is not None:
            count += 1
            if count > MAX_ELEMENTS_PER_CELL:
                raise WorkbookTooLarge(
                    msg(
                        "工作表“%(sheet)s”中有内容过于复杂的单元格，"
                        "请把数据复制到新的工作簿后再导入",
                        sheet=title,
                    )
                )
            if text is not None:
                raise ValueError("an element inside a cell's text")
            depth = len(inside)
            if depth == 0:
                filled = True
                if name == _X_VALUE:
                    text = []
                elif name == _X_FORMULA:
                    text, formula = [], ""
            elif depth == 1 and inside[0] == _X_INLINE:
                if name == _X_TEXT:
                    text = []
                elif name == _X_RUN:
                    runs.append(None)
            elif depth == 2 and name == _X_TEXT and inside[1] == _X_RUN and inside[0] == _X_INLINE:
                text = []
            inside.append(name)
        elif name == _X_ROW:
            if in_row:
                raise ValueError("a row inside a row")
            budget.spend(title)
            budget.check_time()
            in_row = True
            ref = attrs.get("r")
            if ref is None:
                number += 1
            else:
                row_number = float(ref)
                if not row_number.is_integer():
                    raise ValueError(f"{ref} is not a valid row number")
                number = int(row_number)
            column = 0
        elif in_row:
            # budget.spend, inline: this runs for every cell.
            budget.cells += 1
            if budget.cells > max_cells:
                budget.spend(title)
            if name == _X_CELL:
                cell = attrs
                count = 0
                filled = False
                value = formula = plain = None
                runs = []

    def end(name: str) -> None:
        nonlocal in_row, cells, cell, text, value, formula, plain, last
        if inside:
            tag = inside.pop()
            if text is not None:
                joined = "".join(text)
                text = None
                depth = len(inside)
                if depth == 0:
                    if tag == _X_FORMULA:
                        formula = joined
                    else:
                        value = joined
                elif depth == 1:
                    plain = joined
                else:
                    runs[-1] = joined
        elif cell is not None:
            end_cell(cell)
            cell = None
        elif in_row and name == _X_ROW:
            in_row = False
            row_cells, cells = cells, []
            width, last = last, 0
            row = [EMPTY] * width
            for c, read in row_cells:
                if c <= width:
                    row[c - 1] = read
            done.append((number, tuple(row)))

    def end_cell(attrs: dict[str, str]) -> None:
        nonlocal column, last
        ref = attrs.get("r")
        column = _column_of(ref) if ref else column + 1
        if filled:
            budget.filled += 1  # budget.count, inline: this runs for every cell
        else:
            budget.count(title, filled=False)
        if column > max_columns:
            if filled:
                raise WorkbookTooLarge(
                    msg(
                        "工作表“%(sheet)s”超过 %(limit)s 列"
                        "（%(column)s 列有内容），请删除多余的列后导入",
                        sheet=title,
                        limit=max_columns,
                        column=get_column_letter(column),
                    )
                )
            return  # an empty cell out there: never kept
        style = attrs.get("s")
        style_id = int(style) if style else 0
        data_type = attrs.get("t", "n")
        typed: Any = None
        if formula is not None:
            data_type, typed = "f", "=" + formula
        elif data_type == "inlineStr":
            if plain is not None or runs:
                data_type = "s"
                typed = "".join(t for t in (plain, *runs) if t is not None)
        elif value:
            if data_type == "n":
                typed = float(value) if "." in value or "E" in value or "e" in value else int(value)
                if style_id in date_styles:
                    data_type = "d"
                    try:
                        typed = from_excel(typed, epoch, timedelta=style_id in timedelta_styles)
                    except (OverflowError, ValueError):
                        data_type, typed = "e", "#VALUE!"
            elif data_type == "s":
                typed = strings[int(value)]
            elif data_type == "b":
                typed = bool(int(value))
            elif data_type == "str":
                data_type, typed = "s", value
            elif data_type == "d":
                typed = from_ISO8601(value)
            else:
                typed = value
        cells.append((column, ReadCell(typed, data_type, style_id in quoted)))
        if typed is not None and column > last:
            last = column

    return _expat(start, end, chars)


def _column_of(ref: str) -> int:
    """A cell reference's column index ("B12" → 2)."""
    return _column_index(ref.rstrip("0123456789"))


@functools.lru_cache(maxsize=4096)
def _column_index(letters: str) -> int:
    match = _COLUMN_REF.match(letters)
    if match is None:
        raise ValueError(f"{letters} is not a cell reference")
    return column_index_from_string(match.group(1).upper())


# Headers -------------------------------------------------------------------------


def normalize_header(value: Any) -> str:
    """A header cell's text without spaces, line breaks or "*" required-marks."""
    if value is None:
        return ""
    return re.sub(r"[\s*＊]+", "", str(value))  # zh-only: a pattern


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
            msg(
                "前 %(rows)s 行中没有找到表头（应包含：%(headers)s），请使用下载的模板填写",
                rows=search_rows,
                headers=HEADER_SEPARATOR.join(expected),
            ),
        )
        return None
    _, number, header_cells = best
    columns: dict[str, int] = {}
    unknown: list[str] = []
    for index, value in enumerate(header_cells, start=1):
        key = normalize_header(value)
        if key in wanted and wanted[key] not in columns:
            columns[wanted[key]] = index
        elif key:
            unknown.append(str(value).strip())
    header = Header(row=number, columns=columns, unknown=unknown)
    missing = [h for h in required if h not in columns]
    if missing:
        missing_text = HEADER_SEPARATOR.join(missing)
        if unknown:
            message = msg(
                "缺少列：%(missing)s（第 %(row)s 行有未识别的列：%(unknown)s，是否改了列名？）。"
                "请按模板的列名填写",
                missing=missing_text,
                row=number,
                unknown=HEADER_SEPARATOR.join(unknown),
            )
        else:
            message = msg("缺少列：%(missing)s。请按模板的列名填写", missing=missing_text)
        errors.add(ws.title, number, "", message)
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
    title = ws.title
    # (header, 0-based position, a date column?), worked out once: the loop
    # below runs for every cell of up to 100,000 rows.
    columns = [(name, index - 1, name in date_columns) for name, index in header.columns.items()]
    count = 0
    for number, cells in sheet_rows(ws):
        if number <= header.row:
            continue
        values: dict[str, Any] = {}
        bad: set[str] = set()
        merged_columns = merged.columns(number) if merged.ranges else ()
        width = len(cells)
        for name, position, is_date in columns:
            cell = cells[position] if position < width else EMPTY
            value = cell.value
            data_type = cell.data_type
            if merged_columns and position + 1 in merged_columns:
                bad.add(name)
            elif data_type == "f" or (
                value.__class__ is str and value.startswith("=") and not _quote_prefixed(cell)
            ):
                errors.add(
                    title,
                    number,
                    name,
                    msg("单元格含公式，请直接填写内容（可复制后“选择性粘贴 → 值”）"),
                )
                bad.add(name)
            elif data_type == "e":
                errors.add(
                    title,
                    number,
                    name,
                    msg("单元格为错误值 %(value)s，请改为直接填写内容", value=str(value)),
                )
                bad.add(name)
            else:
                value = _plain_value(value)
                if is_date and value is not None:
                    if isinstance(value, dt.datetime):
                        value = value.date()
                    elif not isinstance(value, dt.date):
                        errors.add(
                            title,
                            number,
                            name,
                            msg(
                                "请填写日期（如 2026-03-31），并把单元格设为日期格式，不要填成文本"
                            ),
                        )
                        bad.add(name)
                        continue
                values[name] = value
        if not bad and all(v is None for v in values.values()):
            continue
        count += 1
        if count > max_rows:
            raise WorkbookTooLarge(
                msg(
                    "工作表“%(sheet)s”超过 %(limit)s 行，请拆分后导入",
                    sheet=title,
                    limit=max_rows,
                )
            )
        yield Row(sheet=title, number=number, values=values, bad=bad)


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
                    msg(
                        "工作表“%(sheet)s”的合并单元格过多（超过 %(limit)s 处），"
                        "请取消合并后再导入",
                        sheet=ws.title,
                        limit=MAX_MERGED_RANGES,
                    )
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
            msg("%(cells)s 是合并单元格，请取消合并，每行分别填写完整", cells=rng.coord),
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
        return "是" if value else "否"  # zh-only: cell text, as the workbooks write it
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()
