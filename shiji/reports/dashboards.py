"""The figures of the 统计报表 pages (selectors; reads only): a zone's dashboard
and the roll-up of the zones a national or provincial viewer sees.

Every figure comes from a rule that already exists elsewhere, not a second
copy of it: the campaign scores (assessment/campaign.py: study coverage,
on-time rates, relapses, rules made, feedback replies and ratings, each per
zone or per org subtree), the ledger's traffic light (ledger/selectors.py),
the task matrix (campaigns/selectors.py) and the assessment's scores. What
is new here is counted in SQL, grouped (per status, category, org subtree,
day), a fixed number of queries whatever the number of zones, orgs or
records; the rest is arithmetic on those few rows.

Each page is a list of ``Panel``: a table (rows of cells, each cell linked
to the filtered list that shows exactly the records it counts) that the page
draws as a chart, shows as a table and exports to Excel, all from the same
rows.

Reports read from the read replica when one is configured
(``report_reads``), and from the primary when it is down.
"""

from __future__ import annotations

import bisect
import datetime as dt
import logging
import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from html import escape as _esc
from typing import Any, TypeVar
from urllib.parse import quote_plus

from django.db import DatabaseError, connections
from django.db.models import Count
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import timezone
from django.utils.formats import localize
from django.utils.safestring import mark_safe
from django.utils.translation import gettext

from shiji.assessment import campaign
from shiji.assessment.campaign import Figures, Ratio, Window
from shiji.core.db_router import REPLICA, replica_configured, replica_reads
from shiji.core.errors import NotFound
from shiji.core.validation import parse_id
from shiji.orgs import policy
from shiji.orgs.models import Organization, Zone

logger = logging.getLogger(__name__)
T = TypeVar("T")

WEEKS = 26  # the weekly chart's reach back from the end of the period

# Colours that mean what they say (Tabler's palette): grey waits, blue is
# under way, orange waits for a check, green is done, red is late.
GREY, BLUE, ORANGE, GREEN, RED, YELLOW = (
    "#667382", "#206bc4", "#f59f00", "#2fb344", "#d63939", "#f7c948",
)  # fmt: skip
STATUS_COLORS = [GREY, BLUE, ORANGE, GREEN]  # open, in progress, submitted, closed
BEHIND = 10  # zones in each "behind" table of the roll-up


# ---------------------------------------------------------------- the replica


def report_reads(compute: Callable[[], T]) -> T:
    """``compute()`` with its reads on the read replica when one is
    configured (``shiji.core.db_router``), else on the primary. A replica
    that cannot be reached, or fails while answering, costs a log line and
    a second try on the primary, never an error page: a report a little
    slower is better than none."""
    if replica_configured():
        try:
            connections[REPLICA].ensure_connection()
            with replica_reads():
                return compute()
        except DatabaseError as exc:
            logger.warning(
                "reports: the read replica is unavailable (%s); reading from the primary", exc
            )
    return compute()


# ---------------------------------------------------------------- panels


@dataclass
class Cell:
    """One figure: ``value`` (a count, or a rate in percent), the text shown
    when it is not the plain value, and the list of the records it counts."""

    value: int | float | None
    url: str = ""
    text: str = ""
    rate: bool = False  # a percentage (its text adds the numerator and denominator)
    ratio: str = ""  # a rate's "numerator/denominator"

    @property
    def td(self) -> str:
        """The table cell, written here rather than in the template: the
        national ranking has nearly two thousand cells, and resolving a
        cell's url and text in the template took a third of the page (the
        campaign scores' table does the same, assessment/views_campaign.py)."""
        text = _esc(self.shown)
        inner = f'<a href="{_esc(self.url)}">{text}</a>' if self.url else text
        return mark_safe(f'<td class="text-end">{inner}</td>')  # noqa: S308 - escaped above

    @property
    def headline(self) -> str:
        """The figure alone ("40.0%"), for the cards; the ratio goes below."""
        if self.rate:
            return "—" if self.value is None else f"{localize(self.value)}%"
        return self.shown

    @property
    def shown(self) -> str:
        if self.text:
            return self.text
        return "—" if self.value is None else str(localize(self.value))


@dataclass
class Row:
    label: str
    cells: list[Cell]
    url: str = ""  # the row's own page (a zone's dashboard, an org's)


@dataclass
class Panel:
    """A chart and its table. ``columns``: the header of the row labels,
    then one per cell; ``plot``: the columns (indexes of ``cells``) drawn,
    all when None; ``chart``: "pie", "bar", "stack" (stacked bars) or "line"."""

    key: str
    title: str
    chart: str
    columns: list[str]
    rows: list[Row]
    plot: tuple[int, ...] | None = None
    unit: str = ""  # "%" when the drawn values are rates
    note: str = ""
    sortable: bool = False  # the roll-up's ranking: headers sort the table
    sort_keys: list[str] = field(default_factory=list)  # per column of cells, when sortable
    colors: list[str] | None = None  # the series' (a pie's: the slices') colours
    header_links: list[dict[str, str]] = field(default_factory=list)  # set by the view

    def chart_data(self) -> dict[str, Any]:
        """What shiji/charts.js draws: the row labels, one series per drawn
        column with its values and the list each value links to."""
        drawn = self.plot if self.plot is not None else tuple(range(len(self.columns) - 1))
        return {
            "type": self.chart,
            "unit": self.unit,
            "labels": [r.label for r in self.rows],
            "colors": self.colors,
            "series": [
                {
                    "name": self.columns[i + 1],
                    "data": [r.cells[i].value for r in self.rows],
                    "urls": [r.cells[i].url for r in self.rows],
                }
                for i in drawn
            ],
        }

    @property
    def empty(self) -> bool:
        return not self.rows

    @property
    def json_id(self) -> str:
        """The id of the page's ``json_script`` holding ``chart_data``."""
        return f"sj-panel-{self.key}-data"


@dataclass
class Card:
    """A headline figure above the charts."""

    label: str
    cell: Cell
    detail: str = ""


def rate_format() -> str:
    """The text of a rate, in the request's language: read once per page
    (a national table has over a thousand rates, and each gettext looks the
    language up again)."""
    return gettext("%(pct)s%%（%(num)s/%(den)s）")


def rate_cell(r: Ratio, url: str = "", fmt: str | None = None) -> Cell:
    """A rate: the percentage drawn, "60.0%（3/5）" shown (``fmt``:
    ``rate_format()``, when the caller has it)."""
    pct = r.percent
    # str(), not localize(): a percentage under 1,000 with one decimal reads
    # the same in both languages, and localize looks up the format each time.
    text = (
        (fmt or rate_format()) % {"pct": str(pct), "num": r.num, "den": r.den}
        if pct is not None
        else "—"
    )
    return Cell(
        float(pct) if pct is not None else None,
        url=url,
        text=text,
        rate=True,
        ratio=f"{r.num}/{r.den}",
    )


_paths: dict[tuple[Any, ...], str] = {}


def _path(name: str, args: tuple[Any, ...]) -> str:
    """``reverse(name, args=args)``, remembered per URL configuration and
    script prefix: a national table links two thousand times to a few lists."""
    key = (name, args, get_script_prefix(), get_urlconf())
    if key not in _paths:
        _paths[key] = reverse(name, args=args)
    return _paths[key]


_PLAIN = re.compile(r"[A-Za-z0-9_.\-]*\Z")


def _link(name: str, *args: Any, **params: Any) -> str:
    """The URL of page ``name`` with the query ``params`` (empty ones left
    out). Ids, codes and dates need no quoting: a national roll-up writes
    two thousand links, and quoting each value was a tenth of its time."""
    query = "&".join(
        f"{k}={text if _PLAIN.match(text) else quote_plus(text)}"
        for k, v in params.items()
        if v not in (None, "")
        for text in (str(v),)
    )
    return _path(name, args) + (f"?{query}" if query else "")


# ---------------------------------------------------------------- shared rows


def _weeks(window: Window) -> list[dt.date]:
    """The Mondays of the weeks of ``window``, the last ``WEEKS`` of them."""
    last = window.end - dt.timedelta(days=window.end.weekday())
    first = max(
        window.start - dt.timedelta(days=window.start.weekday()),
        last - dt.timedelta(weeks=WEEKS - 1),
    )
    out = []
    day = first
    while day <= last:
        out.append(day)
        day += dt.timedelta(weeks=1)
    return out


def _months(window: Window) -> list[dt.date]:
    first = window.start.replace(day=1)
    if (window.end.year - first.year) * 12 + window.end.month - first.month >= 24:
        first = dt.date(window.end.year - 2, window.end.month, 1)  # two years at most
    out = []
    day = first
    while day <= window.end:
        out.append(day)
        day = (day + dt.timedelta(days=32)).replace(day=1)
    return out


def _found_and_closed(qs: Any, starts: list[dt.date], end: dt.date) -> list[tuple[int, int]]:
    """Per period beginning on each of ``starts`` (the last one ends on
    ``end``): the problems of ``qs`` found in it, and those closed in it.

    Two grouped queries, a row per day, summed into periods here. Measured
    at 100k problems on SQLite: grouping by day is a scan and a small sort;
    a filtered count per period (or a CASE choosing it) is evaluated for
    every row and took twice as long, and SQLite's date functions run in
    Python. The closed ones are grouped by status too rather than filtered
    on it, which would send SQLite to the status index and a row lookup
    per closed problem (3× slower than the scan)."""
    from shiji.ledger.models import Status

    first = starts[0] if starts else end
    found: dict[dt.date, int] = {}
    for r in (
        qs.filter(found_on__gte=first, found_on__lte=end)
        .order_by()
        .values("found_on")
        .annotate(n=Count("*"))
    ):
        found[r["found_on"]] = r["n"]
    closed: dict[dt.date, int] = {}
    for r in (
        qs.filter(closed_on__gte=first, closed_on__lte=end)
        .order_by()
        .values("closed_on", "status")
        .annotate(n=Count("*"))
    ):
        if r["status"] == Status.CLOSED:
            closed[r["closed_on"]] = closed.get(r["closed_on"], 0) + r["n"]

    def bucket(days: dict[dt.date, int]) -> list[int]:
        counts = [0] * len(starts)
        for day, n in days.items():
            i = bisect.bisect_right(starts, day) - 1
            if i >= 0:
                counts[i] += n
        return counts

    return list(zip(bucket(found), bucket(closed), strict=True))


def _add(total: Figures, f: Figures) -> None:
    campaign._add(total, f)  # the campaign table's own sum: one rule for totals


# ---------------------------------------------------------------- a zone's dashboard


@dataclass
class ZoneDashboard:
    zone: Zone
    org: Organization | None  # the org whose children are the rows (None: the viewer's roots)
    trail: list[Organization]
    window: Window
    cards: list[Card] = field(default_factory=list)
    panels: list[Panel] = field(default_factory=list)
    whole: bool = False  # the viewer sees the whole zone (not only some orgs)

    def panel(self, key: str) -> Panel:
        found = next((p for p in self.panels if p.key == key), None)
        if found is None:
            raise NotFound(gettext("报表不存在"))
        return found


def zone_dashboard(
    *,
    user: policy.Actor,
    zone: Any,
    org: Any = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> ZoneDashboard:
    """The dashboard of ``zone`` (an id) as ``user`` may see it: the whole
    zone, or the org subtrees they are responsible for; with ``org`` (an id)
    the subtree of that org. A zone or org outside the viewer's scope is
    NotFound, like one that does not exist. The period is ``start``–``end``,
    by default the zone's campaign to today (the campaign scores' rule)."""
    from shiji.campaigns.models import AssignmentStatus
    from shiji.campaigns.selectors import task_matrix
    from shiji.ledger.models import Status
    from shiji.ledger.selectors import list_totals, problem_categories, problems_in_scope
    from shiji.orgs.selectors import orgs_visible_to, parent_path, zone_get_for_user
    from shiji.outreach.models import Kind as FeedbackKind
    from shiji.outreach.selectors.feedback import feedback_filter, feedback_visible_to
    from shiji.regulations.models import Action
    from shiji.regulations.models import Status as RegulationStatus
    from shiji.regulations.selectors import regulation_filter, regulations_visible_to

    zone_obj = zone_get_for_user(user=user, pk=zone)
    whole = zone_obj.pk in campaign.whole_zone_ids(user, [zone_obj])
    visible = list(orgs_visible_to(user=user).filter(zone=zone_obj).order_by("path"))
    paths = {o.path for o in visible}
    current = None
    if org not in (None, ""):
        current = next((o for o in visible if o.pk == parse_id(org)), None)
        if current is None:
            raise NotFound(gettext("组织不存在"))
    roots = [o for o in visible if parent_path(o.path) not in paths]
    if current is None and len(roots) == 1:
        current = roots[0]
    if current is not None:
        children = [o for o in visible if parent_path(o.path) == current.path]
        trail = [o for o in visible if current.path.startswith(o.path)]
    else:
        children, trail = roots, []
    # The whole zone: nothing to narrow (records without an org, such as
    # feedback not yet forwarded, count too); else the subtrees in view.
    narrowed = not (whole and (current is None or parent_path(current.path) not in paths))
    own = current.path if current is not None else None
    grouping = campaign.Grouping((zone_obj.pk,), subtrees=tuple(o.path for o in children), own=own)

    figures = campaign.subtree_figures(
        zone_id=zone_obj.pk, subtrees=[o.path for o in children], own=own, start=start, end=end
    )
    window = next(iter(figures.values())).window if figures else None
    if window is None:  # a viewer with no org in the zone: the zone's period all the same
        window = campaign.campaign_windows([zone_obj.pk], start=start, end=end)[zone_obj.pk]
    total = Figures(key=None, window=window)
    for f in figures.values():
        _add(total, f)

    # The lists' own filters: the org when the view is narrowed to it (the
    # whole zone's lists also show records without an org).
    org_param = current.pk if current is not None and narrowed else None
    span = {"found_from": window.start.isoformat(), "found_to": window.end.isoformat()}
    base = {"zone": zone_obj.pk, "org": org_param}

    def ledger(**more: Any) -> str:
        return _link("ledger:list", **base, **span, cancelled="0", **more)

    # Row labels: each child subtree, and the current org's own records (本级),
    # which no list shows alone (its list would show the whole subtree).
    names = {o.path: o.name for o in children}
    order = ([own] if own else []) + [o.path for o in children]
    label = {p: names.get(p, "") for p in order}
    org_of = {o.path: o for o in children}
    if own is not None and current is not None:
        label[own] = gettext("%(org)s（本级）") % {"org": current.name}

    def org_url(path: str) -> str:
        o = org_of.get(path)
        return _dashboard_url(zone_obj.pk, o.pk, start, end) if o is not None else ""

    def org_link(path: str, name: str, **more: Any) -> str:
        o = org_of.get(path)
        if o is None:
            return ""
        return _link(name, **{**base, "org": o.pk}, **more)

    in_scope = (
        grouping.scope(problems_in_scope(user=user).filter(zone=zone_obj), "zone_id", "org__path")
        if narrowed
        else problems_in_scope(user=user).filter(zone=zone_obj)
    )
    found = campaign.problems_in_period(in_scope, {zone_obj.pk: window})

    # Lights (红黄绿灯) of the problems found in the period that still owe
    # something by a deadline: the ledger list's own figures (list_totals),
    # so that the list a slice opens shows the same count above it.
    lights = list_totals(found)
    light_names = {"red": gettext("红灯"), "yellow": gettext("黄灯"), "green": gettext("绿灯")}
    light_panel = Panel(
        key="lights",
        title=gettext("红黄绿灯"),
        chart="pie",
        columns=[gettext("灯色"), gettext("问题数")],
        rows=[
            Row(light_names[k], [Cell(lights[k], ledger(light=k))])
            for k in ("red", "yellow", "green")
        ],
        note=gettext(
            "只计未销号、有整改时限的问题。红灯：已超过整改时限；黄灯：7 天内到期；绿灯：其余。"
        ),
        colors=[RED, ORANGE, GREEN],
    )

    # Ledger status by category and by org subtree.
    statuses = [s for s in Status if s != Status.CANCELLED]
    by_cat: dict[int, dict[str, int]] = defaultdict(dict)
    for r in found.order_by().values("category_id", "status").annotate(n=Count("*")):
        by_cat[r["category_id"]][r["status"]] = r["n"]
    categories = [c for c in problem_categories(zone=zone_obj, active_only=False) if c.pk in by_cat]
    category_panel = Panel(
        key="categories",
        title=gettext("问题类别与整改状态"),
        chart="stack",
        columns=[gettext("问题类别"), *[str(s.label) for s in statuses]],
        rows=[
            Row(
                c.name,
                [Cell(by_cat[c.pk].get(s, 0), ledger(category=c.pk, status=s)) for s in statuses],
            )
            for c in categories
        ],
        colors=STATUS_COLORS,
    )
    by_org: dict[str, dict[str, int]] = defaultdict(dict)
    keyed = found.annotate(_key=grouping.key("zone_id", "org__path"))
    for r in keyed.order_by().values("_key", "status").annotate(n=Count("*")):
        by_org[r["_key"]][r["status"]] = r["n"]
    org_panel = Panel(
        key="orgs",
        title=gettext("各单位整改状态"),
        chart="stack",
        columns=[gettext("单位"), *[str(s.label) for s in statuses]],
        rows=[
            Row(
                label[p],
                [
                    Cell(
                        by_org[p].get(s, 0),
                        org_link(p, "ledger:list", **span, cancelled="0", status=s),
                    )
                    for s in statuses
                ],
                url=org_url(p),
            )
            for p in order
            if p in by_org or p in org_of
        ],
        colors=STATUS_COLORS,
    )

    # Found and closed per week (the last WEEKS weeks of the period).
    weeks = _weeks(window)
    per_week = _found_and_closed(found, weeks, window.end)

    def week_url(monday: dt.date) -> str:
        sunday = min(monday + dt.timedelta(days=6), window.end)
        return _link(
            "ledger:list",
            **base,
            found_from=max(monday, window.start).isoformat(),
            found_to=sunday.isoformat(),
            cancelled="0",
        )

    week_panel = Panel(
        key="weeks",
        title=gettext("每周发现与销号问题数"),
        chart="line",
        columns=[gettext("周（起始日）"), gettext("发现"), gettext("销号")],
        colors=[BLUE, GREEN],
        rows=[
            Row(
                monday.isoformat(),
                [Cell(per_week[i][0], week_url(monday)), Cell(per_week[i][1])],
            )
            for i, monday in enumerate(weeks)
        ],
        note=gettext("统计期内发现、未撤销的问题，按发现日期和销号日期所在的周计数。"),
    )

    # On-time rectification and closure, per subtree (the campaign scores).
    def rate_row(p: str, f: Figures) -> Row:
        return Row(
            label[p],
            [
                rate_cell(
                    f.closure,
                    org_link(p, "ledger:list", **span, cancelled="0", status=Status.CLOSED),
                ),
                rate_cell(
                    f.rectification_on_time,
                    org_link(
                        p, "ledger:list", **span, cancelled="0", status=Status.CLOSED, late="0"
                    ),
                ),
                Cell(f.relapsed, org_link(p, "ledger:list", **span, cancelled="0", relapsed="1")),
            ],
            url=org_url(p),
        )

    definitions = {key: str(text) for key, _label, text in campaign.DEFINITIONS}
    on_time_panel = Panel(
        key="on_time",
        title=gettext("销号率与按时整改率"),
        chart="bar",
        columns=[gettext("单位"), gettext("销号率"), gettext("按时整改率"), gettext("反弹数")],
        rows=[rate_row(p, figures[p]) for p in order],
        plot=(0, 1),
        unit="%",
        note=definitions["rectification_on_time"],
    )

    # Study coverage per subtree.
    study_span = {"from": window.start.isoformat(), "to": window.end.isoformat()}
    coverage_panel = Panel(
        key="coverage",
        title=gettext("各单位学习覆盖率"),
        chart="bar",
        columns=[
            gettext("单位"),
            gettext("学习覆盖率"),
            gettext("在册人数"),
            gettext("已参学人数"),
        ],
        rows=[
            Row(
                label[p],
                [
                    rate_cell(
                        figures[p].study_coverage, org_link(p, "study:coverage", **study_span)
                    ),
                    Cell(figures[p].people),
                    Cell(figures[p].studied),
                ],
                url=org_url(p),
            )
            for p in order
        ],
        plot=(0,),
        unit="%",
        note=definitions["study_coverage"],
    )

    # The task matrix, summed per task (its own scope: the viewer's assignments).
    matrix = task_matrix(user=user, zone=zone_obj)
    task_rows = []
    prefix = current.path if current is not None and narrowed else ""
    for i, task in enumerate(matrix.tasks):
        done = late = total_n = 0
        for row in matrix.rows:
            if prefix and not row.org.path.startswith(prefix):
                continue
            share = row.cells[i]
            if share is None:
                continue
            total_n += 1
            done += share["status"] == AssignmentStatus.ACCEPTED
            late += share["light"] == "red"
        if total_n:
            url = reverse("campaigns:task_detail", args=[task.pk])
            task_rows.append(
                Row(
                    task.title,
                    [Cell(done, url), Cell(total_n - done - late, url), Cell(late, url)],
                    url=url,
                )
            )
    task_panel = Panel(
        key="tasks",
        title=gettext("任务清单完成情况"),
        chart="stack",
        columns=[gettext("任务"), gettext("已通过"), gettext("未完成"), gettext("红灯")],
        rows=task_rows,
        colors=[GREEN, BLUE, RED],
        note=gettext(
            "每项任务分派到各单位的份数：审核通过的、尚未完成的、超过时限未完成的（红灯）。"
        ),
    )

    # Open-door feedback: volume by kind, through the inbox's own filters
    # (so that each count is what its link lists); reply time and
    # satisfaction are the campaign figures (the cards).
    received = {"received_from": window.start.isoformat(), "received_to": window.end.isoformat()}
    feedback = feedback_filter(feedback_visible_to(user=user), {**base, **received}, user=user)
    kinds: dict[str, int] = {}
    for r in feedback.order_by().values("kind").annotate(n=Count("*")):
        kinds[r["kind"]] = r["n"]
    feedback_panel = Panel(
        key="feedback",
        title=gettext("群众反映件数"),
        chart="bar",
        columns=[gettext("类型"), gettext("件数")],
        rows=[
            Row(
                str(k.label),
                [Cell(kinds[k], _link("outreach:feedback_list", **base, **received, kind=k))],
            )
            for k in FeedbackKind
            if kinds.get(k)
        ],
        note=definitions["reply_on_time"] + " " + definitions["satisfaction"],
    )

    # Rules made (建章立制): by action and status.
    rules = regulation_filter(regulations_visible_to(user=user), base, user=user)
    by_action: dict[str, dict[str, int]] = defaultdict(dict)
    for r in rules.order_by().values("action", "status").annotate(n=Count("*")):
        by_action[r["action"]][r["status"]] = r["n"]
    rule_statuses = list(RegulationStatus)
    rules_panel = Panel(
        key="rules",
        title=gettext("建章立制"),
        chart="stack",
        columns=[gettext("类型"), *[str(s.label) for s in rule_statuses]],
        rows=[
            Row(
                str(a.label),
                [
                    Cell(
                        by_action[a].get(s, 0),
                        _link("regulations:list", **base, action=a, status=s),
                    )
                    for s in rule_statuses
                ],
            )
            for a in Action
            if a in by_action
        ],
        colors=[GREY, ORANGE, GREEN],  # draft, review, issued
        note=gettext("全部制度（不限统计期），按制定类型和状态。"),
    )

    panels = [light_panel, category_panel, org_panel, week_panel, on_time_panel, coverage_panel]
    panels.append(task_panel)
    if feedback_panel.rows:  # only where open-door data exists
        panels.append(feedback_panel)
    panels.append(rules_panel)
    if whole:
        indicators = _indicator_panel(zone_obj)
        if indicators is not None:
            panels.append(indicators)

    cards = [
        Card(gettext("查摆问题数"), Cell(total.problems, ledger())),
        Card(gettext("红灯"), Cell(lights["red"], ledger(light="red"))),
        Card(gettext("销号率"), rate_cell(total.closure, ledger(status=Status.CLOSED))),
        Card(
            gettext("按时整改率"),
            rate_cell(total.rectification_on_time, ledger(status=Status.CLOSED, late="0")),
        ),
        Card(
            gettext("学习覆盖率"),
            rate_cell(total.study_coverage, _link("study:coverage", **base, **study_span)),
        ),
        Card(
            gettext("任务按时完成率"),
            rate_cell(total.task_on_time, _link("campaigns:tasks", zone=zone_obj.pk)),
        ),
        Card(
            gettext("建章立制数"),
            Cell(
                total.rules,
                _link(
                    "regulations:list",
                    **base,
                    status="issued",
                    issued_from=window.start.isoformat(),
                    issued_to=window.end.isoformat(),
                ),
            ),
        ),
    ]
    if total.feedback_answered or total.ratings or feedback_panel.rows:
        fb_url = _link("outreach:feedback_list", **base, **received)
        cards += [
            Card(gettext("群众反映按时答复率"), rate_cell(total.reply_on_time, fb_url)),
            Card(gettext("群众满意率"), rate_cell(total.satisfaction, fb_url)),
        ]
    return ZoneDashboard(
        zone=zone_obj,
        org=current,
        trail=trail,
        window=window,
        cards=cards,
        panels=panels,
        whole=whole,
    )


def _dashboard_url(zone_id: int, org_id: int | None, start: Any, end: Any) -> str:
    """A zone's dashboard (an org's, with ``org_id``) for the same period."""
    period = {"from": start.isoformat() if start else None, "to": end.isoformat() if end else None}
    return _link("reports:zone", zone_id, org=org_id, **period)


def _indicator_panel(zone: Zone) -> Panel | None:
    """The assessment's scores of the zone this year, per dimension (显绩,
    潜绩), when it has targets or figures; None otherwise."""
    from shiji.assessment.scores import default_year, zone_scores

    today = timezone.localdate()
    (score,) = zone_scores(zones=[zone], year=default_year(today), as_of=today, with_items=False)
    if not (score.has_figures or score.has_targets):
        return None
    url = reverse("assessment:zone", args=[zone.pk])

    def cell(value: Decimal | None) -> Cell:
        return Cell(float(value) if value is not None else None, url)

    rows = [Row(str(d.label), [cell(d.visible), cell(d.latent)]) for d in score.dimensions]
    rows.append(Row(gettext("综合"), [cell(score.visible), cell(score.latent)]))
    return Panel(
        key="indicators",
        title=gettext("政绩考核指标进度（%(year)s 年）") % {"year": score.year},
        chart="bar",
        columns=[gettext("维度"), gettext("显绩得分"), gettext("潜绩得分")],
        rows=rows,
        note=gettext("各维度显绩、潜绩指标的得分（百分制，按目标完成进度计），详见政绩考核页面。"),
    )


# ---------------------------------------------------------------- the roll-up


@dataclass
class ZoneLine:
    """One zone of the roll-up: its campaign figures and its red items now."""

    zone: Zone
    figures: Figures
    red: int = 0


def _ranking() -> list[tuple[str, str, Callable[[ZoneLine], Any]]]:
    """The ranking's columns: key, header (in the request's language), and
    the zone's value to sort on."""

    def pct(r: Ratio) -> Decimal | None:
        return r.percent

    return [
        ("problems", gettext("查摆问题数"), lambda z: z.figures.problems),
        ("red", gettext("红灯"), lambda z: z.red),
        ("closure", gettext("销号率"), lambda z: pct(z.figures.closure)),
        ("on_time", gettext("按时整改率"), lambda z: pct(z.figures.rectification_on_time)),
        ("relapsed", gettext("反弹数"), lambda z: z.figures.relapsed),
        ("coverage", gettext("学习覆盖率"), lambda z: pct(z.figures.study_coverage)),
        ("tasks", gettext("任务按时完成率"), lambda z: pct(z.figures.task_on_time)),
        ("rules", gettext("建章立制数"), lambda z: z.figures.rules),
        ("reply", gettext("群众反映按时答复率"), lambda z: pct(z.figures.reply_on_time)),
        ("satisfaction", gettext("群众满意率"), lambda z: pct(z.figures.satisfaction)),
    ]


@dataclass
class Rollup:
    zones: list[ZoneLine]  # in the order asked for
    provinces: list[str]  # the provinces in the viewer's scope (to choose from)
    province: str  # "" for all of them
    window: Window | None
    sort: str
    panels: list[Panel] = field(default_factory=list)
    cards: list[Card] = field(default_factory=list)
    partial: list[Zone] = field(default_factory=list)  # zones seen only in part: not ranked

    def panel(self, key: str) -> Panel:
        found = next((p for p in self.panels if p.key == key), None)
        if found is None:
            raise NotFound(gettext("报表不存在"))
        return found


def rollup_sort(value: Any) -> str:
    """A ranking column key, "-key" for descending; the default (most red
    first) for anything else: a sort is a preference, not input to refuse."""
    keys = {k for k, _l, _f in _ranking()}
    text = str(value or "")
    return text if text.lstrip("-") in keys else "-red"


def rollup(
    *,
    user: policy.Actor,
    province: str | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
    sort: str | None = None,
    with_panels: bool = True,
) -> Rollup:
    """The zones ``user`` sees whole (all zones, a province's, their own
    zone), or those of ``province`` among them (another province, or one
    with no zone in scope, is NotFound): a ranking of their campaign
    figures, the sums per province and per problem category, the found and
    closed problems per month, and the zones most behind (only the zones'
    figures without ``with_panels``). A fixed number of queries (about
    fifteen) whatever the number of zones and records."""
    from shiji.campaigns.models import ProblemCategory
    from shiji.ledger.models import Problem, Status
    from shiji.ledger.workflow import ACTIVE
    from shiji.orgs.selectors import zones_visible_to

    visible = list(zones_visible_to(user=user).order_by("code"))
    whole = campaign.whole_zone_ids(user, visible)
    seen = [z for z in visible if z.pk in whole]
    provinces = sorted({z.province for z in seen})
    chosen = (province or "").strip()
    if chosen:
        if chosen not in provinces:
            raise NotFound(gettext("该省份不在您的查看范围内"))
        seen = [z for z in seen if z.province == chosen]
    order = rollup_sort(sort)
    result = Rollup(
        zones=[],
        provinces=provinces,
        province=chosen,
        window=None,
        sort=order,
        partial=[z for z in visible if z.pk not in whole],
    )
    if not seen:
        return result
    ids = [z.pk for z in seen]
    figures = campaign.zone_figures(zone_ids=ids, start=start, end=end)
    today = timezone.localdate()
    # Red now (the ledger's light, DESIGN.md §4): active and past the deadline.
    red = dict(
        Problem.objects.filter(zone_id__in=ids, status__in=ACTIVE, deadline__lt=today)
        .order_by()
        .values_list("zone_id")
        .annotate(n=Count("*"))
    )
    lines = [ZoneLine(zone=z, figures=figures[z.pk], red=red.get(z.pk, 0)) for z in seen]
    # zone_figures gives every zone its window.
    windows = {zid: w for zid, f in figures.items() if (w := f.window) is not None}
    # One period for the page: the earliest start to the end (zones whose
    # campaign started later count from their own start in their figures).
    starts = [w.start for w in windows.values()]
    ends = [w.end for w in windows.values()]
    window = Window(min(starts), max(ends))
    result.window = window

    columns = _ranking()
    key_of = {k: f for k, _l, f in columns}
    desc, key = order.startswith("-"), order.lstrip("-")

    def sort_key(line: ZoneLine) -> tuple[Any, ...]:
        value = key_of[key](line)
        # Zones without a value come last either way.
        if value is None:
            return (1, 0, line.zone.code)
        return (0, -value if desc else value, line.zone.code)

    lines.sort(key=sort_key)
    result.zones = lines
    if not with_panels:  # the zones' figures alone (the API)
        return result
    fmt = rate_format()

    def rate(r: Ratio, url: str = "") -> Cell:
        return rate_cell(r, url, fmt)

    def zone_cells(line: ZoneLine) -> list[Cell]:
        f, zid, w = line.figures, line.zone.pk, line.figures.window
        span = {"found_from": w.start.isoformat(), "found_to": w.end.isoformat()} if w else {}

        def ledger(**more: Any) -> str:
            return _link("ledger:list", zone=zid, **span, cancelled="0", **more)

        study_span = {"from": w.start.isoformat(), "to": w.end.isoformat()} if w else {}
        feedback = _link(
            "outreach:feedback_list",
            zone=zid,
            received_from=study_span.get("from"),
            received_to=study_span.get("to"),
        )
        return [
            Cell(f.problems, ledger()),
            Cell(line.red, _link("ledger:list", zone=zid, light="red")),
            rate(f.closure, ledger(status=Status.CLOSED)),
            rate(f.rectification_on_time, ledger(status=Status.CLOSED, late="0")),
            Cell(f.relapsed, ledger(relapsed="1")),
            rate(f.study_coverage, _link("study:coverage", zone=zid, **study_span)),
            rate(f.task_on_time, _link("campaigns:tasks", zone=zid)),
            Cell(
                f.rules,
                _link(
                    "regulations:list",
                    zone=zid,
                    status="issued",
                    issued_from=study_span.get("from"),
                    issued_to=study_span.get("to"),
                ),
            ),
            rate(f.reply_on_time, feedback),
            rate(f.satisfaction, feedback),
        ]

    period = {"from": start.isoformat() if start else None, "to": end.isoformat() if end else None}
    cells_of = {line.zone.pk: zone_cells(line) for line in lines}
    ranking = Panel(
        key="ranking",
        title=gettext("各高新区排名"),
        chart="bar",
        columns=[gettext("高新区"), *[label for _k, label, _f in columns]],
        rows=[
            Row(
                line.zone.name,
                cells_of[line.zone.pk],
                url=_link("reports:zone", line.zone.pk, **period),
            )
            for line in lines
        ],
        plot=(2, 3, 5),
        unit="%",
        sortable=True,
        sort_keys=[k for k, _l, _f in columns],
        note=gettext("点击表头排序；红灯为当前超过整改时限未销号的问题数，其余为统计期内的数字。"),
    )

    # Per province: the sums of its zones' figures.
    by_province: dict[str, list[ZoneLine]] = defaultdict(list)
    for line in lines:
        by_province[line.zone.province].append(line)
    province_rows = []
    for name in sorted(by_province):
        total = Figures(key=name)
        for line in by_province[name]:
            _add(total, line.figures)
        url = _link("reports:rollup", province=name, **period)
        province_rows.append(
            Row(
                name,
                [
                    Cell(len(by_province[name]), url),
                    Cell(total.problems, url),
                    Cell(sum(z.red for z in by_province[name]), url),
                    rate(total.closure, url),
                    rate(total.study_coverage, url),
                ],
                url=url,
            )
        )
    province_panel = Panel(
        key="provinces",
        title=gettext("分省汇总"),
        chart="bar",
        columns=[
            gettext("省份"),
            gettext("高新区数"),
            gettext("查摆问题数"),
            gettext("红灯"),
            gettext("销号率"),
            gettext("学习覆盖率"),
        ],
        rows=province_rows,
        plot=(1, 2),
    )

    # Per problem category, by name (each zone has its own copy of a category).
    names: dict[int, str] = dict(
        ProblemCategory.objects.filter(zone_id__in=ids)
        .order_by("campaign__year", "order", "pk")
        .values_list("pk", "name")
    )
    by_name: dict[str, int] = {}
    for name in names.values():
        by_name.setdefault(name, 0)
    for line in lines:
        for cid, n in line.figures.by_category.items():
            if cid in names:
                by_name[names[cid]] += n
    single = {name: [cid for cid, n in names.items() if n == name] for name in by_name}
    category_panel = Panel(
        key="categories",
        title=gettext("问题类别分布"),
        chart="pie",
        columns=[gettext("问题类别"), gettext("查摆问题数")],
        rows=[
            Row(
                name,
                [
                    Cell(
                        n,
                        # A link only where one zone's category is meant.
                        _link("ledger:list", category=single[name][0], cancelled="0")
                        if len(single[name]) == 1
                        else "",
                    )
                ],
            )
            for name, n in by_name.items()
            if n
        ],
    )

    # Trends: found and closed per month, over the zones' periods.
    months = _months(window)
    in_period = campaign.problems_in_period(Problem.objects.filter(zone_id__in=ids), windows)
    per_month = _found_and_closed(in_period, months, window.end)

    def month_url(first: dt.date) -> str:
        last = (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
        if chosen:
            return ""  # the ledger list has no province filter
        return _link(
            "ledger:list",
            found_from=max(first, window.start).isoformat(),
            found_to=min(last, window.end).isoformat(),
            cancelled="0",
        )

    trend_panel = Panel(
        key="trends",
        title=gettext("每月发现与销号问题数"),
        chart="line",
        columns=[gettext("月份"), gettext("发现"), gettext("销号")],
        colors=[BLUE, GREEN],
        rows=[
            Row(
                first.strftime("%Y-%m"),
                [Cell(per_month[i][0], month_url(first)), Cell(per_month[i][1])],
            )
            for i, first in enumerate(months)
        ],
    )

    # The zones most behind: most red items, lowest coverage, most relapses.
    def behind(
        key: str,
        title: str,
        chosen_lines: Iterable[ZoneLine],
        cell: Callable[[ZoneLine], Cell],
        header: str,
    ) -> Panel:
        return Panel(
            key=key,
            title=title,
            chart="bar",
            columns=[gettext("高新区"), header],
            rows=[
                Row(line.zone.name, [cell(line)], url=_link("reports:zone", line.zone.pk, **period))
                for line in chosen_lines
            ],
            unit="%" if key == "behind_coverage" else "",
        )

    by_code = sorted(lines, key=lambda z: z.zone.code)
    most_red = sorted((z for z in by_code if z.red), key=lambda z: -z.red)[:BEHIND]
    low_cover = sorted(
        (z for z in by_code if z.figures.people),
        key=lambda z: z.figures.study_coverage.percent or Decimal(0),
    )[:BEHIND]
    relapsing = sorted(
        (z for z in by_code if z.figures.relapsed), key=lambda z: -z.figures.relapsed
    )[:BEHIND]
    panels = [
        ranking,
        province_panel,
        category_panel,
        trend_panel,
        behind(
            "behind_red",
            gettext("红灯最多的高新区"),
            most_red,
            lambda z: cells_of[z.zone.pk][1],
            gettext("红灯"),
        ),
        behind(
            "behind_coverage",
            gettext("学习覆盖率最低的高新区"),
            low_cover,
            lambda z: cells_of[z.zone.pk][5],
            gettext("学习覆盖率"),
        ),
        behind(
            "behind_relapse",
            gettext("反弹最多的高新区"),
            relapsing,
            lambda z: cells_of[z.zone.pk][4],
            gettext("反弹数"),
        ),
    ]
    if len(province_rows) < 2:
        panels.remove(province_panel)  # one province: the ranking says it all
    result.panels = panels
    grand = Figures(key=None)
    for line in lines:
        _add(grand, line.figures)
    result.cards = [
        Card(gettext("高新区数"), Cell(len(lines))),
        Card(gettext("查摆问题数"), Cell(grand.problems)),
        Card(gettext("红灯"), Cell(sum(z.red for z in lines))),
        Card(gettext("销号率"), rate(grand.closure)),
        Card(gettext("按时整改率"), rate(grand.rectification_on_time)),
        Card(gettext("学习覆盖率"), rate(grand.study_coverage)),
    ]
    return result


def rollup_items(data: Rollup) -> list[dict[str, Any]]:
    """The roll-up as the API gives it (DESIGN.md §6): one item per zone,
    its id and names, then the figures (rates in percent, None when there
    was nothing to count, with their numerators and denominators)."""

    def rate(r: Ratio) -> dict[str, Any]:
        return {
            "percent": float(r.percent) if r.percent is not None else None,
            "num": r.num,
            "den": r.den,
        }

    out = []
    for line in data.zones:
        f = line.figures
        out.append(
            {
                "zone": line.zone.pk,
                "zone_code": line.zone.code,
                "zone_name": line.zone.name,
                "province": line.zone.province,
                "period_start": f.window.start if f.window else None,
                "period_end": f.window.end if f.window else None,
                "problems": f.problems,
                "red": line.red,
                "closed": f.closed,
                "closure": rate(f.closure),
                "on_time": rate(f.rectification_on_time),
                "relapsed": f.relapsed,
                "extensions": f.extensions,
                "study_coverage": rate(f.study_coverage),
                "task_on_time": rate(f.task_on_time),
                "rules": f.rules,
                "reply_on_time": rate(f.reply_on_time),
                "satisfaction": rate(f.satisfaction),
            }
        )
    return out
