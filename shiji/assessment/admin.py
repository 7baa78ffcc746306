from django.contrib import admin

from shiji.assessment.models import Indicator, Target
from shiji.core.admin import ReadOnlyAdmin


@admin.register(Indicator)
class IndicatorAdmin(ReadOnlyAdmin):
    list_display = ["name", "kind", "dimension", "unit"]
    list_filter = ["kind", "dimension"]


@admin.register(Target)
class TargetAdmin(ReadOnlyAdmin):
    list_display = ["zone", "indicator", "period", "comparator", "value", "is_sample"]
    list_filter = ["zone", "period"]
