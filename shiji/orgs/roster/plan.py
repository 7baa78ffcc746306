"""Reading a roster file into a ``RosterPlan`` (the dry run): the sheets'
layout, every problem by sheet, Excel row and column, and what would be
created or updated. Writes nothing."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import IO, Any

from django.utils.translation import gettext, gettext_lazy

from shiji.core.errors import Invalid
from shiji.core.i18n import in_chinese, msg
from shiji.core.uploads import MB, check_upload
from shiji.core.validation import clean_choice, clean_text
from shiji.core.xlsx import (
    ErrorList,
    ReadLimits,
    Row,
    find_header,
    iter_rows,
    open_workbook,
)
from shiji.orgs.models import Organization, OrgKind, Person, Sector, Zone
from shiji.orgs.roster.layout import (
    EXAMPLE_MARKS,
    LIST_SEPARATOR,
    NO,
    ORG_HEADERS,
    ORG_SHEET,
    PEOPLE_HEADERS,
    PEOPLE_SHEET,
    PHONE,
    SHEETS,
    YES,
    Col,
)

MAX_BYTES = 5 * MB
TEMPLATE_ROWS = 2000  # how far down the template's drop-downs reach
# What reading one uploaded roster may cost (both sheets together).
READ_LIMITS = ReadLimits(
    max_rows=20_000,
    max_columns=20,
    max_sheet_bytes=60 * MB,
    max_unzipped_bytes=60 * MB,
    max_seconds=60,
)


class RosterErrors(Invalid):
    """The file has problems; ``errors`` lists them by sheet, row and column."""

    def __init__(self, errors: list[dict[str, Any]]):
        super().__init__(msg("花名册有 %(count)s 处问题，未导入任何数据", count=len(errors)))
        self.errors = errors


@dataclass
class OrgPlan:
    row: int
    name: str
    parent: str  # "" for a top-level org
    kind: str  # OrgKind code
    sector: str  # Sector code
    existing: Organization | None = None
    changes: dict[str, list[Any]] = field(default_factory=dict)  # label: [old, new]
    depth: int = 0  # in the tree after the import; parents go first

    @property
    def action(self) -> str:
        if self.existing is None:
            return "create"
        return "update" if self.changes else "unchanged"

    @property
    def kind_label(self) -> str:
        return str(OrgKind(self.kind).label)

    @property
    def sector_label(self) -> str:
        return str(Sector(self.sector).label)


@dataclass
class PersonPlan:
    row: int
    name: str
    org: str
    position: str
    is_party_member: bool
    phone: str
    existing: Person | None = None
    changes: dict[str, list[Any]] = field(default_factory=dict)

    @property
    def action(self) -> str:
        if self.existing is None:
            return "create"
        return "update" if self.changes else "unchanged"


@dataclass
class RosterPlan:
    """What a roster file would do to a zone, or why it cannot be imported."""

    errors: list[dict[str, Any]] = field(default_factory=list)
    orgs: list[OrgPlan] = field(default_factory=list)
    people: list[PersonPlan] = field(default_factory=list)
    file_name: str = ""
    sha256: str = ""
    size: int = 0
    staged_id: int | None = None

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def counts(self) -> dict[str, int]:
        out = {
            f"{what}_{action}": 0
            for what in ("orgs", "people")
            for action in ("created", "updated", "unchanged")
        }
        names = {"create": "created", "update": "updated", "unchanged": "unchanged"}
        for org in self.orgs:
            out[f"orgs_{names[org.action]}"] += 1
        for person in self.people:
            out[f"people_{names[person.action]}"] += 1
        return out

    @property
    def has_changes(self) -> bool:
        c = self.counts
        return any(
            c[k] for k in ("orgs_created", "orgs_updated", "people_created", "people_updated")
        )

    def as_dict(self) -> dict[str, Any]:
        return {**self.counts, "errors": self.errors}


# Parsing (the dry run) ------------------------------------------------------------------


@in_chinese
def roster_parse(file: IO[bytes] | Any, zone: Zone) -> RosterPlan:
    """Check a roster file against ``zone`` and plan the import; writes nothing.

    A file that cannot be a roster at all (empty, too large, not an .xlsx,
    damaged) raises ``Invalid`` with the message under ``file``; everything
    else is reported in ``plan.errors``. The caller checks the right to import.
    """
    info = check_upload(file, allowed={"xlsx"}, max_bytes=MAX_BYTES)
    wb = open_workbook(file, limits=READ_LIMITS)
    errors = ErrorList()
    try:
        org_rows = _sheet_rows(wb, ORG_SHEET, ORG_HEADERS, errors)
        people_rows = _sheet_rows(wb, PEOPLE_SHEET, PEOPLE_HEADERS, errors)
    finally:
        wb.close()
    if org_rows == [] and people_rows == []:
        errors.add(
            "",
            None,
            "",
            msg(
                "花名册中没有可导入的数据：“组织”和“人员”两个工作表都没有填写数据行"
                "（带【示例】的行不算）"
            ),
        )
    plan = RosterPlan(
        file_name=str(getattr(file, "name", "") or "")[-255:], sha256=info.sha256, size=info.size
    )
    existing_orgs = {
        o.name: o for o in Organization.objects.filter(zone=zone).select_related("parent")
    }
    plan.orgs, file_orgs = _plan_orgs(org_rows or [], existing_orgs, errors)
    plan.people = _plan_people(people_rows or [], file_orgs, existing_orgs, zone, errors)
    plan.errors = errors.as_list(sheet_order=("", *SHEETS))
    return plan


def _sheet_rows(wb, name: str, headers: list[str], errors: ErrorList) -> list[Row] | None:
    """The sheet's data rows without the examples; None if it cannot be read."""
    sheet = next((s for s in wb.sheetnames if s.strip() == name), None)
    if sheet is None:
        errors.add(name, None, "", msg("缺少工作表“%(sheet)s”，请使用下载的模板填写", sheet=name))
        return None
    ws = wb[sheet]
    header = find_header(ws, headers, errors=errors)
    if header is None:
        return None
    rows = []
    for row in iter_rows(ws, header, errors=errors):
        row.sheet = name
        if row.text(headers[0]).startswith(EXAMPLE_MARKS):
            continue
        rows.append(row)
    return rows


def _cleaned(errors: ErrorList, row: Row, column: str, clean, *args, **kwargs) -> Any:
    """Run a validation cleaner on one cell; record its message at the cell."""
    if column in row.bad:
        return None  # already reported by iter_rows
    try:
        return clean(*args, **kwargs)
    except Invalid as exc:
        errors.add(row.sheet, row.number, column, exc.message)
        return None


def _plan_orgs(
    rows: list[Row], existing: dict[str, Organization], errors: ErrorList
) -> tuple[list[OrgPlan], set[str]]:
    """The importable org rows in dependency order, and every name the sheet
    mentions in 组织名称 (rows in error included, so that rows referring to
    them are not reported a second time)."""
    plans: list[OrgPlan] = []
    names: set[str] = set()
    for row in rows:
        name = _cleaned(
            errors,
            row,
            Col.ORG_NAME,
            clean_text,
            row.text(Col.ORG_NAME),
            field="name",
            label=Col.ORG_NAME,
            max_length=100,
        )
        parent = _cleaned(
            errors,
            row,
            Col.PARENT,
            clean_text,
            row.text(Col.PARENT),
            field="parent",
            label=Col.PARENT,
            max_length=100,
            required=False,
        )
        kind = _cleaned(
            errors,
            row,
            Col.KIND,
            _choice,
            row.text(Col.KIND),
            label=Col.KIND,
            choices=OrgKind,
        )
        sector = _cleaned(
            errors, row, Col.SECTOR, _choice, row.text(Col.SECTOR), label=Col.SECTOR, choices=Sector
        )
        if not name:
            continue
        names.add(name)
        if parent == name:
            errors.add(row.sheet, row.number, Col.PARENT, msg("上级组织不能是它自己"))
            continue
        if kind and sector and parent is not None:
            plans.append(
                OrgPlan(row=row.number, name=name, parent=parent, kind=kind, sector=sector)
            )

    rows_by_name: dict[str, list[int]] = defaultdict(list)
    for row in rows:
        text = row.text(Col.ORG_NAME)
        if text:
            rows_by_name[text].append(row.number)
    for name, numbers in rows_by_name.items():
        if len(numbers) > 1:
            listed = LIST_SEPARATOR.join(str(n) for n in numbers)
            for number in numbers:
                errors.add(
                    ORG_SHEET,
                    number,
                    Col.ORG_NAME,
                    msg(
                        "组织名称“%(name)s”重复出现（第 %(rows)s 行），同一名称只能填写一行",
                        name=name,
                        rows=listed,
                    ),
                )
    plans = [p for p in plans if len(rows_by_name[p.name]) == 1]
    for plan in plans:
        if plan.parent and plan.parent not in names and plan.parent not in existing:
            errors.add(
                ORG_SHEET,
                plan.row,
                Col.PARENT,
                msg(
                    "上级组织“%(parent)s”不存在：请在本表中添加该组织，或填写系统中已有的组织名称",
                    parent=plan.parent,
                ),
            )
    _order_by_dependency(plans, existing, errors)
    for plan in plans:
        org = existing.get(plan.name)
        if org is not None:
            plan.existing = org
            plan.changes = _org_changes(org, plan)
    return plans, names


def _choice(text: str, *, label: str, choices: Any) -> str:
    if not text:
        allowed = LIST_SEPARATOR.join(str(n) for _, n in choices.choices)
        raise Invalid(msg("请选择%(column)s（%(choices)s）", column=label, choices=allowed))
    return clean_choice(text, field="value", label=label, choices=choices)


# Organization.path holds 9 characters per level in 255.
MAX_DEPTH = 255 // 9 - 1


def _order_by_dependency(
    plans: list[OrgPlan], existing: dict[str, Organization], errors: ErrorList
) -> None:
    """Work out the tree as it will be after the import: report parent cycles
    and trees too deep to store, set each plan's depth, and sort the plans by
    it. Importing parents first means every parent exists, and already sits
    where it will stay, when its children are placed under it."""
    parent_of = {
        name: (o.parent.name if o.parent is not None else "") for name, o in existing.items()
    }
    parent_of.update({p.name: p.parent for p in plans})
    depth: dict[str, int | None] = {}  # None: in or under a cycle
    row_of = {p.name: p.row for p in plans}
    for start in parent_of:
        chain: list[str] = []
        node = start
        while True:
            if node not in parent_of:  # "" (top level) or an unknown parent
                base: int | None = -1
                break
            if node in depth:
                base = depth[node]
                break
            if node in chain:
                cycle = chain[chain.index(node) :]
                text = " → ".join([*cycle, node])
                for name in cycle:
                    if name in row_of:
                        errors.add(
                            ORG_SHEET,
                            row_of[name],
                            Col.PARENT,
                            msg("上级关系形成循环：%(cycle)s，请检查上级组织", cycle=text),
                        )
                    depth[name] = None
                base = None
                break
            chain.append(node)
            node = parent_of[node]
        for name in reversed(chain):
            if name in depth:  # a cycle member, already marked
                continue
            base = None if base is None else base + 1
            depth[name] = base
    too_deep = [n for n, d in depth.items() if d is not None and d > MAX_DEPTH]
    for name in too_deep:
        if name in row_of:
            errors.add(
                ORG_SHEET,
                row_of[name],
                Col.PARENT,
                msg("组织层级不能超过 %(levels)s 级", levels=MAX_DEPTH + 1),
            )
    if too_deep and not any(n in row_of for n in too_deep):
        errors.add(
            ORG_SHEET,
            None,
            Col.PARENT,
            msg("调整上级后，部分下级组织将超过 %(levels)s 级", levels=MAX_DEPTH + 1),
        )
    for plan in plans:
        plan.depth = depth.get(plan.name) or 0
    plans.sort(key=lambda p: (p.depth, p.row))


def _org_changes(org: Organization, plan: OrgPlan) -> dict[str, list[Any]]:
    changes: dict[str, list[Any]] = {}
    if org.kind != plan.kind:
        changes[Col.KIND] = [OrgKind(org.kind).label, OrgKind(plan.kind).label]
    if org.sector != plan.sector:
        changes[Col.SECTOR] = [Sector(org.sector).label, Sector(plan.sector).label]
    old_parent = org.parent.name if org.parent is not None else ""
    if old_parent != plan.parent:
        changes[Col.PARENT] = [old_parent or _NONE, plan.parent or _NONE]
    return changes


def _plan_people(
    rows: list[Row],
    file_orgs: set[str],
    existing_orgs: dict[str, Organization],
    zone: Zone,
    errors: ErrorList,
) -> list[PersonPlan]:
    plans: list[PersonPlan] = []
    for row in rows:
        name = _cleaned(
            errors,
            row,
            Col.NAME,
            clean_text,
            row.text(Col.NAME),
            field="name",
            label=Col.NAME,
            max_length=50,
        )
        org = _cleaned(
            errors,
            row,
            Col.ORG,
            clean_text,
            row.text(Col.ORG),
            field="org",
            label=Col.ORG,
            max_length=100,
        )
        position = _cleaned(
            errors,
            row,
            Col.POSITION,
            clean_text,
            row.text(Col.POSITION),
            field="position",
            label=Col.POSITION,
            max_length=100,
            required=False,
        )
        party = _cleaned(errors, row, Col.PARTY, _party, row[Col.PARTY])
        phone = _cleaned(errors, row, Col.PHONE, _phone, row.text(Col.PHONE))
        if org and org not in file_orgs and org not in existing_orgs:
            errors.add(
                PEOPLE_SHEET,
                row.number,
                Col.ORG,
                msg(
                    "所属组织“%(org)s”不存在：请先在“组织”表中添加，或填写系统中已有的组织名称",
                    org=org,
                ),
            )
        if name and org:
            plans.append(
                PersonPlan(
                    row=row.number,
                    name=name,
                    org=org,
                    position=position or "",
                    is_party_member=bool(party),
                    phone=phone or "",
                )
            )
    by_key: dict[tuple[str, str], list[PersonPlan]] = defaultdict(list)
    for plan in plans:
        by_key[(plan.org, plan.name)].append(plan)
    for (org, name), same in by_key.items():
        if len(same) > 1:
            listed = LIST_SEPARATOR.join(str(p.row) for p in same)
            for plan in same:
                errors.add(
                    PEOPLE_SHEET,
                    plan.row,
                    Col.NAME,
                    msg(
                        "“%(org)s”的“%(name)s”重复出现（第 %(rows)s 行），"
                        "同一组织内每人只能填写一行",
                        org=org,
                        name=name,
                        rows=listed,
                    ),
                )
    # The whole zone in one query: no IN list to outgrow the database's limits.
    existing = {
        (p.org.name, p.name): p
        for p in Person.objects.filter(zone=zone).select_related("org").order_by()
    }
    for plan in plans:
        person = existing.get((plan.org, plan.name))
        if person is not None:
            plan.existing = person
            plan.changes = _person_changes(person, plan)
    return plans


def _party(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = "" if value is None else str(value).strip().lower()
    if text in YES:
        return True
    if text in NO:
        return False
    if not text:
        raise Invalid(gettext("请填写是否党员（是/否）"))
    raise Invalid(gettext("是否党员请填写“是”或“否”"))


def _phone(text: str) -> str:
    if text and (not PHONE.match(text) or sum(c.isdigit() for c in text) < 3):
        raise Invalid(gettext("联系电话只能包含数字及 - + ( ) 等符号"))
    return clean_text(text, field="phone", label=Col.PHONE, max_length=30, required=False)


# The preview's words for a change; lazy: the plan is made in Chinese (the
# workbook's words are read in Chinese), the preview is shown in the page's
# language.
_NONE = gettext_lazy("（无）")
_EMPTY = gettext_lazy("（空）")


def _yes_no(value: bool) -> Any:
    return gettext_lazy("是") if value else gettext_lazy("否")


def _person_changes(person: Person, plan: PersonPlan) -> dict[str, list[Any]]:
    changes: dict[str, list[Any]] = {}
    if person.position != plan.position:
        changes[Col.POSITION] = [person.position or _EMPTY, plan.position or _EMPTY]
    if person.is_party_member != plan.is_party_member:
        changes[Col.PARTY] = [_yes_no(person.is_party_member), _yes_no(plan.is_party_member)]
    if person.phone != plan.phone:
        changes[Col.PHONE] = [person.phone or _EMPTY, plan.phone or _EMPTY]
    if not person.is_active:
        changes[Col.ON_ROSTER] = [_yes_no(False), _yes_no(True)]
    return changes
