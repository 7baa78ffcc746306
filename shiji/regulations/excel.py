"""The rule-making register as a workbook, streamed with XlsxWriter: user text
never becomes a formula, dates are real date cells, the header row is frozen."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import IO, Any

import xlsxwriter
from django.db.models import Prefetch
from django.utils import timezone

from shiji.core.xlsx import FORMULA_TRIGGERS
from shiji.ledger.models import Problem
from shiji.regulations import selectors
from shiji.regulations.models import Action, Status

SHEET = "建章立制"
HEADERS = [
    "序号",
    "高新区",
    "制度名称",
    "文号",
    "类型",
    "状态",
    "印发日期",
    "制定单位",
    "相关问题",
    "主要内容",
]
WIDTHS = [6, 14, 36, 18, 8, 8, 12, 24, 24, 40]
DATE_COLUMNS = {6}
WRAPPED = {2, 8, 9}


def export_filename() -> str:
    return f"建章立制清单-{timezone.localdate():%Y%m%d}.xlsx"


def export_regulations(*, user: Any, params: Mapping[str, Any], out: IO[bytes] | Any) -> int:
    qs = selectors.regulation_filter(
        selectors.regulations_visible_to(user=user, action="regulation.export"),
        dict(params),
        user=user,
    ).prefetch_related(Prefetch("problems", queryset=Problem.objects.only("pk", "code")))
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
    actions, statuses = dict(Action.choices), dict(Status.choices)
    rows = 0
    for rows, r in enumerate(qs.iterator(chunk_size=500), start=1):
        cells = (
            rows,
            r.zone.name,
            r.title,
            r.doc_number,
            str(actions.get(r.action, r.action)),
            str(statuses.get(r.status, r.status)),
            r.issued_on,
            r.org.name,
            "、".join(p.code for p in r.problems.all()),
            r.summary,
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
