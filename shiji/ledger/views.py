"""The ledger pages (问题整改台账): the list, a problem's page with the actions
the user may take, the create and edit forms, my work (我的待办) and the home
panel.

Views stay thin: they parse the request, read through ``selectors`` (another
zone's problem is a 404), call one service and render. An ``AppError`` is
shown where it belongs: field messages next to their inputs, other refusals
as an alert in the form that was sent.

One URL serves the full page or, for htmx, the fragment it swaps; every such
response varies on ``HX-Request``. Errors become pages through
``core.pages.error_response``, with the API's statuses for htmx and plain
posts alike.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template import loader
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from shiji.audit.timeline import timeline
from shiji.core.downloads import stored_file_response
from shiji.core.errors import AppError, invalid
from shiji.core.htmx import vary_on_htmx, wants_fragment
from shiji.core.pages import error_response
from shiji.core.thumbnails import has_thumbnail
from shiji.core.validation import parse_id
from shiji.ledger import selectors, services, workflow
from shiji.ledger.models import Kind, Light, Problem, ReviewState, Source, Stage, Status
from shiji.orgs import policy
from shiji.orgs.selectors import org_options, orgs_visible_to, zones_visible_to
from shiji.web import filters

PAGE_SIZE = 50
LIST_PARAMS = (
    *("zone", "org", "status", "category", "source", "light", "kind", "q", "sort"),
    *selectors.SCORE_PARAMS,
)
SORT_CHOICES = [
    ("code", _l("按台账编号")),
    ("deadline", _l("按整改时限（早→晚）")),
    ("-deadline", _l("按整改时限（晚→早）")),
    ("light", _l("按红黄绿灯（红灯在前）")),
]
STATUS_BADGES = {
    Status.OPEN: "bg-secondary-lt",
    Status.IN_PROGRESS: "bg-blue-lt",
    Status.SUBMITTED: "bg-orange-lt",
    Status.CLOSED: "bg-green-lt",
    Status.CANCELLED: "bg-dark-lt",
}
MOVE_BUTTONS = {
    "start": "btn-primary",
    "submit": "btn-primary",
    "verify": "btn-success",
    "return": "btn-warning",
    "reopen": "btn-warning",
    "cancel": "btn-outline-danger",
}
MOVE_DONE = {
    "start": _l("已开始整改"),
    "submit": _l("已提交销号，等待督导组销号审核"),
    "verify": _l("销号审核通过，问题已销号"),
    "return": _l("已退回整改"),
    "reopen": _l("已转为重新整改（回头看）"),
    "cancel": _l("问题已撤销"),
}


# The verifier's one form (销号审核): a choice between these two moves, and
# a confirmation step that says what will happen before anything does.
DECISIONS = {
    "verify": {
        "label": _l("通过销号"),
        "outcome": _l("问题将标记为“已销号”，销号日期记为今天，整改单位不能再修改。"),
    },
    "return": {
        "label": _l("退回整改"),
        "outcome": _l("问题将退回“整改中”，整改单位会看到退回理由，整改后重新提交销号。"),
    },
}


# Helpers -------------------------------------------------------------------


def _problem(request: HttpRequest, pk: Any) -> Problem:
    return selectors.problem_get_for_page(user=request.user, pk=pk)


def _decorate(problem: Problem) -> Problem:
    problem.status_badge = STATUS_BADGES.get(problem.status, "bg-secondary-lt")
    problem.rework = problem.review_state == ReviewState.REWORK
    problem.light_off = _light_off(problem.status, problem.deadline)
    return problem


def _light_off(status: str, deadline: dt.date | None) -> str:
    """What shows instead of a light where none applies: nothing is owed on
    a closed or cancelled item, and without a deadline nothing can be late
    (无时限, not green); "" where the light shows."""
    if status not in workflow.ACTIVE:
        return "—"
    if deadline is None:
        return _("无时限")
    return ""


def _status_note(problem: Problem, moves: list, forms: set[str]) -> str:
    """The line above the action forms that says where the problem stands
    and who acts next ("" when the forms say enough)."""
    status = problem.status
    if status == Status.CLOSED:
        return _("问题已销号。回头看发现问题反弹的，督导组或工作专班可要求重新整改。")
    if status == Status.CANCELLED:
        return _("问题已撤销，无需再操作。")
    if status == Status.SUBMITTED:
        if moves:
            return _("请核实完成情况和整改凭证：到位的通过销号，不到位的退回整改并说明理由。")
        return _("已提交销号，等待督导组或工作专班销号审核。")
    if moves:
        return ""
    if not forms:
        return _("您对该问题暂无可执行的操作。")
    if status == Status.OPEN:
        return _("开始整改由本单位书记或联络员办理。")
    return _("整改完成并上传凭证后，由本单位书记或分管领导提交销号。")


# List ----------------------------------------------------------------------


@login_required
@require_GET
def problem_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    params = {key: request.GET.get(key, "").strip() for key in LIST_PARAMS}
    zones = list(zones_visible_to(user=user))
    zone = _chosen_zone(zones, params["zone"])
    if zone is None and params["org"]:
        # A link to one org's problems names no zone; the org implies it.
        org = orgs_visible_to(user=user).filter(pk=parse_id(params["org"])).first()
        zone = org.zone if org else None
    orgs = org_options(user=user, zone=zone)
    categories = list(selectors.problem_categories(zone=zone, active_only=False)) if zone else []
    if zone:
        params["zone"] = str(zone.pk) if len(zones) > 1 else ""
        # After switching zones the form still carries the old zone's org and
        # category; drop them rather than silently matching nothing.
        if params["org"] and parse_id(params["org"]) not in {pk for pk, _label in orgs}:
            params["org"] = ""
        if params["category"] and parse_id(params["category"]) not in {c.pk for c in categories}:
            params["category"] = ""
    visible = selectors.problems_in_scope(user=user)
    rows = selectors.problem_filter(visible, params, user=user)
    # The figures ignore the light filter so that each light stays clickable.
    unlit = selectors.problem_filter(visible, {**params, "light": ""}, user=user)
    totals = selectors.list_totals(unlit)
    # Without a light filter the list is what was counted: no COUNT of its own.
    known = None if params["light"] else totals["total"]
    pages = selectors.ProblemPages(rows, count=known)
    page = Paginator(pages, PAGE_SIZE).get_page(request.GET.get("page"))
    filtered = any(params[key] for key in LIST_PARAMS if key not in ("sort", "zone"))
    show_zone = len(zones) > 1 and zone is None
    context = {
        "page": page,
        "params": params,
        "zones": zones,
        "zone": zone,
        "show_zone": show_zone,
        "rows_html": _list_rows(page.object_list, show_zone=show_zone),
        "orgs": orgs,
        "categories": categories,
        "statuses": Status.choices,
        "sources": Source.choices,
        "kinds": Kind.choices,
        "lights": Light.choices,
        "sorts": SORT_CHOICES,
        "counts": [(light, label, totals[light]) for light, label in Light.choices],
        "totals": {
            **{key: totals[key] for key in ("closed", "active", "counted")},
            "rate": round(100 * totals["closed"] / totals["counted"])
            if totals["counted"]
            else None,
        },
        "filtered": filtered,
        "chips": _list_chips(request, zones, orgs, categories),
        "can_create": policy.can(user, "problem.create"),
        "export_url": reverse("ledger:export") if policy.can(user, "ledger.export") else None,
        "import_url": reverse("ledger:import") if policy.can(user, "ledger.import") else None,
    }
    template = "ledger/_list_body.html" if wants_fragment(request) else "ledger/list.html"
    return vary_on_htmx(render(request, template, context))


def _list_rows(rows: list[dict[str, Any]], *, show_zone: bool) -> SafeString:
    """The list's rows as HTML (ledger/_list_body.html's tbody), with what
    each shows worked out here once a page: {% url %} is a reverse, an
    include a template context, a display label a translation of every
    choice. The light and status cells are their shared templates rendered
    once per distinct value. The rows themselves are a Jinja2 template
    (jinja2/ledger/_rows.html): Django's engine took 7 ms to resolve the
    page's ~700 cells, most of a zone list's time (README "Benchmarks")."""
    # One reverse: the detail URL differs between rows only by the id.
    marker = 987654321
    detail = reverse("ledger:detail", args=[marker]).replace(str(marker), "{}")
    light_cell = loader.get_template("web/_light.html")
    status_cell = loader.get_template("ledger/_status.html")
    cells: dict[tuple, str] = {}
    for row in rows:
        status, deadline = row["status"], row["deadline"]
        badge = STATUS_BADGES.get(status, "bg-secondary-lt")
        row["rework"] = row["review_state"] == ReviewState.REWORK
        row["url"] = detail.format(row["id"])
        row["summary"] = Truncator(row["description"]).chars(60)
        row["deadline_text"] = deadline.isoformat() if deadline else "—"
        row["owner_name"] = row["owner_name"] or "—"
        if row["extension_count"]:
            row["extension_text"] = _("延期%(n)s次") % {"n": row["extension_count"]}
        off = _light_off(status, deadline)
        key = ("light", row["light"], off)
        if key not in cells:
            cells[key] = light_cell.render({"light": row["light"], "off": off})
        row["light_cell"] = cells[key]
        key = ("status", status, badge)
        if key not in cells:
            shown = {"status_badge": badge, "get_status_display": row["status_label"]}
            cells[key] = status_cell.render({"p": shown})
        row["status_cell"] = cells[key]
    labels = {
        "zone": _("高新区"),
        "org": _("责任单位"),
        "deadline": _("时限"),
        "extended": _("整改时限已延期"),
        "rework": _("退回重查"),
        "reused": _("凭证重复"),
        "reused_title": _("整改凭证与其他问题的文件相同，请核实是否虚假整改"),
    }
    rows_template = loader.get_template("ledger/_rows.html", using="jinja2")
    html = rows_template.render({"rows": rows, "show_zone": show_zone, "t": labels})
    return mark_safe(html)  # noqa: S308 - escaped by Jinja2 (autoescape), which returns a str


def _list_chips(request: HttpRequest, zones: list, orgs: list, categories: list) -> list:
    return filters.chips(
        request,
        [
            ("zone", _("高新区"), filters.options((z.pk, z.name) for z in zones)),
            ("org", _("责任单位"), filters.options(orgs)),
            ("status", _("状态"), filters.options(Status.choices)),
            ("category", _("问题类别"), filters.options((c.pk, c.name) for c in categories)),
            ("source", _("问题来源"), filters.options(Source.choices)),
            ("kind", _("整改类型"), filters.options(Kind.choices)),
            ("light", _("红黄绿灯"), filters.options(Light.choices)),
            ("q", _("搜索"), None),
        ],
    )


def _chosen_zone(zones: list, raw: str):
    if len(zones) == 1:
        return zones[0]
    wanted = parse_id(raw)
    return next((z for z in zones if z.pk == wanted), None)


# Detail and its actions ----------------------------------------------------


@login_required
@require_GET
def problem_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_detail(request, _problem(request, pk))


def _render_detail(
    request: HttpRequest,
    problem: Problem,
    *,
    form: str = "",
    error: AppError | None = None,
    flash: str = "",
    confirm: dict[str, str] | None = None,
) -> HttpResponse:
    context = _detail_context(request, problem)
    context.update(
        confirm=confirm,
        form=form,
        error=error,
        field_errors=error.fields if error else {},
        posted=request.POST if error else {},
        flash=flash,
        orphan_error=error if error and form not in context["forms"] else None,
    )
    template = "ledger/_detail_body.html" if wants_fragment(request) else "ledger/detail.html"
    return vary_on_htmx(render(request, template, context))


def _evidence_layout(evidence: list[Any]) -> dict[str, Any]:
    """The evidence card: photos of 整改前 and 整改后 side by side (both
    columns, once either has a photo, so a missing "after" shows), 整改中
    photos below them, and the other files (PDF, Office) by stage."""
    labels = dict(Stage.choices)
    photos: dict[str, list[Any]] = {code: [] for code in Stage.values}
    files: dict[str, list[Any]] = {code: [] for code in Stage.values}
    for item in evidence:
        (photos if has_thumbnail(item.content_kind) else files)[item.stage].append(item)

    def group(code: str) -> dict[str, Any]:
        return {"code": code, "label": labels[code], "items": photos[code]}

    compare = photos[Stage.BEFORE] or photos[Stage.AFTER]
    return {
        "compare": [group(Stage.BEFORE), group(Stage.AFTER)] if compare else [],
        "during": group(Stage.DURING),
        "files": [group(code) | {"items": files[code]} for code in Stage.values if files[code]],
    }


def _latest(reviews: list[Any], *actions: str, flagged: bool = False) -> Any:
    """The latest of ``reviews`` (in their order) with one of ``actions``."""
    return next(
        (r for r in reversed(reviews) if r.action in actions and (r.flagged or not flagged)), None
    )


def _approval(problem: Problem, reviews: list[Any]) -> dict[str, Any]:
    """Who asked for 销号 and who verified it (when closed), for the printed
    销号审批表 (ledger/_print_approval.html)."""
    closed = problem.status == Status.CLOSED
    verified = _latest(reviews, "verify") if closed else None
    return {"submitted": _latest(reviews, "submit"), "verified": verified}


def _detail_context(request: HttpRequest, problem: Problem) -> dict[str, Any]:
    user = request.user
    _decorate(problem)
    actions = selectors.available_actions(user=user, problem=problem)
    moves = []
    independence_refusal = ""
    for m in selectors.available_moves(user=user, problem=problem):
        move = {
            "action": m.action,
            "label": m.label,
            "button": MOVE_BUTTONS.get(m.action, "btn-primary"),
            # submit needs 完成情况 and the others with a note a reason; verify
            # takes an optional comment.
            "note_label": m.note_label if m.needs_note else _("审核意见（可选）"),
            "has_note": m.needs_note or m.action == "verify",
            "note_required": m.needs_note,
            "prefill": problem.completion_note if m.action == "submit" else "",
            "hint": "",
        }
        if m.action == "verify":
            # The four-eyes rule decides before the form is offered: someone
            # who worked on the problem gets the reason instead of the form;
            # someone close to those who did must write why they verify.
            independence = selectors.verify_independence(user=user, problem=problem)
            if independence.refusal:
                independence_refusal = independence.refusal
                continue
            if independence.needs_reason:
                move.update(
                    note_label=_("销号理由（必填）"),
                    note_required=True,
                    hint=_(
                        "参与整改的账号中有您创建或授权的账号，独立性存疑：如仍由您审核销号，"
                        "请写明理由；本次审核将标记供督导组关注。"
                    ),
                )
        moves.append(move)
    # 退回重查: the entry itself must be fixed first, so 修改问题 is the
    # primary action and 开始整改 is not offered until it is.
    edit_first = problem.rework and "edit" in actions
    if problem.rework:
        moves = [m for m in moves if m["action"] != "start"]
    decide = [
        {**m, **{k: str(v) for k, v in DECISIONS[m["action"]].items()}}
        for m in moves
        if m["action"] in DECISIONS
    ]
    moves = [m for m in moves if m["action"] not in DECISIONS]
    evidence = list(problem.evidence.select_related("uploaded_by"))
    may_verify = policy.can(user, "problem.verify", problem)
    reuse = (
        selectors.evidence_reuse(problem=problem, user=user, evidence=evidence) if evidence else {}
    )
    for item in evidence:
        others = reuse.get(item.pk, [])
        item.reused = bool(others)
        item.reuse_message = _reuse_message(others) if others and may_verify else ""
    forms = {f"move:{m['action']}" for m in moves} | actions | ({"decide"} if decide else set())
    # One read of the problem's reviews (a handful) for the three things the
    # page takes from them, rather than a query each.
    reviews = list(problem.reviews.select_related("actor").order_by("created_at", "pk"))
    return {
        "problem": problem,
        "moves": moves,
        "decide": decide,
        # A verifier close to the workers must give a reason to verify too.
        "decide_note_label": next(
            (d["note_label"] for d in decide if d["action"] == "verify" and d["note_required"]),
            _("审核意见（退回整改时必填，写明退回理由）"),
        ),
        "edit_first": edit_first,
        "actions": actions,
        "forms": forms,
        "status_note": independence_refusal or _status_note(problem, moves + decide, forms),
        "flagged_verification": _latest(reviews, "verify", flagged=True),
        # A new entry shows that it awaits review; later, only a decision.
        "show_review_state": problem.status == Status.OPEN
        or problem.review_state != ReviewState.PENDING,
        "evidence": evidence,
        "evidence_layout": _evidence_layout(evidence),
        "stage_choices": Stage.choices,
        "reused_any": any(e.reused for e in evidence),
        "progress": list(problem.progress.select_related("author")),
        "extensions": list(problem.extensions.select_related("actor")),
        "timeline": timeline(problem, user),
        "rework": problem.rework,
        # Why the work is back on the owner's desk, if a verifier sent it back.
        "sent_back": _latest(reviews, "return", "reopen")
        if problem.status == Status.IN_PROGRESS
        else None,
        "approval": _approval(problem, reviews),
        "review_badge": {
            ReviewState.PENDING: "bg-secondary-lt",
            ReviewState.APPROVED: "bg-green-lt",
            ReviewState.REWORK: "bg-red-lt",
        }.get(problem.review_state, "bg-secondary-lt"),
        "max_upload_mb": settings.MAX_UPLOAD_MB,
        "default_stage": Stage.BEFORE if problem.status == Status.OPEN else Stage.AFTER,
        "min_extend": (problem.deadline or timezone.localdate()) + dt.timedelta(days=1),
    }


def _reuse_message(others: list[Problem | None]) -> str:
    codes = [p.code for p in others if p is not None]
    hidden = sum(1 for p in others if p is None)
    if codes:
        target = _("、").join(dict.fromkeys(codes))
        if hidden:
            target += _("及另外 %(n)d 个您无权查看的") % {"n": hidden}
        return _("该凭证与 %(codes)s 号问题使用的文件相同（SHA-256 一致），请核实是否虚假整改") % {
            "codes": target
        }
    return _(
        "该凭证与另外 %(n)d 个问题（您无权查看）使用的文件相同（SHA-256 一致），请核实是否虚假整改"
    ) % {"n": hidden}


def _act(request: HttpRequest, pk: int, form: str, call: Callable[[Problem], str]) -> HttpResponse:
    """Run one service call for a detail-page form; ``call`` returns the
    success message."""
    problem = _problem(request, pk)
    try:
        done = call(problem)
    except AppError as exc:
        # Re-read: the service rolled back, but the page should show the
        # problem as it now stands (someone else may have moved it).
        return error_response(
            request,
            exc,
            lambda e: _render_detail(request, _problem(request, pk), form=form, error=e),
        )
    if wants_fragment(request):
        return _render_detail(request, _problem(request, pk), flash=done)
    messages.success(request, done)
    # Back where the user acted, not at the top of a long page.
    return redirect(reverse("ledger:detail", args=[problem.pk]) + "#sj-actions")


@login_required
@require_POST
def problem_transition(request: HttpRequest, pk: int) -> HttpResponse:
    action = request.POST.get("action", "")
    if action in DECISIONS and request.POST.get("confirmed") != "1":
        # The 销号审核 form's first step: nothing changes yet; the panel
        # repeats the choice and what it will do, and asks to confirm. (A
        # choice not offered goes on to the service, which says why.)
        problem = _problem(request, pk)
        note = request.POST.get("note", "")
        decide = {d["action"]: d for d in _detail_context(request, problem)["decide"]}
        if action in decide:
            chosen = decide[action]
            if chosen["note_required"] and not note.strip():
                exc = invalid(note=_("请填写%(label)s") % {"label": chosen["note_label"]})
                return error_response(
                    request,
                    exc,
                    lambda e: _render_detail(request, problem, form="decide", error=e),
                )
            return _render_detail(request, problem, form="decide", confirm={**chosen, "note": note})

    def call(problem: Problem) -> str:
        services.problem_transition(
            actor=request.user, problem=problem, action=action, note=request.POST.get("note", "")
        )
        return str(MOVE_DONE[action])

    return _act(request, pk, "decide" if action in DECISIONS else f"move:{action}", call)


@login_required
@require_POST
def problem_progress(request: HttpRequest, pk: int) -> HttpResponse:
    def call(problem: Problem) -> str:
        services.problem_add_progress(
            actor=request.user, problem=problem, text=request.POST.get("text", "")
        )
        return _("已记录整改进展")

    return _act(request, pk, "progress", call)


@login_required
@require_POST
def evidence_upload(request: HttpRequest, pk: int) -> HttpResponse:
    def call(problem: Problem) -> str:
        item = services.problem_add_evidence(
            actor=request.user,
            problem=problem,
            file=request.FILES.get("file"),
            stage=request.POST.get("stage", Stage.AFTER),
            note=request.POST.get("note", ""),
        )
        return _("已上传凭证：%(name)s") % {"name": item.original_name}

    return _act(request, pk, "evidence", call)


@login_required
@require_GET
def evidence_download(request: HttpRequest, pk: int, evidence_id: int) -> FileResponse:
    problem = _problem(request, pk)
    item = problem.evidence.filter(pk=evidence_id).first()
    if item is None:
        raise Http404(_("凭证不存在"))
    return stored_file_response(
        request,
        item.file,
        filename=item.original_name,
        kind=item.content_kind,
        missing_message=_("凭证文件不存在"),
    )


@login_required
@require_POST
def problem_review(request: HttpRequest, pk: int) -> HttpResponse:
    decision = request.POST.get("decision", "")

    def call(problem: Problem) -> str:
        services.problem_review(
            actor=request.user,
            problem=problem,
            decision=decision,
            note=request.POST.get("note", ""),
        )
        return _("问题清单已审核通过") if decision == "approve" else _("已退回重查")

    return _act(request, pk, "review", call)


@login_required
@require_POST
def problem_extend(request: HttpRequest, pk: int) -> HttpResponse:
    def call(problem: Problem) -> str:
        ext = services.problem_extend_deadline(
            actor=request.user,
            problem=problem,
            new_deadline=request.POST.get("new_deadline", ""),
            reason=request.POST.get("reason", ""),
        )
        return _("整改时限已延期至 %(date)s") % {"date": ext.new_deadline.isoformat()}

    return _act(request, pk, "extend", call)


# Create and edit -----------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def problem_create(request: HttpRequest) -> HttpResponse:
    user = request.user
    zone_ids = policy.zone_ids_for(user, "problem.create")
    zones = [z for z in zones_visible_to(user=user) if zone_ids is None or z.pk in zone_ids]
    if not zones:
        raise PermissionDenied(_("您没有新增问题的权限"))
    wanted = parse_id(request.POST.get("zone") or request.GET.get("zone"))
    zone = next((z for z in zones if z.pk == wanted), zones[0])
    if request.method == "POST":
        try:
            problem = services.problem_create(actor=user, zone=zone, **_problem_input(request))
        except AppError as exc:
            return error_response(
                request,
                exc,
                lambda e: _render_form(
                    request, zone=zone, zones=zones, values=request.POST, error=e
                ),
            )
        messages.success(
            request, _("已新增问题 %(code)s，等待督导组审核问题清单") % {"code": problem.code}
        )
        return redirect("ledger:detail", pk=problem.pk)
    return _render_form(request, zone=zone, zones=zones, values=_create_defaults(), error=None)


@login_required
@require_http_methods(["GET", "POST"])
def problem_edit(request: HttpRequest, pk: int) -> HttpResponse:
    problem = _problem(request, pk)
    if not policy.can(request.user, "problem.edit", problem):
        raise PermissionDenied(_("您没有修改此问题的权限"))
    if not workflow.allows("edit", problem):
        messages.error(
            request,
            _("问题%(status)s，不能再修改") % {"status": problem.get_status_display()},
        )
        return redirect("ledger:detail", pk=problem.pk)

    def page(values: Any, error: AppError | None) -> HttpResponse:
        return _render_form(
            request,
            zone=problem.zone,
            zones=[problem.zone],
            values=values,
            error=error,
            problem=problem,
        )

    if request.method == "POST":
        try:
            # A set deadline moves only by an extension, which has its own form.
            values = _problem_input(request, with_deadline=problem.deadline is None)
            services.problem_update(
                actor=request.user,
                problem=problem,
                # The version the form was opened at: a save by someone else
                # since then is a conflict, not an overwrite.
                expected_updated_at=request.POST.get("updated_at"),
                **values,
            )
        except AppError as exc:
            return error_response(request, exc, lambda e: page(request.POST, e))
        messages.success(request, _("已保存修改"))
        return redirect("ledger:detail", pk=problem.pk)
    return page(_problem_values(problem), None)


def _create_defaults() -> dict[str, str]:
    return {
        "source": Source.SELF_CHECK,
        "kind": Kind.DEADLINE,
        "found_on": timezone.localdate().isoformat(),
    }


def _problem_values(problem: Problem) -> dict[str, Any]:
    return {
        "source": problem.source,
        "category": str(problem.category_id),
        "description": problem.description,
        "measures": problem.measures,
        "goal": problem.goal,
        "org": str(problem.org_id),
        "leader": str(problem.leader_id or ""),
        "owner": str(problem.owner_id or ""),
        "kind": problem.kind,
        "found_on": problem.found_on.isoformat(),
        "deadline": problem.deadline.isoformat() if problem.deadline else "",
        "needs_rule_change": "on" if problem.needs_rule_change else "",
        "updated_at": problem.updated_at.isoformat(),
    }


def _problem_input(request: HttpRequest, *, with_deadline: bool = True) -> dict[str, Any]:
    """The form's values for the service, references as the ids the form
    sent: the service resolves and checks them (the zone's categories in use,
    the orgs the user may see, the active roster)."""
    post = request.POST
    values = {
        name: post.get(name, "")
        for name in (
            "source", "kind", "description", "measures", "goal", "found_on",
            "category", "org", "leader", "owner",
        )
    }  # fmt: skip
    values["needs_rule_change"] = post.get("needs_rule_change") == "on"
    if with_deadline:
        values["deadline"] = post.get("deadline", "")
    return values


def _render_form(
    request: HttpRequest,
    *,
    zone: Any,
    zones: list,
    values: Any,
    error: AppError | None,
    problem: Problem | None = None,
) -> HttpResponse:
    action = "problem.edit" if problem else "problem.create"
    if problem is not None:
        _decorate(problem)
    context = {
        "problem": problem,
        "zone": zone,
        "zones": zones,
        "values": values,
        "error": error,
        "field_errors": error.fields if error else {},
        "categories": list(selectors.problem_categories(zone=zone)),
        "orgs": org_options(user=request.user, zone=zone, action=action),
        "people": list(selectors.assignable_people(user=request.user, zone=zone)),
        "sources": Source.choices,
        "kinds": Kind.choices,
        "deadline_locked": bool(problem and problem.deadline),
        "today": timezone.localdate().isoformat(),
    }
    return render(request, "ledger/form.html", context)


# The home panel ------------------------------------------------------------


def home_panel(request: HttpRequest):
    """工作台: the red and yellow lights of what I can see (my to-do counts
    come from shiji/web/todo.py)."""
    user = request.user
    if not policy.can(user, "problem.view"):
        return None
    lights = selectors.light_counts(
        selectors.problems_visible_to(user=user).filter(
            status__in=workflow.ACTIVE, deadline__isnull=False
        )
    )
    return ("ledger/_home_panel.html", {"red": lights[Light.RED], "yellow": lights[Light.YELLOW]})
