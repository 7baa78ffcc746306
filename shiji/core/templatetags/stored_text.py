"""``{{ entry|stored_text }}``: a stored message (an import error, a job's
phase) in the reader's language (``core.i18n.stored_text``)."""

from __future__ import annotations

from typing import Any

from django import template

from shiji.core import i18n

register = template.Library()


@register.filter(name="stored_text")
def stored_text(entry: Any) -> str:
    return i18n.stored_text(entry)
