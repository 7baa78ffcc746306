from django.urls import path

from shiji.study import views

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
]
