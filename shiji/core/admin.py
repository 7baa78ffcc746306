"""The Django admin only reads.

Every write goes through a service: it checks the actor's scope, keeps
derived data right (an org's path follows its parent) and records its audit
event. An admin form that saved a row directly would skip all three, so no
admin page may add, change or delete a domain row; the app's own pages do
that. Accounts are deactivated there, never deleted (their audit events
point at them).
"""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.models import Group


class ReadOnlyAdmin(admin.ModelAdmin):
    """Lists, filters and detail pages; no add, change or delete."""

    actions = None

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# Permissions in Shiji are role grants (orgs.policy), not Django groups.
admin.site.unregister(Group)
