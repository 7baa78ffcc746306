from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "shiji.demo"
    label = "demo"
