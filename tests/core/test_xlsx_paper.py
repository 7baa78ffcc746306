"""The paper rules of every export (core.xlsx, ``SheetWriter``): how text
wraps and how tall a row must be, the print scale from the column widths,
portrait or landscape, the page setup, the file names; and that printing
through LibreOffice shows what a row left at its default height does (so
the print tests can fail)."""

from __future__ import annotations

import datetime as dt
import io

import pytest
import xlsxwriter
from openpyxl import load_workbook

from shiji.core.downloads import export_filename
from shiji.core.xlsx import (
    MAX_ROW_HEIGHT,
    Column,
    ExportFormats,
    SheetWriter,
    paper_orientation,
    print_scale,
    row_height,
    streaming_workbook,
    wrapped_lines,
)
from tests.paper import assert_prints_on_a4, print_to_pdf

LONG = "园区主干道旁长期堆放建筑垃圾，群众反映强烈，影响通行和市容环境，" * 4


# Wrapping and heights ----------------------------------------------------------------


def test_chinese_takes_a_whole_em_latin_letters_and_digits_two_thirds():
    # A column 20 characters wide holds 10 Chinese characters a line at 10 pt,
    # and 15 digits (counted at the widest of the fonts that may draw them).
    assert wrapped_lines("汉" * 10, width=20) == 1
    assert wrapped_lines("汉" * 11, width=20) == 2
    assert wrapped_lines("汉" * 40, width=20) == 4
    assert wrapped_lines("0" * 15, width=20) == 1
    assert wrapped_lines("0" * 31, width=20) == 3


def test_line_breaks_and_long_words_start_new_lines():
    assert wrapped_lines("第一行\n第二行\n\n第四行", width=20) == 4
    assert wrapped_lines("Lorem ipsum dolor sit amet", width=12) == 4  # at the spaces
    assert wrapped_lines("x" * 60, width=12) == 7  # a word longer than the line, anywhere


def test_punctuation_that_may_not_start_a_line_takes_its_word_along():
    # Nine characters fill the line; the full stop cannot begin the next
    # line, so the ninth character goes down with it.
    full = "汉" * 9
    assert wrapped_lines(full, width=18.9) == 1
    assert wrapped_lines(full + "。", width=18.9) == 2


def test_a_row_is_as_tall_as_its_tallest_cell_within_excels_limit():
    one = row_height([("短", 20)])
    four = row_height([("短", 20), ("汉" * 40, 20)])
    assert four == pytest.approx(4 * one - 3 * 4.0, abs=0.2)  # the padding once
    assert row_height([("汉" * 5000, 10)]) == MAX_ROW_HEIGHT
    assert row_height([("短", 20)], minimum=24) == 24


# Scale and orientation -----------------------------------------------------------


def test_the_print_scale_is_what_fits_one_page_wide_in_every_application():
    # A column 10 characters wide: 75 px in Excel, 79.5 px in LibreOffice;
    # the pages: 1064.6 px across A4 landscape, 736.3 px upright.
    assert print_scale([10] * 8, landscape=False) == 100  # 636 px: fits upright
    assert print_scale([10] * 16, landscape=True) == 83  # 1272 px
    assert print_scale([10] * 16, landscape=False) == 57


def test_narrow_sheets_print_upright_wide_ones_across():
    assert paper_orientation([10] * 8) is False
    assert paper_orientation([10] * 12) is True


def test_a_layout_too_wide_for_9_pt_text_is_refused():
    with pytest.raises(ValueError, match=r"below 9\.0 pt"):
        paper_orientation([10] * 20)
    with pytest.raises(ValueError):
        SheetWriter(
            xlsxwriter.Workbook(io.BytesIO()),
            ExportFormats(xlsxwriter.Workbook(io.BytesIO())),
            name="x",
            columns=[Column(str(n), 10) for n in range(20)],
        )


# The page setup ----------------------------------------------------------------------


def sheet_bytes(rows, *, columns, **options) -> bytes:
    out = io.BytesIO()
    book = streaming_workbook(out)
    writer = SheetWriter(book, ExportFormats(book), name="清单", columns=columns, **options)
    for row in rows:
        writer.write(row)
    writer.close()
    book.close()
    return out.getvalue()


def test_a_sheet_is_set_up_for_a4_with_its_header_on_every_page():
    columns = [Column("序号", 5), Column("日期", 11.5, date=True), Column("内容", 40)]
    data = sheet_bytes(
        [[1, dt.date(2026, 3, 5), LONG], [2, None, "短"]],
        columns=columns,
        title="测试清单",
        info=[("填报单位：甲高新区", "填报日期：2026年3月5日")],
        page_header=("甲高新区", "导出日期：2026年3月5日"),
    )
    ws = load_workbook(io.BytesIO(data))["清单"]
    assert_prints_on_a4(ws, landscape=False, header_rows="$3:$3", title="测试清单")
    assert ws.freeze_panes == "A4"
    assert ws.oddHeader.left.text == "甲高新区"
    assert ws.row_dimensions[4].height > ws.row_dimensions[5].height
    assert ws["B4"].is_date and ws["B4"].number_format == "yyyy-mm-dd"
    assert ws["C4"].font.name == "宋体" and ws["C4"].font.sz == 10


def test_page_breaks_come_after_every_so_many_rows():
    data = sheet_bytes(
        [[n, "名字"] for n in range(1, 61)],
        columns=[Column("序号", 5), Column("姓名", 10)],
        rows_per_page=25,
        repeat_title=True,
        title="签到表",
    )
    ws = load_workbook(io.BytesIO(data))["清单"]
    assert [b.id for b in ws.row_breaks.brk] == [27, 52]  # after rows 3-27 and 28-52
    assert ws.print_title_rows == "$1:$2"


def test_an_ampersand_in_a_page_header_is_text_not_a_code():
    data = sheet_bytes([], columns=[Column("a", 10)], page_header=("R&D 园区", ""))
    ws = load_workbook(io.BytesIO(data))["清单"]
    assert ws.oddHeader.left.text == "R&&D 园区"  # Excel shows one &


def test_file_names_carry_the_zone_what_and_date_without_forbidden_characters():
    day = dt.date(2026, 12, 1)
    assert export_filename("任务清单", zone_name="无锡高新区", day=day) == (
        "无锡高新区-任务清单-2026-12-01.xlsx"
    )
    assert export_filename("建章立制清单", day=day) == "建章立制清单-2026-12-01.xlsx"
    assert export_filename('签到表/"*?', zone_name="A:B", day=day) == "AB-签到表-2026-12-01.xlsx"


# What the print checks catch ---------------------------------------------------------


def test_libreoffice_shows_rows_left_at_their_default_height_overprinting(
    tmp_path, libreoffice_profile
):
    """Without the heights SheetWriter sets, a long text runs over the rows
    below it: the check of the printed words finds it (and the same text
    printed through SheetWriter passes)."""
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out)
    ws = book.add_worksheet("清单")
    wrap = book.add_format({"text_wrap": True, "valign": "top", "font_name": "宋体"})
    ws.set_column(0, 0, 30)
    texts = [f"第{n}号：{LONG}" for n in range(1, 4)]
    for r, text in enumerate(texts):
        ws.write_string(r, 0, text, wrap)
    book.close()

    bare = print_to_pdf(
        out.getvalue(), name="默认行高", workdir=tmp_path, profile=libreoffice_profile
    )
    assert bare.overprinted()
    assert bare.cell_text(texts[0]) != texts[0]

    laid_out = sheet_bytes([[t] for t in texts], columns=[Column("内容", 30)])
    good = print_to_pdf(laid_out, name="计算行高", workdir=tmp_path, profile=libreoffice_profile)
    assert not good.overprinted()
    assert all(good.cell_text(t) == t for t in texts)
