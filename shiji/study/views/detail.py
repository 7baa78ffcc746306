"""A study session's page: the summary, then what this user can do
(record attendance, the sign-in sheet, materials, speeches), then the
attendance list, speeches, materials and history.

The page's forms post to their own views (``files``); each answers an htmx
request with the page body and the message at the action panel, and a plain
request with a redirect to that panel (``#sj-actions``), so the result shows
where the user acted, not at the top of a long page.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from shiji.audit.timeline import timeline
from shiji.core.errors import AppError
from shiji.core.htmx import vary_on_htmx, wants_fragment
from shiji.core.pages import error_response
from shiji.core.uploads import size_label, upload_limit
from shiji.orgs import policy
from shiji.study import selectors
from shiji.study.models import StudySession
from shiji.study.views.common import managed_session, session_for

# The forms of the action panel; an error for one of them shows in it.
FORMS = ("material", "speech")


@login_required
@require_GET
def session_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return render_detail(request, session_for(request, pk))


def render_detail(
    request: HttpRequest,
    session: StudySession,
    *,
    form: str = "",
    error: AppError | None = None,
    flash: str = "",
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
        # Nobody marked yet (出勤待补录): recording attendance comes first.
        "attendance_missing": not marks or len(pending) == len(marks),
        "speeches": list(session.speeches.select_related("person__org")),
        "materials": list(session.materials.all()),
        "timeline": timeline(session, request.user),
        "can_manage": can_manage,
        "speakers": list(selectors.roster_of(session.org)) if can_manage else [],
        "form": form,
        "error": error,
        "field_errors": error.fields if error else {},
        "posted": request.POST if error else {},
        "flash": flash,
        "max_upload": size_label(upload_limit()),
    }
    template = "study/_detail_body.html" if wants_fragment(request) else "study/detail.html"
    return vary_on_htmx(render(request, template, context))


def act(
    request: HttpRequest, pk: int, form: str, call: Callable[[StudySession], str]
) -> HttpResponse:
    """Run one service call for an action-panel form; ``call`` returns the
    success message."""
    session = managed_session(request, pk)
    try:
        done = call(session)
    except AppError as exc:
        return error_response(
            request, exc, lambda e: render_detail(request, session, form=form, error=e)
        )
    if wants_fragment(request):
        return render_detail(request, session, flash=done)
    messages.success(request, done)
    return redirect(reverse("study:detail", args=[session.pk]) + "#sj-actions")
