"""Periods of measurement: a year (``2026``), a quarter (``2026Q1``) or a
month (``2026-03``), by the indicator's period kind. Each has one written
form; what a user types is read leniently (``2026-Q1``, ``2026年3月``) and
stored in that form."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.utils.translation import gettext

from shiji.assessment.models import PeriodKind
from shiji.core.errors import invalid

YEAR_MIN, YEAR_MAX = 2000, 2100

_YEAR = re.compile(r"^(\d{4})年?$")  # zh-only: periods typed in Chinese
_QUARTER = re.compile(
    r"^(\d{4})\s*(?:[-/ ]?[Qq]|年第?)\s*([1-4一二三四])(?:季度)?$"  # zh-only: 2026年第一季度
)
_MONTH = re.compile(r"^(\d{4})\s*(?:[-/.]|年)\s*(\d{1,2})月?$")  # zh-only: 2026年3月
_CHINESE_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4}  # zh-only: 第一季度


@dataclass(frozen=True, order=True)
class Period:
    year: int
    part: int  # quarter 1–4, month 1–12, 0 for a year
    kind: str

    def __str__(self) -> str:
        if self.kind == PeriodKind.QUARTER:
            return f"{self.year}Q{self.part}"
        if self.kind == PeriodKind.MONTH:
            return f"{self.year}-{self.part:02d}"
        return str(self.year)

    @property
    def label(self) -> str:
        if self.kind == PeriodKind.QUARTER:
            return gettext("%(year)s 年第 %(part)s 季度") % {"year": self.year, "part": self.part}
        if self.kind == PeriodKind.MONTH:
            return gettext("%(year)s 年 %(part)s 月") % {"year": self.year, "part": self.part}
        return gettext("%(year)s 年") % {"year": self.year}

    def year_before(self) -> Period:
        """The same period a year earlier (同比)."""
        return Period(self.year - 1, self.part, self.kind)

    def previous(self) -> Period:
        """The period just before (环比)."""
        if self.kind == PeriodKind.YEAR:
            return Period(self.year - 1, 0, self.kind)
        last = 4 if self.kind == PeriodKind.QUARTER else 12
        if self.part == 1:
            return Period(self.year - 1, last, self.kind)
        return Period(self.year, self.part - 1, self.kind)


def last_finished_quarter(today: dt.date) -> Period:
    """The quarter before ``today``'s: the figures a zone is most likely entering."""
    return Period(today.year, (today.month - 1) // 3 + 1, PeriodKind.QUARTER).previous()


def parse_period(value: object, *, kind: str | None = None, field: str = "period") -> Period:
    """Read ``value`` as a period (of ``kind`` when given); 422 on ``field`` otherwise."""
    text = "" if value is None else str(value).strip().replace("\x00", "")
    found: Period | None = None
    if m := _YEAR.match(text):
        found = Period(int(m[1]), 0, PeriodKind.YEAR)
    elif m := _QUARTER.match(text):
        part = _CHINESE_DIGITS.get(m[2]) or int(m[2])
        found = Period(int(m[1]), part, PeriodKind.QUARTER)
    elif (m := _MONTH.match(text)) and 1 <= int(m[2]) <= 12:
        found = Period(int(m[1]), int(m[2]), PeriodKind.MONTH)
    examples: dict[str, str] = {
        PeriodKind.YEAR: "2026",
        PeriodKind.QUARTER: "2026Q1",
        PeriodKind.MONTH: "2026-03",
    }
    if found is None:
        raise invalid(**{field: gettext("期间格式不正确（如 2026、2026Q1 或 2026-03）")})
    if not YEAR_MIN <= found.year <= YEAR_MAX:
        raise invalid(
            **{field: gettext("期间的年份应在 %(low)s 到 %(high)s 之间")
               % {"low": YEAR_MIN, "high": YEAR_MAX}}
        )  # fmt: skip
    if kind is not None and found.kind != kind:
        raise invalid(
            **{field: gettext("该指标按%(kind)s统计，期间应写作如 %(example)s")
               % {"kind": PeriodKind(kind).label, "example": examples[kind]}}
        )  # fmt: skip
    return found
