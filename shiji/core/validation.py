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


def clean_date(value: Any, *, field: str, label: str, required: bool = True) -> dt.date | None:
    if value in (None, ""):
        if required:
            raise invalid(**{field: f"请填写{label}"})
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip().replace("/", "-").replace(".", "-")
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise invalid(**{field: f"{label}不是有效日期（格式：2026-03-31）"}) from None
