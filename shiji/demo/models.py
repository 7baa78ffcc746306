from django.db import models


class DemoStep(models.Model):
    """A step of ``load_demo`` that has run to the end.

    Each step records itself in the transaction that did its work, so a
    second ``load_demo`` learns what is already there from one small query
    instead of walking every zone; steps added later still run once.
    """

    name = models.CharField(max_length=60, unique=True)
    done_at = models.DateTimeField()

    class Meta:
        verbose_name = "演示数据步骤"
        verbose_name_plural = "演示数据步骤"

    def __str__(self) -> str:
        return self.name
