"""Study and discussion pages (学习研讨): the session list with its Excel
export, a session's page (attendance, speeches, materials, timeline), the
create and edit form with the roster to tick, the sign-in sheet import and
the coverage page.

Views stay thin: they parse the request, read through ``selectors`` (another
zone's session is a 404), call one service and render. The list and the
coverage page serve the full page or, for htmx, the fragment they swap, and
vary on ``HX-Request``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from shiji.audit.timeline import timeline
from shiji.campaigns.models import ZoneCampaign
from shiji.core.downloads import (
    attachment_response,
    export_filename,
    export_response,
    stored_file_response,
)
from shiji.core.errors import AppError, Forbidden, Invalid, NotFound
from shiji.core.htmx import vary_on_htmx, wants_fragment
from shiji.core.pages import error_response
from shiji.core.uploads import size_label, upload_limit
from shiji.core.validation import parse_id
from shiji.orgs import policy
from shiji.orgs.models import Organization, Zone
from shiji.orgs.selectors import (
    export_zone,
    org_options,
    orgs_visible_to,
    people_visible_to,
    zones_visible_to,
)
from shiji.study import excel, selectors, services
from shiji.study.models import AttendeeScope, StudySession
from shiji.web import filters

PAGE_SIZE = 50
LIST_PARAMS = ("zone", "org", "kind", "from", "to")


# Helpers -------------------------------------------------------------------


def _session(request: HttpRequest, pk: Any, action: str = "study.view") -> StudySession:
    return selectors.session_get_for_user(user=request.user, pk=pk, action=action)


def _managed(request: HttpRequest, pk: Any) -> StudySession:
    """A session the user may change: invisible is 404, read-only is 403."""
    session = _session(request, pk)
    if not policy.can(request.user, "study.manage", session):
        raise Forbidden(_("您没有权限修改本单位的学习研讨记录"))
    return session


def _date(raw: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(raw.strip()) if raw and raw.strip() else None
    except ValueError:
        return None


def _chosen_zone(zones: list[Zone], raw: str) -> Zone | None:
    if len(zones) == 1:
        return zones[0]
    wanted = parse_id(raw)
    return next((z for z in zones if z.pk == wanted), None)


def _list_filters(request: HttpRequest) -> tuple[dict[str, Any], dict[str, Any]]:
    """The list's query parameters as typed (for the form) and as the
    selector's filters. A zone or org out of sight is 404, as everywhere."""
    user = request.user
    params = {key: request.GET.get(key, "").strip() for key in LIST_PARAMS}
    zones = list(zones_visible_to(user=user))
    zone = _chosen_zone(zones, params["zone"])
    org = None
    if params["org"]:
        org = (
            orgs_visible_to(user=user, action="study.view")
            .filter(pk=parse_id(params["org"]))
            .first()
        )
        if org is None:
            raise NotFound(_("组织不存在"))
        if zone is None or zone.pk != org.zone_id:
            zone = org.zone
    filters = {
        "zone": zone.pk if zone else None,
        "org": org,
        "kind": params["kind"],
        "date_from": _date(params["from"]),
        "date_to": _date(params["to"]),
    }
    return params, {"filters": filters, "zones": zones, "zone": zone, "org": org}


# List and export -------------------------------------------------------------


@login_required
@require_GET
def session_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    params, found = _list_filters(request)
    zone = found["zone"]
    qs = selectors.session_filter(selectors.sessions_visible_to(user=user), found["filters"])
    page = Paginator(selectors.with_counts(qs), PAGE_SIZE).get_page(request.GET.get("page"))
    kinds = list(services.zone_study_kinds(zone)) if zone else []
    filtered = any(params[k] for k in ("org", "kind", "from", "to"))
    context_orgs = org_options(user=user, zone=zone, action="study.view")
    context = {
        "page": page,
        "params": params,
        "zones": found["zones"],
        "zone": zone,
        "show_zone": len(found["zones"]) > 1 and zone is None,
        "orgs": context_orgs,
        "kinds": kinds,
        "filtered": filtered,
        "chips": filters.chips(
            request,
            [
                ("zone", _("高新区"), filters.options((z.pk, z.name) for z in found["zones"])),
                ("org", _("组织单位"), filters.options(context_orgs)),
                ("kind", _("学习形式"), filters.options((k.pk, k.name) for k in kinds)),
                ("from", _("开始日期"), None),
                ("to", _("结束日期"), None),
            ],
        ),
        "can_manage": policy.can(user, "study.manage"),
        "can_export": policy.can(user, "study.export"),
    }
    template = "study/_list_body.html" if wants_fragment(request) else "study/list.html"
    return vary_on_htmx(render(request, template, context))


@login_required
@require_GET
def session_export(request: HttpRequest) -> FileResponse:
    user = request.user
    if not policy.can(user, "study.export"):
        raise Forbidden(_("您没有导出学习研讨记录的权限"))
    _params, found = _list_filters(request)
    qs = selectors.session_filter(
        selectors.sessions_visible_to(user=user, action="study.export"), found["filters"]
    ).order_by("date", "pk")
    zone = export_zone(user=user, action="study.export", qs=qs, requested=found["zone"])
    zone_name = zone.name if zone else None
    org = found["org"]
    what = _("学习研讨记录")
    if org:
        what = _("%(zone)s%(what)s") % {"zone": org.name, "what": what}
    title = (
        what if org else _("%(zone)s%(what)s") % {"zone": zone_name or _("各高新区"), "what": what}
    )
    return export_response(
        lambda out: excel.export_workbook(sessions=qs, title=title, out=out, zone_name=zone_name),
        filename=export_filename(what, zone_name=zone_name),
    )


# Detail ----------------------------------------------------------------------


@login_required
@require_GET
def session_detail(request: HttpRequest, pk: int) -> HttpResponse:
    session = _session(request, pk)
    return _render_detail(request, session)


def _render_detail(
    request: HttpRequest,
    session: StudySession,
    *,
    form: str = "",
    error: AppError | None = None,
) -> HttpResponse:
    marks = list(selectors.attendance_of(session))
    present = [m for m in marks if m.present]
    absent = [m for m in marks if m.present is False]
    pending = [m for m in marks if m.present is None]
    can_manage = policy.can(request.user, "study.manage", session)
    context = {
        "session": session,
        "marks": marks,
        "present_count": len(present),
        "absent": absent,
        "pending_count": len(pending),
        "speeches": list(session.speeches.select_related("person__org")),
        "materials": list(session.materials.all()),
        "timeline": timeline(session, request.user),
        "can_manage": can_manage,
        "speakers": list(selectors.roster_of(session.org)) if can_manage else [],
        "form": form,
        "error": error,
        "field_errors": error.fields if error else {},
        "posted": request.POST if error else {},
        "max_upload": size_label(upload_limit()),
    }
    return render(request, "study/detail.html", context)


@login_required
@require_POST
def material_upload(request: HttpRequest, pk: int) -> HttpResponse:
    session = _managed(request, pk)
    try:
        item = services.material_add(
            actor=request.user, session=session, file=request.FILES.get("file")
        )
    except AppError as exc:
        return error_response(
            request, exc, lambda e: _render_detail(request, session, form="material", error=e)
        )
    messages.success(request, _("已上传学习材料：%(name)s") % {"name": item.original_name})
    return redirect(reverse("study:detail", args=[session.pk]) + "#sj-materials")


@login_required
@require_POST
def speech_add(request: HttpRequest, pk: int) -> HttpResponse:
    session = _managed(request, pk)
    person = (
        people_visible_to(user=request.user)
        .filter(zone=session.zone, pk=parse_id(request.POST.get("person")))
        .first()
    )
    try:
        services.speech_add(
            actor=request.user,
            session=session,
            person=person,
            title=request.POST.get("title", ""),
            text=request.POST.get("text", ""),
            file=request.FILES.get("file"),
        )
    except AppError as exc:
        return error_response(
            request, exc, lambda e: _render_detail(request, session, form="speech", error=e)
        )
    messages.success(request, _("已添加研讨发言"))
    return redirect(reverse("study:detail", args=[session.pk]) + "#sj-speeches")


@login_required
@require_GET
def material_download(request: HttpRequest, pk: int, item_id: int) -> FileResponse:
    session = _session(request, pk)
    item = session.materials.filter(pk=parse_id(item_id)).first()
    if item is None:
        raise Http404(_("材料不存在"))
    return stored_file_response(
        request,
        item.file,
        filename=item.original_name,
        kind=item.content_kind,
        missing_message=_("文件不存在"),
    )


@login_required
@require_GET
def speech_download(request: HttpRequest, pk: int, item_id: int) -> FileResponse:
    session = _session(request, pk)
    item = session.speeches.filter(pk=parse_id(item_id)).exclude(file="").first()
    if item is None:
        raise Http404(_("发言材料不存在"))
    return stored_file_response(
        request,
        item.file,
        filename=item.original_name,
        kind=item.content_kind,
        missing_message=_("文件不存在"),
    )


# Create and edit -------------------------------------------------------------

FORM_ACTIONS = ("save", "refresh", "all_present")
# The quick choices for one absence reason given to several people at once.
# They are recorded as data (like a reason typed by hand), in Chinese; the
# form shows them translated (gettext_noop only marks them for the catalogue).
COMMON_REASONS = (gettext_noop("请假"), gettext_noop("因公外出"), gettext_noop("病假"))
OTHER_REASON = "other"


def _manageable_orgs(user: Any) -> list[Organization]:
    return list(orgs_visible_to(user=user, action="study.manage").order_by("zone__code", "path"))


def _choice_from(raw: Any) -> tuple[str, int | None]:
    """The attendee select's value ("org", "subtree" or "group-<id>") as the
    service's (scope, group id)."""
    raw = str(raw or "").strip()
    if raw.startswith("group-"):
        return AttendeeScope.GROUP, parse_id(raw.removeprefix("group-"))
    return raw, None


def _choice_value(scope: str, group_id: int | None) -> str:
    return f"group-{group_id}" if scope == AttendeeScope.GROUP else scope


def _attendee_options(org: Organization, session: StudySession | None) -> list[tuple[str, str]]:
    """The attendee select for a session of ``org``: its own people, its
    subtree (when that is more people), the groups it may use, and the
    group a session was recorded with even if stopped since."""
    counts = selectors.roster_of(org).aggregate(own=Count("pk", filter=Q(org=org)), all=Count("pk"))
    options = [(AttendeeScope.ORG.value, _("本单位人员（%(n)d 人）") % {"n": counts["own"]})]
    if counts["all"] != counts["own"]:
        options.append(
            (
                AttendeeScope.SUBTREE.value,
                _("本单位及下级组织人员（%(n)d 人）") % {"n": counts["all"]},
            )
        )
    for group in selectors.groups_usable_for(org):
        where = "" if group.org_id == org.pk else f" · {group.org.name}"
        label = _("名单：%(name)s（%(n)d 人）") % {"name": group.name, "n": group.member_count}
        options.append((f"group-{group.pk}", label + where))
    stored = _choice_value(session.attendee_scope, session.attendee_group_id) if session else ""
    if session is not None and all(value != stored for value, _label in options):
        # What the session was recorded with stays offered (a group stopped
        # since, a subtree that has shrunk to the org alone): its list is kept.
        if session.attendee_group_id:
            label = _("名单：%(name)s（已停用，保留记录时的人员）") % {
                "name": session.attendee_group.name
            }
        else:
            label = _("%(scope)s（保留记录时的人员）") % {
                "scope": session.get_attendee_scope_display()
            }
        options.append((stored, label))
    return options


def _common_reason(post: Any) -> str:
    """The one reason given to every unticked person without their own."""
    choice = post.get("common_reason", "").strip()
    if choice in COMMON_REASONS:
        return choice
    if choice in ("", OTHER_REASON):
        return post.get("common_reason_other", "").strip()
    return ""


def _attendance_input(request: HttpRequest) -> list[dict[str, Any]]:
    """The ticked list as service entries: ``roster`` lists every person
    shown, ``present`` the ticked ones, ``reason_<id>`` a person's own
    absence reason and ``common_reason`` the one for every other unticked
    person. A form with nothing ticked and no reason at all records nobody:
    the session's attendance is 待补录."""
    post = request.POST
    ids = [parse_id(v) for v in post.getlist("roster")]
    ticked = {parse_id(v) for v in post.getlist("present")}
    common = _common_reason(post)
    entries = [
        {
            "person": pk,
            "present": pk in ticked,
            "reason": "" if pk in ticked else (post.get(f"reason_{pk}", "").strip() or common),
        }
        for pk in ids
    ]
    if not ticked and not any(e["reason"] for e in entries):
        return []
    return entries


def _person_errors(error: AppError | None, ids: list[int]) -> dict[int, str]:
    """Attendance field errors (``attendance[3].reason``) by person id, to
    show each one on its row."""
    out: dict[int, str] = {}
    for key, message in (error.fields if error else {}).items():
        if key.startswith("attendance[") and "]" in key:
            index = key[len("attendance[") : key.index("]")]
            if index.isdigit() and int(index) < len(ids):
                out[ids[int(index)]] = message
    return out


def _saved_message(session: StudySession) -> str:
    counts = selectors.with_counts(StudySession.objects.filter(pk=session.pk)).get()
    if counts.pending_count == counts.expected_count:
        return _(
            "已记录学习研讨，出勤待补录：应到 %(n)d 人，尚未记录出席。"
            "可稍后勾选出席人员，或下载签到表签字后导入。"
        ) % {"n": counts.expected_count}
    text = _("已记录学习研讨：应到 %(e)d 人，出席 %(p)d 人，缺席 %(a)d 人") % {
        "e": counts.expected_count,
        "p": counts.present_count,
        "a": counts.absent_count,
    }
    if counts.pending_count:
        text += _("，待补录 %(n)d 人") % {"n": counts.pending_count}
    return text


def _form_action(request: HttpRequest) -> str:
    """What a POST of the session form asks: save (also for Enter in a
    field), refresh the list (更新名单), or tick everyone (全部出席)."""
    if request.method != "POST":
        return ""
    action = request.POST.get("do", "save")
    return action if action in FORM_ACTIONS else "save"


@login_required
@require_http_methods(["GET", "POST"])
def session_create(request: HttpRequest) -> HttpResponse:
    user = request.user
    orgs = _manageable_orgs(user)
    if not orgs:
        raise Forbidden(_("您没有记录学习研讨的权限"))
    source = request.POST if request.method == "POST" else request.GET
    wanted = parse_id(source.get("org"))
    org = next((o for o in orgs if o.pk == wanted), orgs[0])
    choice = source.get("attendees") or AttendeeScope.ORG.value
    action = _form_action(request)
    if request.method == "POST" and action == "save":
        entries = _attendance_input(request)
        scope, group = _choice_from(choice)
        try:
            session = services.session_create(
                actor=user,
                zone=org.zone,
                org=org,
                kind=request.POST.get("kind"),
                date=request.POST.get("date", ""),
                topic=request.POST.get("topic", ""),
                duration_hours=request.POST.get("duration_hours", ""),
                place=request.POST.get("place", ""),
                minutes=request.POST.get("minutes", ""),
                attendees=scope,
                group=group,
                attendance=entries,
                confirm_none_present=bool(request.POST.get("confirm_none_present")),
            )
        except AppError as exc:
            return error_response(
                request,
                exc,
                lambda e: _render_form(
                    request, org=org, orgs=orgs, values=request.POST, choice=choice,
                    action=action, error=e,
                ),
            )  # fmt: skip
        messages.success(request, _saved_message(session))
        return redirect("study:detail", pk=session.pk)
    values = (
        request.POST if request.method == "POST" else {"date": timezone.localdate().isoformat()}
    )
    return _render_form(
        request, org=org, orgs=orgs, values=values, choice=choice, action=action, error=None
    )


@login_required
@require_http_methods(["GET", "POST"])
def session_edit(request: HttpRequest, pk: int) -> HttpResponse:
    session = _managed(request, pk)
    stored = _choice_value(session.attendee_scope, session.attendee_group_id)
    choice = request.POST.get("attendees") or stored
    action = _form_action(request)

    def page(values: Any, error: AppError | None) -> HttpResponse:
        return _render_form(
            request, org=session.org, orgs=[session.org], values=values, choice=choice,
            action=action, error=error, session=session,
        )  # fmt: skip

    if request.method == "POST" and action == "save":
        entries = _attendance_input(request)
        scope, group = _choice_from(choice)
        try:
            services.session_update(
                actor=request.user,
                session=session,
                kind=request.POST.get("kind"),
                date=request.POST.get("date", ""),
                topic=request.POST.get("topic", ""),
                duration_hours=request.POST.get("duration_hours", ""),
                place=request.POST.get("place", ""),
                minutes=request.POST.get("minutes", ""),
                attendees=scope,
                group=group,
                attendance=entries,
                confirm_none_present=bool(request.POST.get("confirm_none_present")),
            )
        except AppError as exc:
            return error_response(request, exc, lambda e: page(request.POST, e))
        messages.success(request, _("已保存修改"))
        return redirect("study:detail", pk=session.pk)
    if request.method == "POST":
        return page(request.POST, None)
    return page(
        {
            "kind": str(session.kind_id),
            "date": session.date.isoformat(),
            "topic": session.topic,
            "duration_hours": f"{session.duration_hours.normalize():f}",
            "place": session.place,
            "minutes": session.minutes,
        },
        None,
    )


def _form_people(
    org: Organization, choice: str, session: StudySession | None
) -> tuple[str, list[Any], AppError | None]:
    """Who the form lists for ``choice``: a session's recorded list while
    its choice is unchanged, else the choice resolved now. A choice that no
    longer resolves (a stopped group) falls back to the org's own people,
    with the reason."""
    if session is not None and choice == _choice_value(
        session.attendee_scope, session.attendee_group_id
    ):
        marks = list(selectors.attendance_of(session))
        if marks:
            people = []
            for mark in marks:
                mark.person.recorded = mark
                people.append(mark.person)
            return choice, people, None
    scope, group = _choice_from(choice)
    try:
        return choice, services.attendees_resolve(org=org, scope=scope, group=group).people, None
    except Invalid as exc:
        fallback = services.attendees_resolve(org=org, scope=AttendeeScope.ORG)
        return AttendeeScope.ORG.value, fallback.people, exc


def _render_form(
    request: HttpRequest,
    *,
    org: Organization,
    orgs: list[Organization],
    values: Any,
    choice: str,
    action: str,
    error: AppError | None,
    session: StudySession | None = None,
) -> HttpResponse:
    options = _attendee_options(org, session)
    if all(value != choice for value, _label in options):
        # A choice this org does not offer (the org was just switched, or a
        # link named a stopped group) starts over at the org's own people.
        choice = AttendeeScope.ORG.value
    choice, roster, choice_error = _form_people(org, choice, session)
    posted = request.method == "POST"
    ids = [parse_id(v) for v in request.POST.getlist("roster")] if posted else []
    ticked = {parse_id(v) for v in request.POST.getlist("present")} if posted else set()
    person_errors = _person_errors(error, ids)
    for person in roster:
        recorded = getattr(person, "recorded", None)
        if action == "all_present":
            person.ticked = True
        elif posted:
            person.ticked = person.pk in ticked
        else:
            # Nobody starts ticked: presence is recorded, never assumed.
            person.ticked = bool(recorded and recorded.present)
        if posted:
            person.reason = "" if person.ticked else request.POST.get(f"reason_{person.pk}", "")
        else:
            person.reason = recorded.reason if recorded else ""
        person.error = person_errors.get(person.pk, "")
    fields = dict(error.fields) if error else {}
    if choice_error is not None:
        fields.update(choice_error.fields)
    other_errors = {k: v for k, v in fields.items() if not k.startswith("attendance[")}
    shown_ids = {p.pk for p in roster}
    # A refusal with no field, or about someone not on the form, goes on top.
    unplaced = error is not None and (
        not error.fields or any(pk not in shown_ids for pk in person_errors)
    )
    zone_orgs = [o for o in orgs if o.zone_id == org.zone_id]
    top = min((o.depth for o in zone_orgs), default=0)
    common = values.get("common_reason", "") if posted else ""
    context = {
        "session": session,
        "org": org,
        "org_options": [(o.pk, "\u3000" * (o.depth - top) + o.name) for o in zone_orgs],
        "values": values,
        "kinds": list(services.zone_study_kinds(org.zone)),
        "choice": choice,
        "attendee_options": options,
        "roster": roster,
        "ticked_count": sum(1 for p in roster if p.ticked),
        "common_reasons": COMMON_REASONS,
        "common_reason": common,
        "other_reason": OTHER_REASON,
        "all_present": action == "all_present",
        "ask_confirm": "confirm_none_present" in fields
        or bool(posted and request.POST.get("confirm_none_present")),
        "error": error,
        "field_errors": other_errors,
        "unplaced_error": unplaced,
        "today": timezone.localdate().isoformat(),
        "can_manage_groups": policy.can(request.user, "study.manage", org),
    }
    return render(request, "study/form.html", context)


# Sign-in sheet import --------------------------------------------------------


@login_required
@require_GET
def signin_template(request: HttpRequest, pk: int) -> FileResponse:
    session = _managed(request, pk)
    return attachment_response(
        excel.signin_template_bytes(session=session), filename=excel.signin_template_name(session)
    )


@login_required
@require_http_methods(["GET", "POST"])
def signin_import(request: HttpRequest, pk: int) -> HttpResponse:
    session = _managed(request, pk)
    context: dict[str, Any] = {
        "session": session,
        "max_size": size_label(excel.SIGNIN_MAX_BYTES),
        "max_bytes": excel.SIGNIN_MAX_BYTES,
        "plan": None,
        "file_error": "",
    }
    status = 200
    if request.method == "POST":
        try:
            context["plan"] = excel.signin_dry_run(
                actor=request.user, session=session, file=request.FILES.get("file")
            )
        except AppError as exc:
            context["file_error"] = exc.fields.get("file", exc.message)
            return error_response(
                request, exc, lambda e: render(request, "study/signin_import.html", context)
            )
        # A sheet that does not fit the roster is bad input, listed row by row.
        status = 200 if context["plan"].ok else 422
    return render(request, "study/signin_import.html", context, status=status)


@login_required
@require_POST
def signin_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    session = _managed(request, pk)
    try:
        plan = excel.signin_apply(
            actor=request.user, session=session, staged_id=request.POST.get("staged")
        )
    except AppError as exc:
        # SignInErrors: the roster changed since the dry run; its rows are
        # listed like the dry run's.
        errors = getattr(exc, "errors", None)
        context = {
            "session": session,
            "max_size": size_label(excel.SIGNIN_MAX_BYTES),
            "max_bytes": excel.SIGNIN_MAX_BYTES,
            "plan": excel.SignInPlan(errors=errors) if errors else None,
            "file_error": "" if errors else exc.message,
        }
        return error_response(
            request, exc, lambda e: render(request, "study/signin_import.html", context)
        )
    messages.success(
        request,
        _("签到表已导入：出席 %(p)d 人，缺席 %(a)d 人") % {"p": plan.present, "a": plan.absent},
    )
    return redirect("study:detail", pk=session.pk)


# Coverage --------------------------------------------------------------------


def default_period(zone: Zone) -> tuple[dt.date | None, dt.date]:
    """From the start of the zone's latest adopted campaign up to today."""
    adoption = (
        ZoneCampaign.objects.filter(zone=zone)
        .select_related("campaign")
        .order_by("-campaign__starts_on")
        .first()
    )
    return (adoption.campaign.starts_on if adoption else None), timezone.localdate()


@login_required
@require_GET
def coverage(request: HttpRequest) -> HttpResponse:
    user = request.user
    visible = orgs_visible_to(user=user, action="study.view")
    raw = request.GET.get("org", "").strip()
    if raw:
        org = visible.filter(pk=parse_id(raw)).first()
        if org is None:
            raise NotFound(_("组织不存在"))
    else:
        # A zone named alone (the zone switch) opens at its top visible org.
        zone_id = parse_id(request.GET.get("zone", "")) if request.GET.get("zone") else None
        top = visible.filter(zone_id=zone_id) if zone_id else visible
        org = top.order_by("depth", "zone__code", "path").first()
    if org is None:
        return render(request, "study/coverage.html", {"org": None})
    start, end = default_period(org.zone)
    date_from = _date(request.GET.get("from", "")) if "from" in request.GET else start
    date_to = _date(request.GET.get("to", "")) if "to" in request.GET else end
    figures = selectors.coverage(org=org, date_from=date_from, date_to=date_to)
    context = {
        "org": org,
        "figures": figures,
        "org_options": org_options(user=user, zone=org.zone, action="study.view"),
        "zones": list(zones_visible_to(user=user)),
        "date_from": date_from.isoformat() if date_from else "",
        "date_to": date_to.isoformat() if date_to else "",
        "can_manage": policy.can(user, "study.manage", org),
        "list_url": reverse("study:list"),
    }
    template = "study/_coverage_body.html" if wants_fragment(request) else "study/coverage.html"
    return vary_on_htmx(render(request, template, context))


def home_panel(request: HttpRequest):
    """工作台: the study coverage of the user's top organization this campaign."""
    user = request.user
    if not policy.can(user, "study.view"):
        return None
    org = (
        orgs_visible_to(user=user, action="study.view")
        .order_by("depth", "zone__code", "path")
        .first()
    )
    if org is None:
        return None
    start, end = default_period(org.zone)
    figures = selectors.coverage(org=org, date_from=start, date_to=end)
    return (
        "study/_home_panel.html",
        {
            "org": org,
            "total": figures.total,
            "never": figures.never_reached_count,
            "date_from": start.isoformat() if start else "",
            "date_to": end.isoformat(),
            "can_manage": policy.can(user, "study.manage", org),
        },
    )
