"""Home-page figures kept in the cache and invalidated by writes.

A zone's figures change only when something in the zone is written, or when
the date turns (lights, study windows). Every write is a service that records
an audit event in its own transaction (shiji/audit), and that event moves the
zone's audit chain head (``AuditChainHead``: one row per zone, the same row
the write locks). The head's seq and hash are therefore the zone's version,
committed together with the write and seen by every worker, whatever the
cache backend: no signal, no bump to forget. Events without a zone move the
system chain, which is part of every version (a template or a campaign can
change any zone's figures).

Keys carry today's date and the versions; a value under an old version is
never read again and expires. The versions are read before the figures are
computed, so figures stored under a version are never older than it (a write
committed in between is stored under the version it made obsolete).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from typing import TypeVar

from django.core.cache import cache
from django.utils import timezone

T = TypeVar("T")

# The date is in every key; a day bounds how long an unused entry stays.
CACHE_SECONDS = 24 * 3600
PREFIX = "shiji:summary"


@dataclass(frozen=True)
class Versions:
    """Each zone's audit chain tip and the system chain's, read in one query."""

    today: dt.date
    system: str = "0"
    zones: dict[int, str] = field(default_factory=dict)

    def of(self, zone_id: int) -> str:
        return f"{self.zones.get(zone_id, '0')}-{self.system}"

    def digest(self, zone_ids: Iterable[int]) -> str:
        """One version for figures that depend on all these zones."""
        h = hashlib.blake2b(digest_size=12)
        h.update(self.system.encode())
        for zone_id in sorted(set(zone_ids)):
            h.update(f";{zone_id}:{self.zones.get(zone_id, '0')}".encode())
        return h.hexdigest()


def versions() -> Versions:
    from shiji.audit.models import AuditChainHead, zone_of_chain

    zones: dict[int, str] = {}
    system = "0"
    # seq and a piece of the tip's MAC: the seq alone could repeat after a
    # database is rebuilt under a cache that outlived it (Redis).
    for chain, seq, mac in AuditChainHead.objects.values_list("chain", "seq", "hash"):
        tip = f"{seq}.{mac[:12]}"
        zone_id = zone_of_chain(chain)
        if zone_id is None:
            system = tip
        else:
            zones[zone_id] = tip
    return Versions(today=timezone.localdate(), system=system, zones=zones)


def per_zone(
    name: str,
    zone_ids: Collection[int],
    compute: Callable[[list[int]], dict[int, T]],
    *,
    at: Versions,
) -> dict[int, T]:
    """``{zone_id: figures}`` for ``zone_ids``, from the cache where the zone
    is unchanged; ``compute(missing_ids)`` must return a value for each zone
    it is given (zeros included), in one pass over them all."""
    keys = {z: f"{PREFIX}:{name}:{at.today.isoformat()}:{z}:{at.of(z)}" for z in zone_ids}
    found = cache.get_many(list(keys.values())) if keys else {}
    out = {z: found[k] for z, k in keys.items() if k in found}
    missing = [z for z in keys if z not in out]
    if missing:
        fresh = compute(missing)
        cache.set_many({keys[z]: fresh[z] for z in missing}, CACHE_SECONDS)
        out.update({z: fresh[z] for z in missing})
    return out


def over_zones(name: str, zone_ids: Iterable[int], compute: Callable[[], T], *, at: Versions) -> T:
    """One value that depends on every zone in ``zone_ids`` (``name`` says
    whose: include the user when the value is theirs)."""
    key = f"{PREFIX}:{name}:{at.today.isoformat()}:{at.digest(zone_ids)}"
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, CACHE_SECONDS)
    return value
