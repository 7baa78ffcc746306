from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from shiji.orgs.models import Organization, Person, RoleGrant, User, Zone


class GrantInline(admin.TabularInline):
    model = RoleGrant
    extra = 0
    autocomplete_fields = ["zone", "org"]


@admin.register(User)
class ShijiUserAdmin(UserAdmin):
    list_display = ["username", "name", "zone", "is_active", "is_superuser", "last_login"]
    list_filter = ["zone", "is_active", "is_superuser"]
    search_fields = ["username", "name", "email"]
    fieldsets = (*UserAdmin.fieldsets, ("实绩", {"fields": ("name", "zone")}))
    inlines = [GrantInline]


@admin.register(Zone)
class ZoneAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "province", "city", "is_sample"]
    search_fields = ["name", "code", "province"]


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "zone", "kind", "sector", "depth", "is_sample"]
    list_filter = ["zone", "kind", "sector"]
    search_fields = ["name"]
    readonly_fields = ["path", "depth"]


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    list_display = ["name", "org", "position", "is_party_member", "is_active"]
    list_filter = ["zone", "is_party_member", "is_active"]
    search_fields = ["name", "org__name"]
    raw_id_fields = ["org", "user"]
