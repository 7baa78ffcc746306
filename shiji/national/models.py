from django.db import models
from django.utils.translation import gettext_lazy


class GeneratedDataset(models.Model):
    """The mark ``generate_national`` leaves on a database it filled: which
    generator wrote it, with which parameters, and what it wrote.

    A database without this row but with zones, problems or accounts holds
    real data, and the generator refuses to touch it; one with it can be
    recognized (same parameters: nothing to do, e.g. for ``make bench``)."""

    generator = models.CharField(max_length=40)
    version = models.PositiveSmallIntegerField()
    params = models.JSONField(default=dict)
    anchor_day = models.DateField()
    counts = models.JSONField(default=dict)
    seconds = models.FloatField(default=0)
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = gettext_lazy("生成的全国数据集")
        verbose_name_plural = gettext_lazy("生成的全国数据集")

    def __str__(self) -> str:
        return f"{self.generator} v{self.version} {self.params}"
