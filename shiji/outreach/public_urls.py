"""The public pages (no account), under /p/: the portal, tracking by code,
the zone's disclosure page and its QR poster."""

from django.urls import path  # noqa: F401 (each part adds its routes here)

app_name = "public"

urlpatterns: list = []
