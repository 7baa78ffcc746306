"""运动实绩 (campaign scores) page and its Excel export: the figures of
assessment/campaign.py per zone or per org subtree, each linked to the list
of the records behind it, with every definition on the page."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from html import escape as _esc
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.formats import localize
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from shiji.assessment import campaign
from shiji.assessment.campaign import Ratio, Row, ScoreTable
from shiji.core.downloads import export_filename, export_response
from shiji.core.errors import Invalid, invalid
from shiji.core.validation import clean_date
from shiji.core.xlsx.writer import Column, ListSheet, write_sheets_workbook
from shiji.ledger.models import Status

AREA = "assessment"


def parse_range(params: Any) -> tuple[dt.date | None, dt.date | None]:
    """The ``from`` and ``to`` of a request (both optional): Invalid with
    field errors for unreadable dates or an end before the start."""
    errors: dict[str, str] = {}
    days: dict[str, dt.date | None] = {}
    for key, label in (("from", _("开始日期")), ("to", _("结束日期"))):
        try:
            days[key] = clean_date(params.get(key) or None, field=key, label=label, required=False)
        except Invalid as exc:
            errors.update(exc.fields)
    if not errors and days["from"] and days["to"] and days["to"] < days["from"]:
        errors["to"] = _("结束日期不能早于开始日期")
    if errors:
        raise invalid(**errors)
    return days["from"], days["to"]


@dataclass
class Cell:
    """One figure as shown: a count (``value``) or a rate (``percent`` of
    ``num``/``den``), with the lists behind it."""

    key: str
    value: int | None = None
    url: str = ""
    percent: Decimal | None = None
    num: int | None = None
    num_url: str = ""
    den: int | None = None
    den_url: str = ""
    note: str = ""
    label: str = ""  # the column's header (for narrow screens)

    @property
    def is_rate(self) -> bool:
        return self.den is not None

    @property
    def td(self) -> str:
        """The table cell, written here rather than by an included template:
        the national table has 3,500 cells, and rendering an include for
        each cost more than counting the figures. The same markup, values
        localized and escaped as the template did (``django.utils.html.
        escape`` is ``html.escape``; called directly, without its wrapper
        for lazy strings, which took a third of this)."""
        label, key = _esc(str(self.label)), _esc(self.key)
        return mark_safe(f'<td data-label="{label}" data-figure="{key}">{self.html}</td>')  # noqa: S308 - escaped above

    @property
    def html(self) -> str:
        """The cell's content (``td``)."""
        if self.is_rate:
            if self.percent is not None:
                head = f"<strong>{_esc(str(localize(self.percent)))}%</strong>"
            else:
                # Outside the f-string: xgettext does not read calls inside one.
                nothing = _esc(_("没有可计算的记录"))
                head = f'<span class="text-secondary" title="{nothing}">—</span>'

            num = _linked(self.num, self.num_url, "data-num")
            den = _linked(self.den, self.den_url, "data-den")
            return f'{head}\n<div class="small text-secondary text-nowrap">{num}/{den}</div>\n'
        note = f'<div class="small text-secondary">{_esc(self.note)}</div>' if self.note else ""
        return f"{_linked(self.value, self.url, 'data-value')}{note}\n"


def _linked(value: Any, url: str, attr: str) -> str:
    """``value`` in a link to ``url`` (or a span without one), marked ``attr``."""
    text = _esc(str(localize(value)))
    if url:
        return f'<a href="{_esc(url)}" {attr}>{text}</a>'
    return f"<span {attr}>{text}</span>"


def _url(name: str, **params: Any) -> str:
    return _path(name) + "?" + urlencode({k: v for k, v in params.items() if v not in (None, "")})


_paths: dict[tuple[str, str, Any], str] = {}


def _path(name: str) -> str:
    """``reverse(name)``, remembered: a national table links 3,800 times to
    five lists, and resolving each link again was a fifth of the page."""
    key = (name, get_script_prefix(), get_urlconf())
    if key not in _paths:
        _paths[key] = reverse(name)
    return _paths[key]


def cells(table: ScoreTable, row: Row) -> list[Cell]:
    """The row's figures in the order of ``headers``, linked when the lists
    can show exactly the records counted."""
    f = row.figures
    w = f.window
    link = row.linkable and w is not None
    zone = row.zone.pk if row.zone is not None else None
    org = row.org.pk if row.org is not None else None

    # The row's ledger links share their first parameters: encoded once
    # (urlencode joins its pairs with "&", so the links are the same).
    ledger_base = (
        _url(
            "ledger:list",
            zone=zone,
            org=org,
            found_from=w.start.isoformat(),
            found_to=w.end.isoformat(),
            cancelled="0",
        )
        if link and w is not None
        else ""
    )

    def ledger(**more: Any) -> str:
        if not ledger_base:
            return ""
        extra = urlencode({k: v for k, v in more.items() if v not in (None, "")})
        return f"{ledger_base}&{extra}" if extra else ledger_base

    def rate(key: str, r: Ratio, num_url: str = "", den_url: str = "") -> Cell:
        return Cell(
            key=key, percent=r.percent, num=r.num, num_url=num_url, den=r.den, den_url=den_url
        )

    span = {"from": w.start.isoformat(), "to": w.end.isoformat()} if link and w else {}
    study = (
        _url("study:coverage", **({"org": org} if org else {"zone": zone}), **span) if link else ""
    )
    rules = (
        _url(
            "regulations:list",
            zone=zone,
            org=org,
            status="issued",
            issued_from=span.get("from"),
            issued_to=span.get("to"),
        )
        if link
        else ""
    )
    feedback = (
        _url(
            "outreach:feedback_list",
            zone=zone,
            org=org,
            received_from=span.get("from"),
            received_to=span.get("to"),
        )
        if link
        else ""
    )
    out = [
        rate("study_coverage", f.study_coverage, study, study),
        rate(
            "task_on_time",
            f.task_on_time,
            _url("campaigns:tasks", zone=zone) if link else "",
            _url("campaigns:tasks", zone=zone) if link else "",
        ),
        Cell(key="problems", value=f.problems, url=ledger()),
    ]
    for cid, n in table.category_counts(row):
        out.append(Cell(key="category", value=n, url=ledger(category=cid) if cid else ""))
    out += [
        rate("closure", f.closure, ledger(status=Status.CLOSED), ledger()),
        rate(
            "rectification_on_time",
            f.rectification_on_time,
            ledger(status=Status.CLOSED, late="0"),
            ledger(status=Status.CLOSED, late="all"),
        ),
        rate("relapse", f.relapse, ledger(relapsed="1"), ledger(ever_closed="1")),
        Cell(
            key="extensions",
            value=f.extensions,
            url=ledger(extended="1"),
            note=_("涉及 %(n)s 个问题") % {"n": f.extended},
        ),
        Cell(key="rules", value=f.rules, url=rules),
        rate("reply_on_time", f.reply_on_time, feedback, feedback),
        rate("satisfaction", f.satisfaction, feedback, feedback),
    ]
    return out


def headers(table: ScoreTable) -> list[str]:
    names = {key: str(label) for key, label, _text in campaign.DEFINITIONS}
    return [
        names["study_coverage"],
        names["task_on_time"],
        names["problems"],
        *[_("其中：%(name)s") % {"name": c.name} for c in table.categories],
        names["closure"],
        names["rectification_on_time"],
        names["relapse"],
        _("延期次数"),
        names["rules"],
        names["reply_on_time"],
        names["satisfaction"],
    ]


def _table(request: HttpRequest) -> tuple[ScoreTable, dict[str, str]]:
    try:
        start, end = parse_range(request.GET)
    except Invalid as exc:
        start, end = None, None
        errors = exc.fields
    else:
        errors = {}
    table = campaign.score_table(
        user=request.user,
        zone=request.GET.get("zone"),
        org=request.GET.get("org"),
        start=start,
        end=end,
    )
    return table, errors


@login_required
@require_GET
def campaign_scores(request: HttpRequest) -> HttpResponse:
    request.area = AREA  # type: ignore[attr-defined]  # read by web.context.shell
    table, errors = _table(request)
    names = headers(table)

    def labelled(row: Row) -> list[Cell]:
        out = cells(table, row)
        for cell, name in zip(out, names, strict=True):
            cell.label = name
        return out

    context = {
        "table": table,
        "headers": names,
        "rows": [(row, labelled(row)) for row in table.rows],
        "total": (table.total, labelled(table.total)) if table.total else None,
        "definitions": campaign.DEFINITIONS,
        "errors": errors,
        "params": {k: request.GET.get(k, "") for k in ("zone", "org", "from", "to")},
        "window": table.total.figures.window if table.total else None,
        "export_url": reverse("assessment:campaign_export") + "?" + request.GET.urlencode(),
    }
    return render(request, "assessment/campaign.html", context)


def _plain(cell: Cell) -> list[Any]:
    if cell.is_rate:
        return [
            float(cell.percent) if cell.percent is not None else None,
            f"{cell.num}/{cell.den}",
        ]
    return [cell.value]


@login_required
@require_GET
def campaign_export(request: HttpRequest) -> FileResponse:
    """The page's table on one sheet and the problems per category on a
    second one, a row per unit and category: a column per category would
    make the sheet as wide as a zone has categories, too wide for A4."""
    table, errors = _table(request)
    if errors:
        raise invalid(**errors)
    unit = _("单位") if table.mode == "orgs" else _("高新区")
    # Narrow columns (headers wrap) so that the sheet prints on one page width.
    columns = [Column(unit, 14)]
    lines = [(r, cells(table, r)) for r in table.rows]
    if table.total:
        lines.append((table.total, cells(table, table.total)))
    figures = [i for i, c in enumerate(cells(table, table.rows[0]) if table.rows else [])
               if c.key != "category"]  # fmt: skip
    names = headers(table)
    sample = lines[0][1] if lines else []
    for i in figures:
        name, cell = names[i], sample[i]
        if cell.is_rate:
            columns += [
                Column(_("%(name)s（%%）") % {"name": name}, 6, num_format="0.0"),
                Column(_("%(name)s（分子/分母）") % {"name": name}, 6, wrap=False),
            ]
        else:
            columns.append(Column(name, 6))
    by_category = [
        [r.name, col.name, n]
        for r, _cells in lines
        for col, (_cid, n) in zip(table.categories, table.category_counts(r), strict=True)
    ]
    window = table.total.figures.window if table.total else None
    info = [(_("统计期"), f"{window.start} – {window.end}")] if window else []
    scope = table.zone.name if table.zone else None
    sheets = [
        ListSheet(
            _("运动实绩"),
            columns,
            ([r.name, *[v for i in figures for v in _plain(cs[i])]] for r, cs in lines),
            title=_("运动实绩"),
            info=info,
        ),
        ListSheet(
            _("问题类别"),
            [Column(unit, 20), Column(_("问题类别"), 20), Column(_("发现问题数"), 10)],
            by_category,
            title=_("各类别发现问题数"),
            info=info,
        ),
    ]
    return export_response(
        lambda out: write_sheets_workbook(out, sheets=sheets, title=_("运动实绩")),
        filename=export_filename(_("运动实绩"), zone_name=scope),
    )
