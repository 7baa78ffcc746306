"""The paper sign-in sheet (签到表): its template with the session's
expected attendees, and the signed sheet imported back in two steps (a dry
run that lists every row, then the confirmation that records it)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from shiji.core.downloads import attachment_response
from shiji.core.errors import AppError
from shiji.core.pages import error_response
from shiji.core.uploads import size_label
from shiji.study import excel
from shiji.study.models import StudySession
from shiji.study.views.common import managed_session


def _context(session: StudySession, **extra: Any) -> dict[str, Any]:
    return {
        "session": session,
        "max_size": size_label(excel.SIGNIN_MAX_BYTES),
        "max_bytes": excel.SIGNIN_MAX_BYTES,
        "plan": None,
        "file_error": "",
        **extra,
    }


@login_required
@require_GET
def signin_template(request: HttpRequest, pk: int) -> FileResponse:
    session = managed_session(request, pk)
    return attachment_response(
        excel.signin_template_bytes(session=session), filename=excel.signin_template_name(session)
    )


@login_required
@require_http_methods(["GET", "POST"])
def signin_import(request: HttpRequest, pk: int) -> HttpResponse:
    session = managed_session(request, pk)
    context = _context(session)
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
    session = managed_session(request, pk)
    try:
        plan = excel.signin_apply(
            actor=request.user, session=session, staged_id=request.POST.get("staged")
        )
    except AppError as exc:
        # SignInErrors: the roster changed since the dry run; its rows are
        # listed like the dry run's.
        errors = getattr(exc, "errors", None)
        context = _context(
            session,
            plan=excel.SignInPlan(errors=errors) if errors else None,
            file_error="" if errors else exc.message,
        )
        return error_response(
            request, exc, lambda e: render(request, "study/signin_import.html", context)
        )
    messages.success(
        request,
        _("签到表已导入：出席 %(p)d 人，缺席 %(a)d 人") % {"p": plan.present, "a": plan.absent},
    )
    # The attendance list is what changed: show it.
    return redirect(reverse("study:detail", args=[session.pk]) + "#sj-attendance")
