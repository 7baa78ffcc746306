"""The chain rule: what an event's keyed hash covers, and how a write finds
its chain's tip. ``audit_record`` (services.py) appends, ``verify.py`` and
``audit_repair_head`` check; all of them use these functions."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.utils.translation import gettext

from shiji.audit import keys
from shiji.audit.models import AuditChainHead, AuditEvent
from shiji.core.errors import AppError

GENESIS = "0" * 64


class ChainHeadBroken(AppError):
    """A chain's head is missing or disagrees with its last event: someone
    changed the audit tables outside the app. Writes to that chain stop
    (with this message, not a crash) until an administrator has run
    ``manage.py audit_repair_head``, which checks the chain first and
    records the repair in it."""

    status = 503
    code = "audit_unavailable"


def payload(event: Any) -> bytes:
    """The bytes the HMAC covers: every field of the event except its own hash.
    Works on historical models in migrations too (attributes only)."""
    fields = {
        "chain": event.chain,
        "seq": event.seq,
        "created_at": event.created_at.astimezone(dt.UTC).isoformat(),
        "actor_id": event.actor_id,
        "actor_label": event.actor_label,
        "zone_id": event.zone_id,
        "org_id": event.org_id,
        "action": str(event.action),
        "object_type": event.object_type,
        "object_id": event.object_id,
        "object_repr": event.object_repr,
        "changes": event.changes,
        "note": event.note,
        "key_id": event.key_id,
        "prev_hash": event.prev_hash,
    }
    return json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def event_mac(event: Any) -> str:
    return keys.sign(event.key_id, payload(event))


def chain_tip(chain: str) -> tuple[int, str]:
    """``(seq, hash)`` of the chain's last event, or the genesis values."""
    last = (
        AuditEvent.objects.filter(chain=chain).order_by("-seq").values_list("seq", "hash").first()
    )
    return last or (0, GENESIS)


def locked_head(chain: str) -> AuditChainHead:
    """The chain's head row, locked for this transaction and checked against
    the chain's last event.

    A chain's first event creates its head; an insert that finds another
    transaction creating the same head waits for it instead of failing
    (ON CONFLICT DO NOTHING), so two first writes in a new zone do not
    collide. A head that is missing while the chain has events, or points
    elsewhere than the last event, is refused: quietly rebuilding it would
    let whoever deleted the chain's last events together with its head
    continue the chain from the shortened tip.
    """
    head = AuditChainHead.objects.select_for_update().filter(chain=chain).first()
    if head is None:
        if chain_tip(chain) != (0, GENESIS):
            raise ChainHeadBroken(
                gettext(
                    "审计链头缺失，系统暂停保存以免审计记录被篡改。"
                    "请联系系统管理员运行 manage.py audit_repair_head。"
                )
            )
        AuditChainHead.objects.bulk_create([AuditChainHead(chain=chain)], ignore_conflicts=True)
        head = AuditChainHead.objects.select_for_update().get(chain=chain)
    if (head.seq, head.hash) != chain_tip(chain):
        raise ChainHeadBroken(
            gettext(
                "审计链头与链尾不一致，系统暂停保存以免审计记录被篡改。"
                "请联系系统管理员运行 manage.py audit_verify 与 audit_repair_head。"
            )
        )
    return head
