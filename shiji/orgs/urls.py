from django.urls import path

from shiji.orgs import views, views_accounts, views_roster

app_name = "orgs"

urlpatterns = [
    path("", views.org_tree, name="tree"),
]

urlpatterns += [
    path("roster/template/", views_roster.roster_template, name="roster_template"),
    path("roster/import/", views_roster.roster_import, name="roster_import"),
    path("roster/confirm/<int:pk>/", views_roster.roster_confirm, name="roster_confirm"),
]

urlpatterns += [
    path("users/", views_accounts.user_list, name="users"),
    path("users/new/", views_accounts.user_create, name="user_create"),
    path("users/<int:pk>/", views_accounts.user_edit, name="user_edit"),
    path("users/<int:pk>/unlock/", views_accounts.user_unlock, name="user_unlock"),
]
