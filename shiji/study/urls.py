from django.urls import path

from shiji.study import views, views_groups

app_name = "study"

urlpatterns = [
    path("", views.session_list, name="list"),
    path("export/", views.session_export, name="export"),
    path("coverage/", views.coverage, name="coverage"),
    path("new/", views.session_create, name="create"),
    path("<int:pk>/", views.session_detail, name="detail"),
    path("<int:pk>/edit/", views.session_edit, name="edit"),
    path("<int:pk>/materials/", views.material_upload, name="material_upload"),
    path("<int:pk>/materials/<int:item_id>/", views.material_download, name="material_download"),
    path("<int:pk>/speeches/", views.speech_add, name="speech_add"),
    path("<int:pk>/speeches/<int:item_id>/", views.speech_download, name="speech_download"),
    path("<int:pk>/signin/template/", views.signin_template, name="signin_template"),
    path("<int:pk>/signin/", views.signin_import, name="signin_import"),
    path("<int:pk>/signin/confirm/", views.signin_confirm, name="signin_confirm"),
    path("groups/", views_groups.group_list, name="groups"),
    path("groups/new/", views_groups.group_create, name="group_create"),
    path("groups/<int:pk>/edit/", views_groups.group_edit, name="group_edit"),
    path("groups/<int:pk>/deactivate/", views_groups.group_deactivate, name="group_deactivate"),
    path("groups/<int:pk>/reactivate/", views_groups.group_reactivate, name="group_reactivate"),
]
