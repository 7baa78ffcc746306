"""The paper rules of every export: A4, one page wide, text at least
MIN_PRINT_PT on paper, rows as tall as their wrapped text, 宋体, page
numbers. The measures here are used by ``writer.SheetWriter``."""

import datetime as dt
import re
import unicodedata
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from functools import lru_cache
from itertools import accumulate

from django.utils import timezone
from django.utils.translation import get_language, gettext

from shiji.core.i18n import gettext_noop

# The XML parser openpyxl itself uses (the standard library's, or
# defusedxml's when installed): it never fetches external entities.


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
FONT = "宋体"  # zh-only: the font's name
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
_NO_LINE_START = frozenset(
    "，。、；：？！）》」』】〕〉…—,.;:?!)]}%’”"  # zh-only: punctuation
)
_TOKENS = re.compile(r"\s|[^\s\u2e80-\uffef]+|.")

# Widths are added in twentieths of an em (1 em = 20, 0.65 em = 13), whole
# numbers, so that a line's width does not depend on the order of additions
# and a line can be measured from running totals (``accumulate``) and cut
# with ``bisect`` instead of token by token: an export measures every cell
# of every row (1.7 million cells for 100,000 problems).
_UNITS_PER_EM = 20
_ASCII_UNITS = 13  # every ASCII character is narrow (0.65 em)
_CHAR_UNITS: dict[str, int] = {}  # by character, as met


def _char_units(char: str) -> int:
    units = _CHAR_UNITS.get(char)
    if units is None:
        units = _CHAR_UNITS[char] = round(_char_em(char) * _UNITS_PER_EM)
    return units


def _token_units(token: str) -> int:
    if len(token) == 1:
        return _CHAR_UNITS.get(token) or _char_units(token)
    if token.isascii():  # a Latin word or number (ledger codes: each one new)
        return _ASCII_UNITS * len(token)
    return sum(_char_units(c) for c in token)


def line_room(width: float, *, font_size: float = FONT_SIZE) -> float:
    """The length of a line in a wrapping cell ``width`` characters wide, in
    ems of ``font_size``: a text of no more characters fits on one line."""
    return max(column_pixels(width) - CELL_PADDING_PX, 1) * 72 / PX_PER_INCH / font_size


@lru_cache(maxsize=8192)
def wrapped_lines(text: str, *, width: float, font_size: float = FONT_SIZE) -> int:
    """How many lines ``text`` takes in a wrapping cell ``width`` characters
    wide: Chinese breaks between any two characters, Latin words at spaces
    (a word longer than the line anywhere), LF starts a new line. (Cached:
    the same texts recur down a column, e.g. 整改措施 and 整改目标.)"""
    room = line_room(width, font_size=font_size)
    if len(text) <= room and "\n" not in text:
        return 1  # no character is wider than an em
    return sum(_paragraph_lines(p, room) for p in text.split("\n")) or 1


def _paragraph_lines(paragraph: str, room: float) -> int:
    """Greedy line breaking: a token goes on the line while it fits; a space
    always does (it hangs past the end); a word longer than a line breaks
    anywhere; a punctuation mark that may not start a line takes the token
    before it along."""
    if len(paragraph) <= room:
        return 1
    tokens = _TOKENS.findall(paragraph)
    widths = [_token_units(t) for t in tokens]
    ends = list(accumulate(widths, initial=0))  # ends[k]: width of tokens[:k]
    limit = room * _UNITS_PER_EM + 1e-6  # room is a float: 5.55 em may be 5.5499…
    count = len(tokens)
    lines, start, used, previous = 1, 0, 0, 0  # used: on the line before tokens[start]
    while True:
        # The first token from ``start`` that does not fit (spaces go on anyway).
        end = bisect_right(ends, limit - used + ends[start], start + 1) - 1
        while end < count and tokens[end].isspace():
            end += 1
        if end >= count:
            return lines
        for k in range(end - 1, start - 1, -1):  # the last token placed on the line
            if not tokens[k].isspace():
                previous = widths[k]
                break
        used += ends[end] - ends[start]
        token, width = tokens[end], widths[end]
        if width > limit:  # a word longer than a line breaks anywhere
            for char in token:
                units = _char_units(char)
                if used + units > limit:
                    lines, used = lines + 1, 0
                used += units
            previous = 0
        elif token in _NO_LINE_START and previous:
            lines, used, previous = lines + 1, previous + width, 0
        else:
            lines, used, previous = lines + 1, width, width
        start = end + 1


def row_height(
    cells: Iterable[tuple[str, float]], *, font_size: float = FONT_SIZE, minimum: float = 0
) -> float:
    """The height in points of a row whose wrapping cells hold these
    ``(text, column width)`` pairs: the tallest cell's lines, at least
    ``minimum`` and at most Excel's limit (a text longer than that is shown
    whole on screen, cut on paper)."""
    lines = max((wrapped_lines(t, width=w, font_size=font_size) for t, w in cells if t), default=1)
    return lines_height(lines, font_size=font_size, minimum=minimum)


def lines_height(lines: int, *, font_size: float = FONT_SIZE, minimum: float = 0) -> float:
    """The height in points of a row whose tallest cell has ``lines`` lines
    (``row_height``)."""
    height = lines * font_size * LINE_SPACING + ROW_PADDING_PT
    return round(min(MAX_ROW_HEIGHT, max(height, minimum)), 1)


def merged_width(widths: Sequence[float]) -> float:
    """The width, in characters, of cells merged across these columns."""
    return sum(widths) + (len(widths) - 1) * EXCEL_PADDING_PX / EXCEL_DIGIT_PX


def page_text(text: str) -> str:
    """``text`` for a page header or footer, where & starts a code."""
    return text.replace("&", "&&")


def chinese_date(day: dt.date) -> str:
    """2026年3月5日, as dates are written on official paper."""
    return f"{day.year}年{day.month}月{day.day}日"  # zh-only: for the Chinese paper forms


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
