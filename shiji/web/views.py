from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods

from shiji.core.client import client_address
from shiji.core.errors import AppError, invalid
from shiji.core.pages import error_response
from shiji.orgs import services
from shiji.orgs.selectors import zones_visible_to
from shiji.web.dashboard import home_panels


@require_http_methods(["GET", "POST"])
def login_view(request):
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}):
        next_url = ""
    username = request.POST.get("username", "") if request.method == "POST" else ""

    def page(error: str = "") -> HttpResponse:
        return render(
            request,
            "registration/login.html",
            {
                "error": error,
                "username": username[:150],
                "next": next_url,
                "max_failures": settings.LOGIN_MAX_FAILURES,
                "lockout_minutes": settings.LOGIN_LOCKOUT_MINUTES,
            },
        )

    if request.method == "POST":
        try:
            user = services.authenticate_with_lockout(
                username=username,
                password=request.POST.get("password", ""),
                client=client_address(request),
                request=request,
            )
        except AppError as exc:
            # A wrong password is Invalid (422), a lockout LockedOut (429),
            # the statuses the token endpoint gives.
            return error_response(request, exc, lambda e: page(e.message))
        login(request, user)
        return redirect(next_url or "home")
    return page()


@login_required
@require_http_methods(["GET", "POST"])
def password_change_view(request):
    def page(errors: dict[str, str]) -> HttpResponse:
        return render(request, "registration/password_change.html", {"errors": errors})

    if request.method == "POST":
        try:
            if request.POST.get("new_password") != request.POST.get("new_password2"):
                raise invalid(new_password2="两次输入的新密码不一致")
            services.password_change(
                user=request.user,
                old_password=request.POST.get("old_password", ""),
                new_password=request.POST.get("new_password", ""),
                client=client_address(request),
            )
        except AppError as exc:
            return error_response(request, exc, lambda e: page(e.fields or {"general": e.message}))
        # Every other session ended with the old password; keep this one.
        update_session_auth_hash(request, request.user)
        messages.success(request, "密码已修改")
        return redirect("home")
    return page({})


@login_required
@require_GET
def home(request):
    zones = list(zones_visible_to(user=request.user))
    return render(request, "web/home.html", {"zones": zones, "panels": home_panels(request)})
