from django.urls import path

from shiji.study.views import coverage, detail, files, form, groups, lists, signin

app_name = "study"

urlpatterns = [
    path("", lists.session_list, name="list"),
    path("export/", lists.session_export, name="export"),
    path("coverage/", coverage.coverage, name="coverage"),
    path("new/", form.session_create, name="create"),
    path("<int:pk>/", detail.session_detail, name="detail"),
    path("<int:pk>/edit/", form.session_edit, name="edit"),
    path("<int:pk>/materials/", files.material_upload, name="material_upload"),
    path("<int:pk>/materials/<int:item_id>/", files.material_download, name="material_download"),
    path("<int:pk>/speeches/", files.speech_add, name="speech_add"),
    path("<int:pk>/speeches/<int:item_id>/", files.speech_download, name="speech_download"),
    path("<int:pk>/signin/template/", signin.signin_template, name="signin_template"),
    path("<int:pk>/signin/", signin.signin_import, name="signin_import"),
    path("<int:pk>/signin/confirm/", signin.signin_confirm, name="signin_confirm"),
    path("groups/", groups.group_list, name="groups"),
    path("groups/new/", groups.group_create, name="group_create"),
    path("groups/<int:pk>/edit/", groups.group_edit, name="group_edit"),
    path("groups/<int:pk>/deactivate/", groups.group_deactivate, name="group_deactivate"),
    path("groups/<int:pk>/reactivate/", groups.group_reactivate, name="group_reactivate"),
]
