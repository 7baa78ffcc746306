from django.urls import path

from shiji.campaigns import views

app_name = "campaigns"

urlpatterns = [
    path("", views.settings_page, name="settings"),
    path("adopt/", views.adopt, name="adopt"),
    path("adoptions/<int:pk>/categories/", views.category_add, name="category_add"),
    path("adoptions/<int:pk>/categories/save/", views.categories_save, name="categories_save"),
    path("adoptions/<int:pk>/list-review/", views.list_review, name="list_review"),
    path("adoptions/<int:pk>/tasks/", views.tasks_adopt, name="tasks_adopt"),
    path("tasks/", views.task_list, name="tasks"),
    path("tasks/new/", views.task_create, name="task_create"),
    path("tasks/assign/", views.tasks_assign, name="tasks_assign"),
    path("tasks/matrix/", views.matrix, name="matrix"),
    path("tasks/matrix/export/", views.matrix_export, name="matrix_export"),
    path("tasks/export/", views.tasks_export, name="tasks_export"),
    path("tasks/<int:pk>/", views.task_detail, name="task_detail"),
    path("assignments/<int:pk>/", views.assignment_detail, name="assignment"),
    path("assignments/<int:pk>/move/", views.assignment_move, name="assignment_move"),
    path(
        "assignments/<int:pk>/evidence/<int:evidence_id>/",
        views.evidence_download,
        name="evidence_download",
    ),
]
