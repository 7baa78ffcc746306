"""The 上级 home page (national and provincial viewers): one row per zone in
the viewer's scope, comparing red items, 销号率 and study coverage. Each
zone's figures are kept in the cache until something is written in the zone
(web/summaries.py); the zones whose figures are not there are counted
together, in three queries whatever their number (tests pin the count)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from html import escape as _esc
from typing import Any

from django.conf import settings
from django.db.models import Count, Q
from django.urls import reverse
from django.utils.formats import localize
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from shiji.orgs import policy
from shiji.orgs.models import Role
from shiji.web import summaries


def compares_zones(user: Any, zones: list) -> bool:
    """Viewers (上级) read roll-ups; anyone with work in a zone keeps the
    panels of that work."""
    roles = policy.roles_of(user)
    return bool(zones) and bool(roles) and roles <= {Role.VIEWER} and not user.is_superuser


@dataclass
class ZoneRow:
    zone: Any
    total: int = 0  # problems not cancelled
    closed: int = 0
    active: int = 0
    red: int = 0
    members: int = 0
    reached: int = 0

    @property
    def close_rate(self) -> int | None:
        return round(100 * self.closed / self.total) if self.total else None

    @property
    def coverage(self) -> int | None:
        return round(100 * self.reached / self.members) if self.members else None


# The figures of one zone as cached (web/summaries.py): plain numbers.
FIGURES = ("total", "closed", "active", "red", "members", "reached")


def table_rows(rows: list[ZoneRow]) -> list[SafeString]:
    """The table's rows, written here rather than by the template: the
    national table has 174 rows of six cells, and the template's link,
    translation and number formatting per cell cost 60 ms a page, ten times
    the figures read from the cache. The same markup as a template gives
    (values localized and escaped; ``django.utils.html.escape`` is
    ``html.escape``, called without its wrapper for lazy strings)."""
    list_path = reverse("ledger:list")
    labels = [
        _esc(str(label))
        for label in (_("红灯"), _("整改中"), _("已销号"), _("销号率"), _("学习覆盖率"))
    ]
    red_label, active_label, closed_label, rate_label, coverage_label = labels
    # What the template's {{ n }} gives for a whole number: the number itself
    # unless thousands are grouped (localize, ten times slower, for each).
    _n = _localized if settings.USE_THOUSAND_SEPARATOR else str

    def _pct(value: int | None) -> str:
        return "—" if value is None else f"{_n(value)}%"

    out: list[SafeString] = []
    for r in rows:
        zone = _n(r.zone.pk)
        link = f"{list_path}?zone={zone}"
        red_class = "light-red fw-bold" if r.red else "text-reset"
        # The template's link and text spelled out (an f-string that is
        # not a template: the values are escaped above or are numbers).
        out.append(
            mark_safe(  # noqa: S308 - every value escaped or localized numbers
                f'<tr data-zone="{_esc(r.zone.code)}">'
                f'<td class="sj-card-code"><a href="{link}">{_esc(r.zone.name)}</a> '
                f'<span class="text-secondary small">{_esc(r.zone.province)}</span></td>'
                f'<td class="text-end sj-card-status" data-label="{red_label}">'
                f'<a class="{red_class}" href="{link}&amp;light=red" data-red>{_n(r.red)}</a></td>'
                f'<td class="text-end" data-label="{active_label}">{_n(r.active)}</td>'
                f'<td class="text-end" data-label="{closed_label}">{_n(r.closed)}</td>'
                f'<td class="text-end" data-label="{rate_label}" data-rate>'
                f"{_pct(r.close_rate)}</td>"
                f'<td class="text-end" data-label="{coverage_label}" data-coverage>'
                f"{_pct(r.coverage)}</td></tr>\n"
            )
        )
    return out


def zone_links(zones: list) -> list[SafeString]:
    """The user's zones as links to their org trees (orgs/_home_panel.html),
    written here for the same reason as ``table_rows``: a system admin's
    home lists all 174 zones, and the template's loop was half the page."""
    tree_path = reverse("orgs:tree")
    _n = _localized if settings.USE_THOUSAND_SEPARATOR else str
    sample = _esc(_("含示例数据"))
    return [
        mark_safe(  # noqa: S308 - every value escaped or a localized number
            '<a class="list-group-item list-group-item-action d-flex align-items-center" '
            f'href="{tree_path}?zone={_n(z.pk)}">'
            f'<strong>{_esc(z.name)}</strong><span class="text-secondary ms-2">'
            f"{_esc(z.province)} · {_esc(z.city)}</span>"
            + (f'<span class="badge bg-yellow-lt ms-2">{sample}</span>' if z.is_sample else "")
            + "</a>\n"
        )
        for z in zones
    ]


def _localized(value: int) -> str:
    return _esc(str(localize(value)))


def zone_figures(*, zones: list, at: summaries.Versions | None = None) -> list[ZoneRow]:
    """One row per zone, worst first. Each zone's figures come from the cache
    while nothing was written in the zone (and the date is the same); the
    others are counted together, in three queries."""
    at = at or summaries.versions()
    figures = summaries.per_zone(
        "zone_row", [z.pk for z in zones], lambda ids: _count_zones(ids, at.today), at=at
    )
    rows = [ZoneRow(z, *figures[z.pk]) for z in zones]
    return sorted(rows, key=lambda r: (-r.red, r.zone.code))


def _count_zones(zone_ids: list[int], today: dt.date) -> dict[int, tuple[int, ...]]:
    from shiji.assessment import campaign
    from shiji.ledger.models import Problem, Status
    from shiji.ledger.workflow import ACTIVE

    rows = {pk: dict.fromkeys(FIGURES, 0) for pk in zone_ids}
    # Counted per (zone, status) with COUNT(*) on the (zone, status,
    # deadline) index alone: an index-only scan on PostgreSQL, a covering
    # index on SQLite; the figures are sums of those few hundred groups.
    # COUNT("id") FILTER (...) per figure made PostgreSQL read every row.
    # (COUNT(deadline): the overdue ones, a column of the index too.)
    problems = (
        Problem.objects.filter(zone_id__in=zone_ids)
        .values("zone_id", "status")
        .annotate(n=Count("*"), overdue=Count("deadline", filter=Q(deadline__lt=today)))
        .order_by()
    )
    for r in problems:
        row, status, n = rows[r["zone_id"]], r["status"], r["n"]
        if status == Status.CANCELLED:
            continue
        row["total"] += n
        if status == Status.CLOSED:
            row["closed"] += n
        elif status in ACTIVE:
            row["active"] += n
            row["red"] += r["overdue"]
    # Study coverage is the campaign scores' rule (assessment.campaign): from
    # the start of each zone's latest campaign to today, people recorded present.
    windows = campaign.campaign_windows(zone_ids, today=today)
    for zone_id, (members, reached) in campaign.study_counts(
        campaign.Grouping(tuple(zone_ids)), windows
    ).items():
        rows[zone_id]["members"], rows[zone_id]["reached"] = members, reached
    return {pk: tuple(row[f] for f in FIGURES) for pk, row in rows.items()}
