from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy


class StagedUpload(models.Model):
    """An upload kept between a dry run and its confirmation, so the user
    confirms exactly the bytes that were checked without sending them again.

    The content lives in the database rather than under MEDIA_ROOT: it commits
    and rolls back with the import, every app server sees it, and nothing is
    left on disk when a row is purged. Uploads are small (a roster is at most
    5 MB) and rows older than a day are deleted (``staging.staged_purge``).
    """

    class Purpose(models.TextChoices):
        ROSTER = "roster", gettext_lazy("花名册")
        LEDGER = "ledger", gettext_lazy("整改台账")

    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staged_uploads"
    )
    zone = models.ForeignKey("orgs.Zone", on_delete=models.CASCADE, related_name="staged_uploads")
    purpose = models.CharField(gettext_lazy("用途"), max_length=20, choices=Purpose.choices)
    original_name = models.CharField(gettext_lazy("文件名"), max_length=255)
    kind = models.CharField(gettext_lazy("类型"), max_length=20)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveIntegerField(gettext_lazy("大小"))
    content = models.BinaryField()
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = gettext_lazy("待确认的上传")
        verbose_name_plural = gettext_lazy("待确认的上传")

    def __str__(self) -> str:
        return self.original_name


class RateCounter(models.Model):
    """Requests of one kind (``bucket``) from one client address in the
    current window, for the public pages' rate limits (``core.ratelimit``).

    Counted with conditional UPDATEs in the database, which every server
    process shares and which apply to a row one request at a time. Counters,
    not records: nothing about them is audited, and stale rows are purged.
    """

    bucket = models.CharField(max_length=30)
    client = models.CharField(max_length=64)
    window_start = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = gettext_lazy("访问频率计数")
        verbose_name_plural = gettext_lazy("访问频率计数")
        constraints = [
            models.UniqueConstraint(fields=["bucket", "client"], name="rate_counter_unique")
        ]
        indexes = [models.Index(fields=["window_start"])]

    def __str__(self) -> str:
        return f"{self.bucket} @ {self.client}: {self.count}"
