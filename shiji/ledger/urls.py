from django.urls import path

from shiji.ledger import views

app_name = "ledger"

urlpatterns = [
    path("", views.problem_list, name="list"),
    path("inbox/", views.inbox, name="inbox"),
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
]
