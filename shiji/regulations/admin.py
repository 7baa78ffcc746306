from django.contrib import admin

from shiji.core.admin import ReadOnlyAdmin
from shiji.regulations.models import Regulation


@admin.register(Regulation)
class RegulationAdmin(ReadOnlyAdmin):
    list_display = ["title", "doc_number", "zone", "org", "action", "status", "issued_on"]
    list_filter = ["zone", "status", "action"]
