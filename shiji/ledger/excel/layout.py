"""The ledger workbook's layout (DESIGN.md §6) and the limits of its
export and import, shared by ``export``, ``plan`` and ``apply``."""

from __future__ import annotations

from collections.abc import Callable

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
PHASE_EXPORT, PHASE_CHECK, PHASE_WRITE = "导出", "检查", "写入"
# Past this many problems a file is more likely the wrong one than a nearly
# right one; the list stops there rather than running to 100,000 entries.
MAX_ERRORS = 1000
