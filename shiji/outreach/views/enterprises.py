"""Pages of the enterprise register, 政企圆桌会 and 三员入企: lists with
filters, record pages with the demands raised and a form that turns a new
demand into a tracked item, and the create and edit forms. Thin views over
``outreach.services`` and ``outreach.selectors``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from shiji.core.downloads import stored_file_response
from shiji.core.errors import AppError, NotFound
from shiji.core.pages import error_response
from shiji.core.validation import parse_id
from shiji.ledger.models import Kind as ProblemKind
from shiji.ledger.selectors import problem_categories
from shiji.orgs import policy
from shiji.orgs.models import Zone
from shiji.orgs.selectors import org_options, zones_visible_to
from shiji.outreach.models import (
    Category,
    Enterprise,
    EnterpriseVisit,
    Feedback,
    Kind,
    Roundtable,
    Satisfaction,
)
from shiji.outreach.selectors import enterprises as selectors
from shiji.outreach.services import enterprises as enterprise_services
from shiji.outreach.services import roundtables as services
from shiji.outreach.views.feedback import STATUS_BADGES
from shiji.outreach.workflow import PENDING

PAGE_SIZE = 50
# The layout's area (shiji/web/context.py): none of its own; the nav entry
# 政企与实事 next to 开门教育 (web/base.html) is active on these pages.
AREA = "register"


def _setup(request: HttpRequest, tab: str) -> None:
    request.area = AREA  # type: ignore[attr-defined]
    request.register_tab = tab  # type: ignore[attr-defined]


def _zone(request: HttpRequest, zones: list[Zone]) -> Zone | None:
    if len(zones) == 1:
        return zones[0]
    wanted = parse_id(request.GET.get("zone") or request.POST.get("zone"))
    return next((z for z in zones if z.pk == wanted), None)


def _writable_zones(request: HttpRequest, action: str, refusal: str) -> list[Zone]:
    ids = policy.zone_ids_for(request.user, action)
    zones = [z for z in zones_visible_to(user=request.user) if ids is None or z.pk in ids]
    if not zones:
        raise PermissionDenied(refusal)
    return zones


def _list_context(request: HttpRequest, keys: tuple[str, ...]) -> dict[str, Any]:
    params = {key: request.GET.get(key, "").strip() for key in keys}
    zones = list(zones_visible_to(user=request.user))
    zone = _zone(request, zones)
    if zone:
        params["zone"] = str(zone.pk)
    return {
        "params": params,
        "zones": zones,
        "zone": zone,
        "filtered": any(params[k] for k in keys if k != "zone"),
    }


def _form_errors(error: AppError | None) -> dict[str, Any]:
    return {"error": error, "field_errors": error.fields if error else {}}


def feedback_url(item: Feedback) -> str | None:
    """The back office's page of an item, once that part of the app serves it."""
    try:
        return reverse("outreach:feedback_detail", args=[item.pk])
    except NoReverseMatch:
        return None


# Enterprise register ---------------------------------------------------------------

ENTERPRISE_PARAMS = ("zone", "industry", "q")


@login_required
@require_GET
def enterprise_list(request: HttpRequest) -> HttpResponse:
    _setup(request, "enterprises")
    context = _list_context(request, ENTERPRISE_PARAMS)
    visible = selectors.enterprises_visible_to(user=request.user)
    rows = selectors.enterprise_filter(visible, context["params"])
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    zone = context["zone"]
    in_zone = visible.filter(zone=zone) if zone else visible
    context.update(
        page=page,
        industries=[(i, i) for i in selectors.industries(in_zone)],
        can_create=policy.can(request.user, "enterprise.manage"),
    )
    return render(request, "outreach/enterprise_list.html", context)


def _enterprise_input(request: HttpRequest) -> dict[str, Any]:
    post = request.POST
    return {k: post.get(k, "") for k in enterprise_services.FIELDS}


def _enterprise_form(
    request: HttpRequest,
    *,
    zone: Zone,
    zones: list[Zone],
    values: Any,
    error: AppError | None,
    enterprise: Enterprise | None = None,
) -> HttpResponse:
    _setup(request, "enterprises")
    context = {"zone": zone, "zones": zones, "values": values, "e": enterprise}
    context.update(_form_errors(error))
    return render(request, "outreach/enterprise_form.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def enterprise_create(request: HttpRequest) -> HttpResponse:
    zones = _writable_zones(request, "enterprise.manage", _("您没有登记企业的权限"))
    zone = _zone(request, zones) or zones[0]
    if request.method == "POST":
        try:
            made = enterprise_services.enterprise_create(
                actor=request.user, zone=zone, **_enterprise_input(request)
            )
        except AppError as exc:
            return error_response(
                request,
                exc,
                lambda e: _enterprise_form(
                    request, zone=zone, zones=zones, values=request.POST, error=e
                ),
            )
        messages.success(request, _("已登记企业“%(name)s”") % {"name": made.name})
        return redirect(reverse("outreach:enterprise_list") + f"?zone={zone.pk}")
    return _enterprise_form(request, zone=zone, zones=zones, values={}, error=None)


@login_required
@require_http_methods(["GET", "POST"])
def enterprise_edit(request: HttpRequest, pk: int) -> HttpResponse:
    enterprise = selectors.enterprise_get_for_user(user=request.user, pk=pk)
    if not policy.can(request.user, "enterprise.manage", enterprise):
        raise PermissionDenied(_("您没有修改企业信息的权限"))

    def page(values: Any, error: AppError | None) -> HttpResponse:
        return _enterprise_form(
            request,
            zone=enterprise.zone,
            zones=[enterprise.zone],
            values=values,
            error=error,
            enterprise=enterprise,
        )

    if request.method == "POST":
        try:
            enterprise_services.enterprise_update(
                actor=request.user, enterprise=enterprise, **_enterprise_input(request)
            )
        except AppError as exc:
            return error_response(request, exc, lambda e: page(request.POST, e))
        messages.success(request, _("已保存修改"))
        return redirect(reverse("outreach:enterprise_list") + f"?zone={enterprise.zone_id}")
    return page({k: getattr(enterprise, k) for k in enterprise_services.FIELDS}, None)


# Demands (the form on a roundtable's or a visit's page) ----------------------------


def _demand_context(request: HttpRequest, zone: Zone, demands: list[Feedback]) -> dict[str, Any]:
    for item in demands:
        item.url = feedback_url(item)  # type: ignore[attr-defined]
        item.status_badge = STATUS_BADGES.get(item.status, "bg-secondary-lt")  # type: ignore[attr-defined]
        item.pending = item.status in PENDING  # type: ignore[attr-defined]
    may_problem = policy.can(request.user, "problem.create")
    return {
        "demands": demands,
        "kinds": Kind.choices,
        "categories": Category.choices,
        "may_problem": may_problem,
        "problem_orgs": org_options(user=request.user, zone=zone, action="problem.create")
        if may_problem
        else [],
        "problem_categories": list(problem_categories(zone=zone)) if may_problem else [],
        "problem_kinds": ProblemKind.choices,
        "today": timezone.localdate().isoformat(),
    }


def _demand_input(request: HttpRequest) -> dict[str, Any]:
    post = request.POST
    route = post.get("route", "feedback")
    problem = None
    if route == "problem":
        problem = {
            "org": post.get("problem_org", ""),
            "category": post.get("problem_category", ""),
            "kind": post.get("problem_kind", ""),
            "deadline": post.get("problem_deadline", ""),
            "measures": post.get("problem_measures", ""),
        }
    return {
        "content": post.get("content", ""),
        "kind": post.get("kind", "") or Kind.HELP,
        "category": post.get("category", "") or Category.BUSINESS,
        "route": route,
        "problem": problem,
    }


def _demand_done(request: HttpRequest, item: Feedback) -> None:
    if item.problem_id:
        messages.success(
            request,
            _("已登记诉求并列入整改台账（%(code)s）") % {"code": item.problem.code},  # type: ignore[union-attr]
        )
    else:
        messages.success(request, _("已登记诉求，转为群众反映事项 %(n)s") % {"n": item.number})


# Roundtables -----------------------------------------------------------------------

ROUNDTABLE_PARAMS = ("zone", "enterprise", "q", "from", "to")


@login_required
@require_GET
def roundtable_list(request: HttpRequest) -> HttpResponse:
    _setup(request, "roundtables")
    context = _list_context(request, ROUNDTABLE_PARAMS)
    rows = selectors.roundtable_filter(
        selectors.roundtables_visible_to(user=request.user), context["params"]
    )
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    context.update(
        page=page,
        enterprises=[
            (e.pk, e.name)
            for e in selectors.enterprise_options(user=request.user, zone=context["zone"])
        ],
        can_create=policy.can(request.user, "roundtable.manage"),
    )
    return render(request, "outreach/roundtable_list.html", context)


def _roundtable_page(
    request: HttpRequest, table: Roundtable, *, error: AppError | None = None, form: str = ""
) -> HttpResponse:
    _setup(request, "roundtables")
    context: dict[str, Any] = {
        "r": table,
        "present": list(table.enterprises.order_by("name", "pk")),
        "files": list(table.files.order_by("pk")),
        "can_manage": policy.can(request.user, "roundtable.manage", table),
        "form": form,
        "values": request.POST if error else {},
    }
    context.update(
        _demand_context(
            request, table.zone, selectors.demands_of(user=request.user, roundtable=table)
        )
    )
    context.update(_form_errors(error))
    return render(request, "outreach/roundtable_detail.html", context)


@login_required
@require_GET
def roundtable_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _roundtable_page(request, selectors.roundtable_get_for_user(user=request.user, pk=pk))


def _act(
    request: HttpRequest,
    get: Callable[[], Any],
    page: Callable[..., HttpResponse],
    form: str,
    call: Callable[[Any], str],
    anchor: str,
    url: str,
) -> HttpResponse:
    record = get()
    try:
        done = call(record)
    except AppError as exc:
        return error_response(request, exc, lambda e: page(request, get(), error=e, form=form))
    if done:
        messages.success(request, done)
    return redirect(reverse(url, args=[record.pk]) + anchor)


@login_required
@require_POST
def roundtable_demand(request: HttpRequest, pk: int) -> HttpResponse:
    def call(table: Roundtable) -> str:
        item = services.roundtable_demand_add(
            actor=request.user,
            roundtable=table,
            enterprise=request.POST.get("enterprise", ""),
            **_demand_input(request),
        )
        _demand_done(request, item)
        return ""

    return _act(
        request,
        lambda: selectors.roundtable_get_for_user(user=request.user, pk=pk),
        _roundtable_page,
        "demand",
        call,
        "#sj-demands",
        "outreach:roundtable_detail",
    )


@login_required
@require_POST
def roundtable_files(request: HttpRequest, pk: int) -> HttpResponse:
    def call(table: Roundtable) -> str:
        made = services.roundtable_add_files(
            actor=request.user, roundtable=table, files=request.FILES.getlist("file")
        )
        return _("已上传 %(n)d 个文件") % {"n": len(made)}

    return _act(
        request,
        lambda: selectors.roundtable_get_for_user(user=request.user, pk=pk),
        _roundtable_page,
        "file",
        call,
        "#sj-files",
        "outreach:roundtable_detail",
    )


@login_required
@require_GET
def roundtable_file(request: HttpRequest, pk: int, file_id: int) -> FileResponse:
    table = selectors.roundtable_get_for_user(user=request.user, pk=pk)
    stored = table.files.filter(pk=file_id).first()
    if stored is None:
        raise NotFound(_("文件不存在"))
    return stored_file_response(
        request,
        stored.file,
        filename=stored.name,
        kind=stored.kind,
        missing_message=_("文件不存在"),
    )


def _roundtable_input(request: HttpRequest) -> dict[str, Any]:
    post = request.POST
    return {
        "title": post.get("title", ""),
        "held_on": post.get("held_on", ""),
        "hosts": post.get("hosts", ""),
        "minutes": post.get("minutes", ""),
        "satisfaction": post.get("satisfaction", ""),
        "enterprises": post.getlist("enterprises"),
    }


def _roundtable_form(
    request: HttpRequest,
    *,
    zone: Zone,
    zones: list[Zone],
    values: Any,
    error: AppError | None,
    roundtable: Roundtable | None = None,
) -> HttpResponse:
    _setup(request, "roundtables")
    chosen = (
        values.getlist("enterprises")
        if hasattr(values, "getlist")
        else values.get("enterprises", [])
    )
    context = {
        "zone": zone,
        "zones": zones,
        "values": values,
        "r": roundtable,
        "chosen": [str(c) for c in chosen],
        "enterprises": selectors.enterprise_options(user=request.user, zone=zone),
        "satisfactions": Satisfaction.choices,
        "today": timezone.localdate().isoformat(),
    }
    context.update(_form_errors(error))
    return render(request, "outreach/roundtable_form.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def roundtable_create(request: HttpRequest) -> HttpResponse:
    zones = _writable_zones(request, "roundtable.manage", _("您没有记录政企圆桌会的权限"))
    zone = _zone(request, zones) or zones[0]
    if request.method == "POST":
        try:
            made = services.roundtable_create(
                actor=request.user,
                zone=zone,
                files=request.FILES.getlist("file"),
                **_roundtable_input(request),
            )
        except AppError as exc:
            return error_response(
                request,
                exc,
                lambda e: _roundtable_form(
                    request, zone=zone, zones=zones, values=request.POST, error=e
                ),
            )
        messages.success(request, _("已记录“%(t)s”，请登记会上企业提出的诉求") % {"t": made.title})
        return redirect("outreach:roundtable_detail", pk=made.pk)
    return _roundtable_form(request, zone=zone, zones=zones, values={}, error=None)


@login_required
@require_http_methods(["GET", "POST"])
def roundtable_edit(request: HttpRequest, pk: int) -> HttpResponse:
    table = selectors.roundtable_get_for_user(user=request.user, pk=pk)
    if not policy.can(request.user, "roundtable.manage", table):
        raise PermissionDenied(_("您没有修改此会议记录的权限"))

    def page(values: Any, error: AppError | None) -> HttpResponse:
        return _roundtable_form(
            request, zone=table.zone, zones=[table.zone], values=values, error=error,
            roundtable=table,
        )  # fmt: skip

    if request.method == "POST":
        try:
            services.roundtable_update(
                actor=request.user, roundtable=table, **_roundtable_input(request)
            )
        except AppError as exc:
            return error_response(request, exc, lambda e: page(request.POST, e))
        messages.success(request, _("已保存修改"))
        return redirect("outreach:roundtable_detail", pk=table.pk)
    return page(
        {
            "title": table.title,
            "held_on": table.held_on.isoformat(),
            "hosts": table.hosts,
            "minutes": table.minutes,
            "satisfaction": table.satisfaction,
            "enterprises": [str(pk) for pk in table.enterprises.values_list("pk", flat=True)],
        },
        None,
    )


# Enterprise visits -----------------------------------------------------------------

VISIT_PARAMS = ("zone", "enterprise", "q", "from", "to")


@login_required
@require_GET
def visit_list(request: HttpRequest) -> HttpResponse:
    _setup(request, "visits")
    context = _list_context(request, VISIT_PARAMS)
    rows = selectors.visit_filter(selectors.visits_visible_to(user=request.user), context["params"])
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    context.update(
        page=page,
        enterprises=[
            (e.pk, e.name)
            for e in selectors.enterprise_options(user=request.user, zone=context["zone"])
        ],
        can_create=policy.can(request.user, "roundtable.manage"),
    )
    return render(request, "outreach/visit_list.html", context)


def _visit_page(
    request: HttpRequest, visit: EnterpriseVisit, *, error: AppError | None = None, form: str = ""
) -> HttpResponse:
    _setup(request, "visits")
    context: dict[str, Any] = {
        "v": visit,
        "can_manage": policy.can(request.user, "roundtable.manage", visit),
        "form": form,
        "values": request.POST if error else {},
    }
    context.update(
        _demand_context(request, visit.zone, selectors.demands_of(user=request.user, visit=visit))
    )
    context.update(_form_errors(error))
    return render(request, "outreach/visit_detail.html", context)


@login_required
@require_GET
def visit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _visit_page(request, selectors.visit_get_for_user(user=request.user, pk=pk))


@login_required
@require_POST
def visit_demand(request: HttpRequest, pk: int) -> HttpResponse:
    def call(visit: EnterpriseVisit) -> str:
        item = services.visit_demand_add(actor=request.user, visit=visit, **_demand_input(request))
        _demand_done(request, item)
        return ""

    return _act(
        request,
        lambda: selectors.visit_get_for_user(user=request.user, pk=pk),
        _visit_page,
        "demand",
        call,
        "#sj-demands",
        "outreach:visit_detail",
    )


def _visit_input(request: HttpRequest) -> dict[str, Any]:
    post = request.POST
    return {
        k: post.get(k, "")
        for k in ("enterprise", "visited_on", "visitors", "org", "summary", "satisfaction")
    }


def _visit_form(
    request: HttpRequest,
    *,
    zone: Zone,
    zones: list[Zone],
    values: Any,
    error: AppError | None,
    visit: EnterpriseVisit | None = None,
) -> HttpResponse:
    _setup(request, "visits")
    context = {
        "zone": zone,
        "zones": zones,
        "values": values,
        "v": visit,
        "enterprises": selectors.enterprise_options(user=request.user, zone=zone),
        "orgs": org_options(user=request.user, zone=zone),
        "satisfactions": Satisfaction.choices,
        "today": timezone.localdate().isoformat(),
    }
    context.update(_form_errors(error))
    return render(request, "outreach/visit_form.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def visit_create(request: HttpRequest) -> HttpResponse:
    zones = _writable_zones(request, "roundtable.manage", _("您没有记录入企走访的权限"))
    zone = _zone(request, zones) or zones[0]
    if request.method == "POST":
        try:
            made = services.visit_create(actor=request.user, zone=zone, **_visit_input(request))
        except AppError as exc:
            return error_response(
                request,
                exc,
                lambda e: _visit_form(
                    request, zone=zone, zones=zones, values=request.POST, error=e
                ),
            )
        messages.success(request, _("已记录走访，请登记企业提出的诉求"))
        return redirect("outreach:visit_detail", pk=made.pk)
    initial = {"enterprise": request.GET.get("enterprise", "")}
    return _visit_form(request, zone=zone, zones=zones, values=initial, error=None)
