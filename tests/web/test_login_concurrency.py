"""Password guessing in parallel against a real server: gunicorn with two
worker processes of eight threads each, on this test's database (a file copy
of it on SQLite, the test database itself on PostgreSQL).

The attack this reproduces: sixteen guesses sent at once were all checked,
because each request read the failure count before any of them had written
it. The count is now taken before the password is checked, so at most
``LOGIN_MAX_FAILURES`` of them reach the password hasher.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import quote

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher, make_password
from django.db import connection

from shiji.orgs.models import User
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[2]
MAX_FAILURES = 5
GUESSES = 16


class SlowPBKDF2PasswordHasher(PBKDF2PasswordHasher):
    """A check that takes tens of milliseconds, as a real one does: the
    requests overlap for that long, which is the window the race needs."""

    iterations = 150_000


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _database_url(tmp_path: Path) -> str:
    if connection.vendor == "sqlite":
        # The test database lives in memory: copy it (schema and the committed
        # fixture world) to a file the server's processes can share.
        path = tmp_path / "shiji.sqlite3"
        connection.ensure_connection()
        target = sqlite3.connect(path)
        connection.connection.backup(target)
        target.close()
        return f"sqlite:///{path}"
    s = connection.settings_dict
    auth = quote(s["USER"] or "") + (f":{quote(s['PASSWORD'])}" if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


# real_clock: the lockout windows are counted by gunicorn's processes, which --today cannot move.
@pytest.fixture
def server(real_clock, world, tmp_path):
    User.objects.filter(pk=world["secretary"].pk).update(
        password=make_password(PASSWORD, hasher=SlowPBKDF2PasswordHasher())
    )
    port = _free_port()
    env = {
        **os.environ,
        "SHIJI_ENV": "development",
        "SHIJI_VAR_DIR": str(tmp_path / "var"),
        "DATABASE_URL": _database_url(tmp_path),
        "LOGIN_MAX_FAILURES": str(MAX_FAILURES),
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
                with urllib.request.urlopen(base + "/accounts/login/", timeout=5) as r:  # noqa: S310
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


def _token(base: str, username: str, password: str, address: str) -> int:
    request = urllib.request.Request(  # noqa: S310 - a local test server
        base + "/api/v1/auth/token",
        data=json.dumps({"username": username, "password": password}).encode(),
        headers={"Content-Type": "application/json", "X-Forwarded-For": address},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=120) as response:  # noqa: S310
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_parallel_guesses_check_at_most_the_limit_and_lock_only_that_address(server):
    attacker = "203.0.113.9"
    start = threading.Barrier(GUESSES)

    def guess(i: int) -> int:
        start.wait()
        return _token(server, "secretary", f"guess-{i:02d}-wrong", attacker)

    with ThreadPoolExecutor(GUESSES) as pool:
        statuses = sorted(pool.map(guess, range(GUESSES)))

    # 401: the password was checked and was wrong; 429: refused before any check.
    assert statuses.count(401) == MAX_FAILURES, statuses
    assert statuses.count(429) == GUESSES - MAX_FAILURES, statuses
    # Even the right password is not checked from the attacker's address ...
    assert _token(server, "secretary", PASSWORD, attacker) == 429
    # ... while the owner, elsewhere, signs in as usual.
    assert _token(server, "secretary", PASSWORD, "198.51.100.20") == 200
