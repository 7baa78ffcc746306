from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy

from shiji.core.uploads import content_path
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


class PeriodKind(models.TextChoices):
    YEAR = "year", gettext_lazy("年度")
    QUARTER = "quarter", gettext_lazy("季度")
    MONTH = "month", gettext_lazy("月度")


class Indicator(models.Model):
    """An indicator of the library (``assessment/indicators.yaml``), shared by
    every zone. Loaded by ``manage.py load_indicators``; an indicator dropped
    from the file is retired (``is_active``), never deleted, because
    measurements point at it."""

    code = models.SlugField(gettext_lazy("代码"), max_length=40, unique=True)
    name = models.CharField(gettext_lazy("名称"), max_length=100)
    kind = models.CharField(gettext_lazy("类型"), max_length=10, choices=IndicatorKind.choices)
    dimension = models.CharField(gettext_lazy("维度"), max_length=20, choices=Dimension.choices)
    unit = models.CharField(gettext_lazy("单位"), max_length=20)
    higher_is_better = models.BooleanField(gettext_lazy("越高越好"), default=True)
    weight = models.DecimalField(gettext_lazy("权重"), max_digits=6, decimal_places=3, default=1)
    weight_is_placeholder = models.BooleanField(
        gettext_lazy("权重待确认"),
        default=False,
        help_text=gettext_lazy("示例权重，须由高新区确认后才能用于计分"),
    )
    period_kind = models.CharField(
        gettext_lazy("统计周期"), max_length=10, choices=PeriodKind.choices, default=PeriodKind.YEAR
    )
    min_value = models.DecimalField(
        gettext_lazy("最小值"), max_digits=18, decimal_places=4, null=True, blank=True
    )
    max_value = models.DecimalField(
        gettext_lazy("最大值"), max_digits=18, decimal_places=4, null=True, blank=True
    )
    # How far a value may move against the same period a year before (同比)
    # before the plausibility check flags it, in percent.
    usual_change = models.DecimalField(
        gettext_lazy("正常变动幅度（%）"), max_digits=6, decimal_places=1, default=50
    )
    # For campaign 潜绩: the Shiji figure the value is drawn from
    # (``ledger.closure_rate``, …); empty for figures a statistics office reports.
    computed_from = models.CharField(gettext_lazy("数据来源"), max_length=60, blank=True)
    description = models.TextField(gettext_lazy("指标说明"), blank=True)
    order = models.PositiveIntegerField(gettext_lazy("顺序"), default=0)
    source = models.CharField(gettext_lazy("指标库文件"), max_length=200, blank=True)
    is_active = models.BooleanField(gettext_lazy("启用"), default=True)

    class Meta:
        ordering = ["dimension", "order", "code"]
        verbose_name = gettext_lazy("考核指标")
        verbose_name_plural = gettext_lazy("考核指标")

    def __str__(self) -> str:
        return self.name


class RelationOp(models.TextChoices):
    LTE = "lte", "≤"
    LT = "lt", "<"


class IndicatorRelation(models.Model):
    """A relation two indicators' values of the same zone and period must
    keep (工业增加值 ≤ 规上工业总产值); a breach is a plausibility flag."""

    left = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="relations_left")
    op = models.CharField(gettext_lazy("关系"), max_length=4, choices=RelationOp.choices)
    right = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="relations_right")
    description = models.CharField(gettext_lazy("说明"), max_length=200, blank=True)

    class Meta:
        ordering = ["left", "right"]
        verbose_name = gettext_lazy("指标关系")
        verbose_name_plural = gettext_lazy("指标关系")
        constraints = [
            models.UniqueConstraint(fields=["left", "right"], name="indicator_relation_unique")
        ]

    def __str__(self) -> str:
        return f"{self.left} {self.get_op_display()} {self.right}"


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


class MeasurementStatus(models.TextChoices):
    ENTERED = "entered", gettext_lazy("待确认")
    CONFIRMED = "confirmed", gettext_lazy("已确认")


def measurement_evidence_path(instance: Measurement, filename: str) -> str:
    # Content-addressed (see core.uploads.content_path): the client's name is only metadata.
    return content_path(
        "assessment",
        zone_id=instance.zone_id,
        sha256=instance.evidence_sha256,
        kind=instance.evidence_kind,
    )


class Measurement(ZoneScoped, models.Model):
    """A zone's value of an indicator for a period (2026, 2026Q1, 2026-03).

    Entered by one person and confirmed by another; confirmation locks the
    row. A later change is a new row (``corrects`` the one it replaces, with
    its ``correction_reason``) that needs confirming in turn; the replaced
    row stays, no longer ``is_current``, so the history shows both. ``flags``
    are the plausibility checks' findings (``assessment.plausibility``):
    ``[{kind, reason, note}]``, the note written by the confirmer.
    """

    zone = models.ForeignKey("orgs.Zone", on_delete=models.PROTECT, related_name="measurements")
    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="measurements")
    period = models.CharField(gettext_lazy("期间"), max_length=10)
    value = models.DecimalField(gettext_lazy("数值"), max_digits=18, decimal_places=4)
    source = models.CharField(gettext_lazy("统计部门"), max_length=100)
    report = models.CharField(gettext_lazy("报表名"), max_length=200, blank=True)
    status = models.CharField(
        gettext_lazy("状态"),
        max_length=10,
        choices=MeasurementStatus.choices,
        default=MeasurementStatus.ENTERED,
    )
    flags = models.JSONField(gettext_lazy("疑点"), default=list, blank=True)
    entered_by = models.ForeignKey(
        "orgs.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    entered_at = models.DateTimeField(gettext_lazy("填报时间"))
    confirmed_by = models.ForeignKey(
        "orgs.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    confirmed_at = models.DateTimeField(gettext_lazy("确认时间"), null=True, blank=True)
    confirm_note = models.TextField(gettext_lazy("确认说明"), blank=True)
    corrects = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="corrections"
    )
    correction_reason = models.TextField(gettext_lazy("更正理由"), blank=True)
    is_current = models.BooleanField(gettext_lazy("现行"), default=True)
    evidence = models.FileField(upload_to=measurement_evidence_path, max_length=200, blank=True)
    evidence_name = models.CharField(gettext_lazy("佐证材料"), max_length=200, blank=True)
    evidence_kind = models.CharField(max_length=20, blank=True)
    evidence_size = models.PositiveBigIntegerField(null=True, blank=True)
    evidence_sha256 = models.CharField(max_length=64, blank=True)
    is_sample = models.BooleanField(gettext_lazy("示例数据"), default=False)

    class Meta:
        ordering = ["zone", "indicator", "period", "entered_at", "pk"]
        verbose_name = gettext_lazy("指标数据")
        verbose_name_plural = gettext_lazy("指标数据")
        constraints = [
            # One current value per zone, indicator and period; corrections
            # replace it, the replaced rows stay as history.
            models.UniqueConstraint(
                fields=["zone", "indicator", "period"],
                condition=models.Q(is_current=True),
                name="measurement_one_current",
            )
        ]
        indexes = [models.Index(fields=["zone", "period"], name="measurement_zone_period")]

    def __str__(self) -> str:
        return f"{self.zone} {self.indicator} {self.period}"

    @property
    def is_locked(self) -> bool:
        return self.status == MeasurementStatus.CONFIRMED


class PeriodLock(ZoneScoped, models.Model):
    """A zone's period (2026, 2026Q1, 2026-03) closed by its task force once
    every figure of it was confirmed: no new figure may be entered for it,
    and a change is a correction with its reason, flagged and confirmed by
    another person. There is no unlock: the lock is what makes the period's
    figures count (scores, roll-ups), and a figure that could be reopened
    quietly would not be a recorded result."""

    zone = models.ForeignKey("orgs.Zone", on_delete=models.PROTECT, related_name="period_locks")
    period = models.CharField(gettext_lazy("期间"), max_length=10)
    locked_by = models.ForeignKey(
        "orgs.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    locked_at = models.DateTimeField(gettext_lazy("锁定时间"))
    note = models.TextField(gettext_lazy("锁定说明"), blank=True)

    class Meta:
        ordering = ["zone", "period"]
        verbose_name = gettext_lazy("期间锁定")
        verbose_name_plural = gettext_lazy("期间锁定")
        constraints = [
            models.UniqueConstraint(fields=["zone", "period"], name="period_lock_unique")
        ]

    def __str__(self) -> str:
        return f"{self.zone} {self.period}"
