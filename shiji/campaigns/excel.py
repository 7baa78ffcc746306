"""The task list as a workbook (任务清单): one row per organization's share,
streamed with XlsxWriter. User text never becomes a formula; dates are real
date cells; the header row is frozen."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import IO, Any

import xlsxwriter
from django.utils import timezone

from shiji.campaigns import selectors
from shiji.campaigns.models import AssignmentStatus
from shiji.core.xlsx import FORMULA_TRIGGERS
from shiji.ledger.models import Light
from shiji.orgs.models import Sector

SHEET = "任务清单"
HEADERS = [
    "序号", "高新区", "工作安排", "任务", "完成时限", "单位", "领域", "状态", "红黄绿灯",
    "完成情况", "报送日期", "审核日期", "退回理由",
]  # fmt: skip
WIDTHS = [6, 14, 12, 40, 12, 28, 10, 10, 10, 40, 12, 12, 24]
DATE_COLUMNS = {4, 10, 11}
WRAPPED = {3, 9, 12}


def export_filename() -> str:
    return f"任务清单-{timezone.localdate():%Y%m%d}.xlsx"


def export_assignments(*, user: Any, params: Mapping[str, Any], out: IO[bytes] | Any) -> int:
    """Write the assignments ``user`` may export (``task.export``), filtered like
    the task pages, into ``out``. Returns the number of rows."""
    qs = selectors.assignment_filter(
        selectors.assignments_visible_to(user=user, action="task.export"), dict(params)
    )
    book = xlsxwriter.Workbook(
        out,
        {
            "constant_memory": True,
            "strings_to_formulas": False,
            "strings_to_numbers": False,
            "strings_to_urls": False,
        },
    )
    sheet = book.add_worksheet(SHEET)
    base = {"border": 1, "valign": "top", "font_size": 10}
    header = book.add_format({**base, "bold": True, "align": "center", "bg_color": "#D9E1F2"})
    date = book.add_format({**base, "num_format": "yyyy-mm-dd", "align": "center"})
    number = book.add_format({**base, "align": "center"})
    text = {
        (wrap, quoted): book.add_format({**base, "text_wrap": wrap, "quote_prefix": quoted})
        for wrap in (False, True)
        for quoted in (False, True)
    }
    for col, (title, width) in enumerate(zip(HEADERS, WIDTHS, strict=True)):
        sheet.set_column(col, col, width)
        sheet.write_string(0, col, title, header)
    sheet.freeze_panes(1, 0)
    statuses, sectors = dict(AssignmentStatus.choices), dict(Sector.choices)
    lights = dict(Light.choices)
    rows = 0
    for rows, a in enumerate(qs.iterator(chunk_size=1000), start=1):
        cells = (
            rows,
            a.task.zone.name,
            a.task.arrangement.name,
            a.task.title,
            a.task.deadline,
            a.org.name,
            str(sectors.get(a.org.sector, a.org.sector)),
            str(statuses.get(a.status, a.status)),
            str(lights.get(a.light, a.light)),
            a.report_note,
            timezone.localtime(a.reported_at).date() if a.reported_at else None,
            timezone.localtime(a.reviewed_at).date() if a.reviewed_at else None,
            a.return_reason,
        )
        for col, value in enumerate(cells):
            if value is None or value == "":
                sheet.write_blank(
                    rows, col, None, date if col in DATE_COLUMNS else text[(False, False)]
                )
            elif isinstance(value, dt.date):
                sheet.write_datetime(rows, col, value, date)
            elif isinstance(value, int):
                sheet.write_number(rows, col, value, number)
            else:
                value = str(value).replace("\r\n", "\n")
                quoted = value.startswith(FORMULA_TRIGGERS)
                sheet.write_string(rows, col, value, text[(col in WRAPPED, quoted)])
    sheet.autofilter(0, 0, max(rows, 1), len(HEADERS) - 1)
    book.close()
    return rows
