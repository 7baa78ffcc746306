"""A period's figures as a workbook: the template to fill in (the period's
indicators listed, a drop-down of indicator codes) and its import — a dry
run that lists every problem by row and column and the plausibility flags
each figure would carry, and an all-or-nothing import through
``measurement_enter``, so every figure gets its own audit event and awaits
another person's confirmation like one entered on the page.

The workbook is Chinese whatever the page language (filled in offline and
read back). Rows whose 数值 is empty are skipped: a zone fills in what it has.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import IO, Any

from django.db import transaction
from django.utils.translation import gettext_lazy
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from shiji.assessment.models import Indicator, Measurement
from shiji.assessment.periods import Period, parse_period
from shiji.assessment.selectors import indicators_active
from shiji.assessment.services.measurements import clean_value, measurement_enter
from shiji.core.errors import Invalid
from shiji.core.i18n import in_chinese, msg
from shiji.core.uploads import MB, check_upload
from shiji.core.validation import clean_text
from shiji.core.xlsx import (
    ErrorList,
    ReadLimits,
    Row,
    add_choice_validation,
    find_header,
    iter_rows,
    open_workbook,
    safe_cell,
    workbook_bytes,
)
from shiji.orgs import policy
from shiji.orgs.models import Zone

SHEET = "指标数据"  # zh-only: the workbook is filled in and imported back
CODE, NAME, UNIT, PERIOD, VALUE, SOURCE, REPORT = (
    "指标代码", "指标名称", "单位", "期间", "数值", "统计部门", "报表名",  # zh-only: headers
)  # fmt: skip
HEADERS = [CODE, NAME, UNIT, PERIOD, VALUE, SOURCE, REPORT]
REQUIRED = [CODE, PERIOD, VALUE, SOURCE]
MAX_BYTES = 2 * MB
MAX_ROWS = 500
READ_LIMITS = ReadLimits(
    max_rows=MAX_ROWS,
    max_columns=20,
    max_sheet_bytes=10 * MB,
    max_unzipped_bytes=10 * MB,
    max_seconds=30,
)
_HEADER_FILL = PatternFill("solid", fgColor="B71C1C")
_NOTE_FILL = PatternFill("solid", fgColor="FFF8E1")


class ImportErrors(Invalid):
    """The file has problems; ``errors`` lists them by row and column."""

    def __init__(self, errors: list[dict[str, Any]]):
        super().__init__(msg("指标数据表有 %(count)s 处问题，未导入任何数据", count=len(errors)))
        self.errors = errors


@dataclass
class FigurePlan:
    row: int
    indicator: Indicator
    value: Any
    source: str
    report: str
    flags: list[dict[str, str]] = field(default_factory=list)


@dataclass
class ImportPlan:
    period: Period
    figures: list[FigurePlan] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    file_name: str = ""
    sha256: str = ""

    @property
    def ok(self) -> bool:
        return not self.errors


@in_chinese
def template_bytes(*, zone: Zone, period: Period) -> bytes:
    """The workbook to fill in: one row per active indicator of the period's kind."""
    indicators = list(indicators_active().filter(period_kind=period.kind))
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET
    last = get_column_letter(len(HEADERS))
    ws.merge_cells(f"A1:{last}1")
    ws["A1"] = (
        f"{zone.name} {period.label}考核指标数据。第 2 行是表头，请勿修改；请在“数值”列按“单位”"
        # zh-only: the workbook's own instructions (a Chinese workbook, imported back)
        "填写，并填写统计部门和报表名；数值留空的行不导入。导入后每项数据须由填报人以外的人确认。"
    )
    ws["A1"].alignment = Alignment(wrap_text=True, vertical="center")
    ws["A1"].fill = _NOTE_FILL
    ws.row_dimensions[1].height = 60
    for index, (title, width) in enumerate(
        zip(HEADERS, [24, 30, 14, 10, 14, 20, 30], strict=True), start=1
    ):
        cell = ws.cell(row=2, column=index, value=title)
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = _HEADER_FILL
        ws.column_dimensions[get_column_letter(index)].width = width
    for offset, indicator in enumerate(indicators):
        row = 3 + offset
        for index, value in enumerate(
            (indicator.code, indicator.name, indicator.unit, str(period)), start=1
        ):
            safe_cell(ws.cell(row=row, column=index), value)
    if indicators:
        add_choice_validation(
            ws,
            column="A",
            first_row=3,
            last_row=3 + MAX_ROWS,
            choices=[i.code for i in indicators],
            title=CODE,
        )
    ws.freeze_panes = "A3"
    return workbook_bytes(wb)


def _cleaned(errors: ErrorList, row: Row, column: str, clean: Any, *args: Any, **kw: Any) -> Any:
    if column in row.bad:
        return None  # already reported by iter_rows
    try:
        return clean(*args, **kw)
    except Invalid as exc:
        errors.add(SHEET, row.number, column, exc.message)
        return None


@in_chinese
def measurements_parse(file: IO[bytes] | Any, *, zone: Zone, period: Period) -> ImportPlan:
    """Check a file against ``zone`` and ``period``; writes nothing."""
    info = check_upload(file, allowed={"xlsx"}, max_bytes=MAX_BYTES)
    plan = ImportPlan(period=period, sha256=info.sha256,
                      file_name=str(getattr(file, "name", "") or "")[-255:])  # fmt: skip
    errors = ErrorList()
    wb = open_workbook(file, limits=READ_LIMITS)
    rows: list[Row] = []
    try:
        name = next((s for s in wb.sheetnames if s.strip() == SHEET), None)
        if name is None:
            errors.add(SHEET, None, "", msg("缺少工作表“%(sheet)s”，请使用下载的模板填写",
                                            sheet=SHEET))  # fmt: skip
        else:
            ws = wb[name]
            header = find_header(ws, HEADERS, errors=errors, required=REQUIRED)
            if header is not None:
                rows = [r for r in iter_rows(ws, header, errors=errors) if r[VALUE] is not None]
    finally:
        wb.close()
    known = {i.code: i for i in indicators_active()}
    taken = set(
        Measurement.objects.filter(zone=zone, period=str(period), is_current=True).values_list(
            "indicator__code", flat=True
        )
    )
    seen: dict[str, int] = {}
    for row in rows:
        code = row.text(CODE)
        indicator = known.get(code)
        if indicator is None:
            errors.add(SHEET, row.number, CODE, msg("未知的指标代码“%(code)s”", code=code[:40]))
            continue
        if code in seen:
            errors.add(SHEET, row.number, CODE,
                       msg("与第 %(row)s 行的指标重复", row=seen[code]))  # fmt: skip
            continue
        seen[code] = row.number
        written = row.text(PERIOD)
        when = _cleaned(errors, row, PERIOD, parse_period, written or str(period),
                        kind=indicator.period_kind)  # fmt: skip
        if when is not None and when != period:
            wrong = msg("期间应为 %(period)s（本次导入的期间）", period=str(period))
            errors.add(SHEET, row.number, PERIOD, wrong)
            continue
        if code in taken:
            errors.add(SHEET, row.number, CODE, msg(
                "%(name)s %(period)s 已有数据，请在页面上更正", name=indicator.name,
                period=str(period)))  # fmt: skip
            continue
        value = _cleaned(errors, row, VALUE, clean_value, row[VALUE], indicator=indicator)
        source = _cleaned(errors, row, SOURCE, clean_text, row.text(SOURCE), field="source",
                          label=SOURCE, max_length=100)  # fmt: skip
        report = _cleaned(errors, row, REPORT, clean_text, row.text(REPORT), field="report",
                          label=REPORT, max_length=200, required=False)  # fmt: skip
        if when is None or value is None or source is None or report is None:
            continue
        plan.figures.append(FigurePlan(row=row.number, indicator=indicator, value=value,
                                       source=source, report=report))  # fmt: skip
    if not rows and not errors:
        errors.add(SHEET, None, "", msg("表中没有填写数值的行"))
    plan.errors = errors.as_list(sheet_order=(SHEET,))
    return plan


def _require(actor: policy.Actor, zone: Zone) -> None:
    policy.require(
        actor, "measurement.enter", zone, view="assessment.view",
        missing=gettext_lazy("高新区不存在"), message=gettext_lazy("您没有权限填报本区指标数据"),
    )  # fmt: skip


@transaction.atomic
def measurements_import(
    *, actor: policy.Actor, zone: Zone, period: Any, file: IO[bytes] | Any, dry_run: bool
) -> ImportPlan:
    """Check (``dry_run``) or import a period's figures, all or nothing.

    Not clean: ``ImportErrors`` with every problem (the dry run returns the
    plan with its errors instead). The dry run writes nothing; the flags it
    shows are those each figure gets on import, in the file's order.
    """
    _require(actor, zone)
    when = parse_period(period)
    # One import at a time per zone, so the checks hold until the writes.
    zone = Zone.objects.select_for_update().get(pk=zone.pk)
    plan = measurements_parse(file, zone=zone, period=when)
    if not plan.ok:
        if dry_run:
            return plan
        raise ImportErrors(plan.errors)
    # The dry run enters the figures in a savepoint and rolls it back: the
    # flags it shows are exactly those the import gives, the file's own
    # figures counted (a part and its whole in the same file).
    sid = transaction.savepoint()
    for figure in plan.figures:
        made = measurement_enter(
            actor=actor,
            zone=zone,
            indicator=figure.indicator,
            period=str(when),
            value=figure.value,
            source=figure.source,
            report=figure.report,
        )
        figure.flags = made.flags
    if dry_run:
        transaction.savepoint_rollback(sid)
    else:
        transaction.savepoint_commit(sid)
    return plan
