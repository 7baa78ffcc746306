"""Active filters as chips (web/_filters.html): each chip names a filter and
its value and links to the same list without it, so it works without
JavaScript and the back button keeps its meaning."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.http import QueryDict
from django.utils.translation import gettext as _


def chips(
    request: Any, fields: Iterable[tuple[str, Any, Mapping[str, Any] | None]]
) -> list[dict[str, str]]:
    """``fields``: (parameter, label, {value: value label} or None to show the
    value as typed). Returns [{"label", "remove"}] for the parameters set."""
    out = []
    for key, label, choices in fields:
        value = request.GET.get(key, "").strip()
        if not value:
            continue
        shown = value if choices is None else choices.get(value)
        if shown is None:
            continue  # an unknown value filters nothing the user can name
        rest: QueryDict = request.GET.copy()
        rest.pop(key, None)
        rest.pop("page", None)
        query = rest.urlencode()
        out.append(
            {
                "label": _("%(label)s：%(value)s") % {"label": label, "value": shown},
                "remove": request.path + (f"?{query}" if query else ""),
            }
        )
    return out


def options(pairs: Iterable[tuple[Any, Any]]) -> dict[str, Any]:
    """Choices as {str(value): label}, for ``chips``."""
    return {str(value): label for value, label in pairs}
