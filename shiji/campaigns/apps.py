from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    name = "shiji.campaigns"
    label = "campaigns"
