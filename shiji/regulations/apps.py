from django.apps import AppConfig


class RegulationsConfig(AppConfig):
    name = "shiji.regulations"
    label = "regulations"
    verbose_name = "建章立制"
