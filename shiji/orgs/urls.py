from django.urls import path

from shiji.orgs import views, views_roster

app_name = "orgs"

urlpatterns = [
    path("", views.org_tree, name="tree"),
]

urlpatterns += [
    path("roster/template/", views_roster.roster_template, name="roster_template"),
    path("roster/import/", views_roster.roster_import, name="roster_import"),
    path("roster/confirm/<int:pk>/", views_roster.roster_confirm, name="roster_confirm"),
]
