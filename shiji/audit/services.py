"""Writing audit events. Every service that writes calls ``audit_record`` in
its own transaction, so the record and its audit event commit together."""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import models, transaction
from django.utils import timezone

from shiji.audit import keys
from shiji.audit.chain import GENESIS, event_mac, locked_head
from shiji.audit.kinds import EventKind
from shiji.audit.models import AuditChainHead, AuditEvent, chain_of, zone_of_chain
from shiji.core.i18n import recorded
from shiji.orgs.models import User
from shiji.orgs.policy import Actor, SystemActor, user_of

if TYPE_CHECKING:
    from shiji.audit.verify import Break
    from shiji.orgs.policy import Actor


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
        # A concrete field (a reverse relation has no attname and is no column).
        attname = field.attname if isinstance(field, models.Field) else name
        out[name] = _plain(getattr(obj, attname))
    return out


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """``{field: [old, new]}`` for the fields that changed."""
    return {k: [before.get(k), v] for k, v in after.items() if before.get(k) != v}


def created(obj: models.Model, fields: Iterable[str]) -> dict[str, list[Any]]:
    return {k: [None, v] for k, v in snapshot(obj, fields).items() if v not in (None, "")}


def object_type_of(obj: models.Model) -> str:
    return f"{obj._meta.app_label}.{obj._meta.model_name}"


def _org_anchor(obj: models.Model) -> int | None:
    """The org an object belongs to, for scoping its events: the last id of
    its ``scope_org_path`` (see orgs.models.Organization.path), so any model
    the policy can place in the tree is placed the same way here."""
    path = getattr(obj, "scope_org_path", None)
    if not path:
        return None
    return int(path.rstrip(".").rsplit(".", 1)[-1])


def actor_label(actor: Actor) -> str:
    """Who acted, in words kept with the event for good."""
    user = user_of(actor)  # a user is always authenticated; the system is not a user
    if user is not None:
        return recorded("%(name)s（%(username)s）", name=user.display_name, username=user.username)[
            :150
        ]
    return str(actor)[:150] if actor else recorded("系统")


def audit_record(
    *,
    actor: Actor,
    action: EventKind,
    obj: models.Model,
    changes: dict[str, Any] | None = None,
    note: str = "",
    zone_id: int | None = None,
) -> AuditEvent:
    """Append one event of kind ``action`` for a write to ``obj``. Must run
    inside the writer's transaction: if the write rolls back, so does its
    event. Locks only the chain of the object's zone."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit_record must be called inside the write's transaction")
    if not isinstance(actor, (User, SystemActor)):
        # Every event names who acted: a user, or policy.system(...) for
        # commands and jobs. None would record an anonymous "系统" write.
        raise TypeError(f"audit_record needs a user or policy.system(...), not {actor!r}")
    # ValueError for a code the registry does not know (a lookup by value,
    # which mypy reads as a call of the enum's __init__).
    kind = EventKind(action)  # type: ignore[call-arg]
    if zone_id is None:
        zone_id = getattr(obj, "scope_zone_id", None)
    chain = chain_of(zone_id)
    head = locked_head(chain)
    user = user_of(actor)
    event = AuditEvent(
        chain=chain,
        seq=head.seq + 1,
        created_at=timezone.now(),
        actor=user,
        actor_label=actor_label(actor),
        zone_id=zone_id,
        org_id=_org_anchor(obj),
        action=kind.value,
        object_type=object_type_of(obj),
        object_id=str(obj.pk),
        object_repr=str(obj)[:200],
        changes=_plain(changes or {}),
        note=note,
        key_id=keys.signing_key_id(),
        prev_hash=head.hash,
    )
    event.hash = event_mac(event)
    event.save(force_insert=True)
    head.seq, head.hash = event.seq, event.hash
    head.save(update_fields=["seq", "hash"])
    return event


@dataclass
class HeadRepair:
    chain: str
    repaired: bool
    tip: tuple[int, str]
    breaks: list[Break]
    event: AuditEvent | None = None


@transaction.atomic
def head_repair(
    *, actor: Actor, chain: str, accept_breaks: bool = False, ran_by: str = ""
) -> HeadRepair:
    """Point ``chain``'s head at its last event again, after checking the
    whole chain, and record the repair as an event of that chain.

    The chain's head row is locked for the whole check, so nothing is
    appended meanwhile. A chain with breaks other than its head is not
    repaired unless ``accept_breaks``: a repair must not quietly vouch for
    a tampered chain, so the breaks found (and what the checkpoints say
    about deleted events) go into the repair event's note.
    """
    from shiji.audit import checkpoints
    from shiji.audit.verify import Report, walk

    AuditChainHead.objects.bulk_create([AuditChainHead(chain=chain)], ignore_conflicts=True)
    head = AuditChainHead.objects.select_for_update().get(chain=chain)
    existed = (head.seq, head.hash) != (0, GENESIS)
    _, tip, breaks = walk(chain)
    if (head.seq, head.hash) == tip:
        return HeadRepair(chain, False, tip, [])  # the head is right; breaks are audit_verify's
    if breaks and not accept_breaks:
        return HeadRepair(chain, False, tip, breaks)
    found = Report()
    checkpoints.compare_with_database(found)
    lost = [b for b in found.breaks if b.chain == chain]
    old = [head.seq, head.hash] if existed else None
    head.seq, head.hash = tip
    head.save(update_fields=["seq", "hash"])
    parts = [
        recorded("链头指向 #%(old)s，已按校验过的末尾事件 #%(tip)s 重建。", old=old[0], tip=tip[0])
        if old
        else recorded("链头缺失，已按校验过的末尾事件 #%(tip)s 重建。", tip=tip[0])
    ]
    parts += [recorded("链中断裂：%(b)s", b=b) for b in breaks]
    parts += [recorded("检查点：%(reason)s", reason=b.reason) for b in lost]
    if ran_by:
        parts.append(recorded("运行者：%(who)s", who=ran_by))
    event = audit_record(
        actor=actor,
        action=EventKind.AUDIT_HEAD_REPAIR,
        obj=head,
        changes={"head": [old, [tip[0], tip[1]]]},
        note="\n".join(parts),
        zone_id=zone_of_chain(chain),
    )
    return HeadRepair(chain, True, tip, breaks, event)
