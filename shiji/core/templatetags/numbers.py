"""``{{ value|plain }}``: a decimal as people write it, without the stored
scale's trailing zeros (91.5, not 91.5000; 520, not 520.0000) and never in
exponent form. ``floatformat:"-4"`` keeps four places whenever one is
needed, so 91.5 showed as 91.5000 next to 520."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django import template

register = template.Library()


@register.filter
def plain(value: Any) -> str:
    if value is None or value == "":
        return ""
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    if not number.is_finite():
        return str(value)
    text = format(number.normalize(), "f")
    return "0" if text == "-0" else text
