"""Rate limits per client address for the public pages and API (no account,
so the address is all there is to count by; ``core.client`` picks it).

A limit is written ``"5/h"``, ``"60/m"`` or ``"10/15m"``: so many requests
per so many seconds, minutes, hours or days. Each (bucket, client) pair has
one ``RateCounter`` row whose window starts with its first request; a request
is counted *before* the work it asks for, by one conditional UPDATE
(``count < limit`` in the current window), so the limit holds however many
requests arrive at once and in however many server processes: the database
applies the updates to the row one at a time. ``rate_release`` gives a count
back when the request turns out not to count (a right tracking code, a form
sent back with mistakes).

The counts live in the database by default rather than in Django's cache:
the default cache is per process (locmem), and the database cache's ``incr``
reads and writes in two steps, so neither enforces one limit across workers.
A deployment with several app servers and a shared Redis (``CACHE_URL``) may
set ``RATE_LIMIT_STORE=cache``: Redis's ``SET NX`` with an expiry (``add``)
opens the window and its ``INCR`` counts atomically, for every process that
shares it, without a database write per public request.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext

from shiji.core.client import client_address
from shiji.core.errors import AppError
from shiji.core.models import RateCounter

_RATE = re.compile(r"^\s*(\d{1,6})\s*/\s*(\d{0,4})\s*([smhd])\s*$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_ATTEMPTS = 8

SUBMIT = "submit"
LOOKUP = "lookup"
WRONG_CODE = "wrong_code"


@dataclass(frozen=True)
class Rate:
    count: int
    seconds: int


def parse_rate(text: str) -> Rate:
    """``"5/h"`` → Rate(5, 3600); ValueError for anything else."""
    found = _RATE.match(text or "")
    if not found or int(found[1]) < 1 or found[2] == "0":
        raise ValueError(f"a rate such as 5/h, 60/m or 10/15m, not {text!r}")
    return Rate(int(found[1]), int(found[2] or 1) * _UNITS[found[3]])


def limit_of(bucket: str) -> Rate:
    name = {
        SUBMIT: "PUBLIC_SUBMIT_LIMIT",
        LOOKUP: "PUBLIC_LOOKUP_LIMIT",
        WRONG_CODE: "PUBLIC_WRONG_CODE_LIMIT",
    }[bucket]
    return parse_rate(getattr(settings, name))


class RateLimited(AppError):
    status = 429
    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after


def _refused(bucket: str, seconds: float) -> RateLimited:
    seconds = max(1, math.ceil(seconds))
    minutes = max(1, math.ceil(seconds / 60))
    if bucket == WRONG_CODE:
        text = gettext("查询码输错次数过多，请 %(n)s 分钟后再试") % {"n": minutes}
    elif bucket == SUBMIT:
        text = gettext("提交过于频繁，请 %(n)s 分钟后再试") % {"n": minutes}
    else:
        text = gettext("查询过于频繁，请 %(n)s 分钟后再试") % {"n": minutes}
    return RateLimited(text, retry_after=seconds)


def rate_claim(*, bucket: str, client: str, rate: Rate | None = None) -> None:
    """Count one request of ``bucket`` from ``client``; RateLimited (429)
    when the window's limit is already reached (nothing counted then)."""
    rate = rate or limit_of(bucket)
    if settings.RATE_LIMIT_STORE == "cache":
        _claim_in_cache(bucket, client, rate)
        return
    rows = RateCounter.objects.filter(bucket=bucket, client=client[:64])
    for _attempt in range(_ATTEMPTS):
        now = timezone.now()
        start = now - dt.timedelta(seconds=rate.seconds)
        if rows.filter(window_start__gt=start, count__lt=rate.count).update(count=F("count") + 1):
            return
        if rows.filter(window_start__lte=start).update(window_start=now, count=1):
            return
        current = rows.values_list("window_start", "count").first()
        if current is not None:
            window_start, count = current
            if window_start > start and count >= rate.count:
                left = (window_start + dt.timedelta(seconds=rate.seconds) - now).total_seconds()
                raise _refused(bucket, left)
            continue  # another request just opened a new window: count again
        # The first request from this client: make its row (a parallel one
        # may make it too; the conflict is ignored) and count again.
        RateCounter.objects.bulk_create(
            [RateCounter(bucket=bucket, client=client[:64], window_start=now, count=0)],
            ignore_conflicts=True,
        )
    raise _refused(bucket, rate.seconds)


def _cache_keys(bucket: str, client: str) -> tuple[str, str]:
    key = f"rate:{bucket}:{client[:64]}"
    return key, key + ":start"


def _claim_in_cache(bucket: str, client: str, rate: Rate) -> None:
    """rate_claim's window in the cache: the count's key lives as long as the
    window, which starts with the first request (``add`` does nothing to a
    key that exists); a refused request is given back at once."""
    key, start_key = _cache_keys(bucket, client)
    for _attempt in range(_ATTEMPTS):
        now = timezone.now().timestamp()
        cache.add(start_key, now, timeout=rate.seconds)
        cache.add(key, 0, timeout=rate.seconds)
        try:
            count = cache.incr(key)
        except ValueError:
            continue  # the window ended between add and incr: open the next
        if count <= rate.count:
            return
        cache.decr(key)
        started = cache.get(start_key) or now
        raise _refused(bucket, started + rate.seconds - now)
    raise _refused(bucket, rate.seconds)


def rate_release(*, bucket: str, client: str) -> None:
    """Give back one count of ``bucket`` (the request did not count after all)."""
    if settings.RATE_LIMIT_STORE == "cache":
        key, _start = _cache_keys(bucket, client)
        try:
            if (cache.get(key) or 0) > 0:
                cache.decr(key)
        except ValueError:
            pass  # the window ended meanwhile: nothing left to give back
        return
    RateCounter.objects.filter(bucket=bucket, client=client[:64], count__gt=0).update(
        count=F("count") - 1
    )


def rate_check(request: object, bucket: str) -> str:
    """Count ``request`` against ``bucket`` by its client address, which is
    returned (for a later ``rate_release``)."""
    client = client_address(request)
    rate_claim(bucket=bucket, client=client)
    return client


def rate_counters_purge() -> int:
    """Forget counters whose window ended more than a day ago."""
    longest = max(limit_of(b).seconds for b in (SUBMIT, LOOKUP, WRONG_CODE))
    cutoff = timezone.now() - dt.timedelta(seconds=longest + 86400)
    return RateCounter.objects.filter(window_start__lt=cutoff).delete()[0]
