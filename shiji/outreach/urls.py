"""Back-office pages of open-door education, under /outreach/."""

from django.urls import path

from shiji.outreach.views import feedback

app_name = "outreach"

urlpatterns: list = [
    # 群众反映 (views/feedback.py): the nav's 开门教育 opens the inbox.
    path("", feedback.outreach_home, name="home"),
    path("feedback/", feedback.feedback_list, name="feedback_list"),
    path("feedback/merge/", feedback.feedback_merge, name="feedback_merge"),
    path("feedback/new/", feedback.feedback_enter, name="feedback_enter"),
    path("feedback/settings/", feedback.feedback_settings, name="feedback_settings"),
    path("feedback/<int:pk>/", feedback.feedback_detail, name="feedback_detail"),
    path("feedback/<int:pk>/act/", feedback.feedback_act, name="feedback_act"),
    path("feedback/<int:pk>/contact/", feedback.feedback_contact, name="feedback_contact"),
    path("feedback/<int:pk>/disclose/", feedback.feedback_disclose, name="feedback_disclose"),
    path(
        "feedback/<int:pk>/return-call/",
        feedback.feedback_return_call,
        name="feedback_return_call",
    ),
    path("feedback/<int:pk>/files/<int:file_id>/", feedback.feedback_file, name="feedback_file"),
]
