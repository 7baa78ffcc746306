"""Production serves pages: the README's production steps, run as written
with production settings (collectstatic into a fresh STATIC_ROOT, gunicorn on
loopback, the job worker, the cron commands), then a real Chromium signs in
through the login form, opens the ledger and the API docs, and no request
leaves 127.0.0.1 and the browser reports no error or CSP violation.

The browser plays the TLS proxy's client: it sends ``X-Forwarded-Proto:
https`` as the proxy would (``BEHIND_TLS_PROXY=true``), so the TLS redirect,
HSTS and secure cookies stay on; Chromium treats http://127.0.0.1 as a secure
context and keeps Secure cookies there. A plain request without the header is
redirected to https, which the test checks too.

Runs on the suite's database engine: a SQLite file of its own, or on
PostgreSQL a database of its own next to the suite's test database.
"""

from __future__ import annotations

import os
import re
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import environ
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import RECORD_VIOLATIONS

pytestmark = [pytest.mark.production, pytest.mark.browser]

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PASSWORD = "Shiji-prod-check-2026"
HTTPS = {"X-Forwarded-Proto": "https"}  # what the TLS proxy adds

# The README's "Production" steps, in order (the port aside), and its cron lines.
STEPS = [
    "manage.py check --deploy --fail-level WARNING",
    "manage.py migrate --no-input",
    "manage.py collectstatic --no-input",
    "manage.py createsuperuser --no-input --username admin --email admin@example.org",
]
SERVER = "gunicorn shiji.wsgi --bind 127.0.0.1:{port} --workers 3"
WORKER = "manage.py db_worker"
CRON = [
    "manage.py ledger_purge_jobs",
    "manage.py purge_staged_uploads",
    "manage.py purge_login_throttles",
    "manage.py audit_checkpoint",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def command(line: str, port: int = 0) -> list[str]:
    """A README line as argv: manage.py through this interpreter, gunicorn
    from this virtual environment."""
    argv = line.format(port=port).split()
    if argv[0] == "manage.py":
        return [sys.executable, str(ROOT / "manage.py"), *argv[1:]]
    return [str(BIN / argv[0]), *argv[1:]]


@pytest.fixture
def database_url(tmp_path):
    """Empty for SQLite (the default under SHIJI_VAR_DIR), else a fresh
    PostgreSQL database dropped afterwards."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        yield ""
        return
    import psycopg

    config = environ.Env.db_url_config(url)
    name = f"test_{config['NAME']}_production"
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    yield url.rsplit("/", 1)[0] + "/" + name
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def deployment(tmp_path, database_url):
    """The settings file of a production deployment and the environment to
    run its commands in: nothing from this test process leaks in."""
    port = free_port()
    settings = {
        "SHIJI_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "AUDIT_HMAC_KEYS": "prod:" + secrets.token_urlsafe(48),
        "ALLOWED_HOSTS": "127.0.0.1",
        # The origin the browser is at; in a real deployment https://<host>.
        "CSRF_TRUSTED_ORIGINS": f"http://127.0.0.1:{port}",
        "BEHIND_TLS_PROXY": "true",
        "SHIJI_VAR_DIR": str(tmp_path / "var"),  # does not exist yet
    }
    if database_url:
        settings["DATABASE_URL"] = database_url
    env_file = tmp_path / "shiji.env"
    env_file.write_text("".join(f"{k}={v}\n" for k, v in settings.items()))
    env = {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", str(tmp_path)),
        "LANG": "C.UTF-8",
        "SHIJI_ENV_FILE": str(env_file),
        "DJANGO_SUPERUSER_PASSWORD": PASSWORD,
    }
    return port, env, tmp_path


def run(line: str, env: dict) -> None:
    done = subprocess.run(  # noqa: S603 - our own commands
        command(line), env=env, cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, f"{line}\n{done.stdout}\n{done.stderr}"


def fetch(url: str, opener=None, **headers):
    """GET from our own loopback server (what the TLS proxy would forward)."""
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 - http://127.0.0.1 only
    return (opener or urllib.request.build_opener()).open(request, timeout=10)


def wait_until_serving(base: str, server: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert server.poll() is None, log.read_text()
        try:
            with fetch(base + "/accounts/login/", **HTTPS) as response:
                if response.status == 200:
                    return
        except OSError:  # not listening yet, or its workers still booting
            time.sleep(0.3)
    raise AssertionError("gunicorn did not start serving")


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


# real_clock: the worker/server is a process of its own, which --today cannot move.
def test_production_deploy_serves_pages_to_a_browser(
    real_clock, deployment, browser, browser_context_args, artifacts
):
    port, env, tmp = deployment
    assert not (tmp / "var").exists()
    for line in STEPS:
        run(line, env)
    assert (tmp / "var" / "static" / "staticfiles.json").is_file()  # the manifest

    base = f"http://127.0.0.1:{port}"
    logs = tmp / "logs"
    logs.mkdir()
    processes = []
    try:
        for line, log in ((SERVER, "gunicorn.log"), (WORKER, "worker.log")):
            out = (logs / log).open("w")
            processes.append(
                subprocess.Popen(  # noqa: S603 - our own commands
                    command(line, port), env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT
                )
            )
        server, worker = processes
        wait_until_serving(base, server, logs / "gunicorn.log")

        # The production protections are on: plain http is sent to https,
        # and what the proxy forwards gets HSTS and the CSP.
        with pytest.raises(urllib.error.HTTPError) as redirected:
            fetch(base + "/accounts/login/", urllib.request.build_opener(NoRedirect))
        assert redirected.value.code == 301
        assert redirected.value.headers["Location"] == f"https://127.0.0.1:{port}/accounts/login/"
        with fetch(base + "/accounts/login/", **HTTPS) as response:
            assert "max-age=31536000" in response.headers["Strict-Transport-Security"]
            assert "script-src 'self'" in response.headers["Content-Security-Policy"]

        browse(base, browser, browser_context_args, artifacts)
        assert worker.poll() is None, (logs / "worker.log").read_text()
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=30)
    log = (logs / "gunicorn.log").read_text()
    assert "Traceback" not in log, log

    for line in CRON:
        run(line, env)


def browse(base: str, browser, browser_context_args, artifacts) -> None:
    context = browser.new_context(**browser_context_args, extra_http_headers=HTTPS)
    context.add_init_script(RECORD_VIOLATIONS)
    elsewhere: list[str] = []
    failed: list[str] = []

    def only_loopback(route):
        if route.request.url == base + "/favicon.ico":
            # The site has no icon; Chromium's own request for one is no page's error.
            route.fulfill(status=204)
        elif route.request.url.startswith(base + "/"):
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort()

    context.route("**/*", only_loopback)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("response", lambda r: r.status >= 400 and failed.append(f"{r.status} {r.url}"))

    def clean(where: str) -> None:
        assert page.evaluate("window.__violations") == [], where
        assert errors == [], where
        assert failed == [], where

    # Signed out, the site sends us to the login form; sign in through it.
    page.goto(base + "/")
    expect(page.locator("#id_username")).to_be_visible()
    clean("login page")
    page.fill("#id_username", "admin")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator(".sj-brand")).to_be_visible()
    assert page.url == base + "/"
    session = next(c for c in context.cookies() if c["name"] == "sessionid")
    assert session["secure"] and session["httpOnly"]
    clean("home")

    page.get_by_role("link", name="问题整改台账").first.click()
    expect(page).to_have_url(re.compile(r"/ledger/"))
    expect(page.locator("#sj-ledger-filter")).to_be_visible()
    page.screenshot(path=artifacts / "production-ledger.png", full_page=True)
    clean("ledger")

    # The API docs: Swagger UI from the server's own static files, and a call
    # made from it with the signed-in session.
    page.goto(base + "/api/v1/docs")
    # Swagger UI is 1.5 MB of JavaScript: give a busy machine time to run it.
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Shiji API", timeout=30_000)
    me = page.locator(".opblock", has_text="/api/v1/me").first
    me.locator(".opblock-summary").click()
    me.locator("button.try-out__btn").click()
    me.locator("button.execute").click()
    expect(me.locator(".live-responses-table tbody .response-col_status").first).to_contain_text(
        "200", timeout=15_000
    )
    expect(me.locator(".live-responses-table")).to_contain_text('"admin"')
    clean("api docs")

    # The public portal, signed out in a context of its own: its forms pass
    # Django's CSRF check over HTTPS (a wrong code is answered, not refused
    # as a forgery, as it was while the portal asked for no-referrer and
    # Chromium sent "Origin: null").
    public = browser.new_context(**browser_context_args, extra_http_headers=HTTPS)
    public.route("**/*", only_loopback)
    portal = public.new_page()
    portal.goto(base + "/p/track/")
    portal.fill("#id_code", "K7MQ-4XZP-9R")
    portal.get_by_role("button", name="查询", exact=True).click()
    expect(portal.locator(".invalid-feedback")).to_contain_text("查询码不正确")
    public.close()

    assert elsewhere == []
    context.close()


def test_the_readme_gives_the_steps_this_check_runs():
    section = (ROOT / "README.md").read_text().split("## Production", 1)[1].split("\n## ", 1)[0]
    for line in [*STEPS, SERVER.format(port=8000), WORKER, *CRON]:
        assert line in section, line
    for name in (
        "SHIJI_ENV=production",
        "SECRET_KEY=",
        "AUDIT_HMAC_KEYS=",
        "BEHIND_TLS_PROXY=true",
    ):
        assert name in section, name
