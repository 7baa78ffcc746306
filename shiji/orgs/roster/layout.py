"""The roster workbook's layout: its sheets, headers and the words its cells
are read with. The workbook is Chinese whatever the page language (filled in
on paper and imported back, like the ledger's, DESIGN.md §6)."""

from __future__ import annotations

import re


class Col:
    """The headers by name, for the code that reads them."""

    ORG_NAME = "组织名称"
    PARENT = "上级组织"
    KIND = "组织类型"
    SECTOR = "领域"
    NAME = "姓名"
    ORG = "所属组织"
    POSITION = "职务"
    PARTY = "是否党员"
    PHONE = "联系电话"
    ON_ROSTER = "在册"  # not a column: a change the preview lists


ORG_SHEET = "组织"
PEOPLE_SHEET = "人员"
ORG_HEADERS = [Col.ORG_NAME, Col.PARENT, Col.KIND, Col.SECTOR]
PEOPLE_HEADERS = [Col.NAME, Col.ORG, Col.POSITION, Col.PARTY, Col.PHONE]
SHEETS = (ORG_SHEET, PEOPLE_SHEET)
# Rows whose first cell starts with one of these are the template's examples.
EXAMPLE_MARKS = ("【示例】", "[示例]", "［示例］")
EXAMPLE = "【示例】"
# 是否党员 as people fill it in.
YES = {"是", "y", "yes", "true", "1", "党员", "中共党员", "预备党员", "√"}
NO = {"否", "n", "no", "false", "0", "群众", "非党员", "×"}
PHONE = re.compile(r"^[0-9+\-\s()（）#,，、/转]+$")
# Joins lists of the workbook's words (row numbers, choices) inside messages.
LIST_SEPARATOR = "、"
