from django.contrib import admin

from shiji.audit.models import AuditChainHead, AuditEvent
from shiji.core.admin import ReadOnlyAdmin


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    """The trail is append-only, even for system admins."""

    list_display = ["chain", "seq", "created_at", "actor_label", "action", "object_repr"]
    list_filter = ["action", "zone"]
    search_fields = ["object_repr", "actor_label", "action"]


@admin.register(AuditChainHead)
class AuditChainHeadAdmin(ReadOnlyAdmin):
    list_display = ["chain", "seq", "hash"]
