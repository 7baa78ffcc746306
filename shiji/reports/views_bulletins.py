"""The pages of work updates (工作动态) and bulletins (工作简报): the lists,
the forms, an update's page with its review, and a bulletin as a web page
with, while it is a draft, the compiler's panel (add approved updates,
order, edit lightly, issue). Thin views over reports.services."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from shiji.audit.timeline import timeline
from shiji.core.downloads import attachment_response, export_filename, stored_file_response
from shiji.core.errors import AppError, NotFound, invalid
from shiji.core.pages import error_response
from shiji.core.validation import parse_id
from shiji.orgs import policy
from shiji.orgs.selectors import org_options, zones_visible_to
from shiji.reports import selectors, services
from shiji.reports.docx import bulletin_docx, chinese_date, issued_text, number_text
from shiji.reports.models import Bulletin, BulletinStatus, UpdateStatus, WorkUpdate

AREA = "reports"
PAGE_SIZE = 50
UPDATE_PARAMS = ("zone", "status", "q")
UPDATE_BADGES: dict[str, str] = {
    UpdateStatus.SUBMITTED: "bg-orange-lt",
    UpdateStatus.APPROVED: "bg-green-lt",
    UpdateStatus.RETURNED: "bg-red-lt",
}


def _in_area(request: HttpRequest) -> None:
    request.area = AREA  # type: ignore[attr-defined]  # read by web.context.shell


def _badged(update: WorkUpdate) -> WorkUpdate:
    update.status_badge = UPDATE_BADGES[update.status]  # type: ignore[attr-defined]  # a template's
    return update


def _zone(request: HttpRequest, zones: list) -> Any:
    if len(zones) == 1:
        return zones[0]
    wanted = parse_id(request.GET.get("zone") or request.POST.get("zone"))
    return next((z for z in zones if z.pk == wanted), None)


# Work updates ------------------------------------------------------------------------


@login_required
@require_GET
def update_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    _in_area(request)
    params = {key: request.GET.get(key, "").strip() for key in UPDATE_PARAMS}
    rows = selectors.update_filter(selectors.updates_visible_to(user=user), params)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    for u in page.object_list:
        _badged(u)
    context = {
        "page": page,
        "params": params,
        "zones": list(zones_visible_to(user=user)),
        "statuses": UpdateStatus.choices,
        "filtered": any(params.values()),
        "can_submit": policy.can(user, "update.submit"),
        "can_bulletins": policy.can(user, "bulletin.view"),
    }
    return render(request, "reports/update_list.html", context)


def _update(request: HttpRequest, pk: Any) -> WorkUpdate:
    return _badged(selectors.update_get_for_user(user=request.user, pk=pk))


@login_required
@require_GET
def update_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_update(request, _update(request, pk))


def _render_update(
    request: HttpRequest, update: WorkUpdate, *, error: AppError | None = None, form: str = ""
) -> HttpResponse:
    user = request.user
    _in_area(request)
    editable = update.status != UpdateStatus.APPROVED and policy.can(user, "update.submit", update)
    context = {
        "u": update,
        "photos": list(update.photos.all()),
        "can_edit": editable,
        "can_review": update.status == UpdateStatus.SUBMITTED
        and policy.can(user, "update.approve", update),
        "used_in": selectors.used_in(updates=[update])[update.pk],
        "returned": update.status == UpdateStatus.RETURNED,
        "max_photos": services.MAX_PHOTOS,
        "timeline": timeline(update, user),
        "error": error,
        "form": form,
        "field_errors": error.fields if error else {},
    }
    return render(request, "reports/update_detail.html", context)


def _act_on_update(
    request: HttpRequest, pk: int, form: str, call: Callable[[WorkUpdate], str]
) -> HttpResponse:
    update = _update(request, pk)
    try:
        done = call(update)
    except AppError as exc:
        return error_response(
            request,
            exc,
            lambda e: _render_update(request, _update(request, pk), error=e, form=form),
        )
    messages.success(request, done)
    return redirect("reports:update_detail", pk=update.pk)


@login_required
@require_POST
def update_review(request: HttpRequest, pk: int) -> HttpResponse:
    action = request.POST.get("action", "")

    def call(update: WorkUpdate) -> str:
        services.update_review(
            actor=request.user, update=update, action=action, note=request.POST.get("note", "")
        )
        return _("已采用") if action == "approve" else _("已退回")

    return _act_on_update(request, pk, f"review:{action}", call)


@login_required
@require_POST
def update_photos_add(request: HttpRequest, pk: int) -> HttpResponse:
    def call(update: WorkUpdate) -> str:
        made = services.update_add_photos(
            actor=request.user, update=update, photos=request.FILES.getlist("photos")
        )
        return _("已上传 %(n)d 张图片") % {"n": len(made)}

    return _act_on_update(request, pk, "photos", call)


@login_required
@require_POST
def update_photo_remove(request: HttpRequest, pk: int, photo_id: int) -> HttpResponse:
    def call(update: WorkUpdate) -> str:
        services.update_remove_photo(actor=request.user, update=update, photo=photo_id)
        return _("已删除图片")

    return _act_on_update(request, pk, "photos", call)


@login_required
@require_GET
def update_photo(request: HttpRequest, pk: int, photo_id: int) -> FileResponse:
    update = _update(request, pk)
    photo = selectors.update_photo_get(update=update, pk=photo_id)
    return stored_file_response(
        request, photo.file, filename=photo.name, kind=photo.kind, missing_message=_("图片不存在")
    )


def _update_input(request: HttpRequest) -> dict[str, Any]:
    post = request.POST
    return {key: post.get(key, "") for key in ("org", "title", "happened_on", "body", "author")}


def _render_update_form(
    request: HttpRequest,
    *,
    zone: Any,
    zones: list,
    values: Any,
    error: AppError | None,
    update: WorkUpdate | None = None,
) -> HttpResponse:
    _in_area(request)
    context = {
        "u": update,
        "returned": update is not None and update.status == UpdateStatus.RETURNED,
        "zone": zone,
        "zones": zones,
        "values": values,
        "orgs": org_options(user=request.user, zone=zone, action="update.submit"),
        "max_photos": services.MAX_PHOTOS,
        "error": error,
        "field_errors": error.fields if error else {},
        "today": timezone.localdate().isoformat(),
    }
    return render(request, "reports/update_form.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def update_create(request: HttpRequest) -> HttpResponse:
    user = request.user
    zone_ids = policy.zone_ids_for(user, "update.submit")
    zones = [z for z in zones_visible_to(user=user) if zone_ids is None or z.pk in zone_ids]
    if not zones:
        raise PermissionDenied(_("您没有报送工作动态的权限"))
    zone = _zone(request, zones) or zones[0]
    if request.method == "POST":
        try:
            update = services.update_submit(
                actor=user, zone=zone, photos=request.FILES.getlist("photos"),
                **_update_input(request),
            )  # fmt: skip
        except AppError as exc:
            return error_response(
                request,
                exc,
                lambda e: _render_update_form(
                    request, zone=zone, zones=zones, values=request.POST, error=e
                ),
            )
        messages.success(request, _("已报送工作动态，等待工作专班审核"))
        return redirect("reports:update_detail", pk=update.pk)
    values = {"happened_on": timezone.localdate().isoformat()}
    return _render_update_form(request, zone=zone, zones=zones, values=values, error=None)


@login_required
@require_http_methods(["GET", "POST"])
def update_edit(request: HttpRequest, pk: int) -> HttpResponse:
    update = _update(request, pk)
    if not policy.can(request.user, "update.submit", update):
        raise PermissionDenied(_("您没有修改此工作动态的权限"))
    if update.status == UpdateStatus.APPROVED:
        messages.error(request, _("工作动态已采用，不能再修改"))
        return redirect("reports:update_detail", pk=update.pk)

    def page(values: Any, error: AppError | None) -> HttpResponse:
        return _render_update_form(
            request, zone=update.zone, zones=[update.zone], values=values, error=error,
            update=update,
        )  # fmt: skip

    if request.method == "POST":
        try:
            services.update_edit(actor=request.user, update=update, **_update_input(request))
        except AppError as exc:
            return error_response(request, exc, lambda e: page(request.POST, e))
        messages.success(request, _("已保存修改"))
        return redirect("reports:update_detail", pk=update.pk)
    return page(
        {
            "org": str(update.org_id),
            "title": update.title,
            "happened_on": update.happened_on.isoformat(),
            "body": update.body,
            "author": update.author,
        },
        None,
    )


# Bulletins ---------------------------------------------------------------------------


@login_required
@require_GET
def bulletin_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    _in_area(request)
    managed = list(selectors.series_managed_by(user=user))
    rows = list(
        selectors.bulletins_visible_to(user=user).order_by(
            "series__zone__code", "series__title", "status", "-number", "-pk"
        )
    )
    series: dict[int, dict[str, Any]] = {}
    for s in [*managed, *(b.series for b in rows)]:
        series.setdefault(s.pk, {"series": s, "drafts": [], "issued": [], "manage": False})
    for s in managed:
        series[s.pk]["manage"] = True
    for b in rows:
        series[b.series_id]["issued" if b.is_issued else "drafts"].append(b)
    context = {
        "groups": list(series.values()),
        "can_create_series": policy.can(user, "bulletin.manage"),
    }
    return render(request, "reports/bulletin_list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def series_create(request: HttpRequest) -> HttpResponse:
    user = request.user
    _in_area(request)
    if not policy.can(user, "bulletin.manage"):
        raise PermissionDenied(_("您没有编印简报的权限"))
    zone_ids = policy.zone_ids_for(user, "bulletin.manage")
    zones = [z for z in zones_visible_to(user=user) if zone_ids is None or z.pk in zone_ids]
    national = policy.is_global_admin(user)
    values: Any = {"first_number": "1"}
    error = None
    if request.method == "POST":
        values = request.POST
        wanted = request.POST.get("zone", "")
        zone = None if wanted == "" and national else _zone(request, zones)
        try:
            if zone is None and not national:
                raise invalid(zone=_("请选择高新区"))
            services.series_create(
                actor=user,
                zone=zone,
                title=values.get("title", ""),
                issuer=values.get("issuer", ""),
                report_to=values.get("report_to", ""),
                copy_to=values.get("copy_to", ""),
                first_number=values.get("first_number", ""),
            )
        except AppError as exc:
            return error_response(
                request, exc, lambda e: _series_form(request, zones, national, values, e)
            )
        messages.success(request, _("已新建简报系列“%(t)s”") % {"t": values.get("title", "")})
        return redirect("reports:bulletins")
    return _series_form(request, zones, national, values, error)


def _series_form(
    request: HttpRequest, zones: list, national: bool, values: Any, error: AppError | None
) -> HttpResponse:
    context = {
        "zones": zones,
        "national": national,
        "values": values,
        "error": error,
        "field_errors": error.fields if error else {},
    }
    return render(request, "reports/bulletin_series_form.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def bulletin_create(request: HttpRequest, series_id: int) -> HttpResponse:
    _in_area(request)
    series = selectors.series_get_for_user(user=request.user, pk=series_id)
    if not policy.can(request.user, "bulletin.manage", series):
        raise PermissionDenied(_("您没有编印此简报的权限"))

    def page(values: Any, error: AppError | None) -> HttpResponse:
        return _bulletin_form(request, series=series, bulletin=None, values=values, error=error)

    if request.method == "POST":
        try:
            bulletin = services.bulletin_create(
                actor=request.user,
                series=series,
                title=request.POST.get("title", ""),
                subtitle=request.POST.get("subtitle", ""),
                lead=request.POST.get("lead", ""),
            )
        except AppError as exc:
            return error_response(request, exc, lambda e: page(request.POST, e))
        messages.success(request, _("已新建简报草稿，请编入工作动态"))
        return redirect("reports:bulletin_detail", pk=bulletin.pk)
    return page({}, None)


@login_required
@require_http_methods(["GET", "POST"])
def bulletin_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _in_area(request)
    bulletin = _bulletin(request, pk)
    if not policy.can(request.user, "bulletin.manage", bulletin):
        raise PermissionDenied(_("您没有编印此简报的权限"))
    if bulletin.is_issued:
        messages.error(request, _("简报已印发，不能再修改；如有错误，请发更正期"))
        return redirect("reports:bulletin_detail", pk=bulletin.pk)

    def page(values: Any, error: AppError | None) -> HttpResponse:
        return _bulletin_form(
            request, series=bulletin.series, bulletin=bulletin, values=values, error=error
        )

    if request.method == "POST":
        fields = {k: request.POST.get(k, "") for k in services.BULLETIN_EDIT_FIELDS}
        try:
            services.bulletin_edit(actor=request.user, bulletin=bulletin, **fields)
        except AppError as exc:
            return error_response(request, exc, lambda e: page(request.POST, e))
        messages.success(request, _("已保存修改"))
        return redirect("reports:bulletin_detail", pk=bulletin.pk)
    return page({k: getattr(bulletin, k) for k in services.BULLETIN_EDIT_FIELDS}, None)


def _bulletin_form(
    request: HttpRequest, *, series: Any, bulletin: Bulletin | None, values: Any, error: Any
) -> HttpResponse:
    context = {
        "series": series,
        "b": bulletin,
        "values": values,
        "error": error,
        "field_errors": error.fields if error else {},
    }
    return render(request, "reports/bulletin_form.html", context)


def _bulletin(request: HttpRequest, pk: Any) -> Bulletin:
    return selectors.bulletin_get_for_user(user=request.user, pk=pk)


@login_required
@require_GET
def bulletin_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_bulletin(request, _bulletin(request, pk))


def _render_bulletin(
    request: HttpRequest, bulletin: Bulletin, *, error: AppError | None = None, form: str = ""
) -> HttpResponse:
    user = request.user
    _in_area(request)
    manage = policy.can(user, "bulletin.manage", bulletin)
    draft = bulletin.status == BulletinStatus.DRAFT
    items = selectors.bulletin_items(bulletin=bulletin)
    context = {
        "b": bulletin,
        "number": number_text(bulletin),
        # The bulletin's own words in Chinese, as in its Word file (docx.py).
        "issued_text": chinese_date(bulletin.issued_on) if bulletin.issued_on else "",
        "closing_text": issued_text(bulletin),
        "items": items,
        "compile": manage and draft,
        "can_correct": manage and not draft,
        "candidates": list(selectors.updates_for_bulletin(user=user, bulletin=bulletin)[:200])
        if manage and draft
        else [],
        "next_number": bulletin.series.next_number,
        "corrections": list(bulletin.corrections.filter(status=BulletinStatus.ISSUED))
        if not draft
        else [],
        "timeline": timeline(bulletin, user) if manage else [],
        "today": timezone.localdate().isoformat(),
        "error": error,
        "form": form,
        "field_errors": error.fields if error else {},
    }
    return render(request, "reports/bulletin_detail.html", context)


def _act_on_bulletin(
    request: HttpRequest, pk: int, form: str, call: Callable[[Bulletin], Any]
) -> HttpResponse:
    bulletin = _bulletin(request, pk)
    try:
        done = call(bulletin)
    except AppError as exc:
        return error_response(
            request,
            exc,
            lambda e: _render_bulletin(request, _bulletin(request, pk), error=e, form=form),
        )
    target, message = done if isinstance(done, tuple) else (bulletin, done)
    messages.success(request, message)
    return redirect("reports:bulletin_detail", pk=target.pk)


@login_required
@require_POST
def bulletin_add_items(request: HttpRequest, pk: int) -> HttpResponse:
    def call(bulletin: Bulletin) -> str:
        made = services.bulletin_add_updates(
            actor=request.user, bulletin=bulletin, updates=request.POST.getlist("updates")
        )
        return _("已编入 %(n)d 条工作动态") % {"n": len(made)}

    return _act_on_bulletin(request, pk, "add", call)


@login_required
@require_POST
def bulletin_item_move(request: HttpRequest, pk: int, item_id: int) -> HttpResponse:
    step = -1 if request.POST.get("direction") == "up" else 1

    def call(bulletin: Bulletin) -> str:
        services.bulletin_move_item(actor=request.user, bulletin=bulletin, item=item_id, step=step)
        return _("已调整顺序")

    return _act_on_bulletin(request, pk, "items", call)


@login_required
@require_POST
def bulletin_item_remove(request: HttpRequest, pk: int, item_id: int) -> HttpResponse:
    def call(bulletin: Bulletin) -> str:
        services.bulletin_item_remove(actor=request.user, bulletin=bulletin, item=item_id)
        return _("已移出简报")

    return _act_on_bulletin(request, pk, "items", call)


@login_required
@require_http_methods(["GET", "POST"])
def bulletin_item_edit(request: HttpRequest, pk: int, item_id: int) -> HttpResponse:
    _in_area(request)
    bulletin = _bulletin(request, pk)
    if not policy.can(request.user, "bulletin.manage", bulletin):
        raise PermissionDenied(_("您没有编印此简报的权限"))
    item = next((i for i in selectors.bulletin_items(bulletin=bulletin) if i.pk == item_id), None)
    if item is None:
        return error_response(request, NotFound(_("简报条目不存在")))
    if bulletin.is_issued:
        messages.error(request, _("简报已印发，不能再修改；如有错误，请发更正期"))
        return redirect("reports:bulletin_detail", pk=bulletin.pk)

    def page(values: Any, error: AppError | None) -> HttpResponse:
        context = {
            "b": bulletin,
            "item": item,
            "values": values,
            "error": error,
            "field_errors": error.fields if error else {},
        }
        return render(request, "reports/bulletin_item_form.html", context)

    if request.method == "POST":
        fields = {k: request.POST.get(k, "") for k in ("heading", "body", "byline")}
        fields["show_photos"] = request.POST.get("show_photos", "")
        try:
            services.bulletin_item_edit(actor=request.user, bulletin=bulletin, item=item, **fields)
        except AppError as exc:
            return error_response(request, exc, lambda e: page(request.POST, e))
        messages.success(request, _("已保存条目"))
        return redirect(reverse("reports:bulletin_detail", args=[bulletin.pk]) + f"#item-{item.pk}")
    return page(
        {
            "heading": item.heading,
            "body": item.body,
            "byline": item.byline,
            "show_photos": item.show_photos,
        },
        None,
    )


@login_required
@require_POST
def bulletin_issue(request: HttpRequest, pk: int) -> HttpResponse:
    def call(bulletin: Bulletin) -> str:
        done = services.bulletin_issue(
            actor=request.user,
            bulletin=bulletin,
            issued_on=request.POST.get("issued_on", ""),
            number=request.POST.get("number", "").strip() or None,
        )
        return _("已印发第%(n)s期") % {"n": done.number}

    return _act_on_bulletin(request, pk, "issue", call)


@login_required
@require_POST
def bulletin_correct(request: HttpRequest, pk: int) -> HttpResponse:
    def call(bulletin: Bulletin) -> tuple[Bulletin, str]:
        draft = services.bulletin_correct(
            actor=request.user, bulletin=bulletin, note=request.POST.get("note", "")
        )
        return draft, _("已新建更正期草稿，修改后印发")

    return _act_on_bulletin(request, pk, "correct", call)


@login_required
@require_POST
def bulletin_delete(request: HttpRequest, pk: int) -> HttpResponse:
    bulletin = _bulletin(request, pk)
    try:
        services.bulletin_delete_draft(actor=request.user, bulletin=bulletin)
    except AppError as exc:
        return error_response(
            request, exc, lambda e: _render_bulletin(request, _bulletin(request, pk), error=e)
        )
    messages.success(request, _("已删除简报草稿"))
    return redirect("reports:bulletins")


def docx_download(bulletin: Bulletin) -> tuple[bytes, str]:
    """The .docx of ``bulletin`` (got through a scoped selector) and its
    download name: the page's download and the API's share it."""
    data = bulletin_docx(bulletin=bulletin, items=selectors.bulletin_items(bulletin=bulletin))
    what = f"{bulletin.series.title}{number_text(bulletin)}"
    return data, export_filename(what, day=bulletin.issued_on, extension="docx")


@login_required
@require_GET
def bulletin_download(request: HttpRequest, pk: int) -> FileResponse:
    data, filename = docx_download(_bulletin(request, pk))
    return attachment_response(data, filename=filename, kind="docx")
