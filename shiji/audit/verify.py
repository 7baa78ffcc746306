"""Checking the audit chain end to end."""

from __future__ import annotations

from dataclasses import dataclass

from shiji.audit.models import AuditChainHead, AuditEvent
from shiji.audit.services import GENESIS, event_digest


@dataclass
class ChainReport:
    checked: int
    ok: bool
    broken_seq: int | None = None
    reason: str = ""


def verify_chain(*, batch: int = 2000) -> ChainReport:
    """Walk every event in order; report the first one that does not fit.

    Detects an edited event (its hash no longer matches its fields), a deleted
    one (a gap in ``seq`` or a ``prev_hash`` that points nowhere, or the tip
    no longer matching the head) and reordered ones (``seq`` is hashed).
    """
    expected_seq, prev = 1, GENESIS
    checked = 0
    last_id = 0
    while True:
        rows = list(AuditEvent.objects.filter(seq__gt=last_id).order_by("seq")[:batch])
        if not rows:
            break
        for ev in rows:
            checked += 1
            if ev.seq != expected_seq:
                return ChainReport(checked, False, ev.seq, f"序号不连续：应为 {expected_seq}")
            if ev.prev_hash != prev:
                return ChainReport(checked, False, ev.seq, "与前一事件的哈希不衔接")
            if event_digest(ev) != ev.hash:
                return ChainReport(checked, False, ev.seq, "内容与哈希不符（记录被修改）")
            prev, expected_seq, last_id = ev.hash, ev.seq + 1, ev.seq
    head = AuditChainHead.objects.filter(id=1).first()
    if head and (head.seq != expected_seq - 1 or head.hash != prev):
        return ChainReport(checked, False, expected_seq, "链尾缺失（末尾事件被删除）")
    return ChainReport(checked, True)
