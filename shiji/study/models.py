"""Study and discussion (学习研讨): sessions, attendance, materials, speeches,
and the saved attendee groups (参会名单) sessions draw their expected
attendees from.

A session belongs to the org that organised it. Its expected attendees (应到
人员) are chosen deliberately when it is recorded — the org's own people, the
org and its sub-orgs, or a saved group — and stored as one ``Attendance`` row
each, fixed from then on: editing a group later does not rewrite past
sessions. A row is present, absent (with a reason) or not yet recorded
(待补录); only present rows count anywhere, so an expected attendee can never
inflate a coverage figure by default.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy

from shiji.core.uploads import content_path
from shiji.orgs.scope import OrgScoped


class AttendeeScope(models.TextChoices):
    ORG = "org", gettext_lazy("本单位人员")
    SUBTREE = "subtree", gettext_lazy("本单位及下级组织人员")
    GROUP = "group", gettext_lazy("常用参会名单")


class AttendeeGroup(OrgScoped, models.Model):
    """A saved list of people who are expected at an org's sessions (中心组,
    班子成员, a branch's members). Its members sit in its org's subtree; a
    session of that org or of an ancestor may use it."""

    zone = models.ForeignKey("orgs.Zone", on_delete=models.PROTECT, related_name="attendee_groups")
    org = models.ForeignKey(
        "orgs.Organization",
        on_delete=models.PROTECT,
        related_name="attendee_groups",
        verbose_name=gettext_lazy("所属组织"),
    )
    name = models.CharField(gettext_lazy("名称"), max_length=60)
    members = models.ManyToManyField(
        "orgs.Person", related_name="attendee_groups", verbose_name=gettext_lazy("成员")
    )
    is_active = models.BooleanField(gettext_lazy("启用"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["org__path", "name", "pk"]
        verbose_name = gettext_lazy("参会名单")
        verbose_name_plural = gettext_lazy("参会名单")
        constraints = [
            # A stopped group keeps its name: two "中心组" of one org would be
            # impossible to tell apart on a session's page.
            models.UniqueConstraint(fields=["org", "name"], name="attendee_group_name_once_per_org")
        ]

    def __str__(self) -> str:
        return self.name


class StudySession(OrgScoped, models.Model):
    zone = models.ForeignKey("orgs.Zone", on_delete=models.PROTECT, related_name="study_sessions")
    org = models.ForeignKey(
        "orgs.Organization",
        on_delete=models.PROTECT,
        related_name="study_sessions",
        verbose_name=gettext_lazy("组织单位"),
    )
    kind = models.ForeignKey(
        "campaigns.StudyKind",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=gettext_lazy("学习形式"),
    )
    date = models.DateField(gettext_lazy("日期"))
    topic = models.CharField(gettext_lazy("主题"), max_length=200)
    duration_hours = models.DecimalField(
        gettext_lazy("时长（小时）"), max_digits=4, decimal_places=1
    )
    place = models.CharField(gettext_lazy("地点"), max_length=200, blank=True)
    minutes = models.TextField(gettext_lazy("纪要"), blank=True)
    attendee_scope = models.CharField(
        gettext_lazy("应到人员"),
        max_length=10,
        choices=AttendeeScope.choices,
        default=AttendeeScope.ORG,
    )
    attendee_group = models.ForeignKey(
        AttendeeGroup,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="sessions",
        verbose_name=gettext_lazy("参会名单"),
    )
    is_sample = models.BooleanField(gettext_lazy("示例数据"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-date", "-pk"]
        verbose_name = gettext_lazy("学习研讨")
        verbose_name_plural = gettext_lazy("学习研讨")
        indexes = [models.Index(fields=["zone", "date"])]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(attendee_scope=AttendeeScope.GROUP, attendee_group__isnull=False)
                    | (
                        ~models.Q(attendee_scope=AttendeeScope.GROUP)
                        & models.Q(attendee_group__isnull=True)
                    )
                ),
                name="study_session_group_iff_group_scope",
            )
        ]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.topic}"


class Attendance(models.Model):
    """One expected attendee of a session: present (True), absent with a
    reason (False), or not recorded yet (None, 待补录)."""

    session = models.ForeignKey(StudySession, on_delete=models.CASCADE, related_name="attendance")
    person = models.ForeignKey("orgs.Person", on_delete=models.PROTECT, related_name="attendance")
    present = models.BooleanField(gettext_lazy("出席"), null=True, default=None)
    reason = models.CharField(gettext_lazy("缺席原因"), max_length=200, blank=True)

    class Meta:
        ordering = ["session", "person__org__path", "person__name"]
        verbose_name = gettext_lazy("出勤")
        verbose_name_plural = gettext_lazy("出勤")
        indexes = [
            # The sessions with attendance not recorded yet (出勤待补录, a to-do
            # count on the home page) from the few pending rows, not ~1M rows.
            models.Index(
                fields=["session"],
                condition=models.Q(present__isnull=True),
                name="attendance_pending_idx",
            ),
            # Study coverage (assessment.campaign.study_counts: the campaign
            # scores and the national home page): "present at a session of
            # the period" per person, read from this index alone, without a
            # visit to each of the person's attendance rows.
            models.Index(fields=["person", "present", "session"], name="attendance_person_present"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "person"], name="attendance_once_per_session"
            ),
            # The reason for an absence is the point of recording it.
            models.CheckConstraint(
                condition=~models.Q(present=False) | ~models.Q(reason=""),
                name="attendance_absent_has_reason",
            ),
            # Nothing is known yet about a 待补录 row, not even a reason.
            models.CheckConstraint(
                condition=models.Q(present__isnull=False) | models.Q(reason=""),
                name="attendance_pending_has_no_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person_id}@{self.session_id}"


def _material_path(instance: Material, filename: str) -> str:
    # Content-addressed (see content_path): the client's name is only metadata.
    return content_path(
        "study",
        zone_id=instance.session.zone_id,
        sha256=instance.sha256,
        kind=instance.content_kind,
    )


def _speech_path(instance: Speech, filename: str) -> str:
    return content_path(
        "study",
        zone_id=instance.session.zone_id,
        sha256=instance.sha256,
        kind=instance.content_kind,
    )


class Material(models.Model):
    session = models.ForeignKey(StudySession, on_delete=models.CASCADE, related_name="materials")
    file = models.FileField(upload_to=_material_path, max_length=200)
    original_name = models.CharField(gettext_lazy("文件名"), max_length=200)
    content_kind = models.CharField(gettext_lazy("类型"), max_length=20)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64, db_index=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["session", "uploaded_at", "pk"]
        verbose_name = gettext_lazy("学习材料")
        verbose_name_plural = gettext_lazy("学习材料")

    def __str__(self) -> str:
        return self.original_name


class Speech(models.Model):
    """研讨发言: what one person said or handed in at the session."""

    session = models.ForeignKey(StudySession, on_delete=models.CASCADE, related_name="speeches")
    person = models.ForeignKey("orgs.Person", on_delete=models.PROTECT, related_name="speeches")
    title = models.CharField(gettext_lazy("题目"), max_length=200)
    text = models.TextField(gettext_lazy("内容"), blank=True)
    file = models.FileField(upload_to=_speech_path, max_length=200, blank=True)
    original_name = models.CharField(gettext_lazy("文件名"), max_length=200, blank=True)
    content_kind = models.CharField(gettext_lazy("类型"), max_length=20, blank=True)
    size = models.PositiveBigIntegerField(default=0)
    sha256 = models.CharField(max_length=64, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["session", "created_at", "pk"]
        verbose_name = gettext_lazy("研讨发言")
        verbose_name_plural = gettext_lazy("研讨发言")

    def __str__(self) -> str:
        return self.title
