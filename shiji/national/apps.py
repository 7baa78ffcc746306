from django.apps import AppConfig


class NationalConfig(AppConfig):
    name = "shiji.national"
    verbose_name = "全国数据生成"
