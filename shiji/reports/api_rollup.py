"""The roll-up's JSON API (DESIGN.md §6): ``GET /api/v1/rollup?province=``
→ ``{items: [{zone, ...figures}]}`` for the zones in the caller's scope,
the same figures as the roll-up page (``reports.dashboards.rollup``)."""

from __future__ import annotations

import datetime as dt

from ninja import Field, Query, Router, Schema

from shiji.core.schemas import COMMON_ERRORS, ErrorOut, Text
from shiji.orgs import policy
from shiji.reports import dashboards

router = Router(tags=["统计报表"])


class RollupFilters(Schema):
    province: Text | None = Field(
        None, max_length=50, description="省份；不在调用者查看范围内的返回 404"
    )


class RateOut(Schema):
    percent: float | None = Field(description="百分比（一位小数）；没有可计算的记录时为 null")
    num: int
    den: int


class RollupItem(Schema):
    zone: int = Field(description="高新区 id")
    zone_code: str
    zone_name: str
    province: str
    period_start: dt.date | None
    period_end: dt.date | None
    problems: int = Field(description="统计期内发现、未撤销的问题数")
    red: int = Field(description="当前红灯（超过整改时限未销号）问题数")
    closed: int
    closure: RateOut
    on_time: RateOut
    relapsed: int
    extensions: int
    study_coverage: RateOut
    task_on_time: RateOut
    rules: int
    reply_on_time: RateOut
    satisfaction: RateOut


class RollupOut(Schema):
    items: list[RollupItem]


@router.get(
    "rollup",
    response={200: RollupOut, 403: ErrorOut, 404: ErrorOut, **COMMON_ERRORS},
    summary="高新区汇总（统计报表）",
    description="调用者整体可见的高新区（全国、本省或本区），按红灯数从多到少排列。",
)
def rollup(request, filters: Query[RollupFilters]):
    policy.require(request.user, "report.view")
    data = dashboards.report_reads(
        lambda: dashboards.rollup(user=request.user, province=filters.province, with_panels=False)
    )
    return {"items": dashboards.rollup_items(data)}
