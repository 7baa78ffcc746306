"""The task list as a workbook (任务清单): one row per organization's share,
streamed with XlsxWriter (``write_list_workbook``). User text never becomes
a formula; dates are real date cells; the header row is frozen."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import IO, Any

from django.utils import timezone

from shiji.campaigns import selectors
from shiji.campaigns.models import AssignmentStatus
from shiji.core.xlsx import Column, write_list_workbook
from shiji.ledger.models import Light
from shiji.orgs.models import Sector

SHEET = "任务清单"
COLUMNS = [
    Column("序号", 6),
    Column("高新区", 14),
    Column("工作安排", 12),
    Column("任务", 40, wrap=True),
    Column("完成时限", 12, date=True),
    Column("单位", 28),
    Column("领域", 10),
    Column("状态", 10),
    Column("红黄绿灯", 10),
    Column("完成情况", 40, wrap=True),
    Column("报送日期", 12, date=True),
    Column("审核日期", 12, date=True),
    Column("退回理由", 24, wrap=True),
]


def export_filename() -> str:
    return f"任务清单-{timezone.localdate():%Y%m%d}.xlsx"


def export_assignments(*, user: Any, params: Mapping[str, Any], out: IO[bytes] | Any) -> int:
    """Write the assignments ``user`` may export (``task.export``), filtered like
    the task pages, into ``out``. Returns the number of rows."""
    qs = selectors.assignment_filter(
        selectors.assignments_visible_to(user=user, action="task.export"), dict(params)
    )
    return write_list_workbook(out, sheet=SHEET, columns=COLUMNS, rows=_rows(qs))


def _rows(qs: Any) -> Iterator[tuple[Any, ...]]:
    statuses, sectors = dict(AssignmentStatus.choices), dict(Sector.choices)
    lights = dict(Light.choices)
    for number, a in enumerate(qs.iterator(chunk_size=1000), start=1):
        yield (
            number,
            a.task.zone.name,
            a.task.arrangement.name,
            a.task.title,
            a.task.deadline,
            a.org.name,
            str(sectors.get(a.org.sector, a.org.sector)),
            str(statuses.get(a.status, a.status)),
            str(lights.get(a.light, a.light)),
            a.report_note,
            timezone.localtime(a.reported_at).date() if a.reported_at else None,
            timezone.localtime(a.reviewed_at).date() if a.reviewed_at else None,
            a.return_reason,
        )
