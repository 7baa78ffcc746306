"""Writing audit events. Every service that writes calls ``audit_record`` in
its own transaction, so the record and its audit event commit together."""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import json
from collections.abc import Iterable
from typing import Any

from django.db import models, transaction
from django.utils import timezone

from shiji.audit.models import AuditChainHead, AuditEvent

GENESIS = "0" * 64


def _plain(value: Any) -> Any:
    """A JSON-safe, stable form of a field value."""
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def snapshot(obj: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    """Current values of ``fields`` (FKs by id), for diffing before and after."""
    out = {}
    for name in fields:
        field = obj._meta.get_field(name)
        out[name] = _plain(getattr(obj, field.attname))
    return out


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """``{field: [old, new]}`` for the fields that changed."""
    return {k: [before.get(k), v] for k, v in after.items() if before.get(k) != v}


def created(obj: models.Model, fields: Iterable[str]) -> dict[str, list[Any]]:
    return {k: [None, v] for k, v in snapshot(obj, fields).items() if v not in (None, "")}


def event_digest(event: AuditEvent) -> str:
    payload = {
        "seq": event.seq,
        "created_at": event.created_at.astimezone(dt.UTC).isoformat(),
        "actor_id": event.actor_id,
        "actor_label": event.actor_label,
        "zone_id": event.zone_id,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "object_repr": event.object_repr,
        "changes": event.changes,
        "note": event.note,
        "prev_hash": event.prev_hash,
    }
    raw = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(raw.encode()).hexdigest()


def object_type_of(obj: models.Model) -> str:
    return f"{obj._meta.app_label}.{obj._meta.model_name}"


def audit_record(
    *,
    actor: Any,
    action: str,
    obj: models.Model,
    changes: dict[str, Any] | None = None,
    note: str = "",
    zone_id: int | None = None,
) -> AuditEvent:
    """Append one event for a write to ``obj``. Must run inside the writer's
    transaction: if the write rolls back, so does its event."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit_record must be called inside the write's transaction")
    head, _ = AuditChainHead.objects.select_for_update().get_or_create(id=1)
    if zone_id is None:
        zone_id = getattr(obj, "scope_zone_id", None)
    user = actor if getattr(actor, "is_authenticated", False) else None
    label = f"{user.display_name}（{user.username}）" if user else (str(actor) if actor else "系统")
    event = AuditEvent(
        seq=head.seq + 1,
        created_at=timezone.now(),
        actor=user,
        actor_label=label[:150],
        zone_id=zone_id,
        action=action,
        object_type=object_type_of(obj),
        object_id=str(obj.pk),
        object_repr=str(obj)[:200],
        changes=_plain(changes or {}),
        note=note,
        prev_hash=head.hash,
    )
    event.hash = event_digest(event)
    event.save(force_insert=True)
    head.seq, head.hash = event.seq, event.hash
    head.save(update_fields=["seq", "hash"])
    return event
