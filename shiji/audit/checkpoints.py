"""Signed checkpoints of the audit chains, kept outside the database.

The keyed hash stops anyone without the key from rewriting events, but a
database editor can still delete a chain's last events together with its
head: what remains is a shorter chain that verifies. A checkpoint — chain,
seq, hash, time, key id and an HMAC over them — written now and then to an
append-only file (and, if configured, POSTed to another system) remembers
how far each chain reached; ``audit_verify`` then finds the events a
checkpoint names missing or different.

``manage.py audit_checkpoint`` (cron, e.g. every 15 minutes) writes them.
The file is opened for appending only; making it append-only on disk too
(``chattr +a``) or shipping it elsewhere is the operator's part (README).
"""

from __future__ import annotations

import json
import os
import urllib.request
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from django.conf import settings
from django.utils import timezone

from shiji.audit import keys
from shiji.audit.chain import GENESIS
from shiji.audit.models import AuditEvent
from shiji.audit.verify import Break, all_chains, check_chain
from shiji.core.i18n import recorded

if TYPE_CHECKING:
    from shiji.audit.verify import Report

LOOKUP_BATCH = 5000
POST_TIMEOUT = 10


@dataclass(frozen=True)
class Checkpoint:
    chain: str
    seq: int
    hash: str
    at: str
    key_id: str
    mac: str = ""

    def body(self) -> bytes:
        fields = {k: v for k, v in asdict(self).items() if k != "mac"}
        return json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()

    def signed(self) -> Checkpoint:
        return Checkpoint(**{**asdict(self), "mac": keys.sign(self.key_id, self.body())})

    def is_authentic(self) -> bool:
        if self.key_id not in keys.known_key_ids():
            return False
        return keys.sign(self.key_id, self.body()) == self.mac

    def line(self) -> str:
        return json.dumps(asdict(self), sort_keys=True, separators=(",", ":"))

    @classmethod
    def parse(cls, line: str) -> Checkpoint:
        data = json.loads(line)
        if not isinstance(data, dict) or set(data) != set(cls.__dataclass_fields__):
            raise ValueError("not a checkpoint")
        cp = cls(**data)
        if not (isinstance(cp.seq, int) and all(isinstance(v, str) for v in (cp.chain, cp.hash))):
            raise ValueError("not a checkpoint")
        return cp


def checkpoint_file() -> Path:
    return Path(settings.AUDIT_CHECKPOINT_FILE)


def read(path: Path | None = None) -> Iterator[tuple[int, Checkpoint | None]]:
    """``(line number, checkpoint)``; None for a line that is not an
    authentic checkpoint (garbled, or its signature does not match)."""
    path = path or checkpoint_file()
    if not path.exists():
        return
    with path.open(encoding="utf-8") as f:
        for number, raw in enumerate(f, start=1):
            if not raw.strip():
                continue
            try:
                cp = Checkpoint.parse(raw)
            except (ValueError, TypeError):
                yield number, None
                continue
            yield number, cp if cp.is_authentic() else None


def latest() -> dict[str, Checkpoint]:
    """The last authentic checkpoint of each chain in the file."""
    out: dict[str, Checkpoint] = {}
    for _, cp in read():
        if cp is not None:
            out[cp.chain] = cp
    return out


@dataclass
class WriteResult:
    written: list[Checkpoint]
    refused: list[Break]


def checkpoints_write() -> WriteResult:
    """Check each chain from its last checkpoint on and append a checkpoint
    for every chain that moved. A chain that does not verify gets none: a
    checkpoint must never vouch for a tampered chain."""
    previous = latest()
    now = timezone.now().isoformat()
    key_id = keys.signing_key_id()
    written: list[Checkpoint] = []
    refused: list[Break] = []
    for chain in all_chains():
        last = previous.get(chain)
        result = check_chain(chain, after=(last.seq, last.hash) if last else (0, GENESIS))
        if result.breaks:
            refused += result.breaks
            continue
        if result.tip[0] == 0 or (last and result.tip == (last.seq, last.hash)):
            continue
        written.append(Checkpoint(chain, result.tip[0], result.tip[1], now, key_id).signed())
    if written:
        path = checkpoint_file()
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as f:
            f.writelines(cp.line() + "\n" for cp in written)
            f.flush()
            os.fsync(f.fileno())
    return WriteResult(written, refused)


def publish(written: list[Checkpoint], url: str) -> None:
    """POST the new checkpoints as JSON to another system (raises OSError on
    failure; the file already has them)."""
    body = json.dumps({"checkpoints": [json.loads(cp.line()) for cp in written]}).encode()
    request = urllib.request.Request(  # noqa: S310 (the operator configures an http(s) URL)
        url, data=body, method="POST", headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=POST_TIMEOUT) as response:  # noqa: S310
        if response.status >= 300:
            raise OSError(f"HTTP {response.status}")


def compare_with_database(report: Report) -> set[str]:
    """Add to ``report`` every checkpoint the database no longer matches
    (one line per chain and kind, with the count); returns the chains the
    checkpoints name, so chains that vanished entirely are checked too."""
    path = checkpoint_file()
    if not path.exists():
        report.notes.append(
            recorded(
                "没有检查点文件（%(path)s）：无法发现末尾事件连同链头一并被删除；"
                "请用 cron 定期运行 manage.py audit_checkpoint",
                path=path,
            )
        )
        return set()
    missing: dict[str, list[Checkpoint]] = {}
    changed: dict[str, list[Checkpoint]] = {}
    chains: set[str] = set()
    batch: list[Checkpoint] = []

    def flush() -> None:
        wanted: dict[str, set[int]] = {}
        for cp in batch:
            wanted.setdefault(cp.chain, set()).add(cp.seq)
        found: dict[tuple[str, int], str] = {}
        for chain, seqs in wanted.items():
            rows = AuditEvent.objects.filter(chain=chain, seq__in=seqs)
            found.update({(chain, s): h for s, h in rows.values_list("seq", "hash")})
        for cp in batch:
            stored = found.get((cp.chain, cp.seq))
            if stored is None:
                missing.setdefault(cp.chain, []).append(cp)
            elif stored != cp.hash:
                changed.setdefault(cp.chain, []).append(cp)
        batch.clear()

    for number, cp in read(path):
        if cp is None:
            report.breaks.append(
                Break(
                    recorded("检查点文件"),
                    None,
                    recorded("第 %(n)s 行不是有效的检查点（签名不符或被改动）", n=number),
                )
            )
            continue
        report.checkpoints += 1
        chains.add(cp.chain)
        batch.append(cp)
        if len(batch) >= LOOKUP_BATCH:
            flush()
    flush()
    for chain, cps in missing.items():
        far = max(cps, key=lambda c: c.seq)
        report.breaks.append(
            Break(
                chain,
                far.seq,
                recorded(
                    "检查点（%(at)s）记录链曾到 #%(seq)s，该事件已不存在"
                    "（末尾事件被删除；共 %(count)s 个检查点指向缺失的事件）",
                    at=far.at,
                    seq=far.seq,
                    count=len(cps),
                ),
                kind="checkpoint",
            )
        )
    for chain, cps in changed.items():
        first = min(cps, key=lambda c: c.seq)
        report.breaks.append(
            Break(
                chain,
                first.seq,
                recorded(
                    "事件与检查点（%(at)s）记录的哈希不符（事件被改写；共 %(count)s 个检查点不符）",
                    at=first.at,
                    count=len(cps),
                ),
                kind="checkpoint",
            )
        )
    return chains
