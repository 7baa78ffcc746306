from django.contrib import admin

from shiji.regulations.models import Regulation


@admin.register(Regulation)
class RegulationAdmin(admin.ModelAdmin):
    list_display = ["title", "doc_number", "zone", "org", "action", "status", "issued_on"]
    list_filter = ["zone", "status", "action"]
    # Writes go through the services (audited); the admin only reads.
    readonly_fields = [f.name for f in Regulation._meta.fields]

    def has_add_permission(self, request):
        return False
