"""Tracking codes (查询码): what a member of the public keeps to follow a
report. Ten characters from an alphabet without the look-alikes 0/O/1/I/L
(31 symbols, about 49.5 bits), shown as ``K7MQ-4XZP-9R``. Only a hash is
stored; the code itself is shown once, to the submitter."""

from __future__ import annotations

import hashlib
import secrets

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
LENGTH = 10
_GROUPS = (4, 4, 2)


def new_code() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
    parts, at = [], 0
    for size in _GROUPS:
        parts.append(raw[at : at + size])
        at += size
    return "-".join(parts)


def normalized(code: str) -> str:
    """What the submitter typed, the way it is hashed: case, spaces and
    dashes do not matter."""
    return "".join(ch for ch in str(code).upper() if ch.isalnum())[:64]


def code_hash(code: str) -> str:
    return hashlib.sha256(("shiji-feedback:" + normalized(code)).encode()).hexdigest()


def well_formed(code: str) -> bool:
    text = normalized(code)
    return len(text) == LENGTH and all(ch in ALPHABET for ch in text)
