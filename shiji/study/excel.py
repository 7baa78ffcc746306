"""Study workbooks: the session list export and the sign-in sheet (签到表).

Both are written with ``core.xlsx.SheetWriter``: XlsxWriter in
constant-memory mode, laid out for A4 paper, real date cells, and user text
that can never become a formula.

Export: a title row, a frozen header row, one row per session; only read by
people, so its words follow the page language.

Sign-in sheet: a paper form that is also the import template, so it stays
Chinese whatever the page language. It lists the
session's expected attendees (序号 | 姓名 | 所属组织 | 签名 | 签到(是/否) |
缺席原因) under the title, date, place and topic; the import reads 姓名,
所属组织, 签到 and 缺席原因. An upload is checked first (a dry run that names
each mistake by row and column) and parked, then applied all or nothing
through ``services.session_set_attendance``. People the sheet does not list
keep whatever attendance they already had.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import IO, Any

from django.db import transaction
from django.utils.translation import gettext, gettext_lazy
from django.utils.translation import gettext_lazy as _

from shiji.core import staging
from shiji.core.downloads import export_filename
from shiji.core.errors import Invalid, NotFound
from shiji.core.i18n import Message, in_chinese, msg, recorded
from shiji.core.uploads import MB, check_upload
from shiji.core.xlsx import (
    Column,
    ErrorList,
    ExportFormats,
    ReadLimits,
    SheetWriter,
    add_choice_list,
    chinese_date,
    dated_page_header,
    find_header,
    iter_rows,
    open_workbook,
    streaming_workbook,
)
from shiji.orgs import policy
from shiji.orgs.models import Person
from shiji.study import selectors, services
from shiji.study.models import Attendance, StudySession
from shiji.study.signin_layout import (
    CHOICE_TITLE,
    EXPECTED,
    FILE_NAME,
    H_NAME,
    H_NUMBER,
    H_ORG,
    H_PRESENT,
    H_REASON,
    H_SIGNATURE,
    LIST_SEPARATOR,
    NO,
    NO_TEXT,
    SIGNIN_SHEET,
    TITLE,
    TOPIC,
    WHEN,
    WHERE,
    YES,
    YES_TEXT,
)

# Export ------------------------------------------------------------------------

EXPORT_SHEET = _("学习研讨")
EXPORT_COLUMNS = [
    Column(_("序号"), 5),
    Column(_("日期"), 11.5, date=True),
    Column(_("学习形式"), 8),
    Column(_("主题"), 22),
    Column(_("组织单位"), 12),
    Column(_("时长（小时）"), 6, num_format="0.0"),
    Column(_("地点"), 10),
    Column(_("应到"), 5),
    Column(_("实到"), 5),
    Column(_("缺席"), 5),
    Column(_("缺席人员及原因"), 18),
    Column(_("纪要"), 26),
]
ZONE_COLUMN = Column(_("高新区"), 8)
EXCEL_MAX_ROWS = 1_048_576


def export_workbook(
    *, sessions: Any, title: str, out: IO[bytes] | Any, zone_name: str | None = None
) -> int:
    """Write ``sessions`` (a queryset from the scoped selectors) to ``out``,
    laid out for A4 paper (``SheetWriter``). ``zone_name`` is the one zone
    they belong to, or None (a 高新区 column then tells them apart).
    Returns the number of rows."""
    several = zone_name is None
    columns = [EXPORT_COLUMNS[0], ZONE_COLUMN, *EXPORT_COLUMNS[1:]] if several else EXPORT_COLUMNS
    book = streaming_workbook(out)
    book.set_properties({"title": title, "author": gettext("实绩")})
    sheet = SheetWriter(
        book,
        ExportFormats(book),
        name=EXPORT_SHEET,
        columns=columns,
        title=title,
        page_header=dated_page_header(zone_name or ""),
    )
    absentees = _absentees(sessions)
    for number, s in enumerate(selectors.with_counts(sessions).iterator(chunk_size=1000), start=1):
        if sheet.next_row >= EXCEL_MAX_ROWS:
            raise Invalid(gettext("记录超过 Excel 的行数上限，请缩小筛选范围后分批导出"))
        row = [
            number,
            s.date,
            s.kind.name,
            s.topic,
            s.org.name,
            float(s.duration_hours),
            s.place,
            s.expected_count,
            s.present_count,
            s.absent_count,
            gettext("；").join(absentees.get(s.pk, [])),
            s.minutes,
        ]
        sheet.write([number, s.zone.name, *row[1:]] if several else row)
    sheet.close()
    book.close()
    return sheet.count


def _absentees(sessions: Any) -> dict[int, list[str]]:
    """Absent people with their reasons, per session: one query."""
    out: dict[int, list[str]] = {}
    rows = (
        Attendance.objects.filter(session__in=sessions.order_by().values("pk"), present=False)
        .order_by("session_id", "person__org__path", "person__name")
        .values_list("session_id", "person__name", "reason")
    )
    for session_id, name, reason in rows.iterator(chunk_size=2000):
        out.setdefault(session_id, []).append(
            gettext("%(name)s（%(text)s）") % {"name": name, "text": reason}
        )
    return out


# Sign-in sheet -----------------------------------------------------------------

SIGNIN_HEADERS = [H_NAME, H_ORG, H_PRESENT, H_REASON]  # what the import reads
# The paper form: portrait A4, 25 names a page, each row tall enough to sign.
SIGNIN_COLUMNS = [
    Column(H_NUMBER, 5),
    Column(H_NAME, 9),
    Column(H_ORG, 24),
    Column(H_SIGNATURE, 20),
    Column(H_PRESENT, 7),
    Column(H_REASON, 20),
]
SIGNIN_ROWS_PER_PAGE = 25
SIGNIN_ROW_HEIGHT = 24.0  # points
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


@in_chinese
def signin_template_bytes(*, session: StudySession) -> bytes:
    """The sign-in sheet for ``session``: a paper form (title, date, place,
    topic, the expected attendees with a 签名 column, 25 to an A4 page, each
    page headed alike) that is also the import template. It lists exactly
    the session's expected attendees with what is recorded so far (blank:
    not recorded yet); the header row is row 4, within the five rows the
    import searches, and 序号 and 签名 are columns the import skips."""
    out = io.BytesIO()
    book = streaming_workbook(out)
    title = TITLE.format(org=session.org.name)
    book.set_properties({"title": title, "author": gettext("实绩")})
    marks = list(selectors.attendance_of(session))
    where = WHERE.format(kind=session.kind.name, place=session.place)
    sheet = SheetWriter(
        book,
        ExportFormats(book),
        name=SIGNIN_SHEET,
        columns=SIGNIN_COLUMNS,
        title=title,
        info=[
            (WHEN.format(date=chinese_date(session.date), hours=session.duration_hours), where),
            (TOPIC.format(topic=session.topic), EXPECTED.format(count=len(marks))),
        ],
        landscape=False,
        repeat_title=True,
        rows_per_page=SIGNIN_ROWS_PER_PAGE,
        min_row_height=SIGNIN_ROW_HEIGHT,
        autofilter=False,
    )
    for number, mark in enumerate(marks, start=1):
        marked = mark.present is not None
        sheet.write(
            [
                number,
                mark.person.name,
                mark.person.org.name,
                "",
                (YES_TEXT if mark.present else NO_TEXT) if marked else "",
                mark.reason if marked else "",
            ]
        )
    first = sheet.header_row + 1
    add_choice_list(
        sheet.ws,
        column=SIGNIN_COLUMNS.index(next(c for c in SIGNIN_COLUMNS if c.header == H_PRESENT)),
        first_row=first,
        last_row=max(sheet.next_row, first) + 200,
        choices=[YES_TEXT, NO_TEXT],
        title=CHOICE_TITLE,
    )
    sheet.close()
    book.close()
    return out.getvalue()


def signin_template_name(session: StudySession) -> str:
    return export_filename(
        FILE_NAME.format(org=session.org.name), zone_name=session.zone.name, day=session.date
    )


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


@in_chinese
def signin_dry_run(*, actor: policy.Actor, session: StudySession, file: Any) -> SignInPlan:
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
        super().__init__(gettext_lazy("签到表与当前花名册不符，请重新上传"))
        self.errors = errors


@in_chinese
def signin_apply(*, actor: policy.Actor, session: StudySession, staged_id: Any) -> SignInPlan:
    """Apply a parked sheet to the session's attendance, all or nothing."""
    policy.require(actor, "study.manage", session, message=services.REFUSED)
    staged = staging.staged_get_for_user(user=actor, pk=staged_id, purpose=STAGED_PURPOSE)
    if staged.zone_id != session.zone_id:
        raise NotFound(gettext("上传的文件已导入或已过期，请重新上传"))
    plan = _plan(session, staging.staged_file(staged))
    if not plan.ok:
        raise SignInErrors(plan.errors)
    _apply(actor, session, plan, staged)
    return plan


def _apply(actor: policy.Actor, session: StudySession, plan: SignInPlan, staged: Any) -> None:
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
            note=recorded(
                "导入签到表 %(file)s（SHA-256 %(sha256)s）",
                file=staged.original_name,
                sha256=staged.sha256,
            ),
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

        def report(column: str, message: Message, n: int = n) -> None:
            errors.add(ws.title, n, column, message)

        name, org_name = row.text(H_NAME), row.text(H_ORG)
        if not name:
            if H_NAME not in row.bad:
                report(H_NAME, msg("请填写姓名"))
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
                    msg(
                        "%(name)s（%(orgs)s）不属于%(org)s及其下级组织，不能记入本次学习的出勤",
                        name=name,
                        orgs=LIST_SEPARATOR.join(sorted(set(elsewhere))),
                        org=session.org.name,
                    ),
                )
            elif by_name.get(name):
                report(H_ORG, msg("%(name)s不在“%(org)s”，请核对所属组织", name=name, org=org_name))
            else:
                report(
                    H_NAME, msg("花名册中没有“%(name)s”，请核对姓名或先在花名册中添加", name=name)
                )
            continue
        if len(candidates) > 1:
            report(
                H_ORG,
                msg(
                    "%(org)s下有 %(count)s 人名叫%(name)s，请填写所属组织",
                    org=session.org.name,
                    count=len(candidates),
                    name=name,
                ),
            )
            continue
        person = candidates[0]
        if person.pk in seen:
            report(
                H_NAME,
                msg(
                    "%(name)s与第 %(row)s 行重复，每人只能填写一行", name=name, row=seen[person.pk]
                ),
            )
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
                H_PRESENT,
                msg("%(value)s无法识别，请填写“是”或“否”", value=f"“{mark}”")
                if mark
                else msg("请填写“是”或“否”"),
            )
            continue
        reason = row.text(H_REASON)
        if not present and not reason and H_REASON not in row.bad:
            report(H_REASON, msg("%(name)s缺席，请填写缺席原因", name=name))
            continue
        if len(reason) > services.REASON_LIMIT:
            report(
                H_REASON,
                msg("缺席原因不能超过 %(limit)s 个字", limit=services.REASON_LIMIT),
            )
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
        errors.add(ws.title, None, "", msg("签到表中没有人员，请按模板填写后再上传"))


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
