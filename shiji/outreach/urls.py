"""Back-office pages of open-door education, under /outreach/."""

from django.urls import path  # noqa: F401 (each part adds its routes here)

app_name = "outreach"

urlpatterns: list = []
