"""Study workbooks: the session list export and the sign-in sheet (签到表).

Export: XlsxWriter in constant-memory mode, a title row, a frozen header row,
real date cells, and user text that can never become a formula.

Sign-in sheet: the template lists the session's roster (姓名 | 所属组织 |
签到(是/否) | 缺席原因); an upload is checked first (a dry run that names
each mistake by row and column) and parked, then applied all or nothing
through ``services.session_set_attendance``. People the sheet does not list
keep whatever attendance they already had.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import IO, Any

from django.db import transaction
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill

from shiji.core import staging
from shiji.core.errors import Invalid, NotFound
from shiji.core.uploads import MB, check_upload
from shiji.core.xlsx import (
    ErrorList,
    ExportFormats,
    ReadLimits,
    add_choice_validation,
    find_header,
    iter_rows,
    open_workbook,
    safe_cell,
    streaming_workbook,
    workbook_bytes,
)
from shiji.orgs import policy
from shiji.orgs.models import Person
from shiji.study import selectors, services
from shiji.study.models import Attendance, StudySession

# Export ------------------------------------------------------------------------

EXPORT_SHEET = "学习研讨"
EXPORT_HEADERS = [
    "序号",
    "日期",
    "学习形式",
    "主题",
    "组织单位",
    "时长（小时）",
    "地点",
    "应到",
    "实到",
    "缺席",
    "缺席人员及原因",
    "纪要",
]
EXPORT_WIDTHS = [6, 12, 14, 36, 28, 10, 20, 7, 7, 7, 36, 50]
WRAPPED = {"主题", "缺席人员及原因", "纪要"}
EXCEL_MAX_ROWS = 1_048_576


def export_workbook(*, sessions: Any, title: str, out: IO[bytes] | Any) -> int:
    """Write ``sessions`` (a queryset from the scoped selectors) to ``out``;
    returns the number of rows."""
    book = streaming_workbook(out)
    book.set_properties({"title": title, "author": "实绩"})
    sheet = book.add_worksheet(EXPORT_SHEET)
    f_title = book.add_format(
        {"bold": True, "font_size": 16, "align": "center", "valign": "vcenter"}
    )
    formats = ExportFormats(book, header_valign="vcenter")
    f_hours = book.add_format(
        {"border": 1, "valign": "top", "font_size": 10, "align": "center", "num_format": "0.0"}
    )
    last = len(EXPORT_HEADERS) - 1
    for index, width in enumerate(EXPORT_WIDTHS):
        sheet.set_column(index, index, width)
    sheet.set_row(0, 30)
    sheet.merge_range(0, 0, 0, last, title, f_title)
    for index, header in enumerate(EXPORT_HEADERS):
        sheet.write_string(1, index, header, formats.header)
    sheet.freeze_panes(2, 0)
    sheet.repeat_rows(0, 1)
    sheet.set_landscape()
    sheet.set_paper(9)
    sheet.fit_to_pages(1, 0)

    def text(r: int, c: int, value: str) -> None:
        value = (value or "").replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
        wrap = EXPORT_HEADERS[c] in WRAPPED
        if not value:
            sheet.write_blank(r, c, None, formats.text[(wrap, False)])
        else:
            sheet.write_string(r, c, value, formats.text_for(value, wrap=wrap))

    absentees = _absentees(sessions)
    rows = 0
    for rows, s in enumerate(selectors.with_counts(sessions).iterator(chunk_size=1000), start=1):
        r = rows + 1
        if r >= EXCEL_MAX_ROWS:
            raise Invalid("记录超过 Excel 的行数上限，请缩小筛选范围后分批导出")
        sheet.write_number(r, 0, rows, formats.number)
        sheet.write_datetime(r, 1, dt.datetime.combine(s.date, dt.time()), formats.date)
        text(r, 2, s.kind.name)
        text(r, 3, s.topic)
        text(r, 4, s.org.name)
        sheet.write_number(r, 5, float(s.duration_hours), f_hours)
        text(r, 6, s.place)
        sheet.write_number(r, 7, s.expected_count, formats.number)
        sheet.write_number(r, 8, s.present_count, formats.number)
        sheet.write_number(r, 9, s.absent_count, formats.number)
        text(r, 10, "；".join(absentees.get(s.pk, [])))
        text(r, 11, s.minutes)
    sheet.autofilter(1, 0, max(rows + 1, 1), last)
    book.close()
    return rows


def _absentees(sessions: Any) -> dict[int, list[str]]:
    """Absent people with their reasons, per session: one query."""
    out: dict[int, list[str]] = {}
    rows = (
        Attendance.objects.filter(session__in=sessions.order_by().values("pk"), present=False)
        .order_by("session_id", "person__org__path", "person__name")
        .values_list("session_id", "person__name", "reason")
    )
    for session_id, name, reason in rows.iterator(chunk_size=2000):
        out.setdefault(session_id, []).append(f"{name}（{reason}）")
    return out


# Sign-in sheet -----------------------------------------------------------------

SIGNIN_SHEET = "签到表"
H_NAME, H_ORG, H_PRESENT, H_REASON = "姓名", "所属组织", "签到(是/否)", "缺席原因"
SIGNIN_HEADERS = [H_NAME, H_ORG, H_PRESENT, H_REASON]
SIGNIN_MAX_BYTES = 2 * MB
# What reading one uploaded sign-in sheet may cost (a liaison may upload
# one): a roster of a few thousand people, four columns and room for notes.
SIGNIN_LIMITS = ReadLimits(
    max_rows=5000,
    max_columns=20,
    max_sheet_bytes=20 * MB,
    max_unzipped_bytes=40 * MB,
    max_seconds=20,
)
STAGED_PURPOSE = "attendance"  # StagedUpload.purpose of parked sign-in sheets
YES = {"是", "到", "出席", "已签到", "签到", "√", "✓", "y", "yes", "1", "true"}
NO = {"否", "缺", "缺席", "未到", "未签到", "×", "✗", "x", "n", "no", "0", "false"}


def signin_template_bytes(*, session: StudySession) -> bytes:
    """The sign-in sheet for ``session``, listing exactly its expected
    attendees with what is recorded so far (blank: not recorded yet)."""
    wb = Workbook()
    ws = wb.active
    ws.title = SIGNIN_SHEET
    header_font = Font(bold=True)
    fill = PatternFill("solid", fgColor="D9E1F2")
    for index, header in enumerate(SIGNIN_HEADERS, start=1):
        cell = ws.cell(row=1, column=index, value=header)
        cell.font, cell.fill = header_font, fill
        cell.alignment = Alignment(horizontal="center")
    row = 1
    for row, mark in enumerate(selectors.attendance_of(session), start=2):
        safe_cell(ws.cell(row=row, column=1), mark.person.name)
        safe_cell(ws.cell(row=row, column=2), mark.person.org.name)
        if mark.present is not None:
            ws.cell(row=row, column=3, value="是" if mark.present else "否")
            safe_cell(ws.cell(row=row, column=4), mark.reason)
    add_choice_validation(
        ws,
        column="C",
        first_row=2,
        last_row=max(row, 2) + 200,
        choices=["是", "否"],
        title="签到",
    )
    for letter, width in zip("ABCD", (14, 30, 12, 30), strict=True):
        ws.column_dimensions[letter].width = width
    ws.freeze_panes = "A2"
    return workbook_bytes(wb)


def signin_template_name(session: StudySession) -> str:
    return f"{session.date:%Y%m%d}{session.org.name}签到表.xlsx"


@dataclass
class SignInRow:
    row: int
    person_id: int
    name: str
    org_name: str
    present: bool
    reason: str


@dataclass
class SignInPlan:
    rows: list[SignInRow] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    staged_id: int | None = None

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def present(self) -> int:
        return sum(1 for r in self.rows if r.present)

    @property
    def absent(self) -> int:
        return sum(1 for r in self.rows if not r.present)


def signin_dry_run(*, actor: Any, session: StudySession, file: Any) -> SignInPlan:
    """Check an uploaded sign-in sheet against the session's roster. A clean
    sheet is parked for ``signin_apply`` (``plan.staged_id``); nothing else is
    written. A file that is no .xlsx, or too large, raises ``Invalid``."""
    policy.require(actor, "study.manage", session, message=services.REFUSED)
    info = check_upload(file, allowed={"xlsx"}, max_bytes=SIGNIN_MAX_BYTES)
    plan = _plan(session, file)
    if plan.ok:
        staging.staged_purge()
        staged = staging.staged_create(
            actor=actor, zone=session.zone, purpose=STAGED_PURPOSE, file=file, info=info
        )
        plan.staged_id = staged.pk
    return plan


class SignInErrors(Invalid):
    """The parked sheet no longer fits the roster (it changed since the dry run)."""

    def __init__(self, errors: list[dict[str, Any]]):
        super().__init__("签到表与当前花名册不符，请重新上传")
        self.errors = errors


def signin_apply(*, actor: Any, session: StudySession, staged_id: Any) -> SignInPlan:
    """Apply a parked sheet to the session's attendance, all or nothing."""
    policy.require(actor, "study.manage", session, message=services.REFUSED)
    staged = staging.staged_get_for_user(user=actor, pk=staged_id, purpose=STAGED_PURPOSE)
    if staged.zone_id != session.zone_id:
        raise NotFound("上传的文件已导入或已过期，请重新上传")
    plan = _plan(session, staging.staged_file(staged))
    if not plan.ok:
        raise SignInErrors(plan.errors)
    _apply(actor, session, plan, staged)
    return plan


def _apply(actor: Any, session: StudySession, plan: SignInPlan, staged: Any) -> None:
    with transaction.atomic():
        current = {
            a.person_id: {"person": a.person_id, "present": a.present, "reason": a.reason}
            for a in session.attendance.all()
        }
        for r in plan.rows:
            current[r.person_id] = {"person": r.person_id, "present": r.present, "reason": r.reason}
        services.session_set_attendance(
            actor=actor,
            session=session,
            entries=list(current.values()),
            note=f"导入签到表 {staged.original_name}（SHA-256 {staged.sha256}）",
        )
        staged.delete()


def _plan(session: StudySession, file: Any) -> SignInPlan:
    errors = ErrorList()
    plan = SignInPlan()
    wb = open_workbook(file, limits=SIGNIN_LIMITS)
    try:
        ws = wb[SIGNIN_SHEET] if SIGNIN_SHEET in wb.sheetnames else wb.worksheets[0]
        header = find_header(
            ws, SIGNIN_HEADERS, errors=errors, required=[H_NAME, H_PRESENT, H_REASON]
        )
        if header is not None:
            _plan_rows(session, ws, header, errors, plan)
    finally:
        wb.close()
    plan.errors = errors.as_list()
    if plan.errors:
        plan.rows = []
    return plan


def _plan_rows(
    session: StudySession, ws: Any, header: Any, errors: ErrorList, plan: SignInPlan
) -> None:
    roster = list(selectors.roster_of(session.org))
    by_name: dict[str, list[Any]] = {}
    for person in roster:
        by_name.setdefault(person.name, []).append(person)
    zone_names = _zone_people(session)
    seen: dict[int, int] = {}
    for row in iter_rows(ws, header, errors=errors):
        n = row.number

        def report(column: str, message: str, n: int = n) -> None:
            errors.add(ws.title, n, column, message)

        name, org_name = row.text(H_NAME), row.text(H_ORG)
        if not name:
            if H_NAME not in row.bad:
                report(H_NAME, "请填写姓名")
            continue
        candidates = by_name.get(name, [])
        if org_name:
            candidates = [p for p in candidates if p.org.name == org_name]
        if not candidates:
            elsewhere = zone_names.get(name, [])
            if org_name:
                elsewhere = [o for o in elsewhere if o == org_name] or elsewhere
            if elsewhere:
                report(
                    H_NAME,
                    f"{name}（{'、'.join(sorted(set(elsewhere)))}）不属于{session.org.name}及其下级组织，"
                    "不能记入本次学习的出勤",
                )
            elif by_name.get(name):
                report(H_ORG, f"{name}不在“{org_name}”，请核对所属组织")
            else:
                report(H_NAME, f"花名册中没有“{name}”，请核对姓名或先在花名册中添加")
            continue
        if len(candidates) > 1:
            report(H_ORG, f"{session.org.name}下有 {len(candidates)} 人名叫{name}，请填写所属组织")
            continue
        person = candidates[0]
        if person.pk in seen:
            report(H_NAME, f"{name}与第 {seen[person.pk]} 行重复，每人只能填写一行")
            continue
        seen[person.pk] = n
        mark = row.text(H_PRESENT).lower()
        if H_PRESENT in row.bad:
            continue
        if mark in YES:
            present = True
        elif mark in NO:
            present = False
        else:
            report(
                H_PRESENT, "请填写“是”或“否”" if not mark else f"“{mark}”无法识别，请填写“是”或“否”"
            )
            continue
        reason = row.text(H_REASON)
        if not present and not reason and H_REASON not in row.bad:
            report(H_REASON, f"{name}缺席，请填写缺席原因")
            continue
        if len(reason) > services.REASON_LIMIT:
            report(H_REASON, f"缺席原因不能超过 {services.REASON_LIMIT} 个字")
            continue
        plan.rows.append(
            SignInRow(
                row=n,
                person_id=person.pk,
                name=name,
                org_name=person.org.name,
                present=present,
                reason="" if present else reason,
            )
        )
    if not plan.rows and not errors:
        errors.add(ws.title, None, "", "签到表中没有人员，请按模板填写后再上传")


def _zone_people(session: StudySession) -> Mapping[str, list[str]]:
    """Everyone's name in the zone with their org names, to tell "not in
    this branch" from "not on the roster at all"."""
    out: dict[str, list[str]] = {}
    rows = Person.objects.filter(zone_id=session.zone_id, is_active=True).values_list(
        "name", "org__name"
    )
    for name, org_name in rows:
        out.setdefault(name, []).append(org_name)
    return out
