from django.apps import AppConfig


class StudyConfig(AppConfig):
    name = "shiji.study"
    label = "study"
    verbose_name = "学习研讨"
