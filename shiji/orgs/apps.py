from django.apps import AppConfig


class OrgsConfig(AppConfig):
    name = "shiji.orgs"
    label = "orgs"
