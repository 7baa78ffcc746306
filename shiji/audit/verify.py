"""Checking the audit chains end to end, reporting every break.

Each chain is walked in order: a gap in ``seq`` is a deleted event, a
``prev_hash`` that does not continue the previous event is a replaced or
reordered one, a signature that does not match is an edited one (and without
the key nobody can re-sign). The head must name the last event. Then the
signed checkpoints written outside the database (checkpoints.py) must still
find the events they name with the hashes they recorded: that is what
catches the last events deleted together with the head.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from shiji.audit import keys
from shiji.audit.chain import GENESIS, event_mac
from shiji.audit.models import AuditChainHead, AuditEvent, chain_of
from shiji.core.i18n import recorded

BATCH = 2000
# A live system appends while we walk: the head is read after the walk and
# the walk continues up to it, a few times at most.
CATCH_UP_ROUNDS = 5


@dataclass(frozen=True)
class Break:
    chain: str
    seq: int | None
    reason: str
    kind: str = "event"  # "event", "head" or "checkpoint"

    def __str__(self) -> str:
        where = f"{self.chain} #{self.seq}" if self.seq is not None else self.chain
        return recorded("%(where)s：%(reason)s", where=where, reason=self.reason)


@dataclass
class ChainResult:
    chain: str
    checked: int = 0
    tip: tuple[int, str] = (0, GENESIS)
    breaks: list[Break] = field(default_factory=list)

    @property
    def event_breaks(self) -> list[Break]:
        return [b for b in self.breaks if b.kind == "event"]


@dataclass
class Report:
    events: int = 0
    chains: int = 0
    checkpoints: int = 0
    breaks: list[Break] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.breaks


def walk(chain: str, *, after: tuple[int, str] = (0, GENESIS), upto: int | None = None):
    """Check the chain's events after ``after`` (a trusted ``(seq, hash)``),
    up to ``upto``. Returns ``(checked, tip, breaks)``."""
    known = keys.known_key_ids()
    (last_seq, prev), expected = after, after[0] + 1
    checked, breaks = 0, []
    while True:
        qs = AuditEvent.objects.filter(chain=chain, seq__gt=last_seq)
        if upto is not None:
            qs = qs.filter(seq__lte=upto)
        rows = list(qs.order_by("seq")[:BATCH])
        if not rows:
            break
        for ev in rows:
            checked += 1
            if ev.seq != expected:
                gap = f"#{expected}" if ev.seq == expected + 1 else f"#{expected}–#{ev.seq - 1}"
                breaks.append(Break(chain, ev.seq, recorded("缺少事件 %(gap)s（被删除）", gap=gap)))
            elif ev.prev_hash != prev:
                breaks.append(
                    Break(chain, ev.seq, recorded("与前一事件不衔接（事件被替换或调换顺序）"))
                )
            if ev.chain != chain_of(ev.zone_id):
                breaks.append(Break(chain, ev.seq, recorded("所属链与事件的高新区不符")))
            if ev.key_id not in known:
                breaks.append(
                    Break(
                        chain, ev.seq, recorded("签名密钥“%(key)s”未配置，无法校验", key=ev.key_id)
                    )
                )
            elif event_mac(ev) != ev.hash:
                breaks.append(Break(chain, ev.seq, recorded("内容与签名不符（记录被修改）")))
            prev, expected, last_seq = ev.hash, ev.seq + 1, ev.seq
    return checked, (last_seq, prev), breaks


def check_chain(chain: str, *, after: tuple[int, str] = (0, GENESIS)) -> ChainResult:
    """Walk the chain after ``after`` and reconcile its head with the tip."""
    result = ChainResult(chain, tip=after)
    for round_ in range(CATCH_UP_ROUNDS):
        checked, result.tip, breaks = walk(chain, after=result.tip)
        result.checked += checked
        result.breaks += breaks
        head = AuditChainHead.objects.filter(chain=chain).values_list("seq", "hash").first()
        if head is None:
            if result.tip[0]:
                result.breaks.append(
                    Break(chain, None, recorded("链头缺失（被删除）"), kind="head")
                )
            return result
        # A head ahead of the tip is a write committed meanwhile, unless a
        # second look finds nothing new: then the tail is gone.
        if head[0] <= result.tip[0] or (round_ and not checked):
            break
    else:
        return result  # still growing; what was walked is reported
    if head != result.tip:
        result.breaks.append(
            Break(
                chain,
                head[0],
                recorded(
                    "链头指向 #%(head)s，但链的末尾事件是 #%(tip)s（末尾事件被删除或链头被改）",
                    head=head[0],
                    tip=result.tip[0],
                ),
                kind="head",
            )
        )
    return result


def all_chains(extra: Iterable[str] = ()) -> list[str]:
    found = set(AuditEvent.objects.order_by().values_list("chain", flat=True).distinct())
    found |= set(AuditChainHead.objects.values_list("chain", flat=True))
    return sorted(found | set(extra))


def verify_all() -> Report:
    """Every chain, then every checkpoint; every break goes in the report."""
    from shiji.audit import checkpoints

    report = Report()
    seen = checkpoints.compare_with_database(report)
    for chain in all_chains(seen):
        result = check_chain(chain)
        report.chains += 1
        report.events += result.checked
        report.breaks += result.breaks
    report.breaks.sort(key=lambda b: (b.chain, b.seq or 0, b.kind))
    return report
