from django.apps import AppConfig
from django.utils.translation import gettext_lazy


class RegulationsConfig(AppConfig):
    name = "shiji.regulations"
    label = "regulations"
    verbose_name = gettext_lazy("建章立制")
