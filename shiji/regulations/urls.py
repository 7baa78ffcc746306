from django.urls import path

from shiji.regulations import views

app_name = "regulations"

urlpatterns = [
    path("", views.regulation_list, name="list"),
    path("new/", views.regulation_create, name="create"),
    path("export/", views.regulation_export, name="export"),
    path("<int:pk>/", views.regulation_detail, name="detail"),
    path("<int:pk>/edit/", views.regulation_edit, name="edit"),
    path("<int:pk>/transition/", views.regulation_transition, name="transition"),
    path("<int:pk>/link/", views.regulation_link, name="link"),
    path("<int:pk>/unlink/<int:problem_id>/", views.regulation_unlink, name="unlink"),
    path("<int:pk>/file/", views.regulation_file, name="file"),
    path("<int:pk>/file/upload/", views.regulation_file_upload, name="file_upload"),
]
