"""Small input cleaners shared by services: one message per kind of mistake."""

from __future__ import annotations

import datetime as dt
from typing import Any

from shiji.core.errors import invalid


def clean_text(
    value: Any, *, field: str, label: str, max_length: int, required: bool = True
) -> str:
    text = "" if value is None else str(value)
    if "\x00" in text:
        raise invalid(**{field: f"{label}含有非法字符"})
    text = text.strip()
    if required and not text:
        raise invalid(**{field: f"请填写{label}"})
    if len(text) > max_length:
        raise invalid(**{field: f"{label}不能超过 {max_length} 个字"})
    return text


def clean_choice(value: Any, *, field: str, label: str, choices: Any) -> str:
    """Accepts a choice's code or its Chinese label."""
    text = "" if value is None else str(value).strip()
    for code, name in choices.choices:
        if text in (code, str(name)):
            return code
    allowed = "、".join(str(n) for _, n in choices.choices)
    raise invalid(**{field: f"{label}应为以下之一：{allowed}"})


# The dates a record may carry: the campaign's own span with wide margins.
# Outside it a date is a typo (0206 for 2026), and years before 1900 or past
# 9999 cannot even be written to a workbook, so the export and import round
# trip would break.
DATE_MIN = dt.date(1990, 1, 1)
DATE_MAX = dt.date(2100, 12, 31)


def clean_date(value: Any, *, field: str, label: str, required: bool = True) -> dt.date | None:
    """A date (a date, a datetime or text like 2026-03-31) between
    ``DATE_MIN`` and ``DATE_MAX``, or ``Invalid`` under ``field``."""
    if value in (None, ""):
        if required:
            raise invalid(**{field: f"请填写{label}"})
        return None
    if isinstance(value, dt.datetime):
        day = value.date()
    elif isinstance(value, dt.date):
        day = value
    else:
        text = str(value).strip().replace("/", "-").replace(".", "-")
        try:
            day = dt.date.fromisoformat(text)
        except ValueError:
            raise invalid(**{field: f"{label}不是有效日期（格式：2026-03-31）"}) from None
    if not DATE_MIN <= day <= DATE_MAX:
        raise invalid(
            **{field: f"{label}应在 {DATE_MIN.isoformat()} 至 {DATE_MAX.isoformat()} 之间"}
        )
    return day
