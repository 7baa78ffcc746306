from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "shiji.core"
    label = "core"
