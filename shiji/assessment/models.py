from django.db import models
from django.utils.translation import gettext_lazy

from shiji.orgs.scope import ZoneScoped


class IndicatorKind(models.TextChoices):
    VISIBLE = "visible", gettext_lazy("显绩")
    LATENT = "latent", gettext_lazy("潜绩")


class Dimension(models.TextChoices):
    """The five dimensions of the national high-tech zone evaluation."""

    INNOVATION = "innovation", gettext_lazy("创新能力和创业活跃度")
    STRUCTURE = "structure", gettext_lazy("结构优化和产业价值链")
    GREEN = "green", gettext_lazy("绿色发展和宜居包容性")
    OPENNESS = "openness", gettext_lazy("开放创新和国际竞争力")
    QUALITY = "quality", gettext_lazy("综合质效和持续创新力")


class Indicator(models.Model):
    code = models.SlugField(gettext_lazy("代码"), max_length=40, unique=True)
    name = models.CharField(gettext_lazy("名称"), max_length=100)
    kind = models.CharField(gettext_lazy("类型"), max_length=10, choices=IndicatorKind.choices)
    dimension = models.CharField(gettext_lazy("维度"), max_length=20, choices=Dimension.choices)
    unit = models.CharField(gettext_lazy("单位"), max_length=20)
    higher_is_better = models.BooleanField(gettext_lazy("越高越好"), default=True)
    weight = models.DecimalField(gettext_lazy("权重"), max_digits=6, decimal_places=3, default=1)

    class Meta:
        ordering = ["dimension", "code"]
        verbose_name = gettext_lazy("考核指标")
        verbose_name_plural = gettext_lazy("考核指标")

    def __str__(self) -> str:
        return self.name


class Comparator(models.TextChoices):
    GT = "gt", gettext_lazy("超过")
    GTE = "gte", gettext_lazy("不低于")
    LT = "lt", gettext_lazy("低于")
    LTE = "lte", gettext_lazy("不高于")
    EQ = "eq", gettext_lazy("达到")


class Target(ZoneScoped, models.Model):
    """A zone's target for an indicator over a period (a year or a plan, e.g. 十五五)."""

    zone = models.ForeignKey("orgs.Zone", on_delete=models.PROTECT, related_name="targets")
    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="targets")
    period = models.CharField(
        gettext_lazy("期间"), max_length=20, help_text=gettext_lazy("如 2026 或 十五五")
    )
    comparator = models.CharField(gettext_lazy("比较"), max_length=4, choices=Comparator.choices)
    value = models.DecimalField(gettext_lazy("目标值"), max_digits=16, decimal_places=2)
    source = models.CharField(gettext_lazy("来源"), max_length=200, blank=True)
    is_sample = models.BooleanField(gettext_lazy("示例数据"), default=False)

    class Meta:
        ordering = ["zone", "indicator"]
        verbose_name = gettext_lazy("目标")
        verbose_name_plural = gettext_lazy("目标")
        constraints = [
            models.UniqueConstraint(
                fields=["zone", "indicator", "period"], name="target_unique_period"
            )
        ]

    def __str__(self) -> str:
        return f"{self.zone} {self.indicator} {self.period}"
