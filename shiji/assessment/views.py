"""政绩考核 pages: the indicator library, and a zone's figures for a period
with the forms to enter, confirm and correct them. Thin views over the
selectors and services (the API calls the same ones)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from shiji.assessment import excel, selectors, services
from shiji.assessment.models import (
    Comparator,
    Dimension,
    Indicator,
    Measurement,
    MeasurementStatus,
    PeriodKind,
)
from shiji.assessment.periods import Period, last_finished_quarter, parse_period
from shiji.assessment.plausibility import FLAG_KINDS, replaces_locked
from shiji.assessment.services.periods import LOCK_ACTION, LockState, period_lock_get
from shiji.assessment.services.targets import TRAJECTORY_PLAN, TRAJECTORY_YEARS
from shiji.core.downloads import (
    attachment_response,
    export_filename,
    export_response,
    stored_file_response,
)
from shiji.core.errors import AppError, Forbidden, Invalid, invalid
from shiji.core.pages import error_response
from shiji.core.validation import parse_id
from shiji.orgs import policy
from shiji.orgs.models import Zone
from shiji.orgs.selectors import zone_get_for_user, zones_visible_to

AREA = "assessment"
TARGET_PERIODS = [*(str(y) for y in TRAJECTORY_YEARS), TRAJECTORY_PLAN]
STATUS_BADGES: dict[str, str] = {
    MeasurementStatus.ENTERED: "bg-orange-lt",
    MeasurementStatus.CONFIRMED: "bg-green-lt",
}


@dataclass
class ZoneLink:
    zone: Zone
    flag_count: int


@dataclass
class Figure:
    """A figure as the table shows it, with what the viewer may do to it."""

    m: Measurement
    badge: str
    flags: list[dict[str, Any]] = field(default_factory=list)
    may_confirm: bool = False
    own_entry: bool = False  # the reader entered it and it waits for someone else
    may_correct: bool = False
    confirm_errors: dict[str, str] = field(default_factory=dict)
    correct_errors: dict[str, str] = field(default_factory=dict)


@dataclass
class TableRow:
    indicator: Indicator
    form_id: str
    current: Figure | None
    history: list[Figure]


def _badge(m: Measurement) -> str:
    return STATUS_BADGES.get(m.status, "bg-secondary-lt")


@login_required
@require_GET
def indicator_list(request: HttpRequest) -> HttpResponse:
    request.area = AREA  # type: ignore[attr-defined]  # read by web.context.shell
    indicators = list(selectors.indicators_active())
    dimensions = [
        {"code": code, "label": label, "indicators": [i for i in indicators if i.dimension == code]}
        for code, label in Dimension.choices
    ]
    counts = selectors.flag_counts(user=request.user)
    zones = [
        ZoneLink(zone=z, flag_count=counts.get(z.pk, 0))
        for z in zones_visible_to(user=request.user).order_by("name")
    ]
    context = {
        "dimensions": dimensions,
        "relations": list(selectors.relations_all()),
        "zones": zones,
        "any_indicator": bool(indicators),
        "any_placeholder": any(i.weight_is_placeholder for i in indicators),
    }
    return render(request, "assessment/indicators.html", context)


def _default_period() -> Period:
    return last_finished_quarter(timezone.localdate())


def _period_choices(current: Period) -> list[Period]:
    """Quick links: the four quarters up to the shown one's year, and two years."""
    year = current.year
    quarters = [Period(year, q, PeriodKind.QUARTER) for q in range(1, 5)]
    years = [Period(year - 1, 0, PeriodKind.YEAR), Period(year, 0, PeriodKind.YEAR)]
    return [*quarters, *years]


def _table_url(zone: Any, period: Period | str) -> str:
    return reverse("assessment:figures") + "?" + urlencode({"zone": zone.pk, "period": str(period)})


def _render_table(
    request: HttpRequest,
    *,
    zone: Any,
    period: Period,
    zones: list,
    error: AppError | None = None,
    form: str = "",
    posted: dict[str, str] | None = None,
    period_error: str = "",
) -> HttpResponse:
    user = request.user
    request.area = AREA  # type: ignore[attr-defined]  # read by web.context.shell
    lock = period_lock_get(zone=zone, period=period) if zone is not None else None
    may_enter = zone is not None and policy.can(user, "measurement.enter", zone)
    can_enter = may_enter and lock is None
    can_confirm = zone is not None and policy.can(user, "measurement.confirm", zone)
    can_correct_locked = zone is not None and policy.can(user, "measurement.correct", zone)
    me = policy.user_of(user)
    fields = error.fields if error else {}
    rows: list[TableRow] = []
    for row in selectors.measurement_table(zone=zone, period=period) if zone else []:
        current = None
        m = row.current
        if m is not None:
            own = me is not None and me.pk == m.entered_by_id
            current = Figure(
                m=m,
                badge=_badge(m),
                flags=[{**f, "label": FLAG_KINDS.get(f["kind"], f["kind"])} for f in m.flags],
                # In a locked period only corrections are confirmed (the service's rule).
                may_confirm=can_confirm
                and m.status == MeasurementStatus.ENTERED
                and not own
                and (lock is None or m.corrects_id is not None),
                own_entry=own and m.status == MeasurementStatus.ENTERED,
                may_correct=can_correct_locked if replaces_locked(m) else can_enter,
                confirm_errors=fields if form == f"confirm:{m.pk}" else {},
                correct_errors=fields if form == f"correct:{m.pk}" else {},
            )
        rows.append(
            TableRow(
                indicator=row.indicator,
                form_id=f"enter:{row.indicator.code}",
                current=current,
                history=[Figure(m=old, badge=_badge(old)) for old in row.history],
            )
        )
    shown = [r.current.m for r in rows if r.current is not None]
    # The page's own figures, so the button is explained without a query
    # more; the service counts again when the lock is asked for.
    lock_state = LockState(
        figures=len(shown),
        pending=sum(1 for m in shown if m.status != MeasurementStatus.CONFIRMED),
    )
    context = {
        "zone": zone,
        "zones": zones,
        "period": period,
        "period_choices": _period_choices(period),
        "rows": rows,
        "can_enter": can_enter,
        "may_enter": may_enter,
        "lock": lock,
        "can_lock": zone is not None and lock is None and policy.can(user, LOCK_ACTION, zone),
        "lock_blocked": lock_state.reason,
        "unfilled": sum(1 for r in rows if r.current is None),
        "error": error,
        "form": form,
        "field_errors": error.fields if error else {},
        "posted": posted or {},
        "period_error": period_error,
        "flagged": sum(1 for r in rows if r.current and r.current.flags),
    }
    return render(request, "assessment/figures.html", context)


def _zone_of(request: HttpRequest, zones: list, value: Any) -> Any:
    if len(zones) == 1 and not value:
        return zones[0]
    wanted = parse_id(value)
    return next((z for z in zones if z.pk == wanted), None)


@login_required
@require_GET
def measurement_table(request: HttpRequest) -> HttpResponse:
    zones = list(zones_visible_to(user=request.user).order_by("name"))
    zone = _zone_of(request, zones, request.GET.get("zone"))
    if request.GET.get("zone") and zone is None:
        zone_get_for_user(user=request.user, pk=request.GET.get("zone"))  # 404
    period_error = ""
    try:
        period = (
            parse_period(request.GET["period"]) if request.GET.get("period") else _default_period()
        )
    except Invalid as exc:
        period, period_error = _default_period(), exc.message
    return _render_table(request, zone=zone, period=period, zones=zones, period_error=period_error)


def _posted(request: HttpRequest, *names: str) -> dict[str, str]:
    return {n: request.POST.get(n, "") for n in names}


def _posted_zone_period(
    request: HttpRequest, *names: str
) -> tuple[list, dict[str, str], Any, Period]:
    """A posted form of the figures page: the zones the user sees, the posted
    fields, the zone (None until one is chosen) and the period to show the
    page at again (the default one when the posted period does not parse)."""
    zones = list(zones_visible_to(user=request.user).order_by("name"))
    posted = _posted(request, "zone", "period", *names)
    zone = _zone_of(request, zones, posted["zone"])
    try:
        period = parse_period(posted["period"])
    except Invalid:
        period = _default_period()
    return zones, posted, zone, period


def _chosen(user: Any, zone: Any, posted: dict[str, str]) -> Any:
    """``zone``; else a 404 for a posted zone the user cannot see, or a field
    error when none was chosen."""
    if zone is None:
        if posted["zone"]:
            zone_get_for_user(user=user, pk=posted["zone"])  # 404
        raise invalid(zone=_("请选择高新区"))
    return zone


@login_required
@require_POST
def measurement_enter(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not policy.can(user, "measurement.enter"):
        raise Forbidden(_("您没有填报指标数据的权限"))
    zones, posted, zone, period = _posted_zone_period(
        request, "indicator", "value", "source", "report"
    )
    form = f"enter:{posted['indicator']}"
    try:
        m = services.measurement_enter(
            actor=user,
            zone=_chosen(user, zone, posted),
            indicator=posted["indicator"],
            period=posted["period"],
            value=posted["value"],
            source=posted["source"],
            report=posted["report"],
            file=request.FILES.get("file"),
        )
    except AppError as exc:
        return error_response(
            request,
            exc,
            lambda e: _render_table(
                request, zone=zone, period=period, zones=zones, error=e, form=form, posted=posted
            ),
        )
    if m.flags:
        messages.warning(
            request,
            _("已填报%(name)s，发现 %(n)d 个疑点，待他人核实确认")
            % {"name": m.indicator.name, "n": len(m.flags)},
        )
    else:
        messages.success(request, _("已填报%(name)s，待他人确认") % {"name": m.indicator.name})
    return redirect(_table_url(zone, m.period) + f"#ind-{m.indicator.code}")


def _act(request: HttpRequest, pk: int, form: str, call) -> HttpResponse:
    measurement = selectors.measurement_get_for_user(user=request.user, pk=pk)
    zones = list(zones_visible_to(user=request.user).order_by("name"))
    period = parse_period(measurement.period)
    try:
        done = call(measurement)
    except AppError as exc:
        posted = {k: v for k, v in request.POST.items() if isinstance(v, str)}
        return error_response(
            request,
            exc,
            lambda e: _render_table(
                request,
                zone=measurement.zone,
                period=period,
                zones=zones,
                error=e,
                form=f"{form}:{measurement.pk}",
                posted=posted,
            ),
        )
    messages.success(request, done)
    return redirect(_table_url(measurement.zone, period) + f"#ind-{measurement.indicator.code}")


@login_required
@require_POST
def measurement_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    def call(m: Measurement) -> str:
        flag_notes = {f["kind"]: request.POST.get(f"note_{f['kind']}", "") for f in m.flags}
        services.measurement_confirm(
            actor=request.user,
            measurement=m,
            note=request.POST.get("note", ""),
            flag_notes=flag_notes if m.flags else None,
        )
        return _("已确认%(name)s，数据已锁定") % {"name": m.indicator.name}

    return _act(request, pk, "confirm", call)


@login_required
@require_POST
def measurement_correct(request: HttpRequest, pk: int) -> HttpResponse:
    def call(m: Measurement) -> str:
        services.measurement_correct(
            actor=request.user,
            measurement=m,
            value=request.POST.get("value", ""),
            reason=request.POST.get("reason", ""),
            source=request.POST.get("source") or None,
            report=request.POST.get("report") or None,
            file=request.FILES.get("file"),
        )
        return _("已提交更正，待他人确认")

    return _act(request, pk, "correct", call)


@login_required
@require_POST
def period_lock(request: HttpRequest) -> HttpResponse:
    """Lock a zone's period: the button on the figures page, whose own
    disclosure is the confirm step (no script: the page's policy allows none)."""
    user = request.user
    if not policy.can(user, LOCK_ACTION):
        raise Forbidden(_("只有工作专班可以锁定期间"))
    zones, posted, zone, period = _posted_zone_period(request, "note")
    try:
        lock = services.period_lock(
            actor=user,
            zone=_chosen(user, zone, posted),
            period=posted["period"],
            note=posted["note"],
        )
    except AppError as exc:
        return error_response(
            request,
            exc,
            lambda e: _render_table(
                request, zone=zone, period=period, zones=zones, error=e, form="lock", posted=posted
            ),
        )
    messages.success(
        request,
        _("已锁定 %(period)s：本期数据不再接受填报，修改须由工作专班提交更正")
        % {"period": lock.period},
    )
    return redirect(_table_url(zone, lock.period) + "#sj-lock")


def _zone_and_period(request: HttpRequest, data: Any) -> tuple[Any, list, Period, str]:
    zones = list(zones_visible_to(user=request.user).order_by("name"))
    zone = _zone_of(request, zones, data.get("zone"))
    if data.get("zone") and zone is None:
        zone_get_for_user(user=request.user, pk=data.get("zone"))  # 404
    try:
        period = parse_period(data["period"]) if data.get("period") else _default_period()
        period_error = ""
    except Invalid as exc:
        period, period_error = _default_period(), exc.message
    return zone, zones, period, period_error


@login_required
@require_GET
def measurement_template(request: HttpRequest) -> FileResponse:
    zone, _zones, period, period_error = _zone_and_period(request, request.GET)
    if zone is None or period_error:
        raise invalid(zone=_("请选择高新区和期间"))
    data = excel.template_bytes(zone=zone, period=period)
    name = export_filename(_("%(period)s指标数据") % {"period": period}, zone_name=zone.name)
    return attachment_response(data, filename=name)


@login_required
@require_http_methods(["GET", "POST"])
def measurement_import(request: HttpRequest) -> HttpResponse:
    request.area = AREA  # type: ignore[attr-defined]  # read by web.context.shell
    data = request.POST if request.method == "POST" else request.GET
    zone, zones, period, period_error = _zone_and_period(request, data)
    context: dict[str, Any] = {
        "zones": zones,
        "zone": zone,
        "period": period,
        "period_error": period_error,
        "can_import": policy.can(request.user, "measurement.enter", zone)
        if zone
        else policy.can(request.user, "measurement.enter"),
        "dry_run": True,
        "plan": None,
        "error": None,
        "max_bytes": excel.MAX_BYTES,
        "lock": period_lock_get(zone=zone, period=period) if zone and not period_error else None,
    }
    if request.method == "GET":
        return render(request, "assessment/import.html", context)
    dry_run = data.get("dry_run") == "1"
    context["dry_run"] = dry_run
    try:
        if not policy.can(request.user, "measurement.enter"):
            raise Forbidden(_("您没有填报指标数据的权限"))
        if zone is None:
            raise invalid(zone=_("请选择高新区"))
        if period_error:
            raise invalid(period=period_error)
        plan = excel.measurements_import(
            actor=request.user,
            zone=zone,
            period=str(period),
            file=request.FILES.get("file"),
            dry_run=dry_run,
        )
    except excel.ImportErrors as exc:
        context["plan"] = excel.ImportPlan(period=period, errors=exc.errors)
        response = render(request, "assessment/import.html", context)
        response.status_code = 422
        return response
    except AppError as exc:
        return error_response(
            request,
            exc,
            lambda e: render(request, "assessment/import.html", {**context, "error": e}),
        )
    context["plan"] = plan
    if plan.ok and not dry_run:
        messages.success(
            request,
            _("已导入 %(n)d 项指标数据，待他人确认") % {"n": len(plan.figures)},
        )
        return redirect(_table_url(zone, period))
    response = render(request, "assessment/import.html", context)
    if not plan.ok:
        response.status_code = 422
    return response


@login_required
@require_GET
def measurement_evidence(request: HttpRequest, pk: int) -> FileResponse:
    measurement = selectors.measurement_get_for_user(user=request.user, pk=pk)
    return stored_file_response(
        request,
        measurement.evidence,
        filename=measurement.evidence_name,
        kind=measurement.evidence_kind,
        missing_message=_("佐证材料不存在"),
    )


# Targets (十五五 trajectory) ----------------------------------------------------------


def _render_targets(
    request: HttpRequest,
    *,
    zone: Any,
    zones: list,
    error: AppError | None = None,
    posted: dict[str, str] | None = None,
) -> HttpResponse:
    request.area = AREA  # type: ignore[attr-defined]  # read by web.context.shell
    periods = TARGET_PERIODS
    indicators = list(selectors.indicators_active())
    rows: list[selectors.TargetRow] = []
    if zone is not None:
        rows = selectors.target_table(
            user=request.user, zone=zone, periods=periods, indicators=indicators
        )
    context = {
        "zone": zone,
        "zones": zones,
        "periods": periods,
        "rows": rows,
        "indicators": indicators,
        "comparators": Comparator.choices,
        "can_manage": zone is not None and policy.can(request.user, "target.manage", zone),
        "error": error,
        "field_errors": error.fields if error else {},
        "posted": posted or {},
    }
    return render(request, "assessment/targets.html", context)


@login_required
@require_GET
def target_table(request: HttpRequest) -> HttpResponse:
    zones = list(zones_visible_to(user=request.user).order_by("name"))
    zone = _zone_of(request, zones, request.GET.get("zone"))
    if request.GET.get("zone") and zone is None:
        zone_get_for_user(user=request.user, pk=request.GET.get("zone"))  # 404
    return _render_targets(request, zone=zone, zones=zones)


@login_required
@require_POST
def target_save(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not policy.can(user, "target.manage"):
        raise Forbidden(_("您没有设定目标值的权限"))
    zones = list(zones_visible_to(user=user).order_by("name"))
    posted = _posted(request, "zone", "indicator", "period", "comparator", "value", "source")
    zone = _zone_of(request, zones, posted["zone"])
    try:
        services.target_set(
            actor=user,
            zone=_chosen(user, zone, posted),
            indicator=posted["indicator"],
            period=posted["period"],
            comparator=posted["comparator"],
            value=posted["value"],
            source=posted["source"],
        )
    except AppError as exc:
        return error_response(
            request,
            exc,
            lambda e: _render_targets(request, zone=zone, zones=zones, error=e, posted=posted),
        )
    messages.success(request, _("已保存目标值"))
    return redirect(reverse("assessment:targets") + "?" + urlencode({"zone": zone.pk}))


# Exports (each page's table as a workbook) -------------------------------------------------


def _require_export(request: HttpRequest) -> None:
    if not policy.can(request.user, "assessment.export"):
        raise Forbidden(_("您没有导出考核数据的权限"))


@login_required
@require_GET
def indicator_export(request: HttpRequest) -> FileResponse:
    _require_export(request)
    return export_response(
        lambda out: excel.export_indicators(out=out),
        filename=export_filename(_("考核指标库")),
    )


@login_required
@require_GET
def measurement_export(request: HttpRequest) -> FileResponse:
    _require_export(request)
    zone, _zones, period, period_error = _zone_and_period(request, request.GET)
    if zone is None:
        raise invalid(zone=_("请选择高新区"))
    if period_error:
        raise invalid(period=period_error)
    lock = period_lock_get(zone=zone, period=period)
    return export_response(
        lambda out: excel.export_figures(zone=zone, period=period, lock=lock, out=out),
        filename=export_filename(
            _("%(period)s考核指标数据") % {"period": period}, zone_name=zone.name
        ),
    )


@login_required
@require_GET
def target_export(request: HttpRequest) -> FileResponse:
    _require_export(request)
    zones = list(zones_visible_to(user=request.user).order_by("name"))
    zone = _zone_of(request, zones, request.GET.get("zone"))
    if request.GET.get("zone") and zone is None:
        zone_get_for_user(user=request.user, pk=request.GET.get("zone"))  # 404
    if zone is None:
        raise invalid(zone=_("请选择高新区"))
    rows = selectors.target_table(user=request.user, zone=zone, periods=TARGET_PERIODS)
    return export_response(
        lambda out: excel.export_targets(zone=zone, periods=TARGET_PERIODS, rows=rows, out=out),
        filename=export_filename(_("目标值"), zone_name=zone.name),
    )
