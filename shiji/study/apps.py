from django.apps import AppConfig
from django.utils.translation import gettext_lazy


class StudyConfig(AppConfig):
    name = "shiji.study"
    label = "study"
    verbose_name = gettext_lazy("学习研讨")
