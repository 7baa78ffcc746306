# ruff: noqa: E501 (XML literals read best on one line)
"""Crafted workbooks that attack a reader, for the tests and for
``bench/bench_workbook_attacks.py``: built by hand as zips of XML, because
no spreadsheet program writes them.

- ``empty_cells_bomb``: the importer's header row, then millions of empty
  ``<c/>`` cells and no ``<dimension>``; 20 MB of XML that deflates to about
  30 KB. A reader that materialises cells runs out of memory; one that
  parses every cell runs out of time.
- ``one_row_bomb``: the same cells in a single row (a reader that builds a
  row's elements before handing it over holds them all at once).
- ``with_dimension``: a real workbook whose ``<dimension>`` is rewritten,
  e.g. to under-state its size (a reader that trusts it drops rows).
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterable, Sequence
from xml.sax.saxutils import escape

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    "{sheets}</Types>"
)
_SHEET_TYPE = (
    '<Override PartName="/xl/worksheets/sheet{n}.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
)
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    f'<workbook xmlns="{MAIN}" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    "<sheets>{sheets}</sheets></workbook>"
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    "{rels}</Relationships>"
)
_SHEET_REL = (
    '<Relationship Id="rId{n}" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
    'Target="worksheets/sheet{n}.xml"/>'
)


def _text_row(number: int, values: Sequence[str]) -> bytes:
    cells = "".join(
        f'<c r="{_column(i)}{number}" t="inlineStr"><is><t>{escape(v)}</t></is></c>'
        for i, v in enumerate(values, start=1)
    )
    return f'<row r="{number}">{cells}</row>'.encode()


def _column(index: int) -> str:
    letters = ""
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def sheet_xml(rows: Iterable[bytes], *, after: bytes = b"") -> Iterable[bytes]:
    yield f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="{MAIN}"><sheetData>'.encode()
    yield from rows
    yield b"</sheetData>" + after + b"</worksheet>"


def text_rows(rows: Sequence[Sequence[str]]) -> bytes:
    """A one-sheet workbook of text rows (the first is the header)."""
    return workbook([("Sheet1", sheet_xml(_text_row(n, r) for n, r in enumerate(rows, start=1)))])


def merged_workbook(rows: Sequence[Sequence[str]], ref: str) -> bytes:
    """Text rows and one merged range ``ref`` (which may reach far below them)."""
    merge = f'<mergeCells count="1"><mergeCell ref="{ref}"/></mergeCells>'.encode()
    chunks = sheet_xml((_text_row(n, r) for n, r in enumerate(rows, start=1)), after=merge)
    return workbook([("Sheet1", chunks)])


_STRINGS_TYPE = (
    '<Override PartName="/xl/sharedStrings.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
)
_STRINGS_REL = (
    '<Relationship Id="rIdS" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" '
    'Target="sharedStrings.xml"/>'
)


def workbook(
    sheets: Sequence[tuple[str, Iterable[bytes]]], *, strings: Iterable[bytes] | None = None
) -> bytes:
    """An .xlsx of ``sheets`` (name, chunks of sheet XML) and, when given, a
    shared strings part (chunks of ``<si>`` elements), deflated hard."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        types = "".join(_SHEET_TYPE.format(n=n) for n in range(1, len(sheets) + 1))
        if strings is not None:
            types += _STRINGS_TYPE
        z.writestr("[Content_Types].xml", _CONTENT_TYPES.format(sheets=types))
        z.writestr("_rels/.rels", _ROOT_RELS)
        z.writestr(
            "xl/workbook.xml",
            _WORKBOOK.format(
                sheets="".join(
                    f'<sheet name="{escape(name)}" sheetId="{n}" r:id="rId{n}"/>'
                    for n, (name, _) in enumerate(sheets, start=1)
                )
            ),
        )
        z.writestr(
            "xl/_rels/workbook.xml.rels",
            _WORKBOOK_RELS.format(
                rels="".join(_SHEET_REL.format(n=n) for n in range(1, len(sheets) + 1))
                + (_STRINGS_REL if strings is not None else "")
            ),
        )
        if strings is not None:
            with z.open("xl/sharedStrings.xml", "w") as part:
                part.write(f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{MAIN}">'.encode())
                for chunk in strings:
                    part.write(chunk)
                part.write(b"</sst>")
        for n, (_, chunks) in enumerate(sheets, start=1):
            with z.open(f"xl/worksheets/sheet{n}.xml", "w") as part:
                for chunk in chunks:
                    part.write(chunk)
    return out.getvalue()


def empty_cells_rows(
    headers: Sequence[str], *, cells: int = 5_000_000, per_row: int = 1000
) -> Iterable[bytes]:
    """The header row, then ``cells`` empty ``<c/>`` in rows of ``per_row``
    (rows and cells without references, as the format allows)."""
    yield _text_row(1, headers)
    row = b"<row>" + b"<c/>" * per_row + b"</row>"
    for _ in range(cells // per_row):
        yield row


def empty_cells_bomb(
    headers: Sequence[str],
    *,
    sheet: str = "Sheet1",
    cells: int = 5_000_000,
    per_row: int = 1000,
    others: Sequence[tuple[str, Sequence[str]]] = (),
) -> bytes:
    """One sheet of ``cells`` empty cells under ``headers`` (and ``others``,
    sheets holding only their header row)."""
    sheets = [(sheet, sheet_xml(empty_cells_rows(headers, cells=cells, per_row=per_row)))]
    sheets += [(name, sheet_xml([_text_row(1, hs)])) for name, hs in others]
    return workbook(sheets)


def shared_strings_bomb(headers: Sequence[str], *, count: int = 1_000_000) -> bytes:
    """A header row and a table of ``count`` distinct shared strings that
    no cell uses (a reader that loads the table holds them all)."""
    strings = (f"<si><t>{n}</t></si>".encode() for n in range(count))
    return workbook([("Sheet1", sheet_xml([_text_row(1, headers)]))], strings=strings)


def one_row_bomb(headers: Sequence[str], *, sheet: str = "Sheet1", cells: int = 5_000_000) -> bytes:
    """The header row, then one row of ``cells`` empty cells."""
    return empty_cells_bomb(headers, sheet=sheet, cells=cells, per_row=cells)


_DIMENSION = re.compile(rb"<dimension ref=\"[^\"]*\"\s*/>")


def with_dimension(data: bytes, ref: str, *, sheet_part: str | None = None) -> bytes:
    """``data`` with every worksheet's ``<dimension>`` set to ``ref`` (each
    sheet, or only ``sheet_part`` such as "xl/worksheets/sheet1.xml")."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            content = src.read(item)
            if item.filename.startswith("xl/worksheets/sheet") and (
                sheet_part is None or item.filename == sheet_part
            ):
                tag = f'<dimension ref="{ref}"/>'.encode()
                content, found = _DIMENSION.subn(tag, content, count=1)
                assert found, f"{item.filename} has no <dimension>"
            dst.writestr(item, content, compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def measured(call):
    """Run ``call()``; return (its result, seconds, peak of Python
    allocations in MB while it ran, from tracemalloc)."""
    import time
    import tracemalloc

    tracemalloc.start()
    try:
        started = time.perf_counter()
        result = call()
        seconds = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1] / 1024 / 1024
    finally:
        tracemalloc.stop()
    return result, seconds, peak
