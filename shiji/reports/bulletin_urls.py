"""Work updates (工作动态) and bulletins (工作简报) under /reports/."""

from django.urls import path

from shiji.reports import views_bulletins as views

urlpatterns = [
    path("updates/", views.update_list, name="updates"),
    path("updates/new/", views.update_create, name="update_create"),
    path("updates/<int:pk>/", views.update_detail, name="update_detail"),
    path("updates/<int:pk>/edit/", views.update_edit, name="update_edit"),
    path("updates/<int:pk>/review/", views.update_review, name="update_review"),
    path("updates/<int:pk>/photos/", views.update_photos_add, name="update_photos_add"),
    path("updates/<int:pk>/photos/<int:photo_id>/", views.update_photo, name="update_photo"),
    path(
        "updates/<int:pk>/photos/<int:photo_id>/remove/",
        views.update_photo_remove,
        name="update_photo_remove",
    ),
    path("bulletins/", views.bulletin_list, name="bulletins"),
    path("bulletins/series/new/", views.series_create, name="series_create"),
    path("bulletins/series/<int:series_id>/new/", views.bulletin_create, name="bulletin_create"),
    path("bulletins/<int:pk>/", views.bulletin_detail, name="bulletin_detail"),
    path("bulletins/<int:pk>/edit/", views.bulletin_edit, name="bulletin_edit"),
    path("bulletins/<int:pk>/items/", views.bulletin_add_items, name="bulletin_add_items"),
    path(
        "bulletins/<int:pk>/items/<int:item_id>/edit/",
        views.bulletin_item_edit,
        name="bulletin_item_edit",
    ),
    path(
        "bulletins/<int:pk>/items/<int:item_id>/move/",
        views.bulletin_item_move,
        name="bulletin_item_move",
    ),
    path(
        "bulletins/<int:pk>/items/<int:item_id>/remove/",
        views.bulletin_item_remove,
        name="bulletin_item_remove",
    ),
    path("bulletins/<int:pk>/issue/", views.bulletin_issue, name="bulletin_issue"),
    path("bulletins/<int:pk>/correct/", views.bulletin_correct, name="bulletin_correct"),
    path("bulletins/<int:pk>/delete/", views.bulletin_delete, name="bulletin_delete"),
    path("bulletins/<int:pk>/docx/", views.bulletin_download, name="bulletin_docx"),
]
