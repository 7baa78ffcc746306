"""Recording a study session (记录学习研讨) and changing one: the session's
fields and its attendee list on one form.

The form posts one of three things: save (also Enter in a field), refresh
the list for another attendee choice (更新名单, the no-JavaScript path) or
tick everyone (全部出席, server-side, saving nothing).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from shiji.core.errors import AppError, Forbidden
from shiji.core.pages import error_response
from shiji.orgs import policy
from shiji.orgs.models import Organization
from shiji.study import selectors, services
from shiji.study.models import AttendeeScope, StudySession
from shiji.study.views import attendance
from shiji.study.views.common import (
    chosen_org,
    manageable_orgs,
    managed_session,
    org_select,
)

FORM_ACTIONS = ("save", "refresh", "all_present")


def _form_action(request: HttpRequest) -> str:
    """What a POST of the session form asks: save (also for Enter in a
    field), refresh the list (更新名单), or tick everyone (全部出席)."""
    if request.method != "POST":
        return ""
    action = request.POST.get("do", "save")
    return action if action in FORM_ACTIONS else "save"


def _posted_fields(request: HttpRequest, choice: str) -> dict[str, Any]:
    """The service's arguments from the posted form (create and update)."""
    post = request.POST
    scope, group = attendance.choice_from(choice)
    return {
        "kind": post.get("kind"),
        "date": post.get("date", ""),
        "topic": post.get("topic", ""),
        "duration_hours": post.get("duration_hours", ""),
        "place": post.get("place", ""),
        "minutes": post.get("minutes", ""),
        "attendees": scope,
        "group": group,
        "attendance": attendance.attendance_input(request),
        "confirm_none_present": bool(post.get("confirm_none_present")),
    }


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


@login_required
@require_http_methods(["GET", "POST"])
def session_create(request: HttpRequest) -> HttpResponse:
    user = request.user
    orgs = manageable_orgs(user)
    if not orgs:
        raise Forbidden(_("您没有记录学习研讨的权限"))
    source = request.POST if request.method == "POST" else request.GET
    org = chosen_org(orgs, source.get("org"))
    choice = source.get("attendees") or AttendeeScope.ORG.value
    action = _form_action(request)

    def page(values: Any, error: AppError | None) -> HttpResponse:
        return _render_form(
            request, org=org, values=values, choice=choice, action=action, error=error
        )

    if action == "save":
        try:
            session = services.session_create(
                actor=user, zone=org.zone, org=org, **_posted_fields(request, choice)
            )
        except AppError as exc:
            return error_response(request, exc, lambda e: page(request.POST, e))
        messages.success(request, _saved_message(session))
        return redirect("study:detail", pk=session.pk)
    if request.method == "POST":
        return page(request.POST, None)
    return page({"date": timezone.localdate().isoformat()}, None)


@login_required
@require_http_methods(["GET", "POST"])
def session_edit(request: HttpRequest, pk: int) -> HttpResponse:
    session = managed_session(request, pk)
    choice = request.POST.get("attendees") or attendance.stored_choice(session)
    action = _form_action(request)

    def page(values: Any, error: AppError | None) -> HttpResponse:
        return _render_form(
            request, org=session.org, values=values, choice=choice,
            action=action, error=error, session=session,
        )  # fmt: skip

    if action == "save":
        try:
            services.session_update(
                actor=request.user, session=session, **_posted_fields(request, choice)
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


def _render_form(
    request: HttpRequest,
    *,
    org: Organization,
    values: Any,
    choice: str,
    action: str,
    error: AppError | None,
    session: StudySession | None = None,
) -> HttpResponse:
    options = attendance.attendee_options(org, session)
    if all(value != choice for value, _label in options):
        # A choice this org does not offer (the org was just switched, or a
        # link named a stopped group) starts over at the org's own people.
        choice = AttendeeScope.ORG.value
    choice, roster, choice_error = attendance.form_people(org, choice, session)
    posted = request.method == "POST"
    person_errors = attendance.mark_roster(
        request, roster, all_present=action == "all_present", error=error
    )
    fields = dict(error.fields) if error else {}
    if choice_error is not None:
        fields.update(choice_error.fields)
    other_errors = {k: v for k, v in fields.items() if not k.startswith("attendance[")}
    shown_ids = {p.pk for p in roster}
    # A refusal with no field, or about someone not on the form, goes on top.
    unplaced = error is not None and (
        not error.fields or any(pk not in shown_ids for pk in person_errors)
    )
    context = {
        "session": session,
        "org": org,
        "org_options": org_select(request.user, org, movable=session is None),
        "values": values,
        "kinds": list(services.zone_study_kinds(org.zone)),
        "choice": choice,
        "attendee_options": options,
        "roster": roster,
        "ticked_count": sum(1 for p in roster if p.ticked),
        "common_reasons": attendance.COMMON_REASONS,
        "common_reason": values.get("common_reason", "") if posted else "",
        "other_reason": attendance.OTHER_REASON,
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
