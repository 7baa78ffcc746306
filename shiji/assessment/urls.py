from django.urls import path

from shiji.assessment import views, views_campaign, views_scores

app_name = "assessment"

urlpatterns = [
    path("", views.indicator_list, name="home"),
    path("figures/", views.measurement_table, name="figures"),
    path("targets/", views.target_table, name="targets"),
    path("targets/save/", views.target_save, name="target_save"),
    path("figures/enter/", views.measurement_enter, name="enter"),
    path("figures/template/", views.measurement_template, name="template"),
    path("figures/import/", views.measurement_import, name="import"),
    path("figures/<int:pk>/confirm/", views.measurement_confirm, name="confirm"),
    path("figures/<int:pk>/correct/", views.measurement_correct, name="correct"),
    path("figures/<int:pk>/evidence/", views.measurement_evidence, name="evidence"),
    path("figures/lock/", views.period_lock, name="lock"),
    path("figures/export/", views.measurement_export, name="figures_export"),
    path("targets/export/", views.target_export, name="targets_export"),
    path("export/indicators/", views.indicator_export, name="indicators_export"),
    path("campaign/", views_campaign.campaign_scores, name="campaign"),
    path("campaign/export/", views_campaign.campaign_export, name="campaign_export"),
    path("zones/<int:zone_id>/", views_scores.zone_assessment, name="zone"),
    path("zones/<int:zone_id>/export/", views_scores.zone_export, name="zone_export"),
    path("compare/", views_scores.compare, name="compare"),
    path("compare/export/", views_scores.compare_export, name="compare_export"),
]
