"""Back-office pages of open-door education, under /outreach/."""

from django.urls import path

from shiji.outreach.views import enterprises as register
from shiji.outreach.views import feedback, projects

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
    # The enterprise register, 政企圆桌会 and 三员入企 (views/enterprises.py)
    path("enterprises/", register.enterprise_list, name="enterprise_list"),
    path("enterprises/new/", register.enterprise_create, name="enterprise_create"),
    path("enterprises/<int:pk>/edit/", register.enterprise_edit, name="enterprise_edit"),
    path("roundtables/", register.roundtable_list, name="roundtable_list"),
    path("roundtables/new/", register.roundtable_create, name="roundtable_create"),
    path("roundtables/<int:pk>/", register.roundtable_detail, name="roundtable_detail"),
    path("roundtables/<int:pk>/edit/", register.roundtable_edit, name="roundtable_edit"),
    path("roundtables/<int:pk>/demands/", register.roundtable_demand, name="roundtable_demand"),
    path("roundtables/<int:pk>/files/", register.roundtable_files, name="roundtable_files"),
    path(
        "roundtables/<int:pk>/files/<int:file_id>/",
        register.roundtable_file,
        name="roundtable_file",
    ),
    path("visits/", register.visit_list, name="visit_list"),
    path("visits/new/", register.visit_create, name="visit_create"),
    path("visits/<int:pk>/", register.visit_detail, name="visit_detail"),
    path("visits/<int:pk>/demands/", register.visit_demand, name="visit_demand"),
    # 为民实事 (views/projects.py)
    path("projects/", projects.project_list, name="project_list"),
    path("projects/new/", projects.project_create, name="project_create"),
    path("projects/<int:pk>/", projects.project_detail, name="project_detail"),
    path("projects/<int:pk>/edit/", projects.project_edit, name="project_edit"),
    path("projects/<int:pk>/progress/", projects.project_progress, name="project_progress"),
    path("projects/<int:pk>/files/<int:note_id>/", projects.project_file, name="project_file"),
]
