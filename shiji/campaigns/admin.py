from django.contrib import admin

from shiji.campaigns.models import Campaign, ProblemCategory, WorkArrangement, ZoneCampaign
from shiji.core.admin import ReadOnlyAdmin, ReadOnlyInline


class ArrangementInline(ReadOnlyInline):
    model = WorkArrangement


@admin.register(Campaign)
class CampaignAdmin(ReadOnlyAdmin):
    """Presets are loaded with manage.py load_campaign; zones adopt and
    configure their copy on the campaign settings page."""

    list_display = ["name", "year", "starts_on", "ends_on"]
    inlines = [ArrangementInline]


@admin.register(ZoneCampaign)
class ZoneCampaignAdmin(ReadOnlyAdmin):
    list_display = ["zone", "campaign", "adopted_at", "requires_list_review"]


@admin.register(ProblemCategory)
class ProblemCategoryAdmin(ReadOnlyAdmin):
    list_display = ["name", "zone", "campaign", "is_placeholder", "is_active"]
    list_filter = ["zone", "campaign"]
