from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy

SYSTEM_CHAIN = "system"


def chain_of(zone_id: int | None) -> str:
    """The chain an event about ``zone_id`` joins: one per zone, so writes in
    different zones never wait for each other; one for system-wide events."""
    return f"zone:{zone_id}" if zone_id else SYSTEM_CHAIN


def zone_of_chain(chain: str) -> int | None:
    return int(chain.removeprefix("zone:")) if chain.startswith("zone:") else None


class AuditEvent(models.Model):
    """One write, append-only, in a keyed hash chain.

    Each zone has its own chain (``chain``, numbered by ``seq``); events with
    no zone form the system chain. ``hash`` is an HMAC-SHA256, under the key
    named by ``key_id`` (AUDIT_HMAC_KEYS, never in the database), over the
    event's fields and the previous event's hash: editing, deleting or
    reordering a row breaks the chain, and without the key nobody can
    recompute it. Signed checkpoints written outside the database catch the
    deletion of a chain's last events together with its head
    (``manage.py audit_verify``).

    The foreign keys are hashed, so nothing may change them: users, zones and
    orgs that events point at cannot be deleted (PROTECT) — accounts are
    deactivated instead. ``actor_label`` keeps who acted in words.
    """

    chain = models.CharField(max_length=24)
    seq = models.PositiveBigIntegerField()
    created_at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT
    )
    actor_label = models.CharField(max_length=150)
    zone = models.ForeignKey("orgs.Zone", null=True, blank=True, on_delete=models.PROTECT)
    # Scope anchor: the org the object belonged to when the event was
    # written. The audit page filters on its current path, so an org moved
    # in the tree takes its history along, like every other record.
    org = models.ForeignKey(
        "orgs.Organization",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    action = models.CharField(max_length=60, db_index=True)
    object_type = models.CharField(max_length=60)
    object_id = models.CharField(max_length=40)
    object_repr = models.CharField(max_length=200)
    changes = models.JSONField(default=dict)
    note = models.TextField(blank=True)
    key_id = models.CharField(max_length=16)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["object_type", "object_id", "id"])]
        constraints = [
            models.UniqueConstraint(fields=["chain", "seq"], name="audit_event_seq_unique_in_chain")
        ]
        verbose_name = gettext_lazy("审计事件")
        verbose_name_plural = gettext_lazy("审计事件")

    def __str__(self) -> str:
        return f"{self.chain} #{self.seq} {self.action} {self.object_repr}"


class AuditChainHead(models.Model):
    """The tip of one chain; locking its row serializes appends to that chain
    only. A head that disagrees with its chain's last event is refused by
    every write until ``manage.py audit_repair_head`` has looked at it."""

    chain = models.CharField(max_length=24, primary_key=True)
    seq = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64, default="0" * 64)

    class Meta:
        verbose_name = gettext_lazy("审计链头")
        verbose_name_plural = gettext_lazy("审计链头")

    def __str__(self) -> str:
        return f"{self.chain} #{self.seq}"
