"""Panels on the home page (工作台). Each app contributes a function that
returns ``(template, context)`` or None; they are listed here, in order.
Their figures are kept in the cache with the to-do counts (web/views.py
home). The list of the user's zones (orgs/_home_panel.html) comes last, from
the zones the home page has read anyway."""

from __future__ import annotations

from django.utils.module_loading import import_string

PANELS = [
    "shiji.ledger.views.home_panel",
    "shiji.study.views.home_panel",
    "shiji.outreach.views.feedback.home_panel",
    "shiji.campaigns.views.home_panel",
]


def home_panels(request) -> list[tuple[str, dict]]:
    out = []
    for path in PANELS:
        # An import error here is a bug to see, not a panel to hide.
        panel = import_string(path)(request)
        if panel:
            out.append(panel)
    return out
