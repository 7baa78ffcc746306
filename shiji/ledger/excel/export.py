"""The ledger export: the problems a user may export, streamed into the
§6 workbook with XlsxWriter in constant-memory mode (see the package doc)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import IO, Any

from django.db.models import Count, QuerySet
from django.utils import timezone

from shiji.campaigns.models import ZoneCampaign
from shiji.core.errors import Invalid
from shiji.core.xlsx import FORMULA_TRIGGERS, streaming_workbook
from shiji.ledger import selectors
from shiji.ledger.excel.layout import (
    DATE_COLUMNS,
    DATE_FORMAT,
    EXCEL_MAX_ROWS,
    EXPORT_CHUNK,
    HEADERS,
    NEUTRAL_TITLE,
    PHASE_EXPORT,
    PROGRESS_EVERY,
    SHEET,
    TITLE_SUFFIX,
    TOO_MANY_ROWS,
    WIDTHS,
    WRAPPED,
    Progress,
)
from shiji.ledger.models import Kind, Problem, Source, Status
from shiji.orgs import policy
from shiji.orgs.models import Person, Zone
from shiji.orgs.selectors import zone_get_for_user

_EXPORT_VALUES = (
    "zone_id",
    "code",
    "source",
    "category__name",
    "description",
    "measures",
    "goal",
    "org__name",
    "leader__name",
    "leader__org__name",
    "owner__name",
    "owner__org__name",
    "kind",
    "deadline",
    "progress_summary",
    "completion_note",
    "status",
    "closed_on",
)


def export_queryset(*, user: Any, params: Mapping[str, Any] | None) -> QuerySet[Problem]:
    """The problems ``user`` may export, filtered like the ledger list
    (``selectors.problem_filter``). A ``zone`` parameter outside the user's
    scope is ``NotFound``, as everywhere else."""
    params = params or {}
    if params.get("zone"):
        zone_get_for_user(user=user, pk=params["zone"])
    qs = selectors.problems_visible_to(user=user, action="ledger.export")
    return selectors.problem_filter(qs, params, user=user)


def export_zone(*, user: Any, params: Mapping[str, Any] | None) -> Zone | None:
    """The one zone an export covers, or None when it spans several (or none)."""
    params = params or {}
    if params.get("zone"):
        return zone_get_for_user(user=user, pk=params["zone"])
    zone_ids = policy.zone_ids_for(user, "ledger.export")
    if zone_ids is not None and len(zone_ids) == 1:
        return Zone.objects.filter(pk=next(iter(zone_ids))).first()
    found = list(
        export_queryset(user=user, params=params)
        .order_by()
        .values_list("zone_id", flat=True)
        .distinct()[:2]
    )
    return Zone.objects.filter(pk=found[0]).first() if len(found) == 1 else None


def export_title(zone: Zone | None) -> str:
    """ "无锡高新区树立和践行正确政绩观学习教育问题整改台账"; neutral for several zones."""
    if zone is None:
        return NEUTRAL_TITLE
    adoption = (
        ZoneCampaign.objects.filter(zone=zone)
        .select_related("campaign")
        .order_by("-campaign__year", "-adopted_at")
        .first()
    )
    campaign = adoption.campaign.name if adoption else ""
    return f"{zone.name}{campaign}{TITLE_SUFFIX}"


def export_filename(zone_or_none: Zone | None) -> str:
    """The download name, e.g. "无锡高新区问题整改台账-20260315.xlsx"."""
    stamp = timezone.localdate().strftime("%Y%m%d")
    prefix = re.sub(r'[\\/:*?"<>|\x00-\x1f]', "", zone_or_none.name) if zone_or_none else ""
    return f"{prefix}{TITLE_SUFFIX}-{stamp}.xlsx"


def export_count(*, user: Any, params: Mapping[str, Any] | None) -> int:
    return export_queryset(user=user, params=params).count()


def export_workbook(
    *,
    user: Any,
    params: Mapping[str, Any] | None,
    out: IO[bytes] | Any,
    progress: Progress | None = None,
) -> int:
    """Write the .xlsx of the problems ``user`` may export (``ledger.export``),
    filtered by ``params`` like the ledger list, into the binary file ``out``.
    Returns the number of problem rows. ``progress(phase, done, total)`` is
    called every 1,000 rows when given."""
    qs = export_queryset(user=user, params=params)
    zone = export_zone(user=user, params=params)
    ambiguous = _ambiguous_names(qs)
    total = qs.count() if progress else None
    if total is not None and total > EXCEL_MAX_ROWS - 2:
        raise Invalid(TOO_MANY_ROWS)

    book = streaming_workbook(out)  # text stays text (see STREAMING_OPTIONS)
    title = export_title(zone)
    book.set_properties({"title": title, "author": "实绩", "company": zone.name if zone else ""})
    sheet = book.add_worksheet(SHEET)
    formats = _Formats(book)
    last = len(HEADERS) - 1
    for index, header in enumerate(HEADERS):
        sheet.set_column(index, index, WIDTHS[header])
    sheet.set_row(0, 32)
    sheet.set_row(1, 22)
    # Constant-memory mode writes rows in order: title, headers, then data.
    sheet.merge_range(0, 0, 0, last, title, formats.title)
    for index, header in enumerate(HEADERS):
        sheet.write_string(1, index, header, formats.header)
    sheet.freeze_panes(2, 0)
    sheet.repeat_rows(0, 1)
    sheet.set_landscape()
    sheet.set_paper(9)  # A4
    sheet.fit_to_pages(1, 0)

    def person(values: dict[str, Any], role: str) -> str:
        name = values[f"{role}__name"]
        if not name:
            return ""
        if (values["zone_id"], name) in ambiguous:
            return f"{name}（{values[f'{role}__org__name']}）"
        return name

    sources, kinds, statuses = dict(Source.choices), dict(Kind.choices), dict(Status.choices)
    rows = 0
    for rows, values in enumerate(qs.values(*_EXPORT_VALUES).iterator(EXPORT_CHUNK), start=1):
        r = rows + 1
        if r >= EXCEL_MAX_ROWS:
            raise Invalid(TOO_MANY_ROWS)
        cells = (
            rows,
            values["code"],
            str(sources.get(values["source"], values["source"])),
            values["category__name"],
            values["description"],
            values["measures"],
            values["goal"],
            values["org__name"],
            person(values, "leader"),
            person(values, "owner"),
            str(kinds.get(values["kind"], values["kind"])),
            values["deadline"],
            values["progress_summary"],
            values["completion_note"],
            str(statuses.get(values["status"], values["status"])),
            values["closed_on"],
        )
        for c, value in enumerate(cells):
            formats.write(sheet, r, c, value)
        if progress and rows % PROGRESS_EVERY == 0:
            progress(PHASE_EXPORT, rows, total)
    sheet.autofilter(1, 0, max(rows + 1, 1), last)
    book.close()
    if progress:
        progress(PHASE_EXPORT, rows, total)
    return rows


class _Formats:
    """The few cell formats of the sheet, made once (XlsxWriter keeps each
    distinct format in the workbook's style table)."""

    def __init__(self, book: Any) -> None:
        base = {"border": 1, "valign": "top", "font_size": 10}
        self.title = book.add_format(
            {"bold": True, "font_size": 16, "align": "center", "valign": "vcenter"}
        )
        self.header = book.add_format(
            {
                **base,
                "bold": True,
                "align": "center",
                "valign": "vcenter",
                "text_wrap": True,
                "bg_color": "#D9E1F2",
            }
        )
        self.number = book.add_format({**base, "align": "center"})
        self.date = book.add_format({**base, "num_format": DATE_FORMAT, "align": "center"})
        self.text: dict[tuple[bool, bool], Any] = {}
        for wrap in (False, True):
            for quoted in (False, True):
                self.text[(wrap, quoted)] = book.add_format(
                    {**base, "text_wrap": wrap, "quote_prefix": quoted}
                )
        self.wrapped = [header in WRAPPED for header in HEADERS]
        self.dated = [header in DATE_COLUMNS for header in HEADERS]

    def write(self, sheet: Any, row: int, col: int, value: Any) -> None:
        wrap = self.wrapped[col]
        if value is None or value == "":
            blank = self.date if self.dated[col] else self.text[(wrap, False)]
            sheet.write_blank(row, col, None, blank)
        elif isinstance(value, dt.date):
            sheet.write_datetime(row, col, value, self.date)
        elif isinstance(value, int):
            sheet.write_number(row, col, value, self.number)
        else:
            # Excel's own line break is LF; forms submit CRLF.
            text = str(value).replace("\r\n", "\n").replace("\r", "\n")
            sheet.write_string(row, col, text, self.text[(wrap, text.startswith(FORMULA_TRIGGERS))])


def _ambiguous_names(qs: QuerySet[Problem]) -> set[tuple[int, str]]:
    """(zone id, name) of the names two or more people share in the exported
    zones — the whole roster, as the import resolves names against it."""
    rows = (
        Person.objects.filter(zone_id__in=qs.order_by().values("zone_id"))
        .values("zone_id", "name")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
    )
    return {(row["zone_id"], row["name"]) for row in rows}
