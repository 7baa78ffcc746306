from django.apps import AppConfig
from django.utils.translation import gettext_lazy


class OutreachConfig(AppConfig):
    name = "shiji.outreach"
    label = "outreach"
    verbose_name = gettext_lazy("开门教育")
