from django.db import models

from shiji.orgs.scope import ZoneScoped


class IndicatorKind(models.TextChoices):
    VISIBLE = "visible", "显绩"
    LATENT = "latent", "潜绩"


class Dimension(models.TextChoices):
    """The five dimensions of the national high-tech zone evaluation."""

    INNOVATION = "innovation", "创新能力和创业活跃度"
    STRUCTURE = "structure", "结构优化和产业价值链"
    GREEN = "green", "绿色发展和宜居包容性"
    OPENNESS = "openness", "开放创新和国际竞争力"
    QUALITY = "quality", "综合质效和持续创新力"


class Indicator(models.Model):
    code = models.SlugField("代码", max_length=40, unique=True)
    name = models.CharField("名称", max_length=100)
    kind = models.CharField("类型", max_length=10, choices=IndicatorKind.choices)
    dimension = models.CharField("维度", max_length=20, choices=Dimension.choices)
    unit = models.CharField("单位", max_length=20)
    higher_is_better = models.BooleanField("越高越好", default=True)
    weight = models.DecimalField("权重", max_digits=6, decimal_places=3, default=1)

    class Meta:
        ordering = ["dimension", "code"]
        verbose_name = "考核指标"
        verbose_name_plural = "考核指标"

    def __str__(self) -> str:
        return self.name


class Comparator(models.TextChoices):
    GT = "gt", "超过"
    GTE = "gte", "不低于"
    LT = "lt", "低于"
    LTE = "lte", "不高于"
    EQ = "eq", "达到"


class Target(ZoneScoped, models.Model):
    """A zone's target for an indicator over a period (a year or a plan, e.g. 十五五)."""

    zone = models.ForeignKey("orgs.Zone", on_delete=models.PROTECT, related_name="targets")
    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="targets")
    period = models.CharField("期间", max_length=20, help_text="如 2026 或 十五五")
    comparator = models.CharField("比较", max_length=4, choices=Comparator.choices)
    value = models.DecimalField("目标值", max_digits=16, decimal_places=2)
    source = models.CharField("来源", max_length=200, blank=True)
    is_sample = models.BooleanField("示例数据", default=False)

    class Meta:
        ordering = ["zone", "indicator"]
        verbose_name = "目标"
        verbose_name_plural = "目标"
        constraints = [
            models.UniqueConstraint(
                fields=["zone", "indicator", "period"], name="target_unique_period"
            )
        ]

    def __str__(self) -> str:
        return f"{self.zone} {self.indicator} {self.period}"
