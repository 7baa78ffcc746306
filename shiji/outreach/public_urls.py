"""The public pages (no account), under /p/: the portal, tracking by code,
the zone's disclosure page and its QR poster."""

from django.urls import path

from shiji.outreach.views import public, publicity

app_name = "public"

urlpatterns: list = [
    path("", public.zone_pick, name="zones"),
    path("track/", public.track, name="track"),
    path("track/rate/", public.rate, name="rate"),
    path("<slug:zone_code>/", public.submit, name="submit"),
    path("<slug:zone_code>/poster/", publicity.poster, name="poster"),
    path("<slug:zone_code>/open/", publicity.disclosure, name="disclosure"),
]
