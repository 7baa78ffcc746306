from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy

from shiji.core.lights import Light as Light  # re-exported for the ledger's own modules
from shiji.core.uploads import content_path
from shiji.orgs.scope import OrgScoped


class Status(models.TextChoices):
    OPEN = "open", gettext_lazy("待整改")
    IN_PROGRESS = "in_progress", gettext_lazy("整改中")
    SUBMITTED = "submitted", gettext_lazy("待销号")
    CLOSED = "closed", gettext_lazy("已销号")
    CANCELLED = "cancelled", gettext_lazy("已撤销")


class Source(models.TextChoices):
    SELF_CHECK = "self_check", gettext_lazy("自查")
    INSPECTION = "inspection", gettext_lazy("督促检查")
    RESEARCH = "research", gettext_lazy("调查研究")
    PUBLIC = "public", gettext_lazy("群众反映")
    DISCIPLINE = "discipline", gettext_lazy("纪检监察")
    PATROL = "patrol", gettext_lazy("巡视巡察")
    AUDIT = "audit", gettext_lazy("审计")
    PETITION = "petition", gettext_lazy("信访")
    ROUNDTABLE = "roundtable", gettext_lazy("政企圆桌会")


class Kind(models.TextChoices):
    IMMEDIATE = "immediate", gettext_lazy("立行立改")
    DEADLINE = "deadline", gettext_lazy("限期整改")
    LONG_TERM = "long_term", gettext_lazy("长期坚持")


class ReviewState(models.TextChoices):
    """The review of the problem list entry itself (查摆是否深、准)."""

    PENDING = "pending", gettext_lazy("待审核")
    APPROVED = "approved", gettext_lazy("已审核")
    REWORK = "rework", gettext_lazy("退回重查")


class Problem(OrgScoped, models.Model):
    """A row of the problem list and rectification ledger (问题清单 + 整改台账)."""

    zone = models.ForeignKey("orgs.Zone", on_delete=models.PROTECT, related_name="problems")
    campaign = models.ForeignKey(
        "campaigns.Campaign", null=True, blank=True, on_delete=models.PROTECT
    )
    code = models.CharField(gettext_lazy("台账编号"), max_length=30)
    source = models.CharField(gettext_lazy("问题来源"), max_length=20, choices=Source.choices)
    category = models.ForeignKey(
        "campaigns.ProblemCategory", on_delete=models.PROTECT, verbose_name=gettext_lazy("问题类别")
    )
    description = models.TextField(gettext_lazy("问题描述"))
    measures = models.TextField(gettext_lazy("整改措施"), blank=True)
    goal = models.TextField(gettext_lazy("整改目标"), blank=True)
    org = models.ForeignKey(
        "orgs.Organization",
        on_delete=models.PROTECT,
        related_name="problems",
        verbose_name=gettext_lazy("责任单位"),
    )
    leader = models.ForeignKey(
        "orgs.Person",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=gettext_lazy("责任领导"),
    )
    owner = models.ForeignKey(
        "orgs.Person",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=gettext_lazy("责任人"),
    )
    kind = models.CharField(gettext_lazy("整改类型"), max_length=20, choices=Kind.choices)
    found_on = models.DateField(gettext_lazy("发现日期"))
    deadline = models.DateField(gettext_lazy("整改时限"), null=True, blank=True)
    status = models.CharField(
        gettext_lazy("状态"),
        max_length=20,
        choices=Status.choices,
        default=Status.OPEN,
        db_index=True,
    )
    review_state = models.CharField(
        gettext_lazy("审核"),
        max_length=20,
        choices=ReviewState.choices,
        default=ReviewState.PENDING,
    )
    review_note = models.TextField(gettext_lazy("审核意见"), blank=True)
    progress_summary = models.TextField(gettext_lazy("整改进展"), blank=True)
    completion_note = models.TextField(gettext_lazy("完成情况"), blank=True)
    closed_on = models.DateField(gettext_lazy("销号日期"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    extension_count = models.PositiveSmallIntegerField(gettext_lazy("延期次数"), default=0)
    needs_rule_change = models.BooleanField(gettext_lazy("需建章立制"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    is_sample = models.BooleanField(gettext_lazy("示例数据"), default=False)

    class Meta:
        ordering = ["zone", "code"]
        verbose_name = gettext_lazy("问题")
        verbose_name_plural = gettext_lazy("问题")
        constraints = [
            models.UniqueConstraint(fields=["zone", "code"], name="problem_code_unique_in_zone")
        ]
        indexes = [
            models.Index(fields=["zone", "status", "deadline"]),
            models.Index(fields=["deadline"]),
            # 我的待办's 问题清单审核 (selectors.inbox_for) and the entries sent back
            # for rework (web/todo.py) filter on review_state and status; with
            # no index that was a scan of every problem on the home page of
            # anyone who sees all zones (40 ms on PostgreSQL at 100k).
            models.Index(fields=["review_state", "status"], name="problem_review_state_idx"),
            # The light counts of an all-zones list or home panel (status IN
            # the active ones, deadline not null, the light from both): with
            # this index SQLite and PostgreSQL read them from the index alone;
            # the (zone, ...) one serves a zone's list, the status one was not
            # covering, so SQLite fetched 50k rows from the table.
            models.Index(fields=["status", "deadline"], name="problem_status_deadline_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.description[:30]}"


class ProgressNote(models.Model):
    problem = models.ForeignKey(Problem, on_delete=models.CASCADE, related_name="progress")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    text = models.TextField(gettext_lazy("进展"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["problem", "created_at", "pk"]
        verbose_name = gettext_lazy("整改进展")
        verbose_name_plural = gettext_lazy("整改进展")

    def __str__(self) -> str:
        return self.text[:40]


class Stage(models.TextChoices):
    BEFORE = "before", gettext_lazy("整改前")
    DURING = "during", gettext_lazy("整改中")
    AFTER = "after", gettext_lazy("整改后")


def evidence_path(instance: Evidence, filename: str) -> str:
    # Content-addressed (see content_path): the client's name is only metadata.
    return content_path(
        "evidence",
        zone_id=instance.problem.zone_id,
        sha256=instance.sha256,
        kind=instance.content_kind,
    )


class Evidence(models.Model):
    problem = models.ForeignKey(Problem, on_delete=models.CASCADE, related_name="evidence")
    file = models.FileField(upload_to=evidence_path, max_length=200)
    original_name = models.CharField(gettext_lazy("文件名"), max_length=200)
    content_kind = models.CharField(gettext_lazy("类型"), max_length=20)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64, db_index=True)
    stage = models.CharField(
        gettext_lazy("阶段"), max_length=10, choices=Stage.choices, default=Stage.AFTER
    )
    note = models.CharField(gettext_lazy("说明"), max_length=200, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["problem", "uploaded_at", "pk"]
        verbose_name = gettext_lazy("整改凭证")
        verbose_name_plural = gettext_lazy("整改凭证")

    def __str__(self) -> str:
        return self.original_name


class Review(models.Model):
    """A recorded decision on a problem: a lifecycle move or a list review."""

    problem = models.ForeignKey(Problem, on_delete=models.CASCADE, related_name="reviews")
    action = models.CharField(max_length=20)
    from_status = models.CharField(max_length=20, choices=Status.choices)
    to_status = models.CharField(max_length=20, choices=Status.choices)
    note = models.TextField(blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    # A verification (销号) by someone who created or gave roles to an account
    # that worked on the problem: allowed with a written reason (``note``),
    # and flagged for the supervisors; ``independence_note`` names the link.
    flagged = models.BooleanField(gettext_lazy("独立性存疑"), default=False)
    independence_note = models.TextField(gettext_lazy("独立性说明"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["problem", "created_at", "pk"]
        verbose_name = gettext_lazy("审核与流转")
        verbose_name_plural = gettext_lazy("审核与流转")
        # The few flagged verifications (独立性存疑), found without reading
        # every review: the supervisors' to-do count on every home page.
        indexes = [
            models.Index(
                fields=["problem"], condition=models.Q(flagged=True), name="review_flagged_idx"
            )
        ]

    def __str__(self) -> str:
        return f"{self.problem_id} {self.action}"


class DeadlineExtension(models.Model):
    problem = models.ForeignKey(Problem, on_delete=models.CASCADE, related_name="extensions")
    old_deadline = models.DateField(null=True)
    new_deadline = models.DateField()
    reason = models.TextField()
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["problem", "created_at"]
        verbose_name = gettext_lazy("延期")
        verbose_name_plural = gettext_lazy("延期")

    def __str__(self) -> str:
        return f"{self.problem_id} → {self.new_deadline}"


class CodeCounter(models.Model):
    """Per-zone, per-year counter behind readable 台账编号 (locked when used)."""

    zone = models.ForeignKey("orgs.Zone", on_delete=models.CASCADE)
    year = models.PositiveSmallIntegerField()
    value = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["zone", "year"], name="code_counter_unique")]

    def __str__(self) -> str:
        return f"{self.zone_id}/{self.year}: {self.value}"


class JobKind(models.TextChoices):
    EXPORT = "export", gettext_lazy("导出台账")
    IMPORT_CHECK = "import_check", gettext_lazy("检查导入文件")
    IMPORT = "import", gettext_lazy("导入台账")


class JobState(models.TextChoices):
    QUEUED = "queued", gettext_lazy("排队中")
    RUNNING = "running", gettext_lazy("进行中")
    DONE = "done", gettext_lazy("已完成")
    FAILED = "failed", gettext_lazy("失败")


def job_file_path(instance: LedgerJob, filename: str) -> str:
    # A random name: the download name is kept in ``file_name`` and the file
    # is only ever served through the owner-checked job download view.
    return f"ledger-jobs/{instance.user_id}/{uuid.uuid4().hex}.xlsx"


class LedgerJob(models.Model):
    """A long ledger export or import run by the background worker
    (``ledger/tasks.py``); its page polls ``done``/``total`` for progress.

    Only the user who started a job sees it. ``result`` is the import's
    ``{created, updated, errors}`` (plus ``staged_id`` for a check) or the
    export's ``{rows}``.
    """

    kind = models.CharField(gettext_lazy("类型"), max_length=20, choices=JobKind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="ledger_jobs"
    )
    zone = models.ForeignKey("orgs.Zone", null=True, blank=True, on_delete=models.CASCADE)
    state = models.CharField(
        gettext_lazy("状态"),
        max_length=20,
        choices=JobState.choices,
        default=JobState.QUEUED,
        db_index=True,
    )
    phase = models.CharField(gettext_lazy("进度说明"), max_length=100, blank=True)
    total = models.PositiveIntegerField(gettext_lazy("总行数"), null=True, blank=True)
    done = models.PositiveIntegerField(gettext_lazy("已处理"), default=0)
    params = models.JSONField(gettext_lazy("筛选条件"), default=dict, blank=True)
    staged = models.ForeignKey(
        "core.StagedUpload", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    file_name = models.CharField(gettext_lazy("文件名"), max_length=200, blank=True)
    file = models.FileField(upload_to=job_file_path, max_length=200, blank=True)
    result = models.JSONField(gettext_lazy("结果"), default=dict, blank=True)
    error = models.TextField(gettext_lazy("错误"), blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # The worker running a job holds it until ``lease_until`` and renews the
    # lease as it reports progress; a job whose lease ran out lost its
    # worker (``tasks.job_recover``).
    lease_until = models.DateTimeField(
        gettext_lazy("租约到期"), null=True, blank=True, db_index=True
    )
    attempts = models.PositiveSmallIntegerField(gettext_lazy("执行次数"), default=0)
    # Exports: a digest of the filters (an identical recent export is reused)
    # and the zones the file covered (None: every zone), which a download
    # checks against the user's scope at that moment.
    fingerprint = models.CharField(max_length=64, blank=True, db_index=True)
    scope = models.JSONField(gettext_lazy("导出范围"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = gettext_lazy("台账导入导出任务")
        verbose_name_plural = gettext_lazy("台账导入导出任务")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"

    @property
    def finished(self) -> bool:
        return self.state in (JobState.DONE, JobState.FAILED)

    @property
    def percent(self) -> int | None:
        if not self.total:
            return None
        return min(100, self.done * 100 // self.total)
