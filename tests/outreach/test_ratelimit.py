"""Rate limits per client address (core.ratelimit): counted before the work,
in the database, so the limit holds for parallel requests in several server
processes; two gunicorn workers together allow only the limit."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import RequestFactory
from django.utils import timezone

from shiji.core.client import client_address
from shiji.core.models import RateCounter
from shiji.core.ratelimit import (
    Rate,
    RateLimited,
    parse_rate,
    rate_claim,
    rate_counters_purge,
    rate_release,
)
from tests.web.test_login_concurrency import _database_url, _free_port

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("text", "rate"),
    [
        ("5/h", Rate(5, 3600)),
        ("60/m", Rate(60, 60)),
        ("10/15m", Rate(10, 900)),
        ("3/2d", Rate(3, 172800)),
    ],
)
def test_rates_are_written_count_per_period(text, rate):
    assert parse_rate(text) == rate


@pytest.mark.parametrize("text", ["", "5", "0/h", "5/0m", "five/h", "5/w", "-1/h"])
def test_a_bad_rate_is_refused(text):
    with pytest.raises(ValueError):
        parse_rate(text)


def test_a_bad_rate_in_the_environment_stops_the_start(monkeypatch):
    from shiji.settings import env_rate

    monkeypatch.setenv("PUBLIC_SUBMIT_LIMIT", "lots")
    with pytest.raises(ImproperlyConfigured, match="PUBLIC_SUBMIT_LIMIT"):
        env_rate("PUBLIC_SUBMIT_LIMIT", "5/h")
    monkeypatch.setenv("PUBLIC_SUBMIT_LIMIT", "20/30m")
    assert env_rate("PUBLIC_SUBMIT_LIMIT", "5/h") == "20/30m"


def test_the_limit_counts_per_client_and_refuses_past_it(db):
    rate = Rate(3, 60)
    for _ in range(3):
        rate_claim(bucket="submit", client="203.0.113.1", rate=rate)
    with pytest.raises(RateLimited) as caught:
        rate_claim(bucket="submit", client="203.0.113.1", rate=rate)
    assert caught.value.status == 429 and 0 < caught.value.retry_after <= 60
    assert "分钟后再试" in caught.value.message
    rate_claim(bucket="submit", client="203.0.113.2", rate=rate)  # another address
    rate_claim(bucket="lookup", client="203.0.113.1", rate=rate)  # another bucket
    assert RateCounter.objects.get(bucket="submit", client="203.0.113.1").count == 3


def test_a_released_count_can_be_used_again(db):
    rate = Rate(1, 60)
    rate_claim(bucket="submit", client="c", rate=rate)
    rate_release(bucket="submit", client="c")
    rate_claim(bucket="submit", client="c", rate=rate)
    with pytest.raises(RateLimited):
        rate_claim(bucket="submit", client="c", rate=rate)


def test_a_new_window_starts_after_the_period(db):
    rate = Rate(1, 60)
    rate_claim(bucket="submit", client="c", rate=rate)
    RateCounter.objects.update(window_start=timezone.now() - dt.timedelta(seconds=61))
    rate_claim(bucket="submit", client="c", rate=rate)
    assert RateCounter.objects.get().count == 1


def test_stale_counters_are_purged(db):
    rate_claim(bucket="submit", client="old", rate=Rate(1, 60))
    rate_claim(bucket="submit", client="new", rate=Rate(1, 60))
    RateCounter.objects.filter(client="old").update(
        window_start=timezone.now() - dt.timedelta(days=3)
    )
    assert rate_counters_purge() == 1
    assert list(RateCounter.objects.values_list("client", flat=True)) == ["new"]


def test_the_forwarded_address_counts_only_behind_the_proxy(settings):
    request = RequestFactory().get(
        "/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="1.2.3.4, 5.6.7.8"
    )
    settings.BEHIND_TLS_PROXY = False
    assert client_address(request) == "10.0.0.1"
    settings.BEHIND_TLS_PROXY = True
    assert client_address(request) == "5.6.7.8"


# Two server processes ---------------------------------------------------------------

SUBMIT_LIMIT = 5
WRONG_CODE_LIMIT = 4
PARALLEL = 16


@pytest.fixture
def server(real_clock, world, tmp_path):
    port = _free_port()
    env = {
        **os.environ,
        "SHIJI_ENV": "development",
        "SHIJI_VAR_DIR": str(tmp_path / "var"),
        "MEDIA_ROOT": str(tmp_path / "media"),
        "DATABASE_URL": _database_url(tmp_path),
        "PUBLIC_SUBMIT_LIMIT": f"{SUBMIT_LIMIT}/h",
        "PUBLIC_LOOKUP_LIMIT": "1000/m",
        "PUBLIC_WRONG_CODE_LIMIT": f"{WRONG_CODE_LIMIT}/15m",
        "BEHIND_TLS_PROXY": "true",
        "DEBUG": "false",
    }
    log = (tmp_path / "gunicorn.log").open("w")
    proc = subprocess.Popen(  # noqa: S603 - a fixed command line
        [
            sys.executable,
            "-m",
            "gunicorn",
            "shiji.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--worker-class",
            "gthread",
            "--threads",
            "8",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                pytest.fail("gunicorn exited: " + (tmp_path / "gunicorn.log").read_text())
            try:
                with urllib.request.urlopen(base + "/p/", timeout=5) as r:  # noqa: S310
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("gunicorn did not answer within 60 s")
            time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def _call(base: str, path: str, address: str, body: dict | None = None) -> int:
    request = urllib.request.Request(  # noqa: S310 - a local test server
        base + path,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "X-Forwarded-For": address},
        method="GET" if body is None else "POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=120) as response:  # noqa: S310
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def _at_once(fn, n: int) -> list[int]:
    start = threading.Barrier(n)

    def one(i: int) -> int:
        start.wait()
        return fn(i)

    with ThreadPoolExecutor(n) as pool:
        return sorted(pool.map(one, range(n)))


@pytest.mark.django_db(transaction=True)
def test_two_server_processes_together_allow_only_the_limit(server, world):
    address = "203.0.113.50"
    body = {"zone": world.a.zone.code, "kind": "help", "content": "路面积水"}
    statuses = _at_once(
        lambda i: _call(server, "/api/v1/public/feedback", address, body | {"content": f"积水{i}"}),
        PARALLEL,
    )
    assert statuses.count(201) == SUBMIT_LIMIT, statuses
    assert statuses.count(429) == PARALLEL - SUBMIT_LIMIT, statuses
    # The limit holds after the burst too.
    assert _call(server, "/api/v1/public/feedback", address, body) == 429
    # Another address is not affected.
    assert _call(server, "/api/v1/public/feedback", "198.51.100.60", body) == 201

    wrong = _at_once(
        lambda i: _call(server, f"/api/v1/public/feedback/K7MQ-4XZP-{i:02d}", address), PARALLEL
    )
    assert wrong.count(404) == WRONG_CODE_LIMIT, wrong
    assert wrong.count(429) == PARALLEL - WRONG_CODE_LIMIT, wrong
