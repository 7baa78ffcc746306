from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.urls import include, path
from django.utils.translation import gettext_lazy

from shiji.api import api
from shiji.core import bench
from shiji.web import views as web

# The admin signs in through Shiji's login page, so lockout applies there too.
admin.site.login = login_required(admin.site.login)  # type: ignore[method-assign]
admin.site.site_header = admin.site.site_title = gettext_lazy("实绩 · 后台管理")

urlpatterns = [
    path("", web.home, name="home"),
    path("accounts/login/", web.login_view, name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password/", web.password_change_view, name="password_change"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("orgs/", include("shiji.orgs.urls")),
    path("audit/", include("shiji.audit.urls")),
    path("ledger/", include("shiji.ledger.urls")),
    path("campaigns/", include("shiji.campaigns.urls")),
    path("regulations/", include("shiji.regulations.urls")),
    path("study/", include("shiji.study.urls")),
    path("outreach/", include("shiji.outreach.urls")),
    path("p/", include("shiji.outreach.public_urls")),
    path("assessment/", include("shiji.assessment.urls")),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
    # make bench's floors, 404 unless BENCH_EMPTY_VIEW (shiji/core/bench.py)
    path("bench/empty/", bench.empty),
    path("bench/page/", bench.empty_page),
]
