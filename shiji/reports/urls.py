"""The 统计报表 area: dashboards and the roll-up (dashboard_urls), work updates
and bulletins (bulletin_urls), one namespace."""

from shiji.reports.bulletin_urls import urlpatterns as bulletin_patterns
from shiji.reports.dashboard_urls import urlpatterns as dashboard_patterns

app_name = "reports"

urlpatterns = dashboard_patterns + bulletin_patterns
