"""Reports (DESIGN.md §3): work updates (工作动态) and numbered bulletins
(工作简报). Dashboards and roll-ups have no tables of their own: they are
aggregates computed in SQL over the other apps' records.

A zone's organizations submit dated work updates; the zone's task force
approves them for the bulletin. A bulletin belongs to a series (a zone's, or
the national one with no zone) and is compiled as a draft from approved
updates: each entry is a copy of its update's title, text and byline, so the
editor may edit it lightly without touching what the zone submitted, and an
issued bulletin stays as it was issued whatever later happens to the update.
Issuing takes the series' next number (第N期) under a lock of the series row;
numbers are never reused, and an issued bulletin is never changed again: a
correction is a new issue that names the one it corrects.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy

from shiji.core.uploads import content_path
from shiji.orgs.scope import OrgScoped


def paragraphs(text: str) -> list[str]:
    """The paragraphs of an update's or an entry's text: one a line, blank
    lines dropped (the web page and the Word file print them alike)."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


class UpdateStatus(models.TextChoices):
    SUBMITTED = "submitted", gettext_lazy("待审核")
    APPROVED = "approved", gettext_lazy("已采用")
    RETURNED = "returned", gettext_lazy("已退回")


class WorkUpdate(OrgScoped, models.Model):
    """A dated report of what an organization did (工作动态)."""

    zone = models.ForeignKey("orgs.Zone", on_delete=models.PROTECT, related_name="work_updates")
    org = models.ForeignKey(
        "orgs.Organization",
        on_delete=models.PROTECT,
        related_name="work_updates",
        verbose_name=gettext_lazy("报送单位"),
    )
    title = models.CharField(gettext_lazy("标题"), max_length=200)
    happened_on = models.DateField(gettext_lazy("日期"))
    body = models.TextField(gettext_lazy("正文"))
    author = models.CharField(gettext_lazy("作者"), max_length=100, blank=True)
    status = models.CharField(
        gettext_lazy("状态"),
        max_length=10,
        choices=UpdateStatus.choices,
        default=UpdateStatus.SUBMITTED,
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    return_reason = models.TextField(gettext_lazy("退回理由"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    is_sample = models.BooleanField(gettext_lazy("示例数据"), default=False)

    class Meta:
        ordering = ["-happened_on", "-pk"]
        verbose_name = gettext_lazy("工作动态")
        verbose_name_plural = gettext_lazy("工作动态")
        indexes = [models.Index(fields=["zone", "status", "happened_on"])]

    def __str__(self) -> str:
        return self.title

    @property
    def paragraphs(self) -> list[str]:
        return paragraphs(self.body)


def photo_path(instance: UpdatePhoto, filename: str) -> str:
    # Content-addressed (see content_path): the client's name is only metadata.
    return content_path(
        "updates", zone_id=instance.update.zone_id, sha256=instance.sha256, kind=instance.kind
    )


class UpdatePhoto(models.Model):
    """A photo of a work update, stored without the camera's metadata (it is
    printed in bulletins that leave the zone)."""

    update = models.ForeignKey(WorkUpdate, on_delete=models.CASCADE, related_name="photos")
    file = models.FileField(upload_to=photo_path, max_length=200)
    name = models.CharField(gettext_lazy("文件名"), max_length=200)
    kind = models.CharField(max_length=20)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    caption = models.CharField(gettext_lazy("图片说明"), max_length=200, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["update", "pk"]
        verbose_name = gettext_lazy("动态图片")
        verbose_name_plural = gettext_lazy("动态图片")

    def __str__(self) -> str:
        return self.name


class BulletinSeries(models.Model):
    """A numbered series of bulletins (e.g. 树立和践行正确政绩观学习教育简报):
    a zone's, or the national one (no zone), compiled by the system admin
    from every zone's updates. ``next_number`` is the number the next issue
    takes; it only grows."""

    zone = models.ForeignKey(
        "orgs.Zone",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="bulletin_series",
        verbose_name=gettext_lazy("所属高新区"),
    )
    title = models.CharField(gettext_lazy("简报名称"), max_length=100)
    issuer = models.CharField(gettext_lazy("编印单位"), max_length=100)
    report_to = models.CharField(gettext_lazy("报送"), max_length=300, blank=True)
    copy_to = models.CharField(gettext_lazy("抄送"), max_length=300, blank=True)
    next_number = models.PositiveIntegerField(gettext_lazy("下一期期号"), default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    is_sample = models.BooleanField(gettext_lazy("示例数据"), default=False)

    class Meta:
        ordering = ["zone", "title"]
        verbose_name = gettext_lazy("简报系列")
        verbose_name_plural = gettext_lazy("简报系列")
        constraints = [
            models.UniqueConstraint(
                fields=["zone", "title"], name="bulletin_series_title_per_zone"
            ),
            models.UniqueConstraint(
                fields=["title"],
                condition=models.Q(zone__isnull=True),
                name="bulletin_series_title_national",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    # Scope anchors (orgs.policy): a national series has no zone, so only
    # grants over all zones cover it.
    scope_org_path = None

    @property
    def scope_zone_id(self) -> int | None:
        return self.zone_id

    @property
    def scope_province(self) -> str | None:
        return self.zone.province if self.zone is not None else None


class BulletinStatus(models.TextChoices):
    DRAFT = "draft", gettext_lazy("编辑中")
    ISSUED = "issued", gettext_lazy("已印发")


class Bulletin(models.Model):
    """One issue of a series. ``number`` is empty until issued (第N期)."""

    series = models.ForeignKey(
        BulletinSeries,
        on_delete=models.PROTECT,
        related_name="bulletins",
        verbose_name=gettext_lazy("简报系列"),
    )
    number = models.PositiveIntegerField(gettext_lazy("期号"), null=True, blank=True)
    status = models.CharField(
        gettext_lazy("状态"),
        max_length=10,
        choices=BulletinStatus.choices,
        default=BulletinStatus.DRAFT,
    )
    title = models.CharField(gettext_lazy("标题"), max_length=200)
    subtitle = models.CharField(gettext_lazy("副标题"), max_length=200, blank=True)
    lead = models.TextField(gettext_lazy("导语"), blank=True)
    # Copied from the series when issued, so an issued bulletin keeps the
    # masthead and distribution it went out with.
    issuer = models.CharField(gettext_lazy("编印单位"), max_length=100, blank=True)
    report_to = models.CharField(gettext_lazy("报送"), max_length=300, blank=True)
    copy_to = models.CharField(gettext_lazy("抄送"), max_length=300, blank=True)
    issued_on = models.DateField(gettext_lazy("印发日期"), null=True, blank=True)
    corrects = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="corrections",
        verbose_name=gettext_lazy("更正的期次"),
    )
    correction_note = models.TextField(gettext_lazy("更正说明"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    issued_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    is_sample = models.BooleanField(gettext_lazy("示例数据"), default=False)

    class Meta:
        ordering = ["series", "-number", "-pk"]
        verbose_name = gettext_lazy("工作简报")
        verbose_name_plural = gettext_lazy("工作简报")
        constraints = [
            # The backstop of the numbering: whatever a service did, one
            # series never has two issues with the same number.
            models.UniqueConstraint(fields=["series", "number"], name="bulletin_number_once"),
            models.CheckConstraint(
                condition=models.Q(status="draft", number__isnull=True)
                | models.Q(status="issued", number__isnull=False, issued_on__isnull=False),
                name="bulletin_number_when_issued",
            ),
        ]

    def __str__(self) -> str:
        if self.number:
            return f"{self.series.title}第{self.number}期"  # zh-only: the bulletin's Chinese name
        return f"{self.series.title}（{self.title}）"  # zh-only: the bulletin's Chinese name

    @property
    def lead_paragraphs(self) -> list[str]:
        return paragraphs(self.lead)

    @property
    def is_issued(self) -> bool:
        return self.status == BulletinStatus.ISSUED

    # Scope anchors: those of the series.
    scope_org_path = None

    @property
    def scope_zone_id(self) -> int | None:
        return self.series.zone_id

    @property
    def scope_province(self) -> str | None:
        return self.series.scope_province


class BulletinItem(models.Model):
    """An entry of a bulletin: a copy of an approved update's title, text
    and byline, lightly edited by the compiler, at ``position``."""

    bulletin = models.ForeignKey(Bulletin, on_delete=models.CASCADE, related_name="items")
    update = models.ForeignKey(WorkUpdate, on_delete=models.PROTECT, related_name="bulletin_items")
    position = models.PositiveIntegerField()
    heading = models.CharField(gettext_lazy("小标题"), max_length=200)
    body = models.TextField(gettext_lazy("正文"))
    byline = models.CharField(gettext_lazy("署名"), max_length=100, blank=True)
    show_photos = models.BooleanField(gettext_lazy("刊登图片"), default=True)

    class Meta:
        ordering = ["bulletin", "position", "pk"]
        verbose_name = gettext_lazy("简报条目")
        verbose_name_plural = gettext_lazy("简报条目")
        constraints = [
            models.UniqueConstraint(fields=["bulletin", "update"], name="bulletin_item_once"),
        ]

    def __str__(self) -> str:
        return self.heading

    @property
    def byline_text(self) -> str:
        """The byline as printed, on the page and in the Word file: （王轩禹）."""
        return f"（{self.byline}）" if self.byline else ""  # zh-only: the bulletin's own words

    @property
    def paragraphs(self) -> list[str]:
        return paragraphs(self.body)
