from django.apps import AppConfig


class OutreachConfig(AppConfig):
    name = "shiji.outreach"
    label = "outreach"
    verbose_name = "开门教育"
