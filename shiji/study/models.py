"""Study and discussion (学习研讨): sessions, attendance, materials, speeches.

A session belongs to the org that organised it; attendance is taken from that
org's subtree roster, so the session's scope (``org.path``) also bounds who
can be marked present or absent.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from shiji.core.uploads import content_path
from shiji.orgs.scope import OrgScoped


class StudySession(OrgScoped, models.Model):
    zone = models.ForeignKey("orgs.Zone", on_delete=models.PROTECT, related_name="study_sessions")
    org = models.ForeignKey(
        "orgs.Organization",
        on_delete=models.PROTECT,
        related_name="study_sessions",
        verbose_name="组织单位",
    )
    kind = models.ForeignKey(
        "campaigns.StudyKind", on_delete=models.PROTECT, related_name="+", verbose_name="学习形式"
    )
    date = models.DateField("日期")
    topic = models.CharField("主题", max_length=200)
    duration_hours = models.DecimalField("时长（小时）", max_digits=4, decimal_places=1)
    place = models.CharField("地点", max_length=200, blank=True)
    minutes = models.TextField("纪要", blank=True)
    is_sample = models.BooleanField("示例数据", default=False)
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
        verbose_name = "学习研讨"
        verbose_name_plural = "学习研讨"
        indexes = [models.Index(fields=["zone", "date"])]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.topic}"


class Attendance(models.Model):
    session = models.ForeignKey(StudySession, on_delete=models.CASCADE, related_name="attendance")
    person = models.ForeignKey("orgs.Person", on_delete=models.PROTECT, related_name="attendance")
    present = models.BooleanField("出席", default=True)
    reason = models.CharField("缺席原因", max_length=200, blank=True)

    class Meta:
        ordering = ["session", "person__org__path", "person__name"]
        verbose_name = "出勤"
        verbose_name_plural = "出勤"
        constraints = [
            models.UniqueConstraint(
                fields=["session", "person"], name="attendance_once_per_session"
            ),
            # The reason for an absence is the point of recording it.
            models.CheckConstraint(
                condition=models.Q(present=True) | ~models.Q(reason=""),
                name="attendance_absent_has_reason",
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
    original_name = models.CharField("文件名", max_length=200)
    content_kind = models.CharField("类型", max_length=20)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64, db_index=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["session", "uploaded_at", "pk"]
        verbose_name = "学习材料"
        verbose_name_plural = "学习材料"

    def __str__(self) -> str:
        return self.original_name


class Speech(models.Model):
    """研讨发言: what one person said or handed in at the session."""

    session = models.ForeignKey(StudySession, on_delete=models.CASCADE, related_name="speeches")
    person = models.ForeignKey("orgs.Person", on_delete=models.PROTECT, related_name="speeches")
    title = models.CharField("题目", max_length=200)
    text = models.TextField("内容", blank=True)
    file = models.FileField(upload_to=_speech_path, max_length=200, blank=True)
    original_name = models.CharField("文件名", max_length=200, blank=True)
    content_kind = models.CharField("类型", max_length=20, blank=True)
    size = models.PositiveBigIntegerField(default=0)
    sha256 = models.CharField(max_length=64, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["session", "created_at", "pk"]
        verbose_name = "研讨发言"
        verbose_name_plural = "研讨发言"

    def __str__(self) -> str:
        return self.title
