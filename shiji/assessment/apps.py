from django.apps import AppConfig


class AssessmentConfig(AppConfig):
    name = "shiji.assessment"
    label = "assessment"
