"""The ledger workbook (整改台账, DESIGN.md §6): export and import.

Layout, both ways: sheet ``整改台账``; row 1 a merged title; row 2 the sixteen
``HEADERS``; one problem per row below. Dates are real date cells, 状态 uses
the Chinese labels, people are written by name — as "姓名（组织）" when the
zone has two people of that name, the form the import needs to tell them apart.

Export (``export_workbook``) streams with XlsxWriter in constant-memory mode:
only the needed columns, fetched 2,000 rows at a time, so 100,000 rows take
as little memory as 100. Text that a spreadsheet would read as a formula
(= + - @ …) is written as a string cell with Excel's quote prefix: shown as
typed, never evaluated, and read back as the same text.

Import (``import_workbook``) reads the same layout (the header row is found
among the first five rows) and works in two passes:

1. Check every row without writing: layout, cells (formulas, merged cells,
   text in date cells), names resolved within the zone, the services' field
   rules (``services.problem_clean``) and the lifecycle's state rules. Every
   problem is reported by Excel row and column header.
2. Only for a clean file, and never in a dry run: one transaction applies
   the rows through ``problem_create``, ``problem_update`` and
   ``problem_add_progress``, each with its audit event, plus one
   ``ledger.import`` summary event. A refusal from a service rolls back
   everything and is reported like the checks of pass 1.

Decisions:

- 台账编号 is the key. Empty → a new problem (found today, since 发现日期 is
  not a column); a code of the zone → an update of the changed fields only;
  any other code → an error (codes are never invented by hand). The same
  code twice in one file → an error.
- 状态, 完成情况 and 销号日期 change only through the lifecycle (with
  evidence and review), so they are not imported: a value that differs from
  the ledger is an error on that cell; an unchanged export passes. New rows
  leave them empty (状态 may say 待整改).
- 整改进展 that differs from the ledger is recorded as a new progress note
  (the history keeps the old one); it cannot be emptied.
- Names are matched exactly within the zone: 问题类别 among the zone's
  categories (on a new row, the newest campaign's active category of that
  name), 责任单位 among its organizations, 责任领导/责任人 in its roster. A
  name two people share must be written "姓名（组织名称）".
- Extra or duplicated columns are errors: data in a column the ledger has no
  place for would otherwise be dropped without anyone noticing.
- An import that changes nothing writes nothing, not even its summary event.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from itertools import islice
from typing import IO, Any

from django.db import transaction
from django.db.models import Count, QuerySet
from django.utils import timezone

from shiji.audit.kinds import EventKind
from shiji.audit.services import audit_record
from shiji.campaigns.models import ProblemCategory, ZoneCampaign
from shiji.core import staging
from shiji.core.errors import AppError, Conflict, Invalid, invalid
from shiji.core.models import StagedUpload
from shiji.core.uploads import MB, check_upload
from shiji.core.validation import clean_choice, clean_text
from shiji.core.xlsx import (
    FORMULA_TRIGGERS,
    NOT_XLSX,
    ErrorList,
    Row,
    cell_text,
    find_header,
    iter_rows,
    open_workbook,
    streaming_workbook,
)
from shiji.ledger import selectors, services, workflow
from shiji.ledger.models import Kind, Problem, Source, Status
from shiji.orgs import policy
from shiji.orgs.models import Organization, Person, Zone
from shiji.orgs.selectors import orgs_visible_to, people_visible_to, zone_get_for_user

SHEET = "整改台账"
HEADERS = [
    "序号",
    "台账编号",
    "问题来源",
    "问题类别",
    "问题描述",
    "整改措施",
    "整改目标",
    "责任单位",
    "责任领导",
    "责任人",
    "整改类型",
    "整改时限",
    "整改进展",
    "完成情况",
    "状态",
    "销号日期",
]
DATE_COLUMNS = ("整改时限", "销号日期")
# Character widths; the long texts wrap within their column.
WIDTHS = {
    "序号": 6,
    "台账编号": 16,
    "问题来源": 11,
    "问题类别": 16,
    "问题描述": 42,
    "整改措施": 42,
    "整改目标": 30,
    "责任单位": 24,
    "责任领导": 12,
    "责任人": 12,
    "整改类型": 11,
    "整改时限": 12,
    "整改进展": 36,
    "完成情况": 30,
    "状态": 9,
    "销号日期": 12,
}
WRAPPED = frozenset({"问题描述", "整改措施", "整改目标", "责任单位", "整改进展", "完成情况"})
TITLE_SUFFIX = "问题整改台账"
NEUTRAL_TITLE = "各高新区问题整改台账"
DATE_FORMAT = "yyyy-mm-dd"
EXCEL_MAX_ROWS = 1_048_576
TOO_MANY_ROWS = (
    f"要导出的问题超过 Excel 单个工作表的上限（{EXCEL_MAX_ROWS - 2} 行），请筛选后分批导出"
)

# Above these sizes the web pages hand the work to the background worker
# (``ledger/tasks.py``) and show a progress page; smaller files are done
# within the request, so the pages work without a worker. A fresh import
# row costs about 20 ms (a problem, its code and its audit event).
EXPORT_SYNC_MAX_ROWS = 5000
IMPORT_SYNC_MAX_ROWS = 500
IMPORT_SYNC_MAX_BYTES = 1 * MB  # bigger files are not even opened in the request

IMPORT_MAX_ROWS = 100_000
# The zipped upload is limited by settings.MAX_UPLOAD_MB; this bounds what it
# may unpack to. Rows are streamed from the zip, so this is about time, not
# memory: only the rows that will write are kept, as small plans.
IMPORT_MAX_UNZIPPED = 600 * MB
EXPORT_CHUNK = 2000
PROGRESS_EVERY = 1000

# Where a service's field error belongs in the workbook.
FIELD_COLUMNS = {
    "source": "问题来源",
    "category": "问题类别",
    "description": "问题描述",
    "measures": "整改措施",
    "goal": "整改目标",
    "org": "责任单位",
    "leader": "责任领导",
    "owner": "责任人",
    "kind": "整改类型",
    "deadline": "整改时限",
    "text": "整改进展",
}

# progress(phase, rows done, total rows or None), for the job page.
Progress = Callable[[str, int, int | None], None]
PHASE_EXPORT, PHASE_CHECK, PHASE_WRITE = "导出", "检查", "写入"
# Past this many problems a file is more likely the wrong one than a nearly
# right one; the list stops there rather than running to 100,000 entries.
MAX_ERRORS = 1000


# Export ----------------------------------------------------------------------------


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


# Import ----------------------------------------------------------------------------


@dataclass
class ImportResult:
    """What an import did (or, in a dry run, would do). With errors nothing
    is written and both counts are 0. ``row`` is the Excel row number (0 for
    the file as a whole) and ``column`` the header's name ("" for a row)."""

    created: int = 0
    updated: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated)

    def as_dict(self) -> dict[str, Any]:
        return {
            "created": self.created,
            "updated": self.updated,
            "errors": [
                {"row": e["row"], "column": e["column"], "message": e["message"]}
                for e in self.errors
            ],
        }


@dataclass
class _Plan:
    """One row that will write: a new problem, or an existing one's changes."""

    row: int
    problem_id: int | None  # None: create
    fields: dict[str, Any]  # create: every field; update: only the changed ones
    progress: str = ""  # a new progress note, if any
    columns: list[str] = field(default_factory=list)  # the changed columns, for messages


class _CellError(Exception):
    pass


def import_require(*, actor: Any, zone: Zone) -> None:
    """Another zone is NotFound (as if it did not exist); a role without
    ``ledger.import`` on the zone is Forbidden."""
    policy.require(
        actor,
        "ledger.import",
        zone,
        view="zone.view",
        missing="高新区不存在",
        message="您没有权限导入本区的整改台账",
    )


def import_check_file(file: IO[bytes] | Any) -> Any:
    """Refuse anything but a readable .xlsx within the upload limit: raises
    ``Invalid`` with the message under ``file``. Returns ``check_upload``'s info."""
    return check_upload(file, allowed={"xlsx"})


def import_row_estimate(file: IO[bytes] | Any) -> int | None:
    """About how many data rows the upload has, from the sheet's recorded
    size (no rows are read); None when the file does not say."""
    book = open_workbook(file, read_only=True, max_unzipped_bytes=IMPORT_MAX_UNZIPPED)
    try:
        sheet = _reading(lambda: _sheet(book))
        rows = sheet.max_row
        return max(0, rows - 2) if isinstance(rows, int) else None
    finally:
        book.close()
        file.seek(0)


def import_is_large(file: IO[bytes] | Any) -> bool:
    """Whether the pages should import this upload in the background."""
    size = getattr(file, "size", None)
    if size is None:
        file.seek(0, 2)
        size = file.tell()
        file.seek(0)
    if size > IMPORT_SYNC_MAX_BYTES:
        return True
    rows = import_row_estimate(file)
    return rows is None or rows > IMPORT_SYNC_MAX_ROWS


def import_workbook(
    *,
    actor: Any,
    zone: Zone,
    file: IO[bytes] | Any,
    dry_run: bool,
    progress: Progress | None = None,
    claim: Callable[[], None] | None = None,
) -> ImportResult:
    """Import a ledger workbook into ``zone``, all or nothing.

    Raises ``NotFound``/``Forbidden`` (see ``import_require``) and
    ``Invalid`` (field ``file``) for an upload that is not a readable .xlsx
    within the size limit. Everything wrong inside the workbook comes back
    in ``errors``, and then nothing is written. A dry run only checks.
    ``claim`` runs first inside the import's transaction (e.g. to take the
    staged upload, so that a second confirmation of the same file fails
    before writing anything); it commits or rolls back with the import.
    """
    import_require(actor=actor, zone=zone)
    info = import_check_file(file)
    today = timezone.localdate()
    errors = ErrorList()
    plans: list[_Plan] = []
    total: int | None = None
    book = open_workbook(file, read_only=True, max_unzipped_bytes=IMPORT_MAX_UNZIPPED)
    try:
        sheet = _reading(lambda: _sheet(book))
        header = _reading(lambda: find_header(sheet, HEADERS, errors=errors))
        if header is not None:
            _check_columns(sheet.title, header, errors)
            rows_recorded = sheet.max_row  # from the sheet's <dimension>, if any
            total = rows_recorded - header.row if isinstance(rows_recorded, int) else None
        if not errors and header is not None:
            names = _Names(actor, zone)
            rows = _guarded(
                iter_rows(
                    sheet,
                    header,
                    errors=errors,
                    date_columns=DATE_COLUMNS,
                    max_rows=IMPORT_MAX_ROWS,
                )
            )
            done = 0
            seen: dict[str, int] = {}
            for batch in _batched(rows, 500):
                existing = _existing(actor, zone, batch)
                for row in batch:
                    if not row.bad and all(
                        value is None for key, value in row.values.items() if key != "序号"
                    ):
                        continue  # a template's pre-numbered empty row
                    plan = _plan_row(row, existing, seen, names, zone, today, errors)
                    if plan is not None:
                        plans.append(plan)
                done += len(batch)
                if len(errors) >= MAX_ERRORS:
                    break
                if progress:
                    progress(PHASE_CHECK, done, total)
    finally:
        book.close()
        file.seek(0)

    if errors:
        return ImportResult(errors=_result_errors(errors))
    created = sum(1 for p in plans if p.problem_id is None)
    result = ImportResult(created=created, updated=len(plans) - created)
    if dry_run or not plans:
        return result
    if progress:
        progress(PHASE_WRITE, 0, len(plans))
    with transaction.atomic():
        # One import at a time per zone: the second waits for the first.
        Zone.objects.select_for_update().filter(pk=zone.pk).first()
        if claim is not None:
            claim()
        _apply(actor, zone, plans, today, errors)
        if errors:
            transaction.set_rollback(True)
            return ImportResult(errors=_result_errors(errors))
        name = str(getattr(file, "name", "") or "").rsplit("/", 1)[-1][:200]
        audit_record(
            actor=actor,
            action=EventKind.LEDGER_IMPORT,
            obj=zone,
            changes={
                "created": [None, result.created],
                "updated": [None, result.updated],
                "file": [None, name],
                "sha256": [None, info.sha256],
            },
            note=f"导入整改台账：新增 {result.created} 条、更新 {result.updated} 条",
        )
    if progress:
        progress(PHASE_WRITE, len(plans), len(plans))
    return result


def import_staged(
    *,
    actor: Any,
    staged: StagedUpload,
    dry_run: bool,
    progress: Progress | None = None,
) -> ImportResult:
    """Check or import an upload parked after its dry run. A real import
    discards the parked copy in its own transaction, so the same bytes are
    never imported twice (a second attempt is a ``Conflict``)."""

    def consume() -> None:
        _, deleted = StagedUpload.objects.filter(pk=staged.pk).delete()
        if not deleted.get(StagedUpload._meta.label):
            raise Conflict("这份文件已经导入过了")

    return import_workbook(
        actor=actor,
        zone=staged.zone,
        file=staging.staged_file(staged),
        dry_run=dry_run,
        progress=progress,
        claim=None if dry_run else consume,
    )


def _reading(read: Callable[[], Any]) -> Any:
    """Run ``read`` on a streamed sheet. Its XML is parsed only as rows are
    read, so a damaged file fails here rather than when it was opened; any
    parser error means the same to the user and none may become a 500."""
    try:
        return read()
    except Invalid:
        raise
    except Exception:
        raise invalid(file=NOT_XLSX) from None


def _guarded(rows: Iterator[Row]) -> Iterator[Row]:
    while True:
        row = _reading(lambda: next(rows, None))
        if row is None:
            return
        yield row


def _sheet(book: Any) -> Any:
    # The contract's sheet; a workbook whose only sheet was renamed still
    # reads, and the header check then says whether it is a ledger at all.
    return book[SHEET] if SHEET in book.sheetnames else book.worksheets[0]


def _check_columns(sheet: str, header: Any, errors: ErrorList) -> None:
    known = set(HEADERS)
    for text in header.unknown:
        if text.replace(" ", "") in known:
            errors.add(
                sheet, header.row, text, f"第 {header.row} 行有两列“{text}”，请删除重复的一列"
            )
        else:
            errors.add(
                sheet,
                header.row,
                text,
                f"无法识别的列“{text}”：台账只有模板中的列（{'、'.join(HEADERS)}），"
                "请删除这一列或把内容移入相应的列",
            )


def _result_errors(errors: ErrorList) -> list[dict[str, Any]]:
    out = [
        {"row": e["row"] or 0, "column": e["column"], "message": e["message"]}
        for e in errors.as_list()
    ]
    if len(out) > MAX_ERRORS:
        out = out[:MAX_ERRORS]
        out.append({"row": 0, "column": "", "message": f"问题过多，只列出前 {MAX_ERRORS} 处"})
    return out


def _batched(rows: Iterable[Row], size: int) -> Iterator[list[Row]]:
    iterator = iter(rows)
    while batch := list(islice(iterator, size)):
        yield batch


_EXISTING_VALUES = (
    "pk",
    "code",
    "source",
    "category_id",
    "description",
    "measures",
    "goal",
    "org_id",
    "leader_id",
    "owner_id",
    "kind",
    "found_on",
    "deadline",
    "progress_summary",
    "completion_note",
    "status",
    "closed_on",
)


def _existing(actor: Any, zone: Zone, batch: list[Row]) -> dict[str, dict[str, Any]]:
    """The batch's problems by code, read within the importer's scope."""
    codes = {row.text("台账编号") for row in batch} - {""}
    if not codes:
        return {}
    qs = selectors.problems_visible_to(user=actor, action="ledger.import").filter(
        zone=zone, code__in=codes
    )
    return {values["code"]: values for values in qs.values(*_EXISTING_VALUES)}


# A control character as the spreadsheet stores it ("_x000B_"), and an escaped
# literal "_x" ("_x005F_x000B_"), decoded in one left-to-right pass.
_OOXML_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")


def _text(value: Any) -> str:
    text = cell_text(value)
    if "_x" in text:
        text = _OOXML_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text)
    return text.replace("\r\n", "\n").replace("\r", "\n").strip()


def _same_text(a: str | None, b: str | None) -> bool:
    return _text(a or "") == _text(b or "")


class _Names:
    """The zone's categories, organizations and people, loaded once and
    matched by exact name."""

    _WITH_ORG = re.compile(r"^(?P<name>[^（(]+?)\s*[（(](?P<org>.+)[）)]$")

    def __init__(self, actor: Any, zone: Zone) -> None:
        self.orgs = {o.name: o for o in orgs_visible_to(user=actor).filter(zone=zone)}
        self.categories: dict[str, list[ProblemCategory]] = defaultdict(list)
        self.category_by_id: dict[int, ProblemCategory] = {}
        cats = selectors.problem_categories(zone=zone, active_only=False).select_related("campaign")
        # Newest campaign first: a name that recurs across campaigns means
        # the current campaign's category on a new row.
        for cat in sorted(cats, key=lambda c: (-c.campaign.year, -c.campaign_id)):
            self.categories[cat.name].append(cat)
            self.category_by_id[cat.pk] = cat
        self.people: dict[str, list[Person]] = defaultdict(list)
        for person in people_visible_to(user=actor).filter(zone=zone):
            self.people[person.name].append(person)

    def org(self, text: str) -> Organization:
        org = self.orgs.get(text)
        if org is None:
            raise _CellError(f"责任单位“{text}”不在本区的组织中，请使用“组织与人员”中的组织全称")
        return org

    def category(self, text: str, current_id: int | None) -> ProblemCategory:
        current = self.category_by_id.get(current_id) if current_id else None
        if current is not None and current.name == text:
            return current  # unchanged, even if the zone has since retired it
        matches = self.categories.get(text, [])
        active = [c for c in matches if c.is_active]
        if active:
            return active[0]
        if matches:
            raise _CellError(f"问题类别“{text}”已停用，请选用本区在用的问题类别")
        names = "、".join(
            dict.fromkeys(c.name for cs in self.categories.values() for c in cs if c.is_active)
        )
        raise _CellError(f"问题类别“{text}”不存在；本区的问题类别有：{names or '（尚未设置）'}")

    def person(self, text: str, label: str) -> Person | None:
        if not text:
            return None
        same = self.people.get(text, [])
        if len(same) == 1:
            return same[0]
        if len(same) > 1:
            example = f"{text}（{same[0].org.name}）"
            raise _CellError(
                f"本区有 {len(same)} 位“{text}”，请写成“姓名（所在组织）”，如“{example}”"
            )
        match = self._WITH_ORG.match(text)
        if match:
            name, org = match.group("name").strip(), match.group("org").strip()
            for person in self.people.get(name, []):
                if person.org.name == org:
                    return person
            if self.people.get(name):
                raise _CellError(f"“{org}”中没有名为“{name}”的人员")
        raise _CellError(f"{label}“{text}”不在本区花名册中，请先在“组织与人员”中添加")


def _plan_row(
    row: Row,
    existing: dict[str, dict[str, Any]],
    seen: dict[str, int],
    names: _Names,
    zone: Zone,
    today: dt.date,
    errors: ErrorList,
) -> _Plan | None:
    """Check one row; return what it would write (None: nothing, or errors)."""
    failed = bool(row.bad)  # cells iter_rows already reported

    def report(column: str, message: str) -> None:
        nonlocal failed
        failed = True
        errors.add(row.sheet, row.number, column, message)

    code = row.text("台账编号")
    current = None
    if code:
        if code in seen:
            report("台账编号", f"台账编号“{code}”与第 {seen[code]} 行重复")
        else:
            seen[code] = row.number
        current = existing.get(code)
        if current is None:
            report("台账编号", f"台账编号“{code}”不存在；新增问题请留空")
            return None

    def cell(column: str, parse: Callable[[str], Any]) -> Any:
        if column in row.bad:
            return None
        try:
            return parse(_text(row[column]))
        except _CellError as exc:
            report(column, str(exc))
        except Invalid as exc:
            report(column, exc.message)
        return None

    wanted: dict[str, Any] = {
        "source": cell(
            "问题来源",
            lambda t: (
                clean_choice(t, field="source", label="问题来源", choices=Source)
                if t
                else _missing("问题来源")
            ),
        ),
        "category": cell(
            "问题类别",
            lambda t: (
                names.category(t, current["category_id"] if current else None)
                if t
                else _missing("问题类别")
            ),
        ),
        "description": _text(row["问题描述"]),
        "measures": _text(row["整改措施"]),
        "goal": _text(row["整改目标"]),
        "org": cell("责任单位", lambda t: names.org(t) if t else _missing("责任单位")),
        "leader": cell("责任领导", lambda t: names.person(t, "责任领导")),
        "owner": cell("责任人", lambda t: names.person(t, "责任人")),
        "kind": cell(
            "整改类型",
            lambda t: (
                clean_choice(t, field="kind", label="整改类型", choices=Kind)
                if t
                else _missing("整改类型")
            ),
        ),
        "deadline": row["整改时限"],
    }
    progress = "" if "整改进展" in row.bad else _text(row["整改进展"])
    status = cell("状态", _status_code)
    _check_lifecycle_cells(row, current, status, report)
    if failed:
        return None

    if current is None:
        fields = {**wanted, "found_on": today}
        columns = []
    else:
        fields = {k: v for k, v in wanted.items() if _changed(k, v, current)}
        columns = [FIELD_COLUMNS[k] for k in fields]
        if progress == _text(current["progress_summary"]):
            progress = ""
        elif not progress:
            report("整改进展", "整改进展不能清空；如有新的进展请直接填写")
            return None
        if not fields and not progress:
            return None
        state_error = _state_error(current, fields, progress)
        if state_error:
            column, message = state_error
            report(column, message)
            return None
    if progress:
        try:
            clean_text(progress, field="text", label="整改进展", max_length=services.TEXT_LIMIT)
        except Invalid as exc:
            report("整改进展", exc.message)
    try:
        services.problem_clean(
            zone=zone, fields=fields, current=_as_problem(current) if current else None
        )
    except Invalid as exc:
        for name, message in (exc.fields or {"": exc.message}).items():
            if name == "deadline" and current is None and "发现日期" in message:
                message += "（新增问题的发现日期为导入当天）"
            report(FIELD_COLUMNS.get(name, ""), message)
    if failed:
        return None
    return _Plan(
        row=row.number,
        problem_id=current["pk"] if current else None,
        fields=fields,
        progress=progress,
        columns=columns + (["整改进展"] if progress else []),
    )


def _missing(label: str) -> None:
    raise _CellError(f"请填写{label}")


def _status_code(text: str) -> str:
    if not text:
        return ""
    for code, label in Status.choices:
        if text in (code, str(label)):
            return code
    raise _CellError(f"状态应为以下之一：{'、'.join(str(label) for _, label in Status.choices)}")


_LIFECYCLE_HINT = "请在台账中按流程办理（开始整改、提交销号、审核销号等），导入时请保持导出时的内容"


def _check_lifecycle_cells(
    row: Row, current: dict[str, Any] | None, status: str | None, report: Callable
) -> None:
    """状态, 完成情况 and 销号日期 move only through the lifecycle: an
    unchanged export passes, anything else is refused cell by cell."""
    completion = "" if "完成情况" in row.bad else _text(row["完成情况"])
    closed_on = row["销号日期"]
    if current is None:
        if status not in (None, "", Status.OPEN):
            report("状态", "新增问题的状态为“待整改”，请留空或填写“待整改”")
        if completion:
            report("完成情况", "新增问题不能填写完成情况；完成情况在提交销号时填写")
        if closed_on is not None and "销号日期" not in row.bad:
            report("销号日期", "新增问题不能填写销号日期；销号日期在审核销号时生成")
        return
    if status is not None and status != current["status"]:
        label = Status(current["status"]).label
        report("状态", f"状态不能通过导入修改（台账中为“{label}”）；{_LIFECYCLE_HINT}")
    if "完成情况" not in row.bad and not _same_text(completion, current["completion_note"]):
        report("完成情况", f"完成情况不能通过导入修改；{_LIFECYCLE_HINT}")
    if "销号日期" not in row.bad and closed_on != current["closed_on"]:
        report("销号日期", f"销号日期不能通过导入修改；{_LIFECYCLE_HINT}")


def _changed(name: str, value: Any, current: dict[str, Any]) -> bool:
    if name in ("category", "org", "leader", "owner"):
        return (value.pk if value is not None else None) != current[f"{name}_id"]
    if name in ("description", "measures", "goal"):
        return not _same_text(value, current[name])
    return value != current[name]


def _state_error(
    current: dict[str, Any], fields: dict[str, Any], progress: str
) -> tuple[str, str] | None:
    """The lifecycle's guards on a changed row (``workflow.GUARDS``, which the
    services apply again when the rows are written), checked before any write."""
    status = current["status"]
    label = Status(status).label
    problem = Problem(status=status)
    if fields and not workflow.allows("edit", problem):
        column = FIELD_COLUMNS[next(iter(fields))]
        return column, f"问题{label}，不能再修改；如需调整请先在台账中退回或重新整改"
    if progress and not workflow.allows("progress", problem):
        return "整改进展", f"问题{label}，不能再记录进展"
    if "deadline" in fields and current["deadline"] is not None:
        return "整改时限", "修改整改时限请在台账中使用“申请延期”，并说明理由"
    return None


def _as_problem(current: dict[str, Any]) -> Problem:
    """An unsaved stand-in with the values the field rules compare against."""
    return Problem(kind=current["kind"], deadline=current["deadline"], found_on=current["found_on"])


def _apply(actor: Any, zone: Zone, plans: list[_Plan], today: dt.date, errors: ErrorList) -> None:
    """Write the plans through the services; collect every refusal. Each
    service runs in a savepoint, so a refused row leaves the others usable
    and the caller rolls the whole import back."""
    for start in range(0, len(plans), 500):
        batch = plans[start : start + 500]
        problems = Problem.objects.in_bulk([p.problem_id for p in batch if p.problem_id])
        for plan in batch:
            column = plan.columns[0] if plan.columns else ""
            try:
                if plan.problem_id is None:
                    problem = services.problem_create(actor=actor, zone=zone, **plan.fields)
                else:
                    problem = problems[plan.problem_id]
                    if plan.fields:
                        problem = services.problem_update(
                            actor=actor, problem=problem, **plan.fields
                        )
                if plan.progress:
                    column = "整改进展"
                    services.problem_add_progress(actor=actor, problem=problem, text=plan.progress)
            except AppError as exc:
                for name, message in (exc.fields or {"": exc.message}).items():
                    errors.add(SHEET, plan.row, FIELD_COLUMNS.get(name, column), message)
