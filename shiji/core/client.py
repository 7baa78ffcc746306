"""The address a request comes from, for per-client limits (sign-in lockout).

Without a proxy it is ``REMOTE_ADDR``. Behind the TLS proxy
(``BEHIND_TLS_PROXY``) every request comes from the proxy, and the client is
the entry the proxy itself added to ``X-Forwarded-For``: the last one. Earlier
entries were sent by the client and are whatever it chose to write, so
trusting them would let an attacker claim a new address with every guess.
(Whether the proxy appends to the header or replaces it, the last entry is
the one it wrote.)

IPv6 clients are taken by their /64 network: one subscriber usually holds a
whole /64 and could otherwise rotate through addresses without end.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings

UNKNOWN = "unknown"


def client_address(request) -> str:
    meta = request.META
    if settings.BEHIND_TLS_PROXY:
        hops = [h.strip() for h in meta.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        if hops and hops[-1]:
            address = _normalized(hops[-1])
            if address:
                return address
    return _normalized(meta.get("REMOTE_ADDR", "")) or UNKNOWN


def _normalized(text: str) -> str:
    """The canonical text of an IP address ("" for anything else); IPv6 as its /64.
    Some proxies write a port after the address ("1.2.3.4:5678", "[::1]:5678")."""
    text = text[:64]
    if text.startswith("["):
        text = text[1:].partition("]")[0]
    elif text.count(":") == 1:
        text = text.partition(":")[0]
    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        return ""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)
