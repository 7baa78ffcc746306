"""The dashboards' pages in the ``reports`` namespace (reports/urls.py)."""

from django.urls import path

from shiji.reports import views_dashboard as views

urlpatterns = [
    path("", views.reports_home, name="home"),
    path("rollup/", views.rollup, name="rollup"),
    path("rollup/export/", views.rollup_export, name="rollup_export"),
    path("zones/<int:zone_id>/", views.zone_dashboard, name="zone"),
    path("zones/<int:zone_id>/export/", views.zone_export, name="zone_export"),
]
