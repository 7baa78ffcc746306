from django.contrib import admin

from shiji.audit.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: the trail is append-only, even for system admins."""

    list_display = ["seq", "created_at", "actor_label", "action", "object_repr"]
    list_filter = ["action", "zone"]
    search_fields = ["object_repr", "actor_label", "action"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
