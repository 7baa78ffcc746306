"""Task list workbooks (任务清单), streamed with XlsxWriter and laid out for A4
paper by ``core.xlsx.SheetWriter`` (title, repeated header, page numbers,
rows as tall as their text). User text never becomes a formula; dates are
real date cells.

- ``export_tasks``: sheet 任务清单, one row per task with its assignments
  summarised ("应完成 12 个单位，已完成 9，逾期 2") and the overdue
  organizations named; sheet 分单位明细, one row per organization's share.
- ``export_matrix``: the org × task matrix, as the matrix page shows it.

Export only (nothing reads them back), so their words follow the page
language.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import IO, Any

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from shiji.campaigns import selectors
from shiji.campaigns.models import AssignmentStatus
from shiji.core.lights import Light
from shiji.core.xlsx import (
    FONT_SIZE,
    MIN_PRINT_PT,
    Column,
    ExportFormats,
    SheetWriter,
    dated_page_header,
    print_scale,
    streaming_workbook,
)
from shiji.orgs.models import Sector, Zone

TASK_SHEET, DETAIL_SHEET, MATRIX_SHEET = _("任务清单"), _("分单位明细"), _("任务进度总览")
ZONE_COLUMN = Column(_("高新区"), 8)
TASK_COLUMNS = [
    Column(_("序号"), 5),
    Column(_("工作安排"), 9),
    Column(_("任务"), 40),
    Column(_("适用领域"), 9),
    Column(_("完成时限"), 11.5, date=True),
    Column(_("完成情况"), 22),
    Column(_("逾期未完成的单位"), 30),
]
DETAIL_COLUMNS = [
    Column(_("序号"), 5),
    Column(_("任务"), 20),
    Column(_("完成时限"), 11.5, date=True),
    Column(_("单位"), 14),
    Column(_("领域"), 8.5),
    Column(_("状态"), 6.5),
    Column(_("红黄绿灯"), 6),
    Column(_("完成情况"), 26),
    Column(_("报送日期"), 11.5, date=True),
    Column(_("审核日期"), 11.5, date=True),
    Column(_("退回理由"), 14),
]
# The matrix: one column per task, as many as fit A4 across with text of
# at least MIN_PRINT_PT; a zone with more tasks gets one sheet per group.
MATRIX_ORG = Column(_("单位"), 14)
MATRIX_TASK_WIDTH = 8.5
MATRIX_DONE = Column(_("已通过 / 分派"), 8)


def _tasks_per_sheet() -> int:
    fits = 1
    for n in range(1, 60):
        widths = [MATRIX_ORG.width, *[MATRIX_TASK_WIDTH] * n, MATRIX_DONE.width]
        if print_scale(widths, landscape=True) * FONT_SIZE / 100 >= MIN_PRINT_PT:
            fits = n
    return fits


MATRIX_TASKS_PER_SHEET = _tasks_per_sheet()


def summary(*, total: int, done: int, reported: int, overdue: int) -> str:
    """A task's assignments in one line, e.g. "应完成 12 个单位，已完成 9，逾期 2"."""
    if not total:
        return gettext("未分派到单位")
    parts = [
        gettext("应完成 %(n)s 个单位") % {"n": total},
        gettext("已完成 %(n)s") % {"n": done},
    ]
    if reported:
        parts.append(gettext("待审核 %(n)s") % {"n": reported})
    if overdue:
        parts.append(gettext("逾期 %(n)s") % {"n": overdue})
    return gettext("，").join(parts)


def export_title(zone: Zone | None, what: Any = TASK_SHEET) -> str:
    where = zone.name if zone else gettext("各高新区")
    return gettext("%(zone)s%(what)s") % {"zone": where, "what": what}


def export_tasks(
    *, user: Any, params: Mapping[str, Any], zone: Zone | None, out: IO[bytes] | Any
) -> int:
    """Write the tasks ``user`` may export (``task.export``), filtered like
    the task list page (``selectors.task_filter``), into ``out``: the task
    sheet and the per-organization detail. ``zone`` is the one zone the
    export covers, or None (a 高新区 column then tells the rows apart).
    Returns the number of tasks."""
    tasks = selectors.task_filter(
        selectors.tasks_visible_to(user=user, action="task.export"), dict(params)
    )
    assignments = (
        selectors.assignments_visible_to(user=user, action="task.export")
        .filter(task__in=tasks.order_by().values("pk"))
        .order_by("task__deadline", "task_id", "org__path")
    )
    counts = _counts(assignments)
    overdue = _overdue_orgs(assignments)
    statuses, sectors = dict(AssignmentStatus.choices), dict(Sector.choices)
    lights = dict(Light.choices)
    several = zone is None

    book = streaming_workbook(out)
    book.set_properties({"title": export_title(zone), "author": gettext("实绩")})
    formats = ExportFormats(book)
    page_header = _page_header(zone)
    task_sheet = SheetWriter(
        book,
        formats,
        name=TASK_SHEET,
        columns=_with_zone(TASK_COLUMNS, ZONE_COLUMN if several else None),
        title=export_title(zone),
        page_header=page_header,
    )
    detail_sheet = SheetWriter(
        book,
        formats,
        name=DETAIL_SHEET,
        columns=_with_zone(DETAIL_COLUMNS, ZONE_COLUMN if several else None),
        title=gettext("%(name)s（%(text)s）") % {"name": export_title(zone), "text": DETAIL_SHEET},
        page_header=page_header,
    )
    for number, task in enumerate(tasks.iterator(chunk_size=500), start=1):
        total, done, reported, red = counts.get(task.pk, (0, 0, 0, 0))
        task_sheet.write(
            _with_zone(
                [
                    number,
                    task.arrangement.name,
                    task.title,
                    gettext("、").join(task.sector_labels),
                    task.deadline,
                    summary(total=total, done=done, reported=reported, overdue=red),
                    gettext("、").join(overdue.get(task.pk, [])),
                ],
                task.zone.name if several else None,
            )
        )
    for number, a in enumerate(assignments.iterator(chunk_size=1000), start=1):
        detail_sheet.write(
            _with_zone(
                [
                    number,
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
                ],
                a.task.zone.name if several else None,
            )
        )
    task_sheet.close()
    detail_sheet.close()
    book.close()
    return task_sheet.count


def _with_zone(items: list[Any], zone_item: Any) -> list[Any]:
    """``items`` (columns or a row's values) with the 高新区 one after 序号,
    when the export spans several zones (``zone_item`` is not None)."""
    return items if zone_item is None else [items[0], zone_item, *items[1:]]


def _page_header(zone: Zone | None) -> tuple[str, str]:
    return dated_page_header(zone.name if zone else "")


def _counts(assignments: Any) -> dict[int, tuple[int, int, int, int]]:
    """Per task: assignments, accepted, reported (awaiting review), overdue."""
    rows = (
        assignments.order_by()
        .values("task_id")
        .annotate(
            total=Count("pk"),
            done=Count("pk", filter=Q(status=AssignmentStatus.ACCEPTED)),
            reported=Count("pk", filter=Q(status=AssignmentStatus.REPORTED)),
            red=Count("pk", filter=Q(light=Light.RED)),
        )
    )
    return {r["task_id"]: (r["total"], r["done"], r["reported"], r["red"]) for r in rows}


def _overdue_orgs(assignments: Any) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    for task_id, name in assignments.filter(light=Light.RED).values_list("task_id", "org__name"):
        out.setdefault(task_id, []).append(name)
    return out


def export_matrix(*, user: Any, zone: Zone, params: Mapping[str, Any], out: IO[bytes] | Any) -> int:
    """Write ``zone``'s org × task matrix as the matrix page shows it to
    ``user`` (``selectors.task_matrix``: the same organizations, tasks and
    filter) into ``out``: a row per organization, a column per task (its
    full name in the header), a total row. More tasks than fit A4 across
    go on further sheets, each with the organization column. Returns the
    number of organizations."""
    grid = selectors.task_matrix(user=user, zone=zone, params=dict(params))
    book = streaming_workbook(out)
    title = export_title(zone, MATRIX_SHEET)
    book.set_properties({"title": title, "author": gettext("实绩")})
    formats = ExportFormats(book)
    step = MATRIX_TASKS_PER_SHEET
    starts = range(0, len(grid.tasks), step) if grid.tasks else [0]
    for first in starts:
        tasks = grid.tasks[first : first + step]
        last = first + len(tasks)
        name = (
            MATRIX_SHEET
            if len(starts) == 1
            else gettext("%(name)s（%(text)s）")
            % {"name": MATRIX_SHEET, "text": f"{first + 1}-{last}"}
        )
        columns = [
            MATRIX_ORG,
            *(
                Column(f"{first + i}. {task.title}", MATRIX_TASK_WIDTH)
                for i, task in enumerate(tasks, start=1)
            ),
            MATRIX_DONE,
        ]
        sheet = SheetWriter(
            book,
            formats,
            name=name,
            columns=columns,
            title=title,
            page_header=_page_header(zone),
        )
        for row in grid.rows:
            sheet.write(
                [
                    "\u3000" * row.indent + row.org.name,  # full-width spaces show the tree
                    *(_matrix_cell(cell) for cell in row.cells[first:last]),
                    f"{row.done} / {row.total}",
                ]
            )
        sheet.write(
            [
                gettext("合计（已通过 / 分派）"),
                *(
                    f"{done} / {total}"
                    for done, total in zip(
                        grid.done[first:last], grid.totals[first:last], strict=True
                    )
                ),
                "",
            ]
        )
        sheet.close()
    book.close()
    return len(grid.rows)


def _matrix_cell(cell: selectors.MatrixCell | None) -> str:
    """The status, with the light in words (paper is often black and white)."""
    if cell is None:
        return "—"
    if cell["light"] == Light.RED:
        return gettext("%(label)s（超期）") % {"label": cell["label"]}
    if cell["light"] == Light.YELLOW:
        return gettext("%(label)s（临期）") % {"label": cell["label"]}
    return str(cell["label"])
