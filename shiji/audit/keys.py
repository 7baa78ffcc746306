"""The secret keys that sign the audit chain and its checkpoints.

A database editor can rewrite rows and recompute an unkeyed hash with the
app's own function; they cannot recompute an HMAC without the key, which
lives in the environment (``AUDIT_HMAC_KEYS``), never in the database.

``AUDIT_HMAC_KEYS`` is ``id:secret[,id:secret…]``. The first key signs new
events and checkpoints; the others only verify what they signed before.
Every event records the id of its key, so rotating is: put a new key first,
keep the old ones listed for as long as their events must verify.

In development with no keys configured, one key ``dev`` is derived from
SECRET_KEY so that `make demo` works out of the box; in production the
server (wsgi.py) and every command that runs the system checks (migrate,
db_worker, the audit commands…) refuse to start without real keys, while
collectstatic, which writes nothing, needs none.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from functools import lru_cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

KEY_ID = re.compile(r"^[A-Za-z0-9_-]{1,16}$")
MIN_SECRET = 32
DEV_KEY_ID = "dev"
MISSING = "AUDIT_HMAC_KEYS must be set in production (see README, Audit trail)."


@lru_cache(maxsize=8)
def parse_keys(text: str, fallback_secret: str = "") -> tuple[tuple[str, bytes], ...]:
    """``(id, secret)`` pairs, the signing key first. Raises
    ImproperlyConfigured with the reason when ``text`` is malformed."""
    if not text.strip():
        if not fallback_secret:
            raise ImproperlyConfigured(MISSING)
        derived = hmac.new(fallback_secret.encode(), b"shiji.audit.chain", hashlib.sha256)
        return ((DEV_KEY_ID, derived.digest()),)
    pairs: list[tuple[str, bytes]] = []
    for part in text.split(","):
        key_id, sep, secret = part.strip().partition(":")
        if not sep or not KEY_ID.match(key_id):
            raise ImproperlyConfigured(
                "AUDIT_HMAC_KEYS: each entry is id:secret, the id 1–16 letters, digits, - or _"
            )
        if len(secret) < MIN_SECRET:
            raise ImproperlyConfigured(
                f"AUDIT_HMAC_KEYS: the secret of key {key_id!r} must have at least "
                f"{MIN_SECRET} characters"
            )
        if any(key_id == known for known, _ in pairs):
            raise ImproperlyConfigured(f"AUDIT_HMAC_KEYS: key id {key_id!r} is listed twice")
        pairs.append((key_id, secret.encode()))
    return tuple(pairs)


def _configured() -> tuple[tuple[str, bytes], ...]:
    fallback = "" if getattr(settings, "PRODUCTION", False) else settings.SECRET_KEY
    return parse_keys(getattr(settings, "AUDIT_HMAC_KEYS", ""), fallback)


def signing_key_id() -> str:
    return _configured()[0][0]


def known_key_ids() -> set[str]:
    return {key_id for key_id, _ in _configured()}


def sign(key_id: str, message: bytes) -> str:
    """HMAC-SHA256 of ``message`` under key ``key_id`` (KeyError when that
    key is not configured: its events cannot be checked)."""
    secret = dict(_configured())[key_id]
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def check_format() -> None:
    """Fail at start with a clear message when the keys given are malformed."""
    text = getattr(settings, "AUDIT_HMAC_KEYS", "")
    if text.strip():
        parse_keys(text)


def check() -> None:
    """Fail with a clear message unless the chain can be signed: keys given
    and well formed (or, in development, derived from SECRET_KEY)."""
    _configured()
