"""Import planning (the dry run): read the uploaded workbook, check every
row against the zone's names, the services' field rules and the lifecycle,
and plan what each row would write. Nothing here writes."""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from typing import IO, TYPE_CHECKING, Any

from django.utils.translation import gettext

from shiji.campaigns.models import ProblemCategory
from shiji.core.errors import Invalid
from shiji.core.i18n import Message, in_chinese, msg
from shiji.core.uploads import check_upload
from shiji.core.validation import clean_choice, clean_text
from shiji.core.xlsx import (
    ErrorList,
    Row,
    cell_text,
    find_header,
    iter_rows,
    open_workbook,
)
from shiji.ledger import selectors, services, workflow
from shiji.ledger.excel.layout import (
    DATE_COLUMNS,
    FIELD_COLUMNS,
    HEADERS,
    LIST_SEPARATOR,
    MAX_ERRORS,
    PERSON_WITH_ORG,
    PERSON_WITH_ORG_FORMAT,
    PHASE_CHECK,
    PRINT_SHEET,
    READ_LIMITS,
    SHEET,
    ZONE_HEADER,
    Col,
    Progress,
)
from shiji.ledger.models import Kind, Problem, Source, Status
from shiji.orgs import policy
from shiji.orgs.models import Organization, Person, Zone
from shiji.orgs.selectors import orgs_visible_to, people_visible_to

if TYPE_CHECKING:
    from django_stubs_ext import StrPromise


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
            # msgid/params: rendered in the reader's language (core.i18n.stored_text).
            "errors": [
                {k: e[k] for k in ("row", "column", "message", "msgid", "params") if k in e}
                for e in self.errors
            ],
        }


@dataclass
class Plan:
    """One row that will write: a new problem, or an existing one's changes."""

    row: int
    problem_id: int | None  # None: create
    fields: dict[str, Any]  # create: every field; update: only the changed ones
    progress: str = ""  # a new progress note, if any
    columns: list[str] = field(default_factory=list)  # the changed columns, for messages


class _CellError(Exception):
    pass


def import_require(*, actor: policy.Actor, zone: Zone) -> None:
    """Another zone is NotFound (as if it did not exist); a role without
    ``ledger.import`` on the zone is Forbidden."""
    policy.require(
        actor,
        "ledger.import",
        zone,
        view="zone.view",
        missing=gettext("高新区不存在"),
        message=gettext("您没有权限导入本区的整改台账"),
    )


def import_check_file(file: IO[bytes] | Any) -> Any:
    """Refuse anything but a readable .xlsx within the upload limit: raises
    ``Invalid`` with the message under ``file``. Returns ``check_upload``'s info."""
    return check_upload(file, allowed={"xlsx"})


def import_row_count(file: IO[bytes] | Any, *, stop_after: int) -> int | None:
    """How many data rows the upload has, counted (never taken from the
    sheet's ``<dimension>``), up to ``stop_after`` + 1; None when reading
    that far costs more than ``stop_after`` rows of cells would (rows of
    stray cells outside the ledger's columns). A workbook past the import's
    limits is refused here already (``WorkbookTooLarge``)."""
    book = open_workbook(file, limits=READ_LIMITS)
    try:
        sheet = _sheet(book)
        header = _find_header(sheet, ErrorList())
        if header is None:
            return 0
        count = 0
        cells = (stop_after + header.row + 1) * READ_LIMITS.max_columns
        for _ in iter_rows(sheet, header, errors=ErrorList()):
            count += 1
            if count > stop_after:
                break
            if sheet.budget.cells > cells:
                return None
        return count
    finally:
        book.close()
        file.seek(0)


@dataclass
class ImportPlan:
    """What a checked file would write: ``plans`` (one per changed row) and
    every problem found, ``errors``; ``info`` is the upload's check result."""

    plans: list[Plan]
    errors: ErrorList
    info: Any

    def result(self) -> ImportResult:
        """The dry run's answer: the counts, or the errors and no counts."""
        if self.errors:
            return ImportResult(errors=result_errors(self.errors))
        created = sum(1 for p in self.plans if p.problem_id is None)
        return ImportResult(created=created, updated=len(self.plans) - created)


@in_chinese
def import_plan(
    *,
    actor: policy.Actor,
    zone: Zone,
    file: IO[bytes] | Any,
    today: dt.date,
    progress: Progress | None = None,
) -> ImportPlan:
    """Read and check a ledger workbook for ``zone`` without writing.

    Raises ``NotFound``/``Forbidden`` (see ``import_require``) and
    ``Invalid`` (field ``file``) for an upload that is not a readable .xlsx
    within the size limit. Everything wrong inside the workbook comes back
    in ``errors``.
    """
    import_require(actor=actor, zone=zone)
    info = import_check_file(file)
    errors = ErrorList()
    plans: list[Plan] = []
    book = open_workbook(file, limits=READ_LIMITS)
    try:
        sheet = _sheet(book)
        header = None
        if sheet.title == PRINT_SHEET:
            errors.add(
                sheet.title,
                None,
                "",
                msg(
                    "这是整改台账的打印版，只供打印，不能导入：请在台账页点击“导出 Excel”，"
                    "在导出的文件中修改后再导入"
                ),
            )
        else:
            header = _find_header(sheet, errors)
        if header is not None:
            _check_columns(sheet.title, header, errors)
        if not errors and header is not None:
            names = _Names(actor, zone)
            rows = iter_rows(sheet, header, errors=errors, date_columns=DATE_COLUMNS)
            done = 0
            seen: dict[str, int] = {}
            for batch in _batched(rows, 500):
                existing = _existing(actor, zone, batch)
                for row in batch:
                    if not row.bad and all(
                        value is None for key, value in row.values.items() if key != Col.SERIAL
                    ):
                        continue  # a template's pre-numbered empty row
                    plan = _plan_row(row, existing, seen, names, zone, today, errors)
                    if plan is not None:
                        plans.append(plan)
                done += len(batch)
                if len(errors) >= MAX_ERRORS:
                    break
                if progress:
                    # The total is known only at the end: a sheet's recorded
                    # size is not to be trusted, and counting first would read
                    # the file twice.
                    progress(PHASE_CHECK, done, None)
            if progress:
                progress(PHASE_CHECK, done, done)
    finally:
        book.close()
        file.seek(0)
    return ImportPlan(plans=plans, errors=errors, info=info)


def _sheet(book: Any) -> Any:
    # The contract's sheet; a workbook whose only sheet was renamed still
    # reads, and the header check then says whether it is a ledger at all.
    return book[SHEET] if SHEET in book.sheetnames else book.worksheets[0]


def _find_header(sheet: Any, errors: ErrorList) -> Any:
    # 高新区 is there when the export spanned several zones (last column);
    # each row's zone is checked against the import's (``_plan_row``).
    return find_header(sheet, [*HEADERS, ZONE_HEADER], errors=errors, required=HEADERS)


def _check_columns(sheet: str, header: Any, errors: ErrorList) -> None:
    known = {*HEADERS, ZONE_HEADER}
    for text in header.unknown:
        if text.replace(" ", "") in known:
            errors.add(
                sheet,
                header.row,
                text,
                msg(
                    "第 %(row)s 行有两列“%(column)s”，请删除重复的一列",
                    row=header.row,
                    column=text,
                ),
            )
        else:
            errors.add(
                sheet,
                header.row,
                text,
                msg(
                    "无法识别的列“%(column)s”：台账只有模板中的列（%(headers)s），"
                    "请删除这一列或把内容移入相应的列",
                    column=text,
                    headers=LIST_SEPARATOR.join(HEADERS),
                ),
            )


def result_errors(errors: ErrorList) -> list[dict[str, Any]]:
    # ``msgid``/``params``: shown in the reader's language (core.i18n.stored_text).
    out = [
        {**{k: v for k, v in e.items() if k != "sheet"}, "row": e["row"] or 0}
        for e in errors.as_list()
    ]
    if len(out) > MAX_ERRORS:
        out = out[:MAX_ERRORS]
        more = msg("问题过多，只列出前 %(count)s 处", count=MAX_ERRORS)
        out.append(
            {
                "row": 0,
                "column": "",
                "message": str(more),
                "msgid": more.msgid,
                "params": more.params,
            }
        )
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


def _existing(actor: policy.Actor, zone: Zone, batch: list[Row]) -> dict[str, dict[str, Any]]:
    """The batch's problems by code, read within the importer's scope."""
    codes = {row.text(Col.CODE) for row in batch} - {""}
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


def _cell(value: Any) -> str:
    """``_text`` of a value ``iter_rows`` read: most are text it has already
    stripped, with nothing left to decode (this runs for every cell)."""
    if value.__class__ is str and "_x" not in value and "\r" not in value and value[:1] != "'":
        return value
    return _text(value)


def _same_text(a: str | None, b: str | None) -> bool:
    return _text(a or "") == _text(b or "")


class _Names:
    """The zone's categories, organizations and people, loaded once and
    matched by exact name."""

    def __init__(self, actor: policy.Actor, zone: Zone) -> None:
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
        # Each choice's code and Chinese label, translated once per import
        # rather than for every row.
        self.codes = {choices: _choice_codes(choices) for choices in (Source, Kind, Status)}

    def choice(self, choices: Any, text: str, *, field: str, label: str) -> str:
        code = self.codes[choices].get(text)
        if code is None:  # clean_choice refuses it, in its own words
            return clean_choice(text, field=field, label=label, choices=choices)
        return code

    def org(self, text: str) -> Organization:
        org = self.orgs.get(text)
        if org is None:
            raise _CellError(
                msg("责任单位“%(org)s”不在本区的组织中，请使用“组织与人员”中的组织全称", org=text)
            )
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
            raise _CellError(
                msg("问题类别“%(category)s”已停用，请选用本区在用的问题类别", category=text)
            )
        names = LIST_SEPARATOR.join(
            dict.fromkeys(c.name for cs in self.categories.values() for c in cs if c.is_active)
        )
        if not names:
            raise _CellError(
                msg("问题类别“%(category)s”不存在；本区尚未设置问题类别", category=text)
            )
        raise _CellError(
            msg(
                "问题类别“%(category)s”不存在；本区的问题类别有：%(names)s",
                category=text,
                names=names,
            )
        )

    def status(self, text: str) -> str:
        if not text:
            return ""
        code = self.codes[Status].get(text)
        if code is None:
            labels = LIST_SEPARATOR.join(str(label) for _, label in Status.choices)
            raise _CellError(msg("状态应为以下之一：%(labels)s", labels=labels))
        return code

    def person(self, text: str, label: str) -> Person | None:
        if not text:
            return None
        same = self.people.get(text, [])
        if len(same) == 1:
            return same[0]
        if len(same) > 1:
            example = PERSON_WITH_ORG_FORMAT.format(name=text, org=same[0].org.name)
            raise _CellError(
                msg(
                    "本区有 %(count)s 位“%(name)s”，请写成“姓名（所在组织）”，如“%(example)s”",
                    count=len(same),
                    name=text,
                    example=example,
                )
            )
        match = PERSON_WITH_ORG.match(text)
        if match:
            name, org = match.group("name").strip(), match.group("org").strip()
            for person in self.people.get(name, []):
                if person.org.name == org:
                    return person
            if self.people.get(name):
                raise _CellError(msg("“%(org)s”中没有名为“%(name)s”的人员", org=org, name=name))
        raise _CellError(
            msg(
                "%(column)s“%(name)s”不在本区花名册中，请先在“组织与人员”中添加",
                column=label,
                name=text,
            )
        )


def _plan_row(
    row: Row,
    existing: dict[str, dict[str, Any]],
    seen: dict[str, int],
    names: _Names,
    zone: Zone,
    today: dt.date,
    errors: ErrorList,
) -> Plan | None:
    """Check one row; return what it would write (None: nothing, or errors)."""
    failed = bool(row.bad)  # cells iter_rows already reported

    def report(column: str, message: str | StrPromise | Message) -> None:
        nonlocal failed
        failed = True
        errors.add(row.sheet, row.number, column, message)

    if ZONE_HEADER in row.values:
        other = row.text(ZONE_HEADER)
        if other and other not in (zone.name, zone.short_name):
            report(
                ZONE_HEADER,
                msg(
                    "这一行是“%(other)s”的问题，不能导入%(zone)s的台账："
                    "请只保留%(zone)s的行，其他高新区的行分别导入",
                    other=other,
                    zone=zone.name,
                ),
            )
            return None

    code = row.text(Col.CODE)
    current = None
    if code:
        if code in seen:
            report(
                Col.CODE,
                msg("台账编号“%(code)s”与第 %(row)s 行重复", code=code, row=seen[code]),
            )
        else:
            seen[code] = row.number
        current = existing.get(code)
        if current is None:
            report(Col.CODE, msg("台账编号“%(code)s”不存在；新增问题请留空", code=code))
            return None

    def cell(column: str, parse: Callable[[str], Any]) -> Any:
        if column in row.bad:
            return None
        try:
            return parse(_cell(row[column]))
        except _CellError as exc:
            report(column, exc.args[0])
        except Invalid as exc:
            report(column, exc.message)
        return None

    wanted: dict[str, Any] = {
        "source": cell(
            Col.SOURCE,
            lambda t: (
                names.choice(Source, t, field="source", label=Col.SOURCE)
                if t
                else _missing(Col.SOURCE)
            ),
        ),
        "category": cell(
            Col.CATEGORY,
            lambda t: (
                names.category(t, current["category_id"] if current else None)
                if t
                else _missing(Col.CATEGORY)
            ),
        ),
        "description": _cell(row[Col.DESCRIPTION]),
        "measures": _cell(row[Col.MEASURES]),
        "goal": _cell(row[Col.GOAL]),
        "org": cell(Col.ORG, lambda t: names.org(t) if t else _missing(Col.ORG)),
        "leader": cell(Col.LEADER, lambda t: names.person(t, Col.LEADER)),
        "owner": cell(Col.OWNER, lambda t: names.person(t, Col.OWNER)),
        "kind": cell(
            Col.KIND,
            lambda t: (
                names.choice(Kind, t, field="kind", label=Col.KIND) if t else _missing(Col.KIND)
            ),
        ),
        "deadline": row[Col.DEADLINE],
    }
    progress = "" if Col.PROGRESS in row.bad else _cell(row[Col.PROGRESS])
    status = cell(Col.STATUS, names.status)
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
            report(Col.PROGRESS, msg("整改进展不能清空；如有新的进展请直接填写"))
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
            clean_text(progress, field="text", label=Col.PROGRESS, max_length=services.TEXT_LIMIT)
        except Invalid as exc:
            report(Col.PROGRESS, exc.message)
    try:
        services.problem_clean(
            zone=zone, fields=fields, current=_as_problem(current) if current else None
        )
    except Invalid as exc:
        for name, text in (exc.fields or {"": exc.message}).items():
            if name == "deadline" and current is None and Col.FOUND_ON in text:
                report(
                    FIELD_COLUMNS[name],
                    msg("%(message)s（新增问题的发现日期为导入当天）", message=text),
                )
            else:
                report(FIELD_COLUMNS.get(name, ""), text)
    if failed:
        return None
    return Plan(
        row=row.number,
        problem_id=current["pk"] if current else None,
        fields=fields,
        progress=progress,
        columns=columns + ([Col.PROGRESS] if progress else []),
    )


def _missing(label: str) -> None:
    raise _CellError(msg("请填写%(column)s", column=label))


def _choice_codes(choices: Any) -> dict[str, str]:
    """Code or label → code; the first member wins, as in ``clean_choice``."""
    codes: dict[str, str] = {}
    for code, label in reversed(choices.choices):
        codes[str(label)] = codes[code] = code
    return codes


def _check_lifecycle_cells(
    row: Row, current: dict[str, Any] | None, status: str | None, report: Callable
) -> None:
    """状态, 完成情况 and 销号日期 move only through the lifecycle: an
    unchanged export passes, anything else is refused cell by cell."""
    completion = "" if Col.COMPLETION in row.bad else _cell(row[Col.COMPLETION])
    closed_on = row[Col.CLOSED_ON]
    if current is None:
        if status not in (None, "", Status.OPEN):
            report(Col.STATUS, msg("新增问题的状态为“待整改”，请留空或填写“待整改”"))
        if completion:
            report(Col.COMPLETION, msg("新增问题不能填写完成情况；完成情况在提交销号时填写"))
        if closed_on is not None and Col.CLOSED_ON not in row.bad:
            report(Col.CLOSED_ON, msg("新增问题不能填写销号日期；销号日期在审核销号时生成"))
        return
    if status is not None and status != current["status"]:
        label = Status(current["status"]).label
        report(
            Col.STATUS,
            msg(
                "状态不能通过导入修改（台账中为“%(status)s”）；"
                "请在台账中按流程办理（开始整改、提交销号、审核销号等），导入时请保持导出时的内容",
                status=str(label),
            ),
        )
    if Col.COMPLETION not in row.bad and not _same_text(completion, current["completion_note"]):
        report(
            Col.COMPLETION,
            msg(
                "完成情况不能通过导入修改；"
                "请在台账中按流程办理（开始整改、提交销号、审核销号等），导入时请保持导出时的内容"
            ),
        )
    if Col.CLOSED_ON not in row.bad and closed_on != current["closed_on"]:
        report(
            Col.CLOSED_ON,
            msg(
                "销号日期不能通过导入修改；"
                "请在台账中按流程办理（开始整改、提交销号、审核销号等），导入时请保持导出时的内容"
            ),
        )


def _changed(name: str, value: Any, current: dict[str, Any]) -> bool:
    if name in ("category", "org", "leader", "owner"):
        return (value.pk if value is not None else None) != current[f"{name}_id"]
    if name in ("description", "measures", "goal"):
        return not _same_text(value, current[name])
    return value != current[name]


def _state_error(
    current: dict[str, Any], fields: dict[str, Any], progress: str
) -> tuple[str, Message] | None:
    """The lifecycle's guards on a changed row (``workflow.GUARDS``, which the
    services apply again when the rows are written), checked before any write."""
    status = current["status"]
    label = Status(status).label
    problem = Problem(status=status)
    if fields and not workflow.allows("edit", problem):
        column = FIELD_COLUMNS[next(iter(fields))]
        return column, msg(
            "问题%(status)s，不能再修改；如需调整请先在台账中退回或重新整改", status=str(label)
        )
    if progress and not workflow.allows("progress", problem):
        return Col.PROGRESS, msg("问题%(status)s，不能再记录进展", status=str(label))
    if "deadline" in fields and current["deadline"] is not None:
        return Col.DEADLINE, msg("修改整改时限请在台账中使用“申请延期”，并说明理由")
    return None


def _as_problem(current: dict[str, Any]) -> Problem:
    """An unsaved stand-in with the values the field rules compare against."""
    return Problem(kind=current["kind"], deadline=current["deadline"], found_on=current["found_on"])
