from django.contrib import admin

from shiji.campaigns.models import Campaign, ProblemCategory, WorkArrangement, ZoneCampaign


class ArrangementInline(admin.TabularInline):
    model = WorkArrangement
    extra = 0


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ["name", "year", "starts_on", "ends_on"]
    inlines = [ArrangementInline]


@admin.register(ZoneCampaign)
class ZoneCampaignAdmin(admin.ModelAdmin):
    list_display = ["zone", "campaign", "meeting_date", "meeting_name"]


@admin.register(ProblemCategory)
class ProblemCategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "zone", "campaign", "is_placeholder", "is_active"]
    list_filter = ["zone", "campaign"]
