from django.contrib import admin

from shiji.assessment.models import Indicator, Target


@admin.register(Indicator)
class IndicatorAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "dimension", "unit"]
    list_filter = ["kind", "dimension"]


@admin.register(Target)
class TargetAdmin(admin.ModelAdmin):
    list_display = ["zone", "indicator", "period", "comparator", "value", "is_sample"]
    list_filter = ["zone", "period"]
