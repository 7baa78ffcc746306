"""The roster template (.xlsx): the two sheets with an instructions row,
drop-downs and example rows the import skips."""

from __future__ import annotations

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from shiji.core.i18n import in_chinese
from shiji.core.xlsx import (
    add_choice_validation,
    safe_cell,
    workbook_bytes,
)
from shiji.orgs.models import OrgKind, Sector, Zone
from shiji.orgs.roster.layout import (
    EXAMPLE,
    ORG_HEADERS,
    ORG_SHEET,
    PEOPLE_HEADERS,
    PEOPLE_SHEET,
)
from shiji.orgs.roster.plan import TEMPLATE_ROWS

# The template ------------------------------------------------------------------------

_HEADER_FILL = PatternFill("solid", fgColor="B71C1C")
_NOTE_FILL = PatternFill("solid", fgColor="FFF8E1")
_EXAMPLE_FONT = Font(italic=True, color="808080")


@in_chinese
def roster_template_bytes(*, zone: Zone | None = None) -> bytes:
    """The roster template as .xlsx bytes (the examples use ``zone``'s name)."""
    zone_name = zone.name if zone else "某某高新区"
    wb = Workbook()
    orgs = wb.active
    orgs.title = ORG_SHEET
    _template_sheet(
        orgs,
        ORG_HEADERS,
        widths=[34, 34, 14, 14],
        note=(
            f"{zone_name}组织花名册。第 2 行是表头，请勿修改；从第 3 行起每行填写一个组织。"
            "组织名称在本区内不能重复，已有的组织会按本表更新类型、领域和上级组织；"
            "上级组织填写本表或系统中已有的组织名称，最上级组织留空；"
            "组织类型、领域请从下拉列表选择。带【示例】的行导入时自动跳过，可删除。"
        ),
        examples=[
            [
                f"{EXAMPLE}{zone_name}党工委",
                "",
                str(OrgKind.WORKING_COMMITTEE.label),
                str(Sector.ORGAN.label),
            ],
            [
                f"{EXAMPLE}某某科技有限公司党支部",
                f"{EXAMPLE}{zone_name}党工委",
                str(OrgKind.BRANCH.label),
                str(Sector.PRIVATE.label),
            ],
        ],
    )
    add_choice_validation(
        orgs,
        column="C",
        first_row=3,
        last_row=TEMPLATE_ROWS,
        choices=[str(x) for x in OrgKind.labels],
        title="组织类型",
    )
    add_choice_validation(
        orgs,
        column="D",
        first_row=3,
        last_row=TEMPLATE_ROWS,
        choices=[str(x) for x in Sector.labels],
        title="领域",
    )
    people = wb.create_sheet(PEOPLE_SHEET)
    _template_sheet(
        people,
        PEOPLE_HEADERS,
        widths=[14, 34, 20, 12, 18],
        note=(
            "人员花名册。第 2 行是表头，请勿修改；从第 3 行起每行填写一人。"
            "所属组织填写“组织”表或系统中已有的组织名称；同一组织内姓名不能重复，"
            "已有的人员会按本表更新职务、是否党员和联系电话。"
            "是否党员请选择“是”或“否”。带【示例】的行导入时自动跳过，可删除。"
        ),
        examples=[
            [
                f"{EXAMPLE}张三",
                f"{EXAMPLE}某某科技有限公司党支部",
                "党支部书记",
                "是",
                "13800000000",
            ],
            [f"{EXAMPLE}李四", f"{EXAMPLE}某某科技有限公司党支部", "党务联络员", "否", ""],
        ],
    )
    add_choice_validation(
        people,
        column="D",
        first_row=3,
        last_row=TEMPLATE_ROWS,
        choices=["是", "否"],
        title="是否党员",
    )
    # Phone numbers as text, so leading zeros and long numbers survive Excel.
    people.column_dimensions["E"].number_format = "@"
    wb.active = 0
    return workbook_bytes(wb)


def _template_sheet(ws, headers, *, widths, note, examples) -> None:
    last = get_column_letter(len(headers))
    ws.merge_cells(f"A1:{last}1")
    ws["A1"] = note
    ws["A1"].alignment = Alignment(wrap_text=True, vertical="center")
    ws["A1"].fill = _NOTE_FILL
    ws.row_dimensions[1].height = 75
    for index, (title, width) in enumerate(zip(headers, widths, strict=True), start=1):
        cell = ws.cell(row=2, column=index, value=title)
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = _HEADER_FILL
        cell.alignment = Alignment(horizontal="center")
        ws.column_dimensions[get_column_letter(index)].width = width
    for offset, values in enumerate(examples):
        for index, value in enumerate(values, start=1):
            cell = safe_cell(ws.cell(row=3 + offset, column=index), value or None)
            cell.font = _EXAMPLE_FONT
    ws.freeze_panes = "A3"
