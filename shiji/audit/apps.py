from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "shiji.audit"
    label = "audit"
