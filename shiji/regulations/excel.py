"""The rule-making register as a workbook, streamed with XlsxWriter
(``write_list_workbook``): user text never becomes a formula, dates are real
date cells, the header row is frozen."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import IO, Any

from django.db.models import Prefetch
from django.utils import timezone

from shiji.core.xlsx import Column, write_list_workbook
from shiji.ledger.models import Problem
from shiji.regulations import selectors
from shiji.regulations.models import Action, Status

SHEET = "建章立制"
COLUMNS = [
    Column("序号", 6),
    Column("高新区", 14),
    Column("制度名称", 36, wrap=True),
    Column("文号", 18),
    Column("类型", 8),
    Column("状态", 8),
    Column("印发日期", 12, date=True),
    Column("制定单位", 24),
    Column("相关问题", 24, wrap=True),
    Column("主要内容", 40, wrap=True),
]


def export_filename() -> str:
    return f"建章立制清单-{timezone.localdate():%Y%m%d}.xlsx"


def export_regulations(*, user: Any, params: Mapping[str, Any], out: IO[bytes] | Any) -> int:
    qs = selectors.regulation_filter(
        selectors.regulations_visible_to(user=user, action="regulation.export"),
        dict(params),
        user=user,
    ).prefetch_related(Prefetch("problems", queryset=Problem.objects.only("pk", "code")))
    return write_list_workbook(out, sheet=SHEET, columns=COLUMNS, rows=_rows(qs))


def _rows(qs: Any) -> Iterator[tuple[Any, ...]]:
    actions, statuses = dict(Action.choices), dict(Status.choices)
    for number, r in enumerate(qs.iterator(chunk_size=500), start=1):
        yield (
            number,
            r.zone.name,
            r.title,
            r.doc_number,
            str(actions.get(r.action, r.action)),
            str(statuses.get(r.status, r.status)),
            r.issued_on,
            r.org.name,
            "、".join(p.code for p in r.problems.all()),
            r.summary,
        )
