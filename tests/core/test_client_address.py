"""The client address that per-client limits (sign-in lockout) key on."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from shiji.core.client import client_address


def _request(remote="10.0.0.2", forwarded=None):
    meta = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **meta)


@pytest.mark.parametrize(
    ("forwarded", "expected"),
    [
        ("203.0.113.5", "203.0.113.5"),
        # The proxy appends the address it saw; what comes before is the client's to forge.
        ("1.1.1.1, 8.8.8.8, 203.0.113.5", "203.0.113.5"),
        ("203.0.113.5:41234", "203.0.113.5"),
        ("::ffff:203.0.113.5", "203.0.113.5"),
        # One IPv6 subscriber holds a /64: it counts as one client.
        ("2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"),
        ("[2001:db8:1:2:bbbb::7]:443", "2001:db8:1:2::/64"),
        # Junk from the header falls back to the connection's address.
        ("not-an-address", "10.0.0.2"),
        ("203.0.113.5, ", "10.0.0.2"),
        ("", "10.0.0.2"),
        ("\x00" * 500, "10.0.0.2"),
    ],
)
def test_behind_the_proxy_the_last_forwarded_entry_is_the_client(settings, forwarded, expected):
    settings.BEHIND_TLS_PROXY = True
    assert client_address(_request(forwarded=forwarded)) == expected


def test_without_the_proxy_the_header_is_ignored(settings):
    settings.BEHIND_TLS_PROXY = False
    assert client_address(_request(forwarded="203.0.113.5")) == "10.0.0.2"


def test_a_missing_or_odd_remote_address_is_one_unknown_client(settings):
    settings.BEHIND_TLS_PROXY = False
    assert client_address(_request(remote="")) == "unknown"
    assert client_address(_request(remote="2001:db8::1")) == "2001:db8::/64"
