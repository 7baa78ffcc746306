import datetime as dt

from django.db import models
from django.utils.translation import gettext_lazy

from shiji.core.uploads import content_path
from shiji.orgs.scope import ZoneScoped


class Campaign(models.Model):
    """A study-and-rectification campaign, loaded from a preset file."""

    code = models.SlugField(gettext_lazy("代码"), max_length=40, unique=True)
    name = models.CharField(gettext_lazy("名称"), max_length=100)
    year = models.PositiveSmallIntegerField(gettext_lazy("年度"))
    general_requirement = models.CharField(gettext_lazy("总要求"), max_length=200)
    starts_on = models.DateField(gettext_lazy("开始日期"))
    ends_on = models.DateField(gettext_lazy("结束日期"))
    description = models.TextField(gettext_lazy("说明"), blank=True)
    source = models.CharField(gettext_lazy("来源文件"), max_length=200, blank=True)

    class Meta:
        ordering = ["-year", "code"]
        verbose_name = gettext_lazy("学习教育活动")
        verbose_name_plural = gettext_lazy("学习教育活动")

    def __str__(self) -> str:
        return self.name


class WorkArrangement(models.Model):
    """One of a campaign's work arrangements (学习研讨, 查摆问题, …)."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="arrangements")
    code = models.SlugField(max_length=40)
    name = models.CharField(gettext_lazy("名称"), max_length=50)
    requirement = models.TextField(gettext_lazy("要求"), blank=True)
    is_placeholder = models.BooleanField(
        gettext_lazy("待确认措辞"),
        default=False,
        help_text=gettext_lazy("官方表述未公开，可由管理员修改"),
    )
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["campaign", "order"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "code"], name="arrangement_code_unique")
        ]

    def __str__(self) -> str:
        return self.name


class ZoneCampaign(ZoneScoped, models.Model):
    """A zone's adoption of a campaign.

    Its deployment meeting (部署会议) is a study session of the campaign's
    ``deployment`` kind, recorded once in 学习研讨 (see
    ``selectors.deployment_meetings``), not copied here.
    """

    zone = models.ForeignKey("orgs.Zone", on_delete=models.PROTECT, related_name="campaigns")
    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="adoptions")
    adopted_at = models.DateTimeField(gettext_lazy("启用时间"), auto_now_add=True)
    # Whether rectification may start only after the problem list entry has
    # passed review (问题清单审核). A setting of the zone's adoption: the
    # campaign asks for reviewed problem lists, and each zone's task force
    # decides whether its supervisors review every entry before work begins.
    requires_list_review = models.BooleanField(gettext_lazy("问题清单须审核后整改"), default=True)

    class Meta:
        ordering = ["zone", "-campaign__year"]
        verbose_name = gettext_lazy("高新区启用的活动")
        verbose_name_plural = gettext_lazy("高新区启用的活动")
        constraints = [
            models.UniqueConstraint(fields=["zone", "campaign"], name="zone_campaign_unique")
        ]

    def __str__(self) -> str:
        return f"{self.zone} · {self.campaign}"


class ProblemCategory(ZoneScoped, models.Model):
    """A category of prominent problems. Copied from the campaign preset into
    each adopting zone, where the zone admin may rename or add to it."""

    zone = models.ForeignKey("orgs.Zone", on_delete=models.PROTECT, related_name="categories")
    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="categories")
    code = models.SlugField(max_length=40)
    name = models.CharField(gettext_lazy("名称"), max_length=50)
    description = models.TextField(gettext_lazy("说明"), blank=True)
    is_placeholder = models.BooleanField(
        gettext_lazy("待确认措辞"),
        default=False,
        help_text=gettext_lazy("官方表述未公开，可由工作专班修改"),
    )
    order = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(gettext_lazy("启用"), default=True)

    class Meta:
        ordering = ["zone", "campaign", "order"]
        verbose_name = gettext_lazy("问题类别")
        verbose_name_plural = gettext_lazy("问题类别")
        constraints = [
            models.UniqueConstraint(
                fields=["zone", "campaign", "code"], name="category_code_unique"
            ),
            models.UniqueConstraint(
                fields=["zone", "campaign", "name"], name="category_name_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class CategoryTemplate(models.Model):
    """A problem category as the campaign preset defines it. Zones adopting
    the campaign get their own editable copy as ``ProblemCategory`` rows, so
    reloading the preset never overwrites a zone's wording."""

    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="category_templates"
    )
    code = models.SlugField(max_length=40)
    name = models.CharField(gettext_lazy("名称"), max_length=50)
    description = models.TextField(gettext_lazy("说明"), blank=True)
    is_placeholder = models.BooleanField(
        gettext_lazy("待确认措辞"),
        default=False,
        help_text=gettext_lazy("官方表述未公开，可由工作专班修改"),
    )
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["campaign", "order"]
        verbose_name = gettext_lazy("问题类别模板")
        verbose_name_plural = gettext_lazy("问题类别模板")
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "code"], name="category_template_code_unique"
            ),
            models.UniqueConstraint(
                fields=["campaign", "name"], name="category_template_name_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class TaskTemplate(models.Model):
    """A task of the campaign's task list (任务清单), aimed at the sectors it
    suits (分类指导). The due date is either fixed or counted in days from
    the campaign's start, so a preset can be reused for a later year."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="task_templates")
    arrangement = models.ForeignKey(
        WorkArrangement, on_delete=models.PROTECT, related_name="task_templates"
    )
    code = models.SlugField(max_length=40)
    title = models.CharField(gettext_lazy("任务"), max_length=200)
    description = models.TextField(gettext_lazy("说明"), blank=True)
    sectors = models.JSONField(
        gettext_lazy("适用领域"), default=list, help_text=gettext_lazy("orgs.Sector 代码列表")
    )
    due_on = models.DateField(gettext_lazy("完成时限"), null=True, blank=True)
    due_offset_days = models.PositiveSmallIntegerField(
        gettext_lazy("开始后天数"),
        null=True,
        blank=True,
        help_text=gettext_lazy("自活动开始日起算的完成天数"),
    )
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["campaign", "order"]
        verbose_name = gettext_lazy("任务模板")
        verbose_name_plural = gettext_lazy("任务模板")
        constraints = [
            models.UniqueConstraint(fields=["campaign", "code"], name="task_template_code_unique")
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def due_date(self) -> dt.date | None:
        """The deadline as a date, whichever way the preset gave it."""
        if self.due_on is not None:
            return self.due_on
        if self.due_offset_days is not None:
            return self.campaign.starts_on + dt.timedelta(days=self.due_offset_days)
        return None


class StudyKind(models.Model):
    """A kind of study session the campaign expects (党工委会议, 专题读书班, …)."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="study_kinds")
    code = models.SlugField(max_length=40)
    name = models.CharField(gettext_lazy("名称"), max_length=50)
    description = models.TextField(gettext_lazy("说明"), blank=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["campaign", "order"]
        verbose_name = gettext_lazy("学习形式")
        verbose_name_plural = gettext_lazy("学习形式")
        constraints = [
            models.UniqueConstraint(fields=["campaign", "code"], name="study_kind_code_unique"),
            models.UniqueConstraint(fields=["campaign", "name"], name="study_kind_name_unique"),
        ]

    def __str__(self) -> str:
        return self.name


# The task list (任务清单) ---------------------------------------------------------


class Task(ZoneScoped, models.Model):
    """A task of a zone's task list: from a campaign's ``TaskTemplate`` or added
    by the zone's 工作专班, aimed at the sectors it suits (分类指导). Each
    matching organization gets a ``TaskAssignment`` (see services.ASSIGNABLE_KINDS)."""

    zone = models.ForeignKey("orgs.Zone", on_delete=models.PROTECT, related_name="tasks")
    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="tasks")
    arrangement = models.ForeignKey(
        WorkArrangement,
        on_delete=models.PROTECT,
        related_name="tasks",
        verbose_name=gettext_lazy("工作安排"),
    )
    template = models.ForeignKey(
        TaskTemplate, null=True, blank=True, on_delete=models.SET_NULL, related_name="tasks"
    )
    title = models.CharField(gettext_lazy("任务"), max_length=200)
    description = models.TextField(gettext_lazy("说明"), blank=True)
    deadline = models.DateField(gettext_lazy("完成时限"), null=True, blank=True)
    sectors = models.JSONField(
        gettext_lazy("适用领域"), default=list, help_text=gettext_lazy("orgs.Sector 代码列表")
    )
    created_by = models.ForeignKey(
        "orgs.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    is_sample = models.BooleanField(gettext_lazy("示例数据"), default=False)

    class Meta:
        ordering = ["zone", "deadline", "pk"]
        verbose_name = gettext_lazy("任务")
        verbose_name_plural = gettext_lazy("任务")
        constraints = [
            # Adopting the templates twice must not list a task twice.
            models.UniqueConstraint(
                fields=["zone", "template"],
                condition=models.Q(template__isnull=False),
                name="task_template_once_per_zone",
            )
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def sector_labels(self) -> list[str]:
        from shiji.orgs.models import Sector

        labels = dict(Sector.choices)
        return [str(labels.get(code, code)) for code in self.sectors]


class AssignmentStatus(models.TextChoices):
    PENDING = "pending", gettext_lazy("待完成")
    REPORTED = "reported", gettext_lazy("已报送")
    ACCEPTED = "accepted", gettext_lazy("已通过")
    RETURNED = "returned", gettext_lazy("已退回")


class TaskAssignment(models.Model):
    """One organization's share of a task: it reports completion with a note
    and evidence; the zone's 工作专班 accepts it or returns it with a reason
    (the moves are in campaigns/workflow.py)."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="assignments")
    org = models.ForeignKey(
        "orgs.Organization", on_delete=models.PROTECT, related_name="task_assignments"
    )
    status = models.CharField(
        gettext_lazy("状态"),
        max_length=20,
        choices=AssignmentStatus.choices,
        default=AssignmentStatus.PENDING,
        db_index=True,
    )
    report_note = models.TextField(gettext_lazy("完成情况"), blank=True)
    reported_by = models.ForeignKey(
        "orgs.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reported_at = models.DateTimeField(gettext_lazy("报送时间"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        "orgs.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(gettext_lazy("审核时间"), null=True, blank=True)
    return_reason = models.TextField(gettext_lazy("退回理由"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["task", "org__path"]
        verbose_name = gettext_lazy("任务分派")
        verbose_name_plural = gettext_lazy("任务分派")
        constraints = [
            models.UniqueConstraint(fields=["task", "org"], name="assignment_once_per_org")
        ]

    def __str__(self) -> str:
        return f"{self.org} · {self.task}"

    @property
    def scope_zone_id(self) -> int:
        return self.org.zone_id

    @property
    def scope_org_path(self) -> str:
        return self.org.path

    @property
    def scope_province(self) -> str:
        return self.org.zone.province


def assignment_evidence_path(instance: "AssignmentEvidence", filename: str) -> str:
    # Content-addressed (see content_path): the client's name is only metadata.
    return content_path(
        "task-evidence",
        zone_id=instance.assignment.task.zone_id,
        sha256=instance.sha256,
        kind=instance.content_kind,
    )


class AssignmentEvidence(models.Model):
    assignment = models.ForeignKey(
        TaskAssignment, on_delete=models.CASCADE, related_name="evidence"
    )
    file = models.FileField(upload_to=assignment_evidence_path, max_length=200)
    original_name = models.CharField(gettext_lazy("文件名"), max_length=200)
    content_kind = models.CharField(gettext_lazy("类型"), max_length=20)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64, db_index=True)
    uploaded_by = models.ForeignKey(
        "orgs.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["assignment", "uploaded_at", "pk"]
        verbose_name = gettext_lazy("任务完成凭证")
        verbose_name_plural = gettext_lazy("任务完成凭证")

    def __str__(self) -> str:
        return self.original_name
