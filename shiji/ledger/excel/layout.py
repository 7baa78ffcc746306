"""The ledger workbook's layout (DESIGN.md §6) and the limits of its
export and import, shared by ``export``, ``plan`` and ``apply``."""

from __future__ import annotations

import re
from collections.abc import Callable

from django.utils.translation import gettext_noop

from shiji.core.i18n import msg
from shiji.core.uploads import MB
from shiji.core.xlsx import ReadLimits

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


class Col:
    """The contract's headers by name, for the code that reads and writes them."""

    SERIAL = "序号"
    CODE = "台账编号"
    SOURCE = "问题来源"
    CATEGORY = "问题类别"
    DESCRIPTION = "问题描述"
    MEASURES = "整改措施"
    GOAL = "整改目标"
    ORG = "责任单位"
    LEADER = "责任领导"
    OWNER = "责任人"
    KIND = "整改类型"
    DEADLINE = "整改时限"
    PROGRESS = "整改进展"
    COMPLETION = "完成情况"
    STATUS = "状态"
    CLOSED_ON = "销号日期"
    FOUND_ON = "发现日期"  # not a column: named by the services' deadline rule


DATE_COLUMNS = ("整改时限", "销号日期")
ZONE_HEADER = "高新区"
# Joins lists of the workbook's words (headers, 状态 labels) inside messages.
LIST_SEPARATOR = "、"
# A person named with their organization in a 责任领导/责任人 cell, for
# names that occur more than once in the zone: "张伟（党政办公室）".
PERSON_WITH_ORG = re.compile(r"^(?P<name>[^（(]+?)\s*[（(](?P<org>.+)[）)]$")
PERSON_WITH_ORG_FORMAT = "{name}（{org}）"
PRINT_VERSION = "print"  # the export parameter ``version`` that asks for the 打印版

# Widths in characters (see core.xlsx), chosen so that the sixteen columns
# print across one A4 page in landscape with text of at least 9 pt: every
# text wraps in its column and each row is as tall as its longest text.
# When an export spans several zones, a 17th column names each row's zone;
# it comes last, so that the sixteen stay where the contract puts them, and
# the long texts give up the room it takes.
WIDTHS = {
    "序号": 5,
    "台账编号": 11,
    "问题来源": 6,
    "问题类别": 7,
    "问题描述": 16,
    "整改措施": 16,
    "整改目标": 9,
    "责任单位": 10,
    "责任领导": 6.5,
    "责任人": 6.5,
    "整改类型": 6,
    "整改时限": 11.5,
    "整改进展": 10,
    "完成情况": 9,
    "状态": 6.5,
    "销号日期": 11.5,
}
WIDTHS_SEVERAL_ZONES = {
    **WIDTHS,
    "问题类别": 6.5,
    "问题描述": 14,
    "整改措施": 14,
    "整改目标": 8,
    "责任单位": 9,
    "整改类型": 5.5,
    "整改进展": 9,
    "完成情况": 8,
    ZONE_HEADER: 8,
}

# The 打印版: the columns a reader of the paper needs, wide enough to read
# at a glance; for printing only (the import refuses it: sheet PRINT_SHEET).
PRINT_SHEET = "整改台账（打印版）"
PRINT_PROGRESS = "整改进展 / 完成情况"
PRINT_STATUS = "状态 / 销号日期"
PRINT_WIDTHS = {
    "序号": 5,
    "台账编号": 12,
    "问题描述": 28,
    "整改措施": 26,
    "责任单位": 12,
    "责任领导": 6.5,
    "责任人": 6.5,
    "整改时限": 11.5,
    PRINT_PROGRESS: 21,
    PRINT_STATUS: 11.5,
}
PRINT_WIDTHS_SEVERAL_ZONES = {**PRINT_WIDTHS, "问题描述": 24, "整改措施": 22, ZONE_HEADER: 8}
TITLE_SUFFIX = "问题整改台账"
PRINT_FILE_SUFFIX = "（打印版）"
FILLED_IN_BY = "填报单位：{org}"
FILLED_IN_ON = "填报日期：{date}"
ALL_ZONES = "各高新区"
NEUTRAL_TITLE = "各高新区问题整改台账"
DATE_FORMAT = "yyyy-mm-dd"
EXCEL_MAX_ROWS = 1_048_576
TOO_MANY_ROWS = msg(
    "要导出的问题超过 Excel 单个工作表的上限（%(limit)s 行），请筛选后分批导出",
    limit=EXCEL_MAX_ROWS - 2,
)

IMPORT_MAX_ROWS = 100_000
# What one read of an uploaded ledger may cost (core.xlsx.ReadLimits). The
# zipped upload is limited by settings.MAX_UPLOAD_MB; rows are streamed from
# the zip and only the rows that will write are kept (as small plans), so
# the unpacked size is about time, not memory. 100,000 rows of long texts
# unpack to about 150 MB and take about 30 s to check; the sixteen columns
# get room for a few the user added (they are reported by name).
READ_LIMITS = ReadLimits(
    max_rows=IMPORT_MAX_ROWS,
    max_columns=40,
    max_sheet_bytes=500 * MB,
    max_unzipped_bytes=600 * MB,
    max_seconds=300,
)
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
# Stored in Chinese on the job; the job page translates them (gettext_noop:
# for the catalogue).
PHASE_EXPORT, PHASE_CHECK, PHASE_WRITE = (
    gettext_noop("导出"),
    gettext_noop("检查"),
    gettext_noop("写入"),
)
# Past this many problems a file is more likely the wrong one than a nearly
# right one; the list stops there rather than running to 100,000 entries.
MAX_ERRORS = 1000
