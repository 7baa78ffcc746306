"""The rule-making register as a workbook, streamed with XlsxWriter and laid
out for A4 paper by ``core.xlsx.write_list_workbook`` (title, repeated
header, page numbers, rows as tall as their text): user text never becomes
a formula, dates are real date cells. Export only (nothing reads it back),
so its words follow the page language."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import IO, Any

from django.db.models import Prefetch
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from shiji.core.xlsx import Column, dated_page_header, write_list_workbook
from shiji.ledger.models import Problem
from shiji.orgs.models import Zone
from shiji.regulations import selectors
from shiji.regulations.models import Action, Status

SHEET = _("建章立制")
WHAT = _("建章立制清单")
COLUMNS = [
    Column(_("序号"), 5),
    Column(_("制度名称"), 24),
    Column(_("文号"), 14),
    Column(_("类型"), 5),
    Column(_("状态"), 5),
    Column(_("印发日期"), 11.5, date=True),
    Column(_("制定单位"), 14),
    Column(_("相关问题"), 14),
    Column(_("主要内容"), 30),
]
ZONE_COLUMN = Column(_("高新区"), 8)


def export_title(zone: Zone | None) -> str:
    """Its printed title: the zone (or every zone) and what it is."""
    where = zone.name if zone else gettext("各高新区")
    return gettext("%(zone)s%(what)s") % {"zone": where, "what": WHAT}


def export_queryset(*, user: Any, params: Mapping[str, Any]) -> Any:
    return selectors.regulation_filter(
        selectors.regulations_visible_to(user=user, action="regulation.export"),
        dict(params),
        user=user,
    )


def export_regulations(
    *, user: Any, params: Mapping[str, Any], zone: Zone | None, out: IO[bytes] | Any
) -> int:
    """Write the register ``user`` may export, filtered like the list page,
    into ``out``. ``zone`` is the one zone it covers, or None (a 高新区
    column then tells the rows apart). Returns the number of rows."""
    qs = export_queryset(user=user, params=params).prefetch_related(
        Prefetch("problems", queryset=Problem.objects.only("pk", "code"))
    )
    several = zone is None
    columns = [COLUMNS[0], ZONE_COLUMN, *COLUMNS[1:]] if several else COLUMNS
    return write_list_workbook(
        out,
        sheet=SHEET,
        columns=columns,
        rows=_rows(qs, several=several),
        title=export_title(zone),
        page_header=dated_page_header(zone.name if zone else ""),
    )


def _rows(qs: Any, *, several: bool) -> Iterator[list[Any]]:
    actions, statuses = dict(Action.choices), dict(Status.choices)
    for number, r in enumerate(qs.iterator(chunk_size=500), start=1):
        row = [
            number,
            r.title,
            r.doc_number,
            str(actions.get(r.action, r.action)),
            str(statuses.get(r.status, r.status)),
            r.issued_on,
            r.org.name,
            gettext("、").join(p.code for p in r.problems.all()),
            r.summary,
        ]
        yield [number, r.zone.name, *row[1:]] if several else row
