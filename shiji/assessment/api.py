"""政绩考核 JSON API (DESIGN.md §6, Assessment): the indicator library, a
zone's figures (enter, confirm, correct) and targets. Reads through
``assessment.selectors`` (another zone is a 404), writes through
``assessment.services``."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Literal

from django.utils import timezone
from django.utils.translation import gettext
from ninja import Field, File, Form, Query, Router, Schema
from ninja.files import UploadedFile
from ninja.responses import Status as Respond

from shiji.assessment import excel, scores, selectors, services
from shiji.assessment.campaign import Ratio, score_table
from shiji.assessment.models import (
    Comparator,
    Dimension,
    IndicatorKind,
    Measurement,
    PeriodLock,
    Target,
)
from shiji.assessment.periods import parse_period
from shiji.assessment.plausibility import number
from shiji.assessment.selectors import period_locked_q
from shiji.assessment.services.periods import period_lock_get
from shiji.core.errors import invalid
from shiji.core.schemas import COMMON_ERRORS, Day, ErrorOut, Id, In, SomeText, Text
from shiji.orgs.selectors import zone_get_for_user

router = Router(tags=["政绩考核"])

READ = {404: ErrorOut, **COMMON_ERRORS}
WRITE = {403: ErrorOut, 404: ErrorOut, 409: ErrorOut, **COMMON_ERRORS}
PAGE_SIZE = 200

# A figure as a client sends it: a JSON number or a numeric string. Its
# range is the indicator's (checked by the service, 422 on ``value``).
Value = Annotated[Decimal, Field(allow_inf_nan=False, max_digits=40)]
Code = Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[a-z0-9][a-z0-9_-]*$")]
Period = Annotated[str, Field(min_length=1, max_length=20, pattern=r"^[^\x00]*$")]


class IndicatorOut(Schema):
    code: str
    name: str
    kind: str = Field(description="visible（显绩）或 latent（潜绩）")
    dimension: str = Field(description="innovation, structure, green, openness, quality")
    unit: str
    dimension_label: str
    period_kind: str = Field(description="year, quarter, month")
    direction: str = Field(description="higher 或 lower（越高 / 越低越好）")
    weight: float
    weight_is_placeholder: bool
    min_value: float | None
    max_value: float | None
    computed_from: str

    @staticmethod
    def resolve_dimension_label(obj) -> str:
        return str(Dimension(obj.dimension).label)

    @staticmethod
    def resolve_direction(obj) -> str:
        return "higher" if obj.higher_is_better else "lower"


class IndicatorList(Schema):
    items: list[IndicatorOut]


class FlagOut(Schema):
    kind: str = Field(description="jump, relation, trajectory, rounding, corrected_after_lock")
    reason: str
    note: str = ""


class MeasurementOut(Schema):
    id: int
    zone: int
    indicator: str
    period: str
    value: str
    source: str
    report: str
    status: str = Field(description="entered（待确认）或 confirmed（已确认锁定）")
    flags: list[FlagOut]
    is_current: bool
    corrects: int | None
    correction_reason: str
    entered_by: str | None
    entered_at: dt.datetime
    confirmed_by: str | None
    confirmed_at: dt.datetime | None
    confirm_note: str
    period_locked: bool = Field(description="该高新区该期间是否已锁定")

    @staticmethod
    def resolve_period_locked(obj: Measurement) -> bool:
        # Annotated by the list (one query for the page); one query otherwise.
        known = getattr(obj, "period_locked", None)
        if known is not None:
            return bool(known)
        return period_lock_get(zone=obj.zone_id, period=obj.period) is not None

    @staticmethod
    def resolve_zone(obj: Measurement) -> int:
        return obj.zone_id

    @staticmethod
    def resolve_indicator(obj: Measurement) -> str:
        return obj.indicator.code

    @staticmethod
    def resolve_value(obj: Measurement) -> str:
        return number(obj.value)

    @staticmethod
    def resolve_corrects(obj: Measurement) -> int | None:
        return obj.corrects_id

    @staticmethod
    def resolve_entered_by(obj: Measurement) -> str | None:
        return obj.entered_by.username if obj.entered_by else None

    @staticmethod
    def resolve_confirmed_by(obj: Measurement) -> str | None:
        return obj.confirmed_by.username if obj.confirmed_by else None


class MeasurementList(Schema):
    count: int
    items: list[MeasurementOut]


class MeasurementFilters(Schema):
    zone: Id | None = Field(None, description="高新区 id；不可见的返回 404")
    indicator: Code | None = None
    period: Period | None = None
    current: bool | None = Field(None, description="只看现行数据（true）或只看被更正的（false）")


class MeasurementIn(In):
    zone: Id
    indicator: Code = Field(description="指标代码（GET /indicators）")
    period: Period = Field(description="按指标的统计周期：2026、2026Q1 或 2026-03")
    value: Value = Field(description="按指标单位填写的数值")
    source: SomeText = Field(max_length=100, description="统计部门")
    report: Text = Field("", max_length=200, description="报表名")


class ConfirmIn(In):
    note: Text = Field("", max_length=services.measurements.NOTE_LIMIT,
                       description="确认说明；数据有疑点时必填（422）")  # fmt: skip


class CorrectIn(In):
    value: Value
    reason: SomeText = Field(max_length=services.measurements.NOTE_LIMIT, description="更正理由")
    source: Text | None = Field(None, max_length=100)
    report: Text | None = Field(None, max_length=200)


class TargetOut(Schema):
    id: int
    zone: int
    indicator: str
    period: str
    comparator: str
    value: str
    source: str
    is_sample: bool

    @staticmethod
    def resolve_zone(obj: Target) -> int:
        return obj.zone_id

    @staticmethod
    def resolve_indicator(obj: Target) -> str:
        return obj.indicator.code

    @staticmethod
    def resolve_value(obj: Target) -> str:
        return number(obj.value)


class TargetList(Schema):
    items: list[TargetOut]


class TargetIn(In):
    zone: Id
    indicator: Code
    period: Period = Field(description="2026–2030 中的一年，或规划期“十五五”")
    comparator: Literal[tuple(Comparator.values)]  # type: ignore[valid-type]
    value: Value
    source: Text = Field("", max_length=200)


@router.get("indicators", response={200: IndicatorList, **COMMON_ERRORS}, summary="考核指标库")
def indicator_list(
    request,
    kind: Literal[tuple(IndicatorKind.values)] | None = None,  # type: ignore[valid-type]
    dimension: Literal[tuple(Dimension.values)] | None = None,  # type: ignore[valid-type]
):
    qs = selectors.indicators_active()
    if kind:
        qs = qs.filter(kind=kind)
    if dimension:
        qs = qs.filter(dimension=dimension)
    return {"items": list(qs)}


@router.get("measurements", response={200: MeasurementList, **READ}, summary="指标数据")
def measurement_list(
    request, filters: Query[MeasurementFilters], page: int = Query(1, ge=1, le=100_000)
):
    qs = selectors.measurements_visible_to(user=request.user)
    if filters.zone is not None:
        qs = qs.filter(zone=zone_get_for_user(user=request.user, pk=filters.zone))
    if filters.indicator:
        qs = qs.filter(indicator__code=filters.indicator)
    if filters.period:
        qs = qs.filter(period=filters.period)
    if filters.current is not None:
        qs = qs.filter(is_current=filters.current)
    qs = qs.order_by("zone", "indicator__dimension", "indicator__order", "period", "entered_at")
    qs = qs.annotate(period_locked=period_locked_q())
    start = (page - 1) * PAGE_SIZE
    return {"count": qs.count(), "items": list(qs[start : start + PAGE_SIZE])}


@router.post(
    "measurements",
    response={201: MeasurementOut, **WRITE},
    summary="填报指标数据",
    description=(
        "返回 `status: entered` 与合理性检查发现的疑点 `flags`。指标未知、期间格式或数值"
        "超出指标取值范围为 422；该期已有数据为 409（已确认的请提交更正）。"
    ),
)
def measurement_enter(request, payload: MeasurementIn):
    zone = zone_get_for_user(user=request.user, pk=payload.zone)
    m = services.measurement_enter(
        actor=request.user,
        zone=zone,
        indicator=payload.indicator,
        period=payload.period,
        value=payload.value,
        source=payload.source,
        report=payload.report,
    )
    return Respond(201, selectors.measurement_get_for_user(user=request.user, pk=m.pk))


# Before measurements/{measurement_id}: the first pattern that matches a path wins.
class MeasurementImportForm(Schema):
    zone: Id
    period: Period = Field(description="本次导入的期间：2026、2026Q1 或 2026-03")
    dry_run: bool = Field(False, description="true：只检查、报告，不写入")


class MeasurementImportError(Schema):
    row: int = Field(description="Excel 行号；0 表示整个文件")
    column: str
    message: str


class MeasurementImportFigure(Schema):
    row: int
    indicator: str
    value: str
    flags: list[FlagOut]


class MeasurementImportOut(Schema):
    created: int
    figures: list[MeasurementImportFigure]
    errors: list[MeasurementImportError]


class MeasurementImportRejected(MeasurementImportOut):
    detail: str
    code: str


def _import_body(plan: excel.ImportPlan, *, created: int) -> dict:
    return {
        "created": created,
        "figures": [
            {"row": f.row, "indicator": f.indicator.code, "value": number(f.value),
             "flags": f.flags}
            for f in plan.figures
        ],
        "errors": [
            {"row": e["row"] or 0, "column": e["column"], "message": e["message"]}
            for e in plan.errors
        ],
    }  # fmt: skip


@router.post(
    "measurements/import",
    response={200: MeasurementImportOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut,
              **COMMON_ERRORS, 422: MeasurementImportRejected | ErrorOut},
    summary="导入一个期间的指标数据（.xlsx）",
    description=(
        "multipart：`file`（下载的模板填写后的 .xlsx）、`zone`、`period`、`dry_run`。"
        "全部无误才写入，每项数据待他人确认；有任何错误时返回 422，响应体仍为 "
        "`{created: 0, figures, errors: [{row, column, message}]}`，什么都不写入。"
        "`dry_run` 时返回每项数据将带的疑点 `flags`。"
    ),
)  # fmt: skip
def measurement_import(request, file: File[UploadedFile], form: Form[MeasurementImportForm]):
    zone = zone_get_for_user(user=request.user, pk=form.zone)
    try:
        plan = excel.measurements_import(
            actor=request.user, zone=zone, period=form.period, file=file, dry_run=form.dry_run
        )
    except excel.ImportErrors as exc:
        plan = excel.ImportPlan(period=parse_period(form.period), errors=exc.errors)
    body = _import_body(plan, created=0 if form.dry_run or not plan.ok else len(plan.figures))
    if not plan.ok:
        detail = gettext("指标数据表有 %(count)s 处问题，未导入任何数据") % {
            "count": len(plan.errors)
        }
        return Respond(422, {**body, "detail": detail, "code": "invalid_workbook"})
    return body


# Period locks (before measurements/{measurement_id}, like the import) ------------------------


class PeriodLockIn(In):
    zone: Id
    period: Period = Field(description="要锁定的期间：2026、2026Q1 或 2026-03")
    note: Text = Field("", max_length=services.periods.NOTE_LIMIT, description="锁定说明")


class PeriodLockOut(Schema):
    zone: int
    period: str
    locked_by: str | None = Field(description="锁定人的用户名；系统锁定时为 null")
    locked_at: dt.datetime
    note: str

    @staticmethod
    def resolve_zone(obj: PeriodLock) -> int:
        return obj.zone_id

    @staticmethod
    def resolve_locked_by(obj: PeriodLock) -> str | None:
        return obj.locked_by.username if obj.locked_by else None


@router.post(
    "measurements/lock",
    response={200: PeriodLockOut, **WRITE},
    summary="锁定一个期间的指标数据",
    description=(
        "由本区工作专班锁定；锁定后该期间不能再填报或导入数据（409），修改只能提交更正"
        "（标为锁定后更正，由他人确认）。锁定不能撤销。仍有待确认的数据、该期间没有数据或"
        "已锁定时为 409；非工作专班为 403；不可见的高新区为 404；期间格式错误为 422。"
    ),
)
def period_lock(request, payload: PeriodLockIn):
    zone = zone_get_for_user(user=request.user, pk=payload.zone)
    return services.period_lock(
        actor=request.user, zone=zone, period=payload.period, note=payload.note
    )


@router.get("measurements/{measurement_id}", response={200: MeasurementOut, **READ})
def measurement_detail(request, measurement_id: int):
    return selectors.measurement_get_for_user(user=request.user, pk=measurement_id)


@router.post(
    "measurements/{measurement_id}/confirm",
    response={200: MeasurementOut, **WRITE},
    summary="确认指标数据（确认后锁定）",
    description="填报人本人确认为 403；已确认或已被更正为 409；有疑点而无 `note` 为 422。",
)
def measurement_confirm(request, measurement_id: int, payload: ConfirmIn):
    m = selectors.measurement_get_for_user(user=request.user, pk=measurement_id)
    services.measurement_confirm(actor=request.user, measurement=m, note=payload.note)
    return selectors.measurement_get_for_user(user=request.user, pk=measurement_id)


@router.post(
    "measurements/{measurement_id}/correct",
    response={201: MeasurementOut, **WRITE},
    summary="更正指标数据",
    description=(
        "生成一条新的待确认数据，原数据保留在历史中。已确认的数据只能由工作专班更正（403）；"
        "已被更正的数据为 409。"
    ),
)
def measurement_correct(request, measurement_id: int, payload: CorrectIn):
    m = selectors.measurement_get_for_user(user=request.user, pk=measurement_id)
    fixed = services.measurement_correct(
        actor=request.user,
        measurement=m,
        value=payload.value,
        reason=payload.reason,
        source=payload.source,
        report=payload.report,
    )
    return Respond(201, selectors.measurement_get_for_user(user=request.user, pk=fixed.pk))


@router.get("targets", response={200: TargetList, **READ}, summary="目标值（含 2026–2030 轨迹）")
def target_list(request, zone: Id | None = None, indicator: Code | None = None):
    qs = selectors.targets_visible_to(user=request.user)
    if zone is not None:
        qs = qs.filter(zone=zone_get_for_user(user=request.user, pk=zone))
    if indicator:
        qs = qs.filter(indicator__code=indicator)
    return {
        "items": list(qs.order_by("zone", "indicator__dimension", "indicator__order", "period"))
    }


@router.post(
    "targets",
    response={200: TargetOut, **WRITE},
    summary="设定目标值",
    description="按 高新区 × 指标 × 期间 新建或修改；期间为 2026–2030 中的一年或“十五五”。",
)
def target_set(request, payload: TargetIn):
    zone = zone_get_for_user(user=request.user, pk=payload.zone)
    target = services.target_set(
        actor=request.user,
        zone=zone,
        indicator=payload.indicator,
        period=payload.period,
        comparator=payload.comparator,
        value=payload.value,
        source=payload.source,
    )
    return selectors.targets_visible_to(user=request.user).get(pk=target.pk)


# Campaign scores (运动实绩) -------------------------------------------------------
# (kept together: assessment/campaign.py computes, views_campaign.py shows)


class RatioOut(Schema):
    num: int = Field(description="分子")
    den: int = Field(description="分母")
    percent: Decimal | None = Field(description="百分比，一位小数；分母为 0 时为 null")


class CategoryCountOut(Schema):
    name: str
    count: int


class CampaignFiguresOut(Schema):
    study_coverage: RatioOut
    task_on_time: RatioOut
    problems: int
    by_category: list[CategoryCountOut]
    closure: RatioOut
    rectification_on_time: RatioOut
    relapse: RatioOut
    extensions: int = Field(description="延期次数")
    extended: int = Field(description="延期过的问题数")
    rules: int = Field(description="统计期内印发的制度数")
    reply_on_time: RatioOut
    satisfaction: RatioOut


class CampaignRowOut(Schema):
    zone: int
    org: int | None = Field(None, description="组织 id；按高新区比较时为 null")
    name: str
    own: bool = Field(description="true：只计本单位自身的记录（本级）")
    start: dt.date
    end: dt.date
    figures: CampaignFiguresOut


class CampaignScoresOut(Schema):
    mode: Literal["zones", "orgs"]
    items: list[CampaignRowOut]
    total: CampaignRowOut | None = None


def _campaign_row(table, row) -> dict | None:
    f, w = row.figures, row.figures.window
    if w is None or row.zone is None:
        return None

    def ratio(r: Ratio) -> dict:
        return {"num": r.num, "den": r.den, "percent": r.percent}

    return {
        "zone": row.zone.pk,
        "org": row.org.pk if row.org is not None else None,
        "name": row.name,
        "own": row.own,
        "start": w.start,
        "end": w.end,
        "figures": {
            "study_coverage": ratio(f.study_coverage),
            "task_on_time": ratio(f.task_on_time),
            "problems": f.problems,
            "by_category": [
                {"name": col.name, "count": n}
                for col, (_cid, n) in zip(table.categories, table.category_counts(row), strict=True)
            ],
            "closure": ratio(f.closure),
            "rectification_on_time": ratio(f.rectification_on_time),
            "relapse": ratio(f.relapse),
            "extensions": f.extensions,
            "extended": f.extended,
            "rules": f.rules,
            "reply_on_time": ratio(f.reply_on_time),
            "satisfaction": ratio(f.satisfaction),
        },
    }


@router.get(
    "campaign-scores",
    response={200: CampaignScoresOut, **READ},
    summary="运动实绩（学习教育成效）",
    description=(
        "不带 zone 时按调用者可完整查看的高新区逐区比较；带 zone（或 org）时按该组织的下级"
        "组织逐个统计（不带 org 时从高新区顶层或调用者自己的组织开始）。统计期默认为各高新区"
        "最近一次学习教育开始日期至今天，可用 from、to 指定。各项定义见页面 /assessment/campaign/。"
        "zone 或 org 超出调用者范围时返回 404。"
    ),
)
def campaign_scores(
    request,
    zone: Id | None = None,
    org: Id | None = None,
    start: Day | None = Query(None, alias="from", description="开始日期"),  # noqa: B008
    end: Day | None = Query(None, alias="to", description="结束日期"),  # noqa: B008
):
    if start and end and end < start:
        raise invalid(to=gettext("结束日期不能早于开始日期"))
    table = score_table(user=request.user, zone=zone, org=org, start=start, end=end)
    items = [r for r in (_campaign_row(table, row) for row in table.rows) if r is not None]
    total = _campaign_row(table, table.total) if table.total is not None else None
    return {"mode": table.mode, "items": items, "total": total}


# Scores (显绩 and 潜绩 side by side) ------------------------------------------------------


class ScoreFlagOut(Schema):
    kind: str = Field(description="jump, relation, trajectory, rounding, corrected_after_lock")
    label: str
    reason: str
    note: str = Field(description="确认人的核实说明")
    period: str


class ScoreItemOut(Schema):
    indicator: str = Field(description="指标代码")
    name: str
    kind: str = Field(description="visible（显绩）或 latent（潜绩）")
    dimension: str
    unit: str
    direction: str = Field(description="higher 或 lower（越高 / 越低越好）")
    basis: str = Field(
        description="实际值的取法：year（年度数据）、latest（本年最新一期，比率）、"
        "sum（本年已确认各期之和）、records（实绩平台记录）；无数据时为空"
    )
    value: str | None = Field(description="实际值；只计已确认的现行数据")
    period: str = Field(description="实际值所覆盖的期间")
    periods: list[str]
    target: str | None = Field(description="本年目标值")
    target_compared: str | None = Field(description="与实际值比较的目标（按期数或时间进度折算）")
    plan_target: str | None = Field(description="“十五五”目标值")
    progress: float | None = Field(description="完成进度（%），未封顶")
    on_track: bool | None = Field(description="完成进度 ≥ 100%，即达到年度目标轨迹")
    score: float | None = Field(description="单项得分 0–100：min(完成进度, 100%) × 100")
    weight: float
    weight_share: float | None = Field(description="在本维度同类指标中归一后的权重")
    weight_is_placeholder: bool
    pending: int = Field(description="本年待确认、不计分的数据项数")
    flags: list[ScoreFlagOut]


class ScoreDimensionOut(Schema):
    code: str
    label: str
    visible: float | None = Field(description="本维度显绩得分 0–100")
    latent: float | None = Field(description="本维度潜绩得分 0–100")


class ScoresOut(Schema):
    zone: int
    year: int
    as_of: dt.date = Field(description="计算日")
    visible: float | None = Field(description="显绩：各维度显绩得分的平均（只计有得分的维度）")
    latent: float | None = Field(description="潜绩：各维度潜绩得分的平均（只计有得分的维度）")
    composite: float | None = Field(
        description="综合 = (显绩 + 潜绩) ÷ 2，仅在两者都有时给出；始终与显绩、潜绩并列使用"
    )
    dimensions: list[ScoreDimensionOut]
    items: list[ScoreItemOut]
    flagged: int = Field(description="本年现行数据中有疑点的项数")
    pending: int = Field(description="本年待确认、不计分的数据项数")
    placeholder_weights: bool = Field(description="得分所用权重中有待确认的示例值")
    formula: list[str] = Field(description="计分方法")


def _f(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def _n(value: Decimal | None) -> str | None:
    return None if value is None else number(value)


def _scores_body(result: scores.ZoneScore) -> dict:
    return {
        "zone": result.zone.pk,
        "year": result.year,
        "as_of": result.as_of,
        "visible": _f(result.visible),
        "latent": _f(result.latent),
        "composite": _f(result.composite),
        "dimensions": [
            {"code": d.code, "label": d.label, "visible": _f(d.visible), "latent": _f(d.latent)}
            for d in result.dimensions
        ],
        "items": [
            {
                "indicator": i.indicator.code,
                "name": i.indicator.name,
                "kind": i.indicator.kind,
                "dimension": i.indicator.dimension,
                "unit": i.indicator.unit,
                "direction": "higher" if i.indicator.higher_is_better else "lower",
                "basis": i.basis,
                "value": _n(i.value),
                "period": i.period,
                "periods": i.periods,
                "target": _n(i.target.value) if i.target else None,
                "target_compared": _n(i.target_compared),
                "plan_target": _n(i.plan_target.value) if i.plan_target else None,
                "progress": _f(i.progress),
                "on_track": i.on_track,
                "score": _f(i.score),
                "weight": float(i.indicator.weight),
                "weight_share": _f(i.weight_share),
                "weight_is_placeholder": i.indicator.weight_is_placeholder,
                "pending": i.pending,
                "flags": [vars(f) for f in i.flags],
            }
            for i in result.items
        ],
        "flagged": result.flagged,
        "pending": result.pending,
        "placeholder_weights": result.placeholder_weights,
        "formula": [str(line) for line in scores.FORMULA],
    }


@router.get(
    "scores",
    response={200: ScoresOut, **READ},
    summary="考核得分（显绩、潜绩并列）",
    description=(
        "一个高新区一年（2026–2030，缺省为今年）的考核得分：显绩、潜绩分列，综合只与两者并列；"
        "各维度得分与各指标的实际值、目标、完成进度和疑点。只计已确认的现行数据。"
        "不可见的高新区为 404；缺少或不合法的 `zone`、`year` 为 422。计分方法见 `formula`。"
    ),
)
def score_detail(request, zone: Id, year: int | None = Query(None, ge=2000, le=2100)):
    found = zone_get_for_user(user=request.user, pk=zone)
    the_year = (
        scores.clean_year(year) if year is not None else scores.default_year(timezone.localdate())
    )
    (result,) = scores.zone_scores(zones=[found], year=the_year, as_of=timezone.localdate())
    return _scores_body(result)
