"""Deployment at scale (README "Production at scale"), each piece against the
real service it names, in processes of their own as a deployment runs them:

- two gunicorn servers sharing sessions and the public rate limits through
  Redis (127.0.0.1:6379), with nothing of either in the database;
- evidence in an S3-compatible object store (moto's server on a loopback
  port, through django-storages);
- PostgreSQL's connection pool, statement timeout and read replica router;
- the Argon2 memory cost from the settings.

A service that is not there (no Redis, no PostgreSQL, no moto_server) skips
its test with the reason; the settings themselves are checked in
tests/production/test_settings.py.
"""

from __future__ import annotations

import os
import re
import secrets
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

import pytest

from bench.run import free_port, manage

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
REDIS = ("127.0.0.1", 6379)
PG_SERVER = "postgres://postgres@127.0.0.1:5432"
PASSWORD = "Shiji-scale-check-2026"


def reachable(address: tuple[str, int]) -> bool:
    try:
        with socket.create_connection(address, timeout=1):
            return True
    except OSError:
        return False


def clean_env(tmp_path: Path, **variables: str) -> dict[str, str]:
    """A deployment's environment: nothing from this test process leaks in."""
    env_file = tmp_path / "shiji.env"
    env_file.touch()
    return {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", str(tmp_path)),
        "LANG": "C.UTF-8",
        "SHIJI_ENV_FILE": str(env_file),
        "DJANGO_SETTINGS_MODULE": "shiji.settings",
        **variables,
    }


def python(code: str, env: dict[str, str], timeout: int = 120) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 - our own interpreter
        [sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True,
        timeout=timeout,
    )  # fmt: skip


# Two app servers, one Redis --------------------------------------------------


class Gunicorn:
    def __init__(self, env: dict[str, str], log: Path):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = log.open("w")
        argv = [str(BIN / "gunicorn"), "shiji.wsgi", "--bind", f"127.0.0.1:{self.port}"]
        self.process = subprocess.Popen(  # noqa: S603 - our own server
            [*argv, "--workers", "1"], env=env, cwd=ROOT, stdout=self.log, stderr=self.log
        )
        # Generous: the first request imports the whole app, on a machine
        # that may be running other suites.
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            assert self.process.poll() is None, log.read_text()
            try:
                urllib.request.urlopen(self.base + "/accounts/login/", timeout=60)  # noqa: S310
                return
            except OSError:  # refused while starting (URLError), or slow
                time.sleep(0.2)
        raise AssertionError("gunicorn did not start:\n" + log.read_text())

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)
        self.log.close()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def get(url: str) -> urllib.request.Request:
    return urllib.request.Request(url)  # noqa: S310 - our own loopback servers


def status_of(opener, request) -> int:
    try:
        return opener.open(request, timeout=30).status
    except urllib.error.HTTPError as error:
        return error.code


@pytest.fixture
def redis_prefix():
    """A key prefix of this test's own in the shared Redis, deleted afterwards."""
    if not reachable(REDIS):
        pytest.skip("no Redis on 127.0.0.1:6379")
    import redis

    prefix = "shiji-test-" + secrets.token_hex(6)
    yield prefix
    client = redis.Redis(*REDIS)
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)


def test_two_app_servers_share_sessions_and_rate_limits_through_redis(tmp_path, redis_prefix):
    database = tmp_path / "shiji.sqlite3"
    env = clean_env(
        tmp_path,
        DATABASE_URL=f"sqlite:///{database}",
        SHIJI_VAR_DIR=str(tmp_path / "var"),
        CACHE_URL=f"redis://127.0.0.1:6379/0?key_prefix={redis_prefix}",
        SESSION_STORE="cache",
        RATE_LIMIT_STORE="cache",
        PUBLIC_WRONG_CODE_LIMIT="3/h",
        DJANGO_SUPERUSER_PASSWORD=PASSWORD,
    )
    manage(env, "migrate", "--no-input", "-v0")
    manage(env, "createsuperuser", "--no-input", "--username", "admin", "--email", "a@example.org")
    first = Gunicorn(env, tmp_path / "first.log")
    second = Gunicorn(env, tmp_path / "second.log")
    try:
        # Signed in on the first server, the session is good on the second.
        jar = CookieJar()
        browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect)
        page = browser.open(first.base + "/accounts/login/", timeout=30).read().decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)[1]
        form = f"csrfmiddlewaretoken={token}&username=admin&password={PASSWORD}".encode()
        login = get(first.base + "/accounts/login/")
        login.data = form
        login.add_header("Referer", first.base + "/accounts/login/")
        assert status_of(browser, login) == 302
        assert status_of(browser, get(second.base + "/")) == 200
        anonymous = urllib.request.build_opener(NoRedirect)
        assert status_of(anonymous, get(second.base + "/")) == 302

        # Wrong tracking codes from one address, 3 allowed per hour: two on
        # the first server and one on the second use the allowance up.
        wrong = "/api/v1/public/feedback/K7MQ-4XZP-9R"
        answers = [
            status_of(anonymous, get(server.base + wrong))
            for server in (first, first, second, second, first)
        ]
        assert answers == [404, 404, 404, 429, 429]
    finally:
        first.stop()
        second.stop()
    # Neither lived in the database: both servers read them from Redis.
    with sqlite3.connect(database) as conn:
        assert conn.execute("SELECT COUNT(*) FROM django_session").fetchone() == (0,)
        assert conn.execute("SELECT COUNT(*) FROM core_ratecounter").fetchone() == (0,)


# Evidence in object storage --------------------------------------------------

S3_ROUND_TRIP = """
import django
django.setup()
import boto3
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage, storages

options = settings.STORAGES["default"]["OPTIONS"]
boto3.client("s3", endpoint_url=options["endpoint_url"], region_name="us-east-1").create_bucket(
    Bucket=options["bucket_name"]
)
assert type(storages["default"]).__name__ == "S3Storage", storages["default"]
name = default_storage.save("evidence/z1/ab/abcdef.pdf", ContentFile(b"%PDF-1.7 evidence"))
assert name == "evidence/z1/ab/abcdef.pdf", name
assert default_storage.exists(name) and default_storage.size(name) == 17
with default_storage.open(name, "rb") as f:
    assert f.read() == b"%PDF-1.7 evidence"
# Never overwritten: the same name again gets a name of its own.
again = default_storage.save(name, ContentFile(b"other"))
assert again != name, again
url = default_storage.url(name)
assert "X-Amz-Signature=" in url, url  # private objects: only signed links
objects = boto3.client("s3", endpoint_url=options["endpoint_url"]).list_objects_v2(
    Bucket=options["bucket_name"]
)
assert sorted(o["Key"] for o in objects["Contents"]) == sorted([name, again]), objects
default_storage.delete(name)
assert not default_storage.exists(name)
# Static files stay with whitenoise on the app server.
assert "S3" not in settings.STORAGES["staticfiles"]["BACKEND"]
print("S3-OK")
"""


@pytest.fixture
def s3_endpoint(tmp_path):
    """moto's S3-compatible server on a free loopback port (moto[server])."""
    moto = BIN / "moto_server"
    if not moto.exists():
        pytest.skip("moto_server is not installed (moto[server], make install)")
    port = free_port()
    log = (tmp_path / "moto.log").open("w")
    server = subprocess.Popen(  # noqa: S603 - a test server on loopback
        [str(moto), "-H", "127.0.0.1", "-p", str(port)], stdout=log, stderr=log
    )
    try:
        deadline = time.monotonic() + 30
        while not reachable(("127.0.0.1", port)):
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.skip("moto_server did not start: " + (tmp_path / "moto.log").read_text())
            time.sleep(0.2)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


def test_evidence_goes_to_an_s3_compatible_object_store(tmp_path, s3_endpoint):
    env = clean_env(
        tmp_path,
        S3_BUCKET="shiji-evidence",
        S3_ENDPOINT_URL=s3_endpoint,
        S3_REGION="us-east-1",
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
    )
    done = python(S3_ROUND_TRIP, env)
    assert done.returncode == 0 and "S3-OK" in done.stdout, done.stdout + done.stderr


# PostgreSQL: pool, statement timeout, replica --------------------------------


@pytest.fixture
def postgres_url():
    if not reachable(("127.0.0.1", 5432)):
        pytest.skip("no PostgreSQL on 127.0.0.1:5432")
    return PG_SERVER + "/postgres"


POOL_AND_TIMEOUT = """
import threading, django
django.setup()
from django.db import connection, close_old_connections
from django.db.utils import OperationalError
assert connection.pool is not None and connection.pool.max_size == 3, connection.pool
assert connection.settings_dict["CONN_MAX_AGE"] == 0
pids = set()
def work():
    from django.db import connection
    with connection.cursor() as c:
        c.execute("SELECT pg_backend_pid()")
        pids.add(c.fetchone()[0])
    connection.close()  # back to the pool
threads = [threading.Thread(target=work) for _ in range(12)]
[t.start() for t in threads]
[t.join() for t in threads]
assert 1 <= len(pids) <= 3, pids  # 12 threads, at most 3 server connections
with connection.cursor() as c:
    c.execute("SHOW statement_timeout")
    assert c.fetchone()[0] == "1s"
    c.execute("SHOW jit")  # off beside the timeout, not replaced by it
    assert c.fetchone()[0] == "off"
    try:
        c.execute("SELECT pg_sleep(3)")
    except OperationalError as e:
        assert "statement timeout" in str(e), e
    else:
        raise AssertionError("a 3 s statement ran past a 1 s timeout")
print("POOL-OK")
"""


def test_postgresql_pool_and_statement_timeout(tmp_path, postgres_url):
    env = clean_env(tmp_path, DATABASE_URL=postgres_url, DB_POOL_SIZE="3", DB_STATEMENT_TIMEOUT="1")
    done = python(POOL_AND_TIMEOUT, env)
    assert done.returncode == 0 and "POOL-OK" in done.stdout, done.stdout + done.stderr


REPLICA = """
import threading, django
django.setup()
from django.db import connections
from shiji.core.db_router import replica_reads
from shiji.ledger.models import Problem
assert Problem.objects.all().db == "default"
with replica_reads():
    assert Problem.objects.all().db == "replica"
    # Other threads (other requests) are not affected.
    seen = []
    t = threading.Thread(target=lambda: seen.append(Problem.objects.all().db))
    t.start(); t.join()
    assert seen == ["default"], seen
    with connections["replica"].cursor() as c:
        c.execute("SELECT current_database()")
        assert c.fetchone()[0] == "postgres"
assert Problem.objects.all().db == "default"
# Writes always go to the primary.
assert Problem.objects.db_manager().db == "default"
from django.db import router
with replica_reads():
    assert router.db_for_write(Problem) == "default"
    assert router.allow_migrate("replica", "ledger") is False
print("REPLICA-OK")
"""


def test_reports_read_from_the_replica_inside_replica_reads_only(tmp_path, postgres_url):
    # The primary stands in for its own replica: the routing is what is tested.
    env = clean_env(tmp_path, DATABASE_URL=postgres_url, DATABASE_REPLICA_URL=postgres_url)
    done = python(REPLICA, env)
    assert done.returncode == 0 and "REPLICA-OK" in done.stdout, done.stdout + done.stderr


# Argon2 ----------------------------------------------------------------------


def test_the_argon2_memory_cost_follows_the_setting(settings):
    from shiji.core.hashers import Argon2PasswordHasher

    hasher = Argon2PasswordHasher()
    settings.ARGON2_MEMORY_MB = 8
    encoded = hasher.encode("Shiji-scale-check-2026", hasher.salt())
    assert encoded.startswith("argon2$argon2id$") and "m=8192," in encoded
    assert hasher.verify("Shiji-scale-check-2026", encoded)
    assert not hasher.must_update(encoded)
    # Another cost: the stored hash still verifies, and is rehashed at sign-in.
    settings.ARGON2_MEMORY_MB = 16
    assert hasher.verify("Shiji-scale-check-2026", encoded)
    assert hasher.must_update(encoded)


# Rate limits in the cache ----------------------------------------------------


def test_rate_limits_in_the_cache_count_refuse_and_give_back(settings):
    from django.core.cache import cache

    from shiji.core import ratelimit
    from shiji.core.ratelimit import Rate, RateLimited, rate_claim, rate_release

    settings.RATE_LIMIT_STORE = "cache"
    client = "203.0.113." + str(secrets.randbelow(250))
    rate = Rate(2, 3600)
    try:
        rate_claim(bucket=ratelimit.SUBMIT, client=client, rate=rate)
        rate_claim(bucket=ratelimit.SUBMIT, client=client, rate=rate)
        with pytest.raises(RateLimited) as refused:
            rate_claim(bucket=ratelimit.SUBMIT, client=client, rate=rate)
        assert 3500 <= refused.value.retry_after <= 3600
        # A refusal is not counted; a release gives one back.
        rate_release(bucket=ratelimit.SUBMIT, client=client)
        rate_claim(bucket=ratelimit.SUBMIT, client=client, rate=rate)
        # Other addresses and other limits count on their own.
        rate_claim(bucket=ratelimit.LOOKUP, client=client, rate=rate)
        rate_claim(bucket=ratelimit.SUBMIT, client=client + "1", rate=rate)
    finally:
        cache.delete_many(
            [
                key
                for bucket, who in [
                    (ratelimit.SUBMIT, client),
                    (ratelimit.LOOKUP, client),
                    (ratelimit.SUBMIT, client + "1"),
                ]
                for key in ratelimit._cache_keys(bucket, who)
            ]
        )
