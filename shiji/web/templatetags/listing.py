"""``{% filter_chips %}``: the active-filter chips of web/_filters.html for a
list whose view does not build them (the same ``web.filters.chips``)."""

from __future__ import annotations

from typing import Any

from django import template

from shiji.web import filters

register = template.Library()


def _pairs(choices: Any) -> dict[str, Any] | None:
    if choices is None or choices == "":
        return None
    out = {}
    for item in choices:
        if isinstance(item, (tuple, list)):
            value, label = item[0], item[1]
        else:
            value, label = item.pk, getattr(item, "name", None) or str(item)
        out[str(value)] = label
    return out


@register.simple_tag(takes_context=True)
def filter_chips(context, *spec: Any) -> list[dict[str, str]]:
    """``{% filter_chips "param" "label" choices ... as chips %}``: triples of
    the query parameter, its label and its choices ((value, label) pairs or
    model instances; "" for free text)."""
    if len(spec) % 3:
        raise template.TemplateSyntaxError("filter_chips takes (param, label, choices) triples")
    fields = [(spec[i], spec[i + 1], _pairs(spec[i + 2])) for i in range(0, len(spec), 3)]
    return filters.chips(context["request"], fields)
