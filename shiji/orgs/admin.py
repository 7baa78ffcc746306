from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy

from shiji.core.admin import ReadOnlyAdmin, ReadOnlyInline
from shiji.orgs.models import Organization, Person, RoleGrant, User, Zone


class GrantInline(ReadOnlyInline):
    model = RoleGrant


@admin.register(User)
class ShijiUserAdmin(ReadOnlyAdmin, UserAdmin):
    """Accounts are made, changed, locked out and deactivated on the app's
    account pages (audited, scoped to the admin's zone); never deleted. The
    password page UserAdmin adds refuses too: it asks for change permission."""

    list_display = ["username", "name", "zone", "is_active", "is_superuser", "last_login"]
    list_filter = ["zone", "is_active", "is_superuser"]
    search_fields = ["username", "name", "email"]
    fieldsets = (*(UserAdmin.fieldsets or ()), (gettext_lazy("实绩"), {"fields": ("name", "zone")}))
    inlines = [GrantInline]


@admin.register(Zone)
class ZoneAdmin(ReadOnlyAdmin):
    list_display = ["code", "name", "province", "city", "is_sample"]
    search_fields = ["name", "code", "province"]


@admin.register(Organization)
class OrganizationAdmin(ReadOnlyAdmin):
    list_display = ["name", "zone", "kind", "sector", "depth", "is_sample"]
    list_filter = ["zone", "kind", "sector"]
    search_fields = ["name"]


@admin.register(Person)
class PersonAdmin(ReadOnlyAdmin):
    list_display = ["name", "org", "position", "is_party_member", "is_active"]
    list_filter = ["zone", "is_party_member", "is_active"]
    search_fields = ["name", "org__name"]
