from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy

from shiji.core.uploads import content_path
from shiji.orgs.scope import OrgScoped


class Action(models.TextChoices):
    NEW = "new", gettext_lazy("新建")
    REVISE = "revise", gettext_lazy("修订")
    REPEAL = "repeal", gettext_lazy("废止")


class Status(models.TextChoices):
    DRAFT = "draft", gettext_lazy("起草")
    REVIEW = "review", gettext_lazy("审议")
    ISSUED = "issued", gettext_lazy("印发")


def regulation_file_path(instance: Regulation, filename: str) -> str:
    # Content-addressed (see content_path): the client's name is only metadata.
    return content_path(
        "regulations",
        zone_id=instance.zone_id,
        sha256=instance.file_sha256,
        kind=instance.file_kind,
    )


class Regulation(OrgScoped, models.Model):
    """A rule made, revised or repealed (建章立制), with the problems of the
    ledger that led to it. Status moves are in regulations/workflow.py."""

    zone = models.ForeignKey("orgs.Zone", on_delete=models.PROTECT, related_name="regulations")
    org = models.ForeignKey(
        "orgs.Organization",
        on_delete=models.PROTECT,
        related_name="regulations",
        verbose_name=gettext_lazy("制定单位"),
    )
    title = models.CharField(gettext_lazy("制度名称"), max_length=200)
    doc_number = models.CharField(gettext_lazy("文号"), max_length=100, blank=True)
    action = models.CharField(gettext_lazy("类型"), max_length=10, choices=Action.choices)
    status = models.CharField(
        gettext_lazy("状态"),
        max_length=10,
        choices=Status.choices,
        default=Status.DRAFT,
        db_index=True,
    )
    issued_on = models.DateField(gettext_lazy("印发日期"), null=True, blank=True)
    summary = models.TextField(gettext_lazy("主要内容"), blank=True)
    problems = models.ManyToManyField(
        "ledger.Problem",
        blank=True,
        related_name="regulations",
        verbose_name=gettext_lazy("相关问题"),
    )
    file = models.FileField(upload_to=regulation_file_path, max_length=200, blank=True)
    file_name = models.CharField(gettext_lazy("文件名"), max_length=200, blank=True)
    file_kind = models.CharField(max_length=20, blank=True)
    file_size = models.PositiveBigIntegerField(null=True, blank=True)
    file_sha256 = models.CharField(max_length=64, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Who last submitted it for review (提交审议): the one who issues it
    # (印发) must be someone else, and not its drafter (policy.ISSUE_REGULATION).
    submitted_by = models.ForeignKey(
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
        ordering = ["zone", "-issued_on", "-pk"]
        verbose_name = gettext_lazy("制度")
        verbose_name_plural = gettext_lazy("制度")
        indexes = [models.Index(fields=["zone", "status"])]

    def __str__(self) -> str:
        return self.title
