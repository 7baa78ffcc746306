"""Checks that an exported workbook prints well on A4, shared by the export
tests: the page setup read back with openpyxl (computed here from the
widths, fonts and margins in the file, not from the code's constants), and
the real thing, a PDF made by LibreOffice and read back with poppler's
pdftotext and pdfinfo.

LibreOffice and poppler-utils are system packages (``make system-deps``);
these tests fail rather than skip without them, so CI cannot pass without
having printed.
"""

from __future__ import annotations

import math
import re
import shutil
import subprocess
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import ARTIFACTS

A4_INCHES = (8.27, 11.69)
A4_POINTS = (595.3, 841.9)
MIN_PT = 9.0
# How wide LibreOffice draws a column: its stored width (padding included)
# times Carlito's digit width at 11 pt, unrounded; measured on LibreOffice
# 7.4 (a column of width 50 is 375 px, of width 10 is 79 px). Excel and WPS
# use 7 pixels a digit and so draw narrower columns: a sheet that fits by
# LibreOffice's measure fits by theirs.
LIBREOFFICE_DIGIT_PX = 7.42
CJK_LINE = 1.2  # the least a line of text takes, times the font size


def wide(char: str) -> bool:
    return unicodedata.east_asian_width(char) in "WF"


# The page setup, with openpyxl -----------------------------------------------------


def printed_scale_ok(ws) -> tuple[int, float]:
    """The sheet's print scale and the smallest font it puts on paper; the
    columns must fit between the margins at that scale."""
    setup = ws.page_setup
    assert not ws.sheet_properties.pageSetUpPr.fitToPage, "scale is set, not left to fitting"
    scale = int(setup.scale or 100)  # 100 is the default, left out of the file
    landscape = setup.orientation == "landscape"
    paper = A4_INCHES[1] if landscape else A4_INCHES[0]
    room = (paper - ws.page_margins.left - ws.page_margins.right) * 96
    widths = list(column_widths(ws).values())
    assert len(widths) == ws.max_column and all(widths), "every column has a width"
    needed = sum(widths) * LIBREOFFICE_DIGIT_PX * scale / 100
    assert needed <= room, f"columns need {needed:.0f} px at {scale} %, the page has {room:.0f}"
    smallest = min(
        ws.cell(r, c).font.sz
        for r in range(1, ws.max_row + 1)
        for c in range(1, ws.max_column + 1)
        if ws.cell(r, c).value is not None
    )
    return scale, smallest * scale / 100


def column_widths(ws) -> dict[int, float]:
    """The stored width of each column, by number (a ``<col>`` element may
    cover several columns of the same width)."""
    widths: dict[int, float] = {}
    for dim in ws.column_dimensions.values():
        if dim.width:
            for c in range(dim.min, dim.max + 1):
                widths[c] = dim.width
    return {c: widths[c] for c in sorted(widths) if c <= ws.max_column}


def assert_prints_on_a4(
    ws, *, landscape: bool, header_rows: str, title: str | None = None
) -> tuple[int, float]:
    """A4 in the given orientation, text of at least 9 pt on paper, the
    header rows repeated, page numbers in the footer, sensible margins, the
    Chinese text in 宋体 (GB2312), and every row with text as tall as its
    wrapped lines need. Returns (scale, smallest printed size)."""
    setup = ws.page_setup
    assert int(setup.paperSize) == 9
    assert setup.orientation == ("landscape" if landscape else "portrait")
    assert ws.print_title_rows == header_rows
    footer = ws.oddFooter.center.text or ""
    assert "&P" in footer and "&N" in footer and "页" in footer
    margins = ws.page_margins
    for side in (margins.left, margins.right, margins.top, margins.bottom):
        assert 0.25 <= side <= 1.0
    if title is not None:
        assert ws["A1"].value == title
    scale, smallest = printed_scale_ok(ws)
    assert smallest >= MIN_PT, f"{smallest:.1f} pt on paper at {scale} %"
    assert_rows_fit_their_text(ws)
    for r in range(1, ws.max_row + 1):
        for c in range(1, ws.max_column + 1):
            cell = ws.cell(r, c)
            if isinstance(cell.value, str) and any(wide(ch) for ch in cell.value):
                assert (cell.font.name, cell.font.charset) == ("宋体", 134), cell.coordinate
    return scale, smallest


def assert_rows_fit_their_text(ws) -> None:
    """Every row holding text has a height, at least the lines its wrapped
    cells take: a lower bound with Chinese at a full em, other characters
    at half, in the cell's width (Excel's, the narrowest)."""
    merged = {c for rng in ws.merged_cells.ranges for c in _cells(rng)}
    widths = column_widths(ws)
    for r in range(1, ws.max_row + 1):
        texts = [
            ws.cell(r, c)
            for c in range(1, ws.max_column + 1)
            if isinstance(ws.cell(r, c).value, str) and (r, c) not in merged
        ]
        if not texts:
            continue
        height = ws.row_dimensions[r].height
        assert height, f"row {r} has no height"
        for cell in texts:
            size = cell.font.sz
            width_px = int(widths[cell.column] * 7) - 2
            em_px = size * 96 / 72
            if cell.alignment.wrap_text:
                lines = sum(
                    max(1, math.ceil(sum(1 if wide(ch) else 0.5 for ch in p) * em_px / width_px))
                    for p in cell.value.split("\n")
                )
            else:
                lines = 1
                line = sum(1 if wide(ch) else 0.5 for ch in cell.value) * em_px
                assert line <= width_px + em_px, f"{cell.coordinate} is cut off: no wrapping"
            assert height >= lines * size * CJK_LINE, (
                f"row {r}: {cell.coordinate} needs {lines} lines, the row is {height} pt"
            )


def _cells(rng) -> list[tuple[int, int]]:
    return [
        (r, c)
        for r in range(rng.min_row, rng.max_row + 1)
        for c in range(rng.min_col, rng.max_col + 1)
    ]


# The PDF, with LibreOffice and poppler ---------------------------------------------


@dataclass(frozen=True)
class Word:
    page: int
    x0: float
    y0: float
    x1: float
    y1: float
    text: str


@dataclass
class Pdf:
    path: Path
    pages: list[tuple[float, float]]  # width, height in points
    words: list[Word]
    text: str  # pdftotext -layout

    @property
    def landscape(self) -> bool:
        return all(w > h for w, h in self.pages)

    @property
    def portrait(self) -> bool:
        return all(h > w for w, h in self.pages)

    def printed_sizes(self) -> list[float]:
        """The size on paper of every run of Chinese text: a Chinese
        character is one em wide, so a word of n of them is n × its size."""
        return [
            (w.x1 - w.x0) / len(w.text)
            for w in self.words
            if len(w.text) >= 2 and all(wide(ch) for ch in w.text)
        ]

    def overprinted(self) -> list[tuple[Word, Word]]:
        """Pairs of words drawn over each other: text that ran out of its
        row into the next, or out of its column. (The boxes of two lines of
        one cell may touch: a box is the font's full height, a little more
        than the line spacing; words over each other overlap far more.)"""
        found = []
        by_page: dict[int, list[Word]] = {}
        for w in self.words:
            by_page.setdefault(w.page, []).append(w)
        for words in by_page.values():
            words.sort(key=lambda w: w.y0)
            for i, a in enumerate(words):
                for b in words[i + 1 :]:
                    if b.y0 >= a.y1:
                        break
                    shared = min(a.y1, b.y1) - b.y0
                    lower = min(a.y1 - a.y0, b.y1 - b.y0)
                    if shared > 0.4 * lower and b.x0 < a.x1 - 0.5 and a.x0 < b.x1 - 0.5:
                        found.append((a, b))
        return found

    def cell_text(self, text: str) -> str:
        """The text printed in the cell that starts with ``text``'s first
        characters: the lines under it that start at the same left edge
        (wrapped lines of a left-aligned cell), joined, as long as ``text``
        (without spaces). Text cut off at the row's end would show as the
        next row's characters instead."""
        want = re.sub(r"\s", "", text)
        head = want[:4]
        first = next(w for w in self.words if w.text.startswith(head))
        lines = sorted(
            (w for w in self.words if w.page == first.page and abs(w.x0 - first.x0) < 0.5),
            key=lambda w: w.y0,
        )
        got = "".join(w.text for w in lines if w.y0 >= first.y0 - 0.5)
        return got[: len(want)]


def soffice() -> str:
    found = shutil.which("soffice")
    assert found, "LibreOffice is missing: run `make system-deps` (libreoffice-calc)"
    assert shutil.which("pdftotext") and shutil.which("pdfinfo"), "poppler-utils is missing"
    return found


def print_to_pdf(data: bytes, *, name: str, workdir: Path, profile: Path) -> Pdf:
    """Print ``data`` (an .xlsx) to PDF as LibreOffice does, keep the PDF in
    test-artifacts/, and read it back."""
    source = workdir / f"{name}.xlsx"
    source.write_bytes(data)
    # A profile of its own: several LibreOffice runs at once (other test
    # runs on the same machine) must not share one.
    subprocess.run(  # noqa: S603 (a fixed program on a file this test wrote)
        [
            soffice(),
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(workdir),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    pdf = workdir / f"{name}.pdf"
    assert pdf.exists(), f"LibreOffice did not print {source.name}"
    ARTIFACTS.mkdir(exist_ok=True)
    shutil.copy(pdf, ARTIFACTS / pdf.name)
    return read_pdf(pdf)


def read_pdf(pdf: Path) -> Pdf:
    """A PDF's page sizes (pdfinfo), words with their boxes and its text
    laid out (pdftotext)."""
    info = _run("pdfinfo", "-f", "1", "-l", "100000", str(pdf))
    pages = [
        (float(w), float(h))
        for w, h in re.findall(r"^Page\s+\d+ size:\s+([\d.]+) x ([\d.]+)", info, re.M)
    ]
    return Pdf(
        path=pdf, pages=pages, words=_words(pdf), text=_run("pdftotext", "-layout", str(pdf), "-")
    )


def _run(*args: str) -> str:
    return subprocess.run(  # noqa: S603 (poppler's tools on a file this test wrote)
        args, check=True, capture_output=True, text=True, timeout=60
    ).stdout


def _words(pdf: Path) -> list[Word]:
    words = []
    pages = _run("pdftotext", "-bbox", str(pdf), "-").split("<page ")[1:]
    for number, page in enumerate(pages, start=1):
        for x0, y0, x1, y1, text in re.findall(
            r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>',
            page,
        ):
            words.append(Word(number, float(x0), float(y0), float(x1), float(y1), _unescape(text)))
    return words


def _unescape(text: str) -> str:
    return (
        text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&amp;", "&")
    )


def page_numbers_printed(pdf: Pdf) -> bool:
    """ "第 n 页 共 N 页" on every page, in order (pages are split by form feeds)."""
    total = len(pdf.pages)
    found = [
        re.findall(r"第\s*(\d+)\s*页\s*共\s*(\d+)\s*页", page)
        for page in pdf.text.split("\f")[:total]
    ]
    return found == [[(str(n), str(total))] for n in range(1, total + 1)]
