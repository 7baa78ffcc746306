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

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy
from django.utils.translation import gettext_lazy as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from shiji.assessment.models import (
    Dimension,
    Indicator,
    IndicatorKind,
    Measurement,
    PeriodKind,
    PeriodLock,
    Target,
)
from shiji.assessment.periods import Period, parse_period
from shiji.assessment.plausibility import FLAG_KINDS, number
from shiji.assessment.selectors import TargetRow, indicators_active, measurement_table
from shiji.assessment.services.measurements import clean_value, measurement_enter
from shiji.assessment.services.periods import period_lock_get
from shiji.core.errors import Invalid
from shiji.core.i18n import in_chinese, msg
from shiji.core.uploads import MB, check_upload
from shiji.core.validation import clean_text
from shiji.core.xlsx import (
    Column,
    ErrorList,
    ReadLimits,
    Row,
    add_choice_validation,
    dated_page_header,
    find_header,
    iter_rows,
    open_workbook,
    safe_cell,
    workbook_bytes,
    write_list_workbook,
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
    lock = period_lock_get(zone=zone, period=period)
    seen: dict[str, int] = {}
    for row in rows:
        if lock is not None:
            # Every row, so the reader sees why none of them went in.
            errors.add(SHEET, row.number, PERIOD, msg(
                "本期已锁定（%(period)s），不能再导入数据；如需修改请由工作专班在页面上提交更正",
                period=str(period)))  # fmt: skip
            continue
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


# Exports ------------------------------------------------------------------------------
# The three tables of the pages as workbooks, streamed and laid out for A4 by
# ``write_list_workbook``. Export only (nothing reads them back), so their
# words follow the page language, like the pages.

INDICATOR_COLUMNS = [
    Column(_("序号"), 5),
    Column(_("维度"), 14),
    Column(_("指标代码"), 16),
    Column(_("指标名称"), 18),
    Column(_("类型"), 6),
    Column(_("单位"), 8),
    Column(_("方向"), 8),
    Column(_("权重"), 6),
    Column(_("权重说明"), 8),
    Column(_("统计周期"), 6),
    Column(_("取值范围"), 10),
    Column(_("数据来源"), 10),
    Column(_("指标说明"), 26),
]
FIGURE_COLUMNS = [
    Column(_("序号"), 5),
    Column(_("维度"), 10),
    Column(_("指标"), 14),
    Column(_("类型"), 5),
    Column(_("单位"), 6),
    Column(_("数值"), 9),
    Column(_("状态"), 6),
    Column(_("疑点与核实说明"), 24),
    Column(_("统计部门"), 10),
    Column(_("报表名"), 11),
    Column(_("填报人"), 6),
    Column(_("确认人"), 6),
    Column(_("确认日期"), 11.5, date=True),
    Column(_("更正理由与历史"), 15),
]


def _number(value: Any) -> float | None:
    return None if value is None else float(value)


def _range(indicator: Indicator) -> str:
    low, high = indicator.min_value, indicator.max_value
    if low is None and high is None:
        return ""
    return f"{number(low) if low is not None else ''} – {number(high) if high is not None else ''}"


def export_indicators(*, out: IO[bytes] | Any) -> int:
    """The indicator library as the page lists it (by dimension, then order)."""
    dimensions = dict(Dimension.choices)
    kinds, periods = dict(IndicatorKind.choices), dict(PeriodKind.choices)

    def rows() -> Iterator[list[Any]]:
        for n, i in enumerate(indicators_active(), start=1):
            yield [
                n,
                str(dimensions.get(i.dimension, i.dimension)),
                i.code,
                i.name,
                str(kinds.get(i.kind, i.kind)),
                i.unit,
                gettext("越高越好") if i.higher_is_better else gettext("越低越好"),
                _number(i.weight),
                gettext("待确认") if i.weight_is_placeholder else "",
                str(periods.get(i.period_kind, i.period_kind)),
                _range(i),
                gettext("实绩平台记录") if i.computed_from else gettext("统计部门"),
                i.description,
            ]

    return write_list_workbook(
        out,
        sheet=_("考核指标库"),
        columns=INDICATOR_COLUMNS,
        rows=rows(),
        title=gettext("国家高新区考核指标库"),
        page_header=dated_page_header(""),
    )


def figures_title(zone: Zone, period: Period) -> str:
    return gettext("%(zone)s %(period)s考核指标数据") % {"zone": zone.name, "period": period.label}


def _who(user: Any) -> str:
    return (user.name or user.username) if user is not None else ""


def _flags_text(m: Measurement) -> str:
    lines = []
    for f in m.flags:
        line = gettext("%(label)s：%(reason)s") % {
            "label": FLAG_KINDS.get(f["kind"], f["kind"]),
            "reason": f["reason"],
        }
        if f.get("note"):
            line += gettext("（核实说明：%(note)s）") % {"note": f["note"]}
        lines.append(line)
    return "\n".join(lines)


def _history_text(m: Measurement | None, history: list[Measurement]) -> str:
    lines = []
    if m is not None and m.correction_reason:
        lines.append(gettext("更正理由：%(reason)s") % {"reason": m.correction_reason})
    for old in history:
        lines.append(
            gettext("原值 %(value)s（%(status)s，已被更正）")
            % {"value": number(old.value), "status": old.get_status_display()}
        )
    return "\n".join(lines)


def export_figures(
    *, zone: Zone, period: Period, lock: PeriodLock | None, out: IO[bytes] | Any
) -> int:
    """A zone's figures for ``period`` as the figures page shows them: every
    active indicator of the period's kind, its current figure (blank when
    none), the flags with their notes, and what it replaced. The caller has
    fetched ``zone`` through a scoped selector."""
    dimensions, kinds = dict(Dimension.choices), dict(IndicatorKind.choices)

    def rows() -> Iterator[list[Any]]:
        table = measurement_table(zone=zone, period=period)
        for n, row in enumerate(table, start=1):
            i, m = row.indicator, row.current
            yield [
                n,
                str(dimensions.get(i.dimension, i.dimension)),
                i.name,
                str(kinds.get(i.kind, i.kind)),
                i.unit,
                _number(m.value) if m else None,
                m.get_status_display() if m else gettext("未填报"),
                _flags_text(m) if m else "",
                m.source if m else "",
                m.report if m else "",
                _who(m.entered_by) if m else "",
                _who(m.confirmed_by) if m else "",
                timezone.localtime(m.confirmed_at).date() if m and m.confirmed_at else None,
                _history_text(m, row.history),
            ]

    if lock is not None:
        when = timezone.localtime(lock.locked_at).strftime("%Y-%m-%d %H:%M")
        state = gettext("本期已锁定：%(who)s 于 %(when)s 锁定") % {
            "who": _who(lock.locked_by) or gettext("系统"),
            "when": when,
        }
    else:
        state = gettext("本期未锁定：数据可能仍会填报或确认")
    return write_list_workbook(
        out,
        sheet=_("指标数据"),
        columns=FIGURE_COLUMNS,
        rows=rows(),
        title=figures_title(zone, period),
        info=[(state, "")],
        page_header=dated_page_header(zone.name),
    )


def export_targets(
    *, zone: Zone, periods: list[str], rows: list[TargetRow], out: IO[bytes] | Any
) -> int:
    """A zone's targets table (the 十五五 trajectory) as the targets page
    shows it: a cell per period, "不低于 620", marked when a sample."""
    columns = [
        Column(_("序号"), 5),
        Column(_("指标"), 18),
        Column(_("单位"), 8),
        *(Column(p, 11) for p in periods),
        Column(_("来源"), 18),
    ]

    def cell(t: Target | None) -> str:
        if t is None:
            return ""
        text = f"{t.get_comparator_display()} {number(t.value)}"
        return text + (gettext("（示例）") if t.is_sample else "")

    def lines() -> Iterator[list[Any]]:
        for n, row in enumerate(rows, start=1):
            sources = list(dict.fromkeys(t.source for t in row.cells if t and t.source))
            yield [
                n,
                row.indicator.name,
                row.indicator.unit,
                *(cell(t) for t in row.cells),
                gettext("；").join(sources),
            ]

    return write_list_workbook(
        out,
        sheet=_("目标值"),
        columns=columns,
        rows=lines(),
        title=gettext("%(zone)s“十五五”目标与年度轨迹") % {"zone": zone.name},
        page_header=dated_page_header(zone.name),
    )
