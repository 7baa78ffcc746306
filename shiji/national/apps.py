from django.apps import AppConfig
from django.utils.translation import gettext_lazy


class NationalConfig(AppConfig):
    name = "shiji.national"
    verbose_name = gettext_lazy("全国数据生成")
