"""Open-door education (开门教育): what the public and enterprises raise, how
the zone handles it, and the zone's roundtables, visits and 为民实事.

The submitter's name and phone live in their own table (``FeedbackContact``)
so that no list, export or serializer of ``Feedback`` can carry them by
accident; only ``selectors.feedback_contact`` reads it, and every read is
audited. The tracking code is stored only as a hash: a leaked database does
not let anyone follow another person's report.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy

from shiji.core.uploads import content_path
from shiji.orgs.scope import ZoneScoped


class Kind(models.TextChoices):
    CONSULT = "consult", gettext_lazy("咨询")
    HELP = "help", gettext_lazy("求助")
    COMPLAINT = "complaint", gettext_lazy("投诉")
    SUGGESTION = "suggestion", gettext_lazy("建议")
    REPORT = "report", gettext_lazy("举报")


class Category(models.TextChoices):
    """What an item is about, as a member of the public would put it."""

    BUSINESS = "business", gettext_lazy("营商环境")
    SERVICE = "service", gettext_lazy("政务服务")
    INFRASTRUCTURE = "infrastructure", gettext_lazy("基础设施")
    ENVIRONMENT = "environment", gettext_lazy("生态环境")
    SAFETY = "safety", gettext_lazy("安全生产")
    LABOUR = "labour", gettext_lazy("劳动权益")
    LIVELIHOOD = "livelihood", gettext_lazy("民生服务")
    CONDUCT = "conduct", gettext_lazy("作风纪律")
    OTHER = "other", gettext_lazy("其他")


class Channel(models.TextChoices):
    PORTAL = "portal", gettext_lazy("网上反映")
    PHONE = "phone", gettext_lazy("电话")
    LETTER = "letter", gettext_lazy("来信")
    MAILBOX = "mailbox", gettext_lazy("意见箱")
    VISIT = "visit", gettext_lazy("来访")
    ROUNDTABLE = "roundtable", gettext_lazy("政企圆桌会")
    ENTERPRISE_VISIT = "enterprise_visit", gettext_lazy("入企走访")


class Status(models.TextChoices):
    RECEIVED = "received", gettext_lazy("待受理")
    ACCEPTED = "accepted", gettext_lazy("已受理")
    DECLINED = "declined", gettext_lazy("不予受理")
    FORWARDED = "forwarded", gettext_lazy("已转办")
    REPLY_PENDING = "reply_pending", gettext_lazy("答复待审核")
    ANSWERED = "answered", gettext_lazy("已答复")
    IN_LEDGER = "in_ledger", gettext_lazy("已转入整改台账")
    MERGED = "merged", gettext_lazy("已合并")


class Rating(models.TextChoices):
    SATISFIED = "satisfied", gettext_lazy("满意")
    BASICALLY_SATISFIED = "basically_satisfied", gettext_lazy("基本满意")
    UNSATISFIED = "unsatisfied", gettext_lazy("不满意")


class RatingVia(models.TextChoices):
    PORTAL = "portal", gettext_lazy("网上评价")
    RETURN_CALL = "return_call", gettext_lazy("回访")


class OutreachSettings(models.Model):
    """A zone's own rules for public feedback: the time limit of each kind in
    working days, and the staff the zone admin names to handle items and to
    see submitters' contact details."""

    zone = models.OneToOneField(
        "orgs.Zone", on_delete=models.CASCADE, related_name="outreach_settings"
    )
    limit_consult = models.PositiveSmallIntegerField(
        gettext_lazy("咨询办理时限（工作日）"), default=1
    )
    limit_help = models.PositiveSmallIntegerField(gettext_lazy("求助办理时限（工作日）"), default=5)
    limit_complaint = models.PositiveSmallIntegerField(
        gettext_lazy("投诉办理时限（工作日）"), default=10
    )
    limit_suggestion = models.PositiveSmallIntegerField(
        gettext_lazy("建议办理时限（工作日）"), default=10
    )
    limit_report = models.PositiveSmallIntegerField(
        gettext_lazy("举报办理时限（工作日）"), default=10
    )
    handlers = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="feedback_handling_zones",
        verbose_name=gettext_lazy("受理人员"),
    )
    contact_viewers = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="feedback_contact_zones",
        verbose_name=gettext_lazy("可查看联系方式的人员"),
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.zone_id}"

    def limit_for(self, kind: str) -> int:
        return int(getattr(self, f"limit_{kind}"))


class Feedback(ZoneScoped, models.Model):
    """One item raised by the public or an enterprise (群众反映)."""

    zone = models.ForeignKey("orgs.Zone", on_delete=models.PROTECT, related_name="feedback")
    number = models.CharField(gettext_lazy("编号"), max_length=30)
    code_hash = models.CharField(max_length=64, unique=True)
    kind = models.CharField(gettext_lazy("类型"), max_length=20, choices=Kind.choices)
    category = models.CharField(
        gettext_lazy("类别"), max_length=20, choices=Category.choices, default=Category.OTHER
    )
    channel = models.CharField(
        gettext_lazy("渠道"), max_length=20, choices=Channel.choices, default=Channel.PORTAL
    )
    content = models.TextField(gettext_lazy("反映内容"))
    # The official a 举报 names; when set the item is restricted to the zone
    # admin and the supervisors (``restricted``).
    accused = models.CharField(gettext_lazy("被举报人"), max_length=100, blank=True)
    restricted = models.BooleanField(default=False, db_index=True)
    anonymous = models.BooleanField(gettext_lazy("匿名"), default=False)
    status = models.CharField(
        gettext_lazy("状态"),
        max_length=20,
        choices=Status.choices,
        default=Status.RECEIVED,
        db_index=True,
    )
    received_at = models.DateTimeField(gettext_lazy("收到时间"), default=timezone.now)
    due_on = models.DateField(gettext_lazy("办理时限"))
    # 转办: the organization that answers; org-subtree grants see it then.
    org = models.ForeignKey(
        "orgs.Organization",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="feedback",
        verbose_name=gettext_lazy("承办单位"),
    )
    decline_reason = models.TextField(gettext_lazy("不予受理理由"), blank=True)
    reply_draft = models.TextField(gettext_lazy("答复（待审核）"), blank=True)
    reply = models.TextField(gettext_lazy("答复"), blank=True)
    replied_at = models.DateTimeField(null=True, blank=True)
    problem = models.ForeignKey(
        "ledger.Problem",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="feedback_items",
        verbose_name=gettext_lazy("整改台账问题"),
    )
    merged_into = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="merged_items",
        verbose_name=gettext_lazy("合并到"),
    )
    unsatisfied_count = models.PositiveSmallIntegerField(default=0)
    escalated = models.BooleanField(gettext_lazy("提级督办"), default=False, db_index=True)
    # 公开: staff choose which resolved items the disclosure page shows, with
    # a summary of what was done written for the public.
    disclosed = models.BooleanField(gettext_lazy("公开"), default=False)
    public_summary = models.TextField(gettext_lazy("公开摘要"), blank=True)
    roundtable = models.ForeignKey(
        "outreach.Roundtable",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="demands",
    )
    visit = models.ForeignKey(
        "outreach.EnterpriseVisit",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="demands",
    )
    enterprise = models.ForeignKey(
        "outreach.Enterprise",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="feedback",
    )
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=gettext_lazy("代录人"),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-received_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["zone", "number"], name="feedback_number_unique")
        ]
        indexes = [models.Index(fields=["zone", "status", "due_on"])]

    def __str__(self) -> str:
        return self.number

    @property
    def scope_org_path(self) -> str | None:  # type: ignore[override]
        return self.org.path if self.org is not None else None


class FeedbackContact(models.Model):
    """The submitter's name and phone, kept apart (see the module docstring)."""

    feedback = models.OneToOneField(Feedback, on_delete=models.CASCADE, related_name="contact")
    name = models.CharField(gettext_lazy("姓名"), max_length=50, blank=True)
    phone = models.CharField(gettext_lazy("联系电话"), max_length=30, blank=True)

    def __str__(self) -> str:
        return f"{self.feedback_id}"


def _feedback_file_path(instance: FeedbackFile, filename: str) -> str:
    return content_path(
        "feedback",
        zone_id=instance.feedback.zone_id,
        sha256=instance.sha256,
        kind=instance.kind,
    )


class FeedbackFile(models.Model):
    """A photo or PDF sent with an item; photos are stored without EXIF and
    ``sha256`` is of the stored (cleaned) bytes."""

    feedback = models.ForeignKey(Feedback, on_delete=models.CASCADE, related_name="files")
    file = models.FileField(upload_to=_feedback_file_path, max_length=300)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=10)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name


class FeedbackStep(models.Model):
    """What happened to an item. ``public_label`` is what the submitter sees
    for it (empty: an internal step, shown only to staff)."""

    feedback = models.ForeignKey(Feedback, on_delete=models.CASCADE, related_name="steps")
    action = models.CharField(max_length=30)
    public_label = models.CharField(max_length=200, blank=True)
    note = models.TextField(blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.feedback_id}: {self.action}"


class FeedbackRating(models.Model):
    """The submitter's judgement of one result (评判). A reopened problem
    closes again with a new result, which may be rated again."""

    feedback = models.ForeignKey(Feedback, on_delete=models.CASCADE, related_name="ratings")
    rating = models.CharField(gettext_lazy("评价"), max_length=30, choices=Rating.choices)
    comment = models.TextField(gettext_lazy("评价意见"), blank=True)
    via = models.CharField(max_length=20, choices=RatingVia.choices, default=RatingVia.PORTAL)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.feedback_id}: {self.rating}"


class Enterprise(ZoneScoped, models.Model):
    """An enterprise in the zone's register (企业名录)."""

    zone = models.ForeignKey("orgs.Zone", on_delete=models.PROTECT, related_name="enterprises")
    name = models.CharField(gettext_lazy("企业名称"), max_length=200)
    credit_code = models.CharField(gettext_lazy("统一社会信用代码"), max_length=18)
    industry = models.CharField(gettext_lazy("所属行业"), max_length=100, blank=True)
    contact_name = models.CharField(gettext_lazy("联系人"), max_length=50, blank=True)
    contact_phone = models.CharField(gettext_lazy("联系电话"), max_length=30, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["zone", "credit_code"], name="enterprise_credit_code_unique"
            )
        ]

    def __str__(self) -> str:
        return self.name


class Satisfaction(models.TextChoices):
    SATISFIED = "satisfied", gettext_lazy("满意")
    BASICALLY_SATISFIED = "basically_satisfied", gettext_lazy("基本满意")
    UNSATISFIED = "unsatisfied", gettext_lazy("不满意")


class Roundtable(ZoneScoped, models.Model):
    """A 政企圆桌会: officials and enterprises at one table."""

    zone = models.ForeignKey("orgs.Zone", on_delete=models.PROTECT, related_name="roundtables")
    title = models.CharField(gettext_lazy("会议名称"), max_length=200)
    held_on = models.DateField(gettext_lazy("召开日期"))
    hosts = models.CharField(gettext_lazy("主持/参会领导"), max_length=300)
    enterprises = models.ManyToManyField(
        Enterprise, blank=True, related_name="roundtables", verbose_name=gettext_lazy("参会企业")
    )
    minutes = models.TextField(gettext_lazy("会议纪要"), blank=True)
    satisfaction = models.CharField(
        gettext_lazy("企业满意度"), max_length=30, choices=Satisfaction.choices, blank=True
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-held_on", "-pk"]

    def __str__(self) -> str:
        return self.title


def _roundtable_file_path(instance: RoundtableFile, filename: str) -> str:
    return content_path(
        "roundtables",
        zone_id=instance.roundtable.zone_id,
        sha256=instance.sha256,
        kind=instance.kind,
    )


class RoundtableFile(models.Model):
    roundtable = models.ForeignKey(Roundtable, on_delete=models.CASCADE, related_name="files")
    file = models.FileField(upload_to=_roundtable_file_path, max_length=300)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=10)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name


class EnterpriseVisit(ZoneScoped, models.Model):
    """三员入企: who visited which enterprise when, and what it raised."""

    zone = models.ForeignKey(
        "orgs.Zone", on_delete=models.PROTECT, related_name="enterprise_visits"
    )
    enterprise = models.ForeignKey(
        Enterprise,
        on_delete=models.PROTECT,
        related_name="visits",
        verbose_name=gettext_lazy("企业"),
    )
    visited_on = models.DateField(gettext_lazy("走访日期"))
    visitors = models.CharField(gettext_lazy("走访人员"), max_length=300)
    org = models.ForeignKey(
        "orgs.Organization",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=gettext_lazy("走访单位"),
    )
    summary = models.TextField(gettext_lazy("走访情况"), blank=True)
    satisfaction = models.CharField(
        gettext_lazy("企业满意度"), max_length=30, choices=Satisfaction.choices, blank=True
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-visited_on", "-pk"]

    def __str__(self) -> str:
        return f"{self.enterprise_id} {self.visited_on}"


class ProjectStatus(models.TextChoices):
    PLANNED = "planned", gettext_lazy("未开始")
    IN_PROGRESS = "in_progress", gettext_lazy("推进中")
    DONE = "done", gettext_lazy("已完成")


class PracticalProject(ZoneScoped, models.Model):
    """为民实事: a promise to the public with an owner, a target and a date."""

    zone = models.ForeignKey(
        "orgs.Zone", on_delete=models.PROTECT, related_name="practical_projects"
    )
    title = models.CharField(gettext_lazy("实事名称"), max_length=200)
    org = models.ForeignKey(
        "orgs.Organization",
        on_delete=models.PROTECT,
        related_name="practical_projects",
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
    target = models.TextField(gettext_lazy("目标"))
    deadline = models.DateField(gettext_lazy("完成时限"))
    status = models.CharField(
        gettext_lazy("状态"),
        max_length=20,
        choices=ProjectStatus.choices,
        default=ProjectStatus.PLANNED,
    )
    percent = models.PositiveSmallIntegerField(gettext_lazy("完成进度（%）"), default=0)
    public = models.BooleanField(gettext_lazy("向社会公开"), default=True)
    done_on = models.DateField(gettext_lazy("完成日期"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["deadline", "pk"]

    def __str__(self) -> str:
        return self.title

    @property
    def is_done(self) -> bool:
        return self.status == ProjectStatus.DONE

    @property
    def scope_org_path(self) -> str:  # type: ignore[override]
        return self.org.path


def _project_file_path(instance: ProjectProgress, filename: str) -> str:
    return content_path(
        "projects", zone_id=instance.project.zone_id, sha256=instance.sha256, kind=instance.kind
    )


class ProjectProgress(models.Model):
    """A progress note on a 为民实事, optionally with an evidence file."""

    project = models.ForeignKey(PracticalProject, on_delete=models.CASCADE, related_name="progress")
    text = models.TextField(gettext_lazy("进展情况"))
    percent = models.PositiveSmallIntegerField(gettext_lazy("完成进度（%）"))
    file = models.FileField(upload_to=_project_file_path, max_length=300, blank=True)
    name = models.CharField(max_length=200, blank=True)
    kind = models.CharField(max_length=10, blank=True)
    size = models.PositiveIntegerField(null=True, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.project_id}: {self.percent}%"
