from django.urls import path

from shiji.ledger import views, views_excel
from shiji.web import views as web_views

app_name = "ledger"

urlpatterns = [
    path("", views.problem_list, name="list"),
    # 我的待办 covers every app (shiji/web/todo.py); it lives here for its URL.
    path("inbox/", web_views.todo_list, name="inbox"),
    path("new/", views.problem_create, name="create"),
    path("<int:pk>/", views.problem_detail, name="detail"),
    path("<int:pk>/edit/", views.problem_edit, name="edit"),
    path("<int:pk>/transition/", views.problem_transition, name="transition"),
    path("<int:pk>/progress/", views.problem_progress, name="progress"),
    path("<int:pk>/evidence/", views.evidence_upload, name="evidence_upload"),
    path(
        "<int:pk>/evidence/<int:evidence_id>/",
        views.evidence_download,
        name="evidence_download",
    ),
    path("<int:pk>/review/", views.problem_review, name="review"),
    path("<int:pk>/extend/", views.problem_extend, name="extend"),
    # The Excel round trip (views_excel.py)
    path("export/", views_excel.ledger_export, name="export"),
    path("import/", views_excel.ledger_import, name="import"),
    path("import/confirm/", views_excel.ledger_import_confirm, name="import_confirm"),
    path("jobs/<int:pk>/", views_excel.ledger_job, name="job"),
    path("jobs/<int:pk>/download/", views_excel.ledger_job_download, name="job_download"),
    path("jobs/<int:pk>/retry/", views_excel.ledger_job_retry, name="job_retry"),
]
