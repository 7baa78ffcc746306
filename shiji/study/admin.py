from django.contrib import admin

from shiji.core.admin import ReadOnlyAdmin
from shiji.study.models import StudySession


@admin.register(StudySession)
class StudySessionAdmin(ReadOnlyAdmin):
    list_display = ["date", "topic", "org", "kind", "duration_hours", "is_sample"]
    list_filter = ["zone", "kind__name"]
    search_fields = ["topic", "org__name"]
