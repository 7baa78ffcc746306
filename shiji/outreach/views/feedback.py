"""Back-office pages of feedback (群众反映): the inbox, an item's page with
the moves this user may make, 代录, the zone's settings, and the home panel.

Thin views: they read through ``outreach.selectors.feedback`` (another
zone's item is a 404), call one service of ``outreach.services.handling``
and render; an ``AppError`` comes back next to the form that was sent. The
submitter's name and phone appear only after the 查看联系方式 button, which
only permitted users see and whose every press is audited.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from shiji.core.downloads import stored_file_response
from shiji.core.errors import AppError, invalid
from shiji.core.htmx import vary_on_htmx, wants_fragment
from shiji.core.lights import Light
from shiji.core.pages import error_response
from shiji.core.validation import parse_id
from shiji.ledger import selectors as ledger_selectors
from shiji.ledger.models import Kind as ProblemKind
from shiji.orgs import policy
from shiji.orgs.models import RoleGrant, User, Zone
from shiji.orgs.selectors import org_options, zones_visible_to
from shiji.outreach import access, workflow
from shiji.outreach.limits import settings_for
from shiji.outreach.models import (
    Category,
    Channel,
    Feedback,
    Kind,
    Status,
)
from shiji.outreach.selectors import feedback as selectors
from shiji.outreach.services import handling
from shiji.web import filters

PAGE_SIZE = 50
LIST_PARAMS = (
    *("zone", "status", "kind", "channel", "light", "org", "q", "escalated"),
    *("received_from", "received_to"),
)
STATUS_BADGES: dict[str, str] = {
    Status.RECEIVED: "bg-orange-lt",
    Status.ACCEPTED: "bg-blue-lt",
    Status.DECLINED: "bg-dark-lt",
    Status.FORWARDED: "bg-azure-lt",
    Status.REPLY_PENDING: "bg-purple-lt",
    Status.ANSWERED: "bg-green-lt",
    Status.IN_LEDGER: "bg-teal-lt",
    Status.MERGED: "bg-secondary-lt",
}
MOVE_BUTTONS = {
    "accept": "btn-primary",
    "decline": "btn-outline-danger",
    "forward": "btn-primary",
    "reply": "btn-primary",
    "publish_reply": "btn-success",
    "to_problem": "btn-warning",
    "merge": "btn-outline-secondary",
}
MOVE_DONE = {
    "accept": _l("已受理"),
    "decline": _l("已不予受理，理由将告知反映人"),
    "forward": _l("已转办，承办单位的书记、联络员可以看到并拟写答复"),
    "reply": _l("答复已提交，等待工作专班审核发布"),
    "publish_reply": _l("答复已发布，反映人可凭查询码查看"),
    "to_problem": _l("已转入问题整改台账"),
    "merge": _l("已合并"),
}
MOVE_HINTS = {
    "accept": _l("受理后可转办、答复或转入整改台账。"),
    "decline": _l("理由会告知反映人，请写清不予受理的依据和可以反映的渠道。"),
    "forward": _l("转给本区的组织办理，其书记、联络员可以看到并拟写答复；看不到反映人联系方式。"),
    "reply": _l("答复稿提交后由工作专班审核发布。"),
    "publish_reply": _l("可修改答复稿后发布；发布后反映人可凭查询码看到答复并评价。"),
    "to_problem": _l("生成一条来源为“群众反映”的整改台账问题，整改销号后请反映人评价。"),
    "merge": _l("同一件事的多条反映合并办理，合并后随被合并到的反映一起办理。"),
}
ENTRY_CHANNELS = [(c.value, c.label) for c in handling.ENTRY_CHANNELS]
PEOPLE_FIELDS = [
    (
        "handlers",
        _l("受理人员"),
        _l("可受理、转办、答复、合并、代录本区的群众反映（发布答复仍由工作专班审核）。"),
    ),
    (
        "contact_viewers",
        _l("可查看联系方式的人员"),
        _l("除工作专班外，可查看反映人姓名和电话的人员；每次查看都记入审计日志。"),
    ),
]


def _item(request: HttpRequest, pk: Any) -> Feedback:
    return selectors.feedback_get_for_user(user=request.user, pk=pk)


def _decorate(item: Feedback) -> Feedback:
    item.status_badge = STATUS_BADGES.get(item.status, "bg-secondary-lt")  # type: ignore[attr-defined]
    item.light_off = "" if item.light else "—"  # type: ignore[attr-defined]
    return item


# Inbox ---------------------------------------------------------------------


@login_required
@require_GET
def outreach_home(request: HttpRequest) -> HttpResponse:
    return redirect("outreach:feedback_list")


def _chosen_zone(zones: list[Zone], raw: str) -> Zone | None:
    if len(zones) == 1:
        return zones[0]
    wanted = parse_id(raw)
    return next((z for z in zones if z.pk == wanted), None)


@login_required
@require_GET
def feedback_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    params = {key: request.GET.get(key, "").strip() for key in LIST_PARAMS}
    zones = list(zones_visible_to(user=user))
    zone = _chosen_zone(zones, params["zone"])
    orgs = org_options(user=user, zone=zone)
    if zone:
        params["zone"] = str(zone.pk) if len(zones) > 1 else ""
        if params["org"] and parse_id(params["org"]) not in {pk for pk, _label in orgs}:
            params["org"] = ""
    query = {**params, "zone": str(zone.pk) if zone else ""}
    rows, counts = selectors.feedback_inbox(user=user, params=query)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    for item in page.object_list:
        _decorate(item)
    handler_zones = {z.pk for z in zones if access.may_handle(user, z)}
    mergeable = [
        i for i in page.object_list if i.status in workflow.OPEN and i.zone_id in handler_zones
    ]
    filtered = any(params[k] for k in LIST_PARAMS if k not in ("zone", "status"))
    tabs = [("", _("全部"), counts["all"])] + [
        (code, label, counts[code]) for code, label in Status.choices
    ]
    context = {
        "page": page,
        "params": params,
        "zones": zones,
        "zone": zone,
        "show_zone": len(zones) > 1 and zone is None,
        "orgs": orgs,
        "tabs": tabs,
        "kinds": Kind.choices,
        "channels": Channel.choices,
        "lights": Light.choices,
        "filtered": filtered,
        "chips": _chips(request, zones, orgs),
        "mergeable": mergeable,
        "may_enter": bool(handler_zones),
        "may_configure": any(access.may_configure(user, z) for z in zones),
    }
    template = (
        "outreach/feedback_list_body.html"
        if wants_fragment(request)
        else ("outreach/feedback_list.html")
    )
    return vary_on_htmx(render(request, template, context))


def _chips(request: HttpRequest, zones: list[Zone], orgs: list) -> list[dict[str, str]]:
    return filters.chips(
        request,
        [
            ("zone", _("高新区"), filters.options((z.pk, z.name) for z in zones)),
            ("kind", _("类型"), filters.options(Kind.choices)),
            ("channel", _("渠道"), filters.options(Channel.choices)),
            ("light", _("红黄绿灯"), filters.options(Light.choices)),
            ("org", _("承办单位"), filters.options(orgs)),
            ("escalated", _("提级督办"), {"1": _("是")}),
            ("q", _("搜索"), None),
        ],
    )


@login_required
@require_POST
def feedback_merge(request: HttpRequest) -> HttpResponse:
    """合并 several items of the inbox into one (all or none)."""
    if not access.handles_anywhere(request.user):
        raise PermissionDenied(_("您没有合并群众反映的权限"))
    visible = selectors.feedback_visible_to(user=request.user)
    ids = [parse_id(v) for v in request.POST.getlist("items")]
    items = list(visible.filter(pk__in=ids).order_by("pk"))
    back = reverse("outreach:feedback_list") + _back_query(request)
    try:
        if len(items) != len(set(ids)):
            raise invalid(items=_("所选反映不存在"))
        into = request.POST.get("into", "")
        items = [i for i in items if i.pk != parse_id(into)]
        done = handling.feedback_merge_many(actor=request.user, items=items, into=into)
    except AppError as exc:
        if exc.status in (403, 404) and not exc.fields:
            return error_response(request, exc)
        messages.error(request, exc.message)
        return redirect(back)
    messages.success(request, _("已合并 %(n)d 条反映") % {"n": len(done)})
    return redirect(back)


def _back_query(request: HttpRequest) -> str:
    query = request.POST.get("back", "")
    return query if query.startswith("?") else ""


# An item's page ------------------------------------------------------------


@login_required
@require_GET
def feedback_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_detail(request, _item(request, pk))


def _render_detail(
    request: HttpRequest,
    item: Feedback,
    *,
    form: str = "",
    error: AppError | None = None,
    contact: dict[str, str] | None = None,
    flash: str = "",
) -> HttpResponse:
    context = _detail_context(request, item)
    context.update(
        form=form,
        error=error,
        field_errors=error.fields if error else {},
        posted=request.POST if error else {},
        contact=contact,
        flash=flash,
    )
    template = (
        "outreach/feedback_detail_body.html"
        if wants_fragment(request)
        else ("outreach/feedback_detail.html")
    )
    return vary_on_htmx(render(request, template, context))


def _detail_context(request: HttpRequest, item: Feedback) -> dict[str, Any]:
    user = request.user
    _decorate(item)
    moves = []
    for move in workflow.MOVES.values():
        if item.status in move.sources and access.may_move(user, item, move.permission):
            moves.append(
                {
                    "action": move.action,
                    "label": move.label,
                    "button": MOVE_BUTTONS[move.action],
                    "hint": MOVE_HINTS[move.action],
                }
            )
    actions = {m["action"] for m in moves}
    handles = access.may_handle(user, item.zone_id)
    steps = list(item.steps.select_related("actor"))
    for step in steps:
        done = workflow.MOVES.get(step.action)
        # A public step's label in the reader's language, from its move (as on
        # the portal, selectors/public.py), not the text stored with the row.
        label = workflow.PUBLIC_LABELS.get(step.action) if step.public_label else None
        step.label = label or (done.label if done else step.action)  # type: ignore[attr-defined]
    context: dict[str, Any] = {
        "item": item,
        "moves": moves,
        "actions": actions,
        "handles": handles,
        "may_contact": access.may_see_contact(user, item.zone_id),
        "show_accused": bool(item.accused) and access.may_see_restricted(user, item),
        "steps": steps,
        "ratings": list(item.ratings.select_related("recorded_by")),
        "files": list(item.files.all()),
        "merged_items": list(
            selectors.feedback_visible_to(user=user).filter(merged_into=item).order_by("pk")
        ),
        "may_disclose": handles and handling.resolved(item) and not item.restricted,
        "may_return_call": handles and _ratable(item),
        "ratings_choices": _rating_choices(),
        "status_note": _status_note(item, moves),
    }
    if "forward" in actions or "to_problem" in actions:
        context["orgs"] = org_options(user=user, zone=item.zone)
    if "to_problem" in actions:
        context["categories"] = list(ledger_selectors.problem_categories(zone=item.zone))
        context["problem_kinds"] = ProblemKind.choices
        context["problem_source"] = handling.problem_source(item)
    if "merge" in actions:
        context["merge_targets"] = list(selectors.merge_targets(user=user, feedback=item)[:50])
    return context


def _rating_choices() -> list[tuple[str, Any]]:
    from shiji.outreach.models import Rating

    return list(Rating.choices)


def _ratable(item: Feedback) -> bool:
    """Whether a result waits for the submitter's judgement (回访)."""
    from shiji.outreach.services.rating import feedback_can_rate

    return feedback_can_rate(item)


def _status_note(item: Feedback, moves: list[dict[str, Any]]) -> str:
    if item.status == Status.MERGED:
        return _("该反映已合并，随被合并到的反映一起办理。")
    if item.status == Status.DECLINED:
        return _("该反映不予受理，理由已告知反映人。")
    if item.status == Status.ANSWERED:
        return _("已答复。反映人可凭查询码查看答复并评价。")
    if item.status == Status.IN_LEDGER:
        return _("已转入整改台账，整改销号后请反映人评价。")
    if moves:
        return ""
    if item.status == Status.REPLY_PENDING:
        return _("答复已提交，等待工作专班审核发布。")
    if item.status == Status.FORWARDED:
        return _("已转办，等待承办单位拟写答复。")
    return _("您对该反映暂无可执行的操作。")


@login_required
@require_POST
def feedback_act(request: HttpRequest, pk: int) -> HttpResponse:
    action = request.POST.get("action", "")
    item = _item(request, pk)
    post = request.POST
    try:
        handling.feedback_act(
            actor=request.user,
            feedback=item,
            action=action,
            note=post.get("note", ""),
            org=post.get("org") or None,
            reply=post.get("reply", ""),
            into=post.get("into") or None,
            category=post.get("category") or None,
            problem_kind=post.get("problem_kind") or None,
            deadline=post.get("deadline") or None,
            description=post.get("description") or None,
        )
    except AppError as exc:
        return error_response(
            request,
            exc,
            lambda e: _render_detail(request, _item(request, pk), form=action, error=e),
        )
    done = str(MOVE_DONE.get(action, _("已办理")))
    if wants_fragment(request):
        return _render_detail(request, _item(request, pk), flash=done)
    messages.success(request, done)
    return redirect(reverse("outreach:feedback_detail", args=[item.pk]) + "#sj-actions")


@login_required
@require_POST
def feedback_contact(request: HttpRequest, pk: int) -> HttpResponse:
    """查看联系方式: shows the name and phone on the item's page, for the
    permitted only; each press is written to the audit trail."""
    item = _item(request, pk)
    try:
        contact = selectors.feedback_contact(user=request.user, feedback=item)
    except AppError as exc:
        return error_response(request, exc)
    return _render_detail(request, item, contact=contact)


@login_required
@require_POST
def feedback_disclose(request: HttpRequest, pk: int) -> HttpResponse:
    item = _item(request, pk)
    disclosed = request.POST.get("disclosed") == "1"
    try:
        handling.feedback_disclose(
            actor=request.user,
            feedback=item,
            disclosed=disclosed,
            summary=request.POST.get("summary", ""),
        )
    except AppError as exc:
        return error_response(
            request,
            exc,
            lambda e: _render_detail(request, _item(request, pk), form="disclose", error=e),
        )
    messages.success(request, _("已设为公开") if disclosed else _("已取消公开"))
    return redirect(reverse("outreach:feedback_detail", args=[item.pk]) + "#sj-disclose")


@login_required
@require_POST
def feedback_return_call(request: HttpRequest, pk: int) -> HttpResponse:
    """回访: record the rating someone gave on the phone."""
    item = _item(request, pk)
    try:
        handling.feedback_return_call(
            actor=request.user,
            feedback=item,
            rating=request.POST.get("rating", ""),
            comment=request.POST.get("comment", ""),
        )
    except AppError as exc:
        return error_response(
            request,
            exc,
            lambda e: _render_detail(request, _item(request, pk), form="return_call", error=e),
        )
    messages.success(request, _("已记录回访评价"))
    return redirect(reverse("outreach:feedback_detail", args=[item.pk]) + "#sj-ratings")


@login_required
@require_GET
def feedback_file(request: HttpRequest, pk: int, file_id: int) -> FileResponse:
    item = _item(request, pk)
    found = item.files.filter(pk=file_id).first()
    if found is None:
        raise Http404(_("文件不存在"))
    return stored_file_response(
        request,
        found.file,
        filename=found.name,
        kind=found.kind,
        missing_message=_("文件不存在"),
    )


# 代录 -----------------------------------------------------------------------


def _handler_zones(request: HttpRequest) -> list[Zone]:
    return [z for z in zones_visible_to(user=request.user) if access.may_handle(request.user, z)]


@login_required
@require_http_methods(["GET", "POST"])
def feedback_enter(request: HttpRequest) -> HttpResponse:
    zones = _handler_zones(request)
    if not zones:
        raise PermissionDenied(_("您没有代录群众反映的权限"))
    wanted = parse_id(request.POST.get("zone") or request.GET.get("zone"))
    zone = next((z for z in zones if z.pk == wanted), zones[0])

    def page(values: Any, error: AppError | None) -> HttpResponse:
        return render(
            request,
            "outreach/feedback_enter.html",
            {
                "zone": zone,
                "zones": zones,
                "values": values,
                "error": error,
                "field_errors": error.fields if error else {},
                "channels": ENTRY_CHANNELS,
                "kinds": Kind.choices,
                "categories": Category.choices,
            },
        )

    if request.method == "POST":
        post = request.POST
        try:
            created = handling.feedback_enter(
                actor=request.user,
                zone=zone,
                channel=post.get("channel", ""),
                kind=post.get("kind", ""),
                content=post.get("content", ""),
                category=post.get("category", ""),
                name=post.get("name", ""),
                phone=post.get("phone", ""),
                accused=post.get("accused", ""),
            )
        except AppError as exc:
            return error_response(request, exc, lambda e: page(post, e))
        # The code exists only now: shown once, never stored, never redirected to.
        response = render(
            request,
            "outreach/feedback_entered.html",
            {"item": created.feedback, "code": created.tracking_code},
        )
        response["Cache-Control"] = "no-store"
        return response
    return page({"channel": Channel.PHONE, "kind": Kind.COMPLAINT}, None)


# Settings ------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def feedback_settings(request: HttpRequest) -> HttpResponse:
    zones = [
        z for z in zones_visible_to(user=request.user) if access.may_configure(request.user, z)
    ]
    if not zones:
        raise PermissionDenied(_("您没有修改群众反映设置的权限"))
    wanted = parse_id(request.POST.get("zone") or request.GET.get("zone"))
    zone = next((z for z in zones if z.pk == wanted), zones[0])
    row = settings_for(zone.pk)
    staff = list(
        User.objects.filter(
            pk__in=RoleGrant.objects.filter(zone=zone, user__is_active=True).values("user_id")
        ).order_by("name", "username")
    )

    def page(values: dict[str, Any], error: AppError | None) -> HttpResponse:
        return render(
            request,
            "outreach/settings.html",
            {
                "zone": zone,
                "zones": zones,
                "values": values,
                "error": error,
                "field_errors": error.fields if error else {},
                "kinds": Kind.choices,
                "staff": staff,
                "people_fields": PEOPLE_FIELDS,
            },
        )

    if request.method == "POST":
        post = request.POST
        values: dict[str, Any] = {
            "limits": {k: post.get(f"limit_{k}", "") for k in Kind.values},
            "handlers": [str(v) for v in post.getlist("handlers")],
            "contact_viewers": [str(v) for v in post.getlist("contact_viewers")],
        }
        try:
            handling.outreach_settings_update(
                actor=request.user,
                zone=zone,
                limits=values["limits"],
                handlers=values["handlers"],
                contact_viewers=values["contact_viewers"],
            )
        except AppError as exc:
            return error_response(request, exc, lambda e: page(values, e))
        messages.success(request, _("已保存群众反映设置"))
        return redirect(reverse("outreach:feedback_settings") + f"?zone={zone.pk}")
    return page(
        {
            "limits": {k: str(row.limit_for(k)) for k in Kind.values},
            "handlers": [str(pk) for pk in row.handlers.values_list("pk", flat=True)],
            "contact_viewers": [str(pk) for pk in row.contact_viewers.values_list("pk", flat=True)],
        },
        None,
    )


# The home panel ------------------------------------------------------------


def home_panel(request: HttpRequest) -> tuple[str, dict[str, Any]] | None:
    """工作台: feedback waiting in my scope, for those who handle or answer it."""
    user = request.user
    if not (access.handles_anywhere(user) or policy.can(user, "feedback.answer")):
        return None
    visible = selectors.feedback_visible_to(user=user)
    figures = visible.order_by().aggregate(
        pending=Count("pk", filter=Q(status__in=workflow.PENDING)),
        received=Count("pk", filter=Q(status=Status.RECEIVED)),
        reply_pending=Count("pk", filter=Q(status=Status.REPLY_PENDING)),
        red=Count("pk", filter=Q(light=Light.RED)),
        escalated=Count("pk", filter=Q(escalated=True, status__in=workflow.PENDING)),
    )
    return ("outreach/feedback_home_panel.html", figures)
