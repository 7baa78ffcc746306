"""The ledger export: the problems a user may export, streamed into the
§6 workbook with XlsxWriter in constant-memory mode (see the package doc),
laid out for A4 paper by ``core.xlsx.SheetWriter``.

Two versions, the same rows:

- the workbook of the contract (``整改台账``, sixteen columns; a 17th,
  高新区, last, when the rows span several zones), which imports back:
  landscape at 90 % (text of 9 pt on paper), the header repeated on every
  page, 填报单位 and 填报日期 in the page header (rows 1 and 2 are the
  contract's title and headers), page numbers in the footer;
- the 打印版 (``params["version"] == "print"``): the columns a reader of
  the paper needs, wider, with 填报单位 and 填报日期 under the title.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import IO, Any

from django.db.models import Count, QuerySet
from django.utils import timezone
from django.utils.translation import gettext

from shiji.campaigns.models import ZoneCampaign
from shiji.core.downloads import export_filename as download_name
from shiji.core.errors import Invalid
from shiji.core.i18n import in_chinese
from shiji.core.xlsx import (
    Column,
    ExportFormats,
    SheetWriter,
    chinese_date,
    streaming_workbook,
)
from shiji.ledger import selectors
from shiji.ledger.excel.layout import (
    ALL_ZONES,
    DATE_COLUMNS,
    EXCEL_MAX_ROWS,
    EXPORT_CHUNK,
    FILLED_IN_BY,
    FILLED_IN_ON,
    HEADERS,
    NEUTRAL_TITLE,
    PERSON_WITH_ORG_FORMAT,
    PHASE_EXPORT,
    PRINT_FILE_SUFFIX,
    PRINT_SHEET,
    PRINT_VERSION,
    PRINT_WIDTHS,
    PRINT_WIDTHS_SEVERAL_ZONES,
    PROGRESS_EVERY,
    SHEET,
    TITLE_SUFFIX,
    TOO_MANY_ROWS,
    WIDTHS,
    WIDTHS_SEVERAL_ZONES,
    ZONE_HEADER,
    Col,
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


def require_export(user: Any) -> None:
    """The right to export the ledger, checked by every way in (page, API,
    background job, retry, download): Forbidden without it."""
    policy.require(user, "ledger.export", message=gettext("您没有权限导出整改台账"))


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


def printed(params: Mapping[str, Any] | None) -> bool:
    """Whether ``params`` ask for the 打印版."""
    return (params or {}).get("version") == PRINT_VERSION


def export_filename(zone_or_none: Zone | None, params: Mapping[str, Any] | None = None) -> str:
    """The download name, e.g. "无锡高新区-问题整改台账-2026-03-15.xlsx"
    ("…问题整改台账（打印版）…" for the 打印版)."""
    what = TITLE_SUFFIX + PRINT_FILE_SUFFIX if printed(params) else TITLE_SUFFIX
    return download_name(what, zone_name=zone_or_none.name if zone_or_none else None)


def export_count(*, user: Any, params: Mapping[str, Any] | None) -> int:
    return export_queryset(user=user, params=params).count()


@in_chinese
def export_workbook(
    *,
    user: Any,
    params: Mapping[str, Any] | None,
    out: IO[bytes] | Any,
    progress: Progress | None = None,
) -> int:
    """Write the .xlsx of the problems ``user`` may export (``ledger.export``),
    filtered by ``params`` like the ledger list, into the binary file ``out``:
    the contract's workbook, or the 打印版 when ``params`` ask for it.
    Returns the number of problem rows. ``progress(phase, done, total)`` is
    called every 1,000 rows when given."""
    qs = export_queryset(user=user, params=params)
    zone = export_zone(user=user, params=params)
    ambiguous = _ambiguous_names(qs)
    total = qs.count() if progress else None
    if total is not None and total > EXCEL_MAX_ROWS - 3:
        raise Invalid(TOO_MANY_ROWS)

    book = streaming_workbook(out)  # text stays text (see STREAMING_OPTIONS)
    title = export_title(zone)
    book.set_properties(
        {"title": title, "author": gettext("实绩"), "company": zone.name if zone else ""}
    )
    several = zone is None and qs.exists()  # rows of several zones: a 高新区 column
    filled_in = (
        FILLED_IN_BY.format(org=zone.name if zone else ALL_ZONES),
        FILLED_IN_ON.format(date=chinese_date(timezone.localdate())),
    )
    if printed(params):
        widths = PRINT_WIDTHS_SEVERAL_ZONES if several else PRINT_WIDTHS
        headers = list(PRINT_WIDTHS)
        if several:
            headers.insert(1, ZONE_HEADER)
        sheet = SheetWriter(
            book,
            ExportFormats(book),
            name=PRINT_SHEET,
            columns=[Column(h, widths[h], date=h == Col.DEADLINE) for h in headers],
            title=title,
            info=[filled_in],
            landscape=True,
        )
    else:
        widths = WIDTHS_SEVERAL_ZONES if several else WIDTHS
        headers = [*HEADERS, ZONE_HEADER] if several else HEADERS
        sheet = SheetWriter(
            book,
            ExportFormats(book),
            name=SHEET,
            columns=[Column(h, widths[h], date=h in DATE_COLUMNS) for h in headers],
            title=title,
            page_header=filled_in,
            landscape=True,
        )
    row_of = _print_row if printed(params) else _row
    zones = dict(Zone.objects.values_list("pk", "name")) if several else {}

    def person(values: dict[str, Any], role: str) -> str:
        name = values[f"{role}__name"]
        if not name:
            return ""
        if (values["zone_id"], name) in ambiguous:
            return PERSON_WITH_ORG_FORMAT.format(name=name, org=values[f"{role}__org__name"])
        return name

    labels = _Labels()
    rows = 0
    for rows, values in enumerate(qs.values(*_EXPORT_VALUES).iterator(EXPORT_CHUNK), start=1):
        if sheet.next_row >= EXCEL_MAX_ROWS:
            raise Invalid(TOO_MANY_ROWS)
        sheet.write(
            row_of(
                rows,
                values,
                person,
                labels,
                zone_name=zones.get(values["zone_id"], "") if several else None,
            )
        )
        if progress and rows % PROGRESS_EVERY == 0:
            progress(PHASE_EXPORT, rows, total)
    sheet.close()
    book.close()
    if progress:
        progress(PHASE_EXPORT, rows, total)
    return rows


class _Labels:
    """The 问题来源, 整改类型 and 状态 labels by code, translated once per
    export (a lazy label made str for every cell cost 3 s of 100,000 rows)."""

    def __init__(self) -> None:
        self.sources = {code: str(label) for code, label in Source.choices}
        self.kinds = {code: str(label) for code, label in Kind.choices}
        self.statuses = {code: str(label) for code, label in Status.choices}


def _label(choices: dict[str, str], code: str) -> str:
    return choices.get(code, code)


def _row(
    number: int, values: dict[str, Any], person: Any, labels: _Labels, *, zone_name: str | None
) -> list:
    """A row of the contract's workbook: the sixteen columns (and the zone
    last, when the export spans several)."""
    cells = [
        number,
        values["code"],
        _label(labels.sources, values["source"]),
        values["category__name"],
        values["description"],
        values["measures"],
        values["goal"],
        values["org__name"],
        person(values, "leader"),
        person(values, "owner"),
        _label(labels.kinds, values["kind"]),
        values["deadline"],
        values["progress_summary"],
        values["completion_note"],
        _label(labels.statuses, values["status"]),
        values["closed_on"],
    ]
    return cells if zone_name is None else [*cells, zone_name]


def _print_row(
    number: int, values: dict[str, Any], person: Any, labels: _Labels, *, zone_name: str | None
) -> list:
    """A row of the 打印版: where the work stands is the completion note once
    there is one, else the latest progress; the status with its 销号 date."""
    status = _label(labels.statuses, values["status"])
    if values["closed_on"]:
        status = f"{status}\n{values['closed_on']:%Y-%m-%d}"
    cells = [
        number,
        values["code"],
        values["description"],
        values["measures"],
        values["org__name"],
        person(values, "leader"),
        person(values, "owner"),
        values["deadline"],
        values["completion_note"] or values["progress_summary"],
        status,
    ]
    return cells if zone_name is None else [number, zone_name, *cells[1:]]


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
