"""Workbook helpers shared by every Excel import and export, in three modules:
``reader`` (uploaded workbooks), ``writer`` (exports) and ``paper`` (the page
setup every export shares). Callers import from ``shiji.core.xlsx``.

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

from shiji.core.xlsx.paper import (
    A4_INCHES,
    CELL_PADDING_PX,
    DATE_FORMAT,
    FONT,
    FONT_CHARSET_GB2312,
    FONT_SIZE,
    LIBREOFFICE_DIGIT_PX,
    LINE_SPACING,
    MAX_ROW_HEIGHT,
    MIN_PRINT_PT,
    PAGE_NUMBERS,
    PAPER_A4,
    PX_PER_INCH,
    ROW_PADDING_PT,
    TITLE_SIZE,
    chinese_date,
    column_pixels,
    dated_page_header,
    merged_width,
    page_text,
    paper_orientation,
    paper_pixels,
    print_scale,
    printable_pixels,
    row_height,
    wrapped_lines,
)
from shiji.core.xlsx.reader import (
    DEFAULT_LIMITS,
    DEFAULT_MAX_ROWS,
    DEFAULT_MAX_UNZIPPED,
    EMPTY_CELLS_FREE,
    EMPTY_CELLS_RATIO,
    FORMULA_TRIGGERS,
    MAX_ELEMENTS_PER_CELL,
    MAX_MERGED_RANGES,
    MAX_OTHER_PART_BYTES,
    NOT_XLSX,
    ErrorList,
    Header,
    ReadLimits,
    Row,
    WorkbookTooLarge,
    cell_text,
    find_header,
    iter_rows,
    merged_ranges,
    normalize_header,
    open_workbook,
    sheet_rows,
)
from shiji.core.xlsx.writer import (
    STREAMING_OPTIONS,
    Column,
    ExportFormats,
    SheetWriter,
    add_choice_list,
    add_choice_validation,
    plain_text,
    safe_cell,
    safe_cell_text,
    streaming_workbook,
    workbook_bytes,
    write_list_workbook,
)

__all__ = [
    "A4_INCHES",
    "CELL_PADDING_PX",
    "DATE_FORMAT",
    "DEFAULT_LIMITS",
    "DEFAULT_MAX_ROWS",
    "DEFAULT_MAX_UNZIPPED",
    "EMPTY_CELLS_FREE",
    "EMPTY_CELLS_RATIO",
    "FONT",
    "FONT_CHARSET_GB2312",
    "FONT_SIZE",
    "FORMULA_TRIGGERS",
    "LIBREOFFICE_DIGIT_PX",
    "LINE_SPACING",
    "MAX_ELEMENTS_PER_CELL",
    "MAX_MERGED_RANGES",
    "MAX_OTHER_PART_BYTES",
    "MAX_ROW_HEIGHT",
    "MIN_PRINT_PT",
    "NOT_XLSX",
    "PAGE_NUMBERS",
    "PAPER_A4",
    "PX_PER_INCH",
    "ROW_PADDING_PT",
    "STREAMING_OPTIONS",
    "TITLE_SIZE",
    "Column",
    "ErrorList",
    "ExportFormats",
    "Header",
    "ReadLimits",
    "Row",
    "SheetWriter",
    "WorkbookTooLarge",
    "add_choice_list",
    "add_choice_validation",
    "cell_text",
    "chinese_date",
    "column_pixels",
    "dated_page_header",
    "find_header",
    "iter_rows",
    "merged_ranges",
    "merged_width",
    "normalize_header",
    "open_workbook",
    "page_text",
    "paper_orientation",
    "paper_pixels",
    "plain_text",
    "print_scale",
    "printable_pixels",
    "row_height",
    "safe_cell",
    "safe_cell_text",
    "sheet_rows",
    "streaming_workbook",
    "workbook_bytes",
    "wrapped_lines",
    "write_list_workbook",
]
