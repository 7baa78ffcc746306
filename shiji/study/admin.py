from django.contrib import admin

from shiji.study.models import StudySession


@admin.register(StudySession)
class StudySessionAdmin(admin.ModelAdmin):
    # Read-only: every write goes through shiji.study.services (audit trail).
    list_display = ["date", "topic", "org", "kind", "duration_hours", "is_sample"]
    list_filter = ["zone", "kind__name"]
    search_fields = ["topic", "org__name"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
