from django.contrib import admin

from shiji.assessment.models import Indicator, IndicatorRelation, Measurement, Target
from shiji.core.admin import ReadOnlyAdmin


@admin.register(Indicator)
class IndicatorAdmin(ReadOnlyAdmin):
    list_display = ["name", "kind", "dimension", "unit"]
    list_filter = ["kind", "dimension"]


@admin.register(Target)
class TargetAdmin(ReadOnlyAdmin):
    list_display = ["zone", "indicator", "period", "comparator", "value", "is_sample"]
    list_filter = ["zone", "period"]


@admin.register(IndicatorRelation)
class IndicatorRelationAdmin(ReadOnlyAdmin):
    list_display = ["left", "op", "right", "description"]


@admin.register(Measurement)
class MeasurementAdmin(ReadOnlyAdmin):
    list_display = ["zone", "indicator", "period", "value", "status", "is_current", "is_sample"]
    list_filter = ["zone", "status", "is_current"]
