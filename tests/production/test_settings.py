"""Settings: the .env file is read before any setting, bad values stop the
start with a message naming the variable and what it accepts, production
refuses DEBUG, importing the settings writes nothing to disk, and the
README's configuration table states the code's defaults.

Settings are a module read once per process, so each case runs Python in a
subprocess with a crafted environment and its own settings file."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()
SETTINGS_PY = (ROOT / "shiji" / "settings.py").read_text()
PRODUCTION = {"SHIJI_ENV": "production", "SECRET_KEY": "k" * 50, "AUDIT_HMAC_KEYS": "t:" + "k" * 40}

# Prints every setting (paths resolved) as JSON.
DUMP = """
import json, pathlib, shiji.settings as s
def plain(v):
    if isinstance(v, pathlib.Path):
        return str(v.resolve())
    if isinstance(v, dict):
        return {k: plain(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [plain(x) for x in v]
    return v if isinstance(v, (str, int, float, bool, type(None))) else repr(v)
print(json.dumps({k: plain(getattr(s, k)) for k in dir(s) if k.isupper()}))
"""


@pytest.fixture
def env_file(tmp_path) -> Path:
    """An empty settings file, so that a developer's own .env never leaks in."""
    path = tmp_path / "shiji.env"
    path.write_text("")
    return path


def python(code: str, env_file: Path, **variables: str) -> subprocess.CompletedProcess:
    env = {
        "PATH": os.environ["PATH"],
        "LANG": "C.UTF-8",
        "SHIJI_ENV_FILE": str(env_file),
        "DJANGO_SETTINGS_MODULE": "shiji.settings",
        **variables,
    }
    return subprocess.run(  # noqa: S603 - our own interpreter
        [sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, timeout=60
    )


def manage(env_file: Path, *args: str, **variables: str) -> subprocess.CompletedProcess:
    return python(
        "from django.core.management import execute_from_command_line\n"
        f"execute_from_command_line(['manage.py', *{list(args)!r}])",
        env_file,
        **variables,
    )


def settings_of(env_file: Path, **variables: str) -> dict:
    done = python(DUMP, env_file, **variables)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def refusal(env_file: Path, **variables: str) -> str:
    """The ImproperlyConfigured message the settings stop with."""
    done = python("import shiji.settings", env_file, **variables)
    assert done.returncode != 0, f"accepted {variables}"
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("django.core.exceptions.ImproperlyConfigured: "), done.stderr
    return last.split(": ", 1)[1]


def test_the_env_file_is_read_before_any_setting(env_file, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    env_file.write_text(f"SHIJI_VAR_DIR={elsewhere}\nMAX_UPLOAD_MB=7\nDEBUG=true\n")
    values = settings_of(env_file)
    assert values["VAR_DIR"] == str(elsewhere)
    assert values["DATABASES"]["default"]["NAME"] == str(elsewhere / "shiji.sqlite3")
    assert values["STATIC_ROOT"] == str(elsewhere / "static")
    assert values["MEDIA_ROOT"] == str(elsewhere / "media")
    assert values["MAX_UPLOAD_MB"] == 7
    assert values["DEBUG"] is True


def test_the_environment_wins_over_the_env_file(env_file):
    env_file.write_text("MAX_UPLOAD_MB=7\n")
    assert settings_of(env_file, MAX_UPLOAD_MB="9")["MAX_UPLOAD_MB"] == 9


def test_a_named_env_file_that_is_missing_stops_the_start(tmp_path):
    message = refusal(tmp_path / "missing.env")
    assert message == f"SHIJI_ENV_FILE names no file: {tmp_path / 'missing.env'}"


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("MAX_UPLOAD_MB", "0", "MAX_UPLOAD_MB must be a whole number from 1 to 200, not '0'"),
        ("MAX_UPLOAD_MB", "20MB", "MAX_UPLOAD_MB must be a whole number from 1 to 200, not '20MB'"),
        (
            "LOGIN_MAX_FAILURES",
            "-1",
            "LOGIN_MAX_FAILURES must be a whole number from 1 to 1000, not '-1'",
        ),
        (
            "LOGIN_LOCKOUT_MINUTES",
            "1441",
            "LOGIN_LOCKOUT_MINUTES must be a whole number from 1 to 1440, not '1441'",
        ),
        (
            "LOGIN_LOCKOUT_MAX_MINUTES",
            "43201",
            "LOGIN_LOCKOUT_MAX_MINUTES must be a whole number from 1 to 43200, not '43201'",
        ),
        ("API_TOKEN_DAYS", "0", "API_TOKEN_DAYS must be a whole number from 1 to 365, not '0'"),
        (
            "SESSION_COOKIE_AGE",
            "60",
            "SESSION_COOKIE_AGE must be a whole number from 300 to 2592000, not '60'",
        ),
        (
            "SECURE_HSTS_SECONDS",
            "1e9",
            "SECURE_HSTS_SECONDS must be a whole number from 0 to 63072000, not '1e9'",
        ),
        ("DEBUG", "ture", "DEBUG must be true or false, not 'ture'"),
        ("BEHIND_TLS_PROXY", "https", "BEHIND_TLS_PROXY must be true or false, not 'https'"),
        (
            "PUBLIC_BASE_URL",
            "shiji.example.gov.cn/p",
            "PUBLIC_BASE_URL must be an address such as https://shiji.example.gov.cn, "
            "not 'shiji.example.gov.cn/p'",
        ),
        ("SHIJI_ENV", "prod", "SHIJI_ENV must be one of development, production, not 'prod'"),
        ("LOG_LEVEL", "LOUD", "LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR, not 'LOUD'"),
        (
            "ARGON2_MEMORY_MB",
            "7",
            "ARGON2_MEMORY_MB must be a whole number from 8 to 1024, not '7'",
        ),
        (
            "SESSION_STORE",
            "redis",
            "SESSION_STORE must be one of db, cached_db, cache, not 'redis'",
        ),
        (
            "RATE_LIMIT_STORE",
            "redis",
            "RATE_LIMIT_STORE must be one of database, cache, not 'redis'",
        ),
    ],
)
def test_a_bad_value_stops_the_start_naming_the_variable_and_its_range(
    env_file, name, value, message
):
    assert refusal(env_file, **{name: value}) == message
    # The same from the settings file.
    env_file.write_text(f"{name}={value}\n")
    assert refusal(env_file) == message


def test_the_first_lockout_wait_cannot_exceed_the_longest(env_file):
    assert (
        refusal(env_file, LOGIN_LOCKOUT_MAX_MINUTES="60", LOGIN_LOCKOUT_MINUTES="90")
        == "LOGIN_LOCKOUT_MINUTES must be a whole number from 1 to 60, not '90'"
    )


def test_conn_max_age_is_checked_for_postgresql(env_file):
    url = "postgres://shiji@127.0.0.1:5432/shiji"
    assert (
        refusal(env_file, DATABASE_URL=url, CONN_MAX_AGE="7200")
        == "CONN_MAX_AGE must be a whole number from 0 to 3600, not '7200'"
    )
    values = settings_of(env_file, DATABASE_URL=url, CONN_MAX_AGE="0")
    assert values["DATABASES"]["default"]["CONN_MAX_AGE"] == 0


PG_URL = "postgres://shiji@127.0.0.1:5432/shiji"


def test_postgresql_pool_and_statement_timeout(env_file):
    plain = settings_of(env_file, DATABASE_URL=PG_URL)["DATABASES"]["default"]
    # No pool and no timeout unless asked for; JIT always off (its compiling
    # cost more than running the roll-ups' queries).
    assert "pool" not in plain["OPTIONS"] and plain["OPTIONS"]["options"] == "-c jit=off -c random_page_cost=1.1"
    assert plain["CONN_MAX_AGE"] == 60
    pooled = settings_of(
        env_file,
        DATABASE_URL=PG_URL,
        DB_POOL_SIZE="8",
        DB_POOL_TIMEOUT="5",
        DB_STATEMENT_TIMEOUT="30",
    )["DATABASES"]["default"]
    assert pooled["OPTIONS"]["pool"] == {"min_size": 1, "max_size": 8, "timeout": 5}
    # Django refuses persistent connections beside a pool.
    assert pooled["CONN_MAX_AGE"] == 0
    assert pooled["OPTIONS"]["options"] == "-c jit=off -c random_page_cost=1.1 -c statement_timeout=30000"
    assert (
        refusal(env_file, DATABASE_URL=PG_URL, DB_POOL_SIZE="201")
        == "DB_POOL_SIZE must be a whole number from 0 to 200, not '201'"
    )
    assert (
        refusal(env_file, DATABASE_URL=PG_URL, DB_STATEMENT_TIMEOUT="30s")
        == "DB_STATEMENT_TIMEOUT must be a whole number from 0 to 3600, not '30s'"
    )


def test_a_read_replica_adds_its_database_and_the_router(env_file):
    assert "DATABASE_ROUTERS" not in settings_of(env_file, DATABASE_URL=PG_URL)
    values = settings_of(
        env_file,
        DATABASE_URL=PG_URL,
        DATABASE_REPLICA_URL="postgres://shiji@10.0.0.2:5432/shiji",
        DB_STATEMENT_TIMEOUT="30",
    )
    replica = values["DATABASES"]["replica"]
    assert replica["HOST"] == "10.0.0.2"
    assert replica["OPTIONS"]["options"] == "-c jit=off -c random_page_cost=1.1 -c statement_timeout=30000"
    assert replica["TEST"] == {"MIRROR": "default"}
    assert values["DATABASE_ROUTERS"] == ["shiji.core.db_router.ReplicaRouter"]
    assert (
        refusal(env_file, DATABASE_REPLICA_URL="postgres://shiji@10.0.0.2:5432/shiji")
        == "DATABASE_REPLICA_URL needs a PostgreSQL DATABASE_URL"
    )


def test_shared_sessions_rate_limits_and_object_storage(env_file):
    values = settings_of(env_file)
    assert values["SESSION_ENGINE"] == "django.contrib.sessions.backends.db"
    assert values["RATE_LIMIT_STORE"] == "database"
    assert values["STORAGES"]["default"]["BACKEND"].endswith("FileSystemStorage")
    values = settings_of(
        env_file,
        CACHE_URL="redis://127.0.0.1:6379/0?key_prefix=shiji",
        SESSION_STORE="cache",
        RATE_LIMIT_STORE="cache",
        S3_BUCKET="evidence",
        S3_ENDPOINT_URL="http://127.0.0.1:9000",
    )
    assert values["CACHES"]["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    assert values["CACHES"]["default"]["KEY_PREFIX"] == "shiji"
    assert values["SESSION_ENGINE"] == "django.contrib.sessions.backends.cache"
    storage = values["STORAGES"]["default"]
    assert storage["BACKEND"] == "storages.backends.s3.S3Storage"
    assert storage["OPTIONS"]["bucket_name"] == "evidence"
    assert storage["OPTIONS"]["endpoint_url"] == "http://127.0.0.1:9000"
    assert storage["OPTIONS"]["file_overwrite"] is False


def test_manage_py_reports_a_bad_value_at_start(env_file):
    done = manage(env_file, "check", MAX_UPLOAD_MB="0")
    assert done.returncode != 0
    assert "MAX_UPLOAD_MB must be a whole number from 1 to 200, not '0'" in done.stderr


def test_production_refuses_debug(env_file):
    assert refusal(env_file, **PRODUCTION, DEBUG="true") == (
        "DEBUG=true is refused when SHIJI_ENV=production: debug pages show settings "
        "and source code to anyone."
    )
    assert settings_of(env_file, **PRODUCTION, DEBUG="false")["DEBUG"] is False


def test_production_requires_a_secret_key(env_file):
    assert refusal(env_file, SHIJI_ENV="production") == (
        "SECRET_KEY must be set in production (see README)."
    )


def test_importing_the_settings_creates_no_directory(env_file, tmp_path):
    var = tmp_path / "var"
    done = python(DUMP, env_file, SHIJI_VAR_DIR=str(var))
    assert done.returncode == 0, done.stderr
    done = manage(env_file, "check", SHIJI_VAR_DIR=str(var))
    assert done.returncode == 0, done.stderr
    assert not var.exists()


def test_the_sqlite_database_folder_is_made_when_first_connecting(env_file, tmp_path):
    var = tmp_path / "not" / "yet"
    done = python(
        "import django; django.setup()\n"
        "from django.db import connection\n"
        "connection.ensure_connection()\n",
        env_file,
        SHIJI_VAR_DIR=str(var),
    )
    assert done.returncode == 0, done.stderr
    assert (var / "shiji.sqlite3").is_file()


# The README's configuration table ------------------------------------------------


def readme_table() -> dict[str, str]:
    """{variable: default cell} from the README's configuration table."""
    section = README.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 3 and re.fullmatch(r"`[A-Z_]+`", cells[0]):
            rows[cells[0].strip("`")] = cells[1]
    return rows


def variables_read_by_the_code() -> set[str]:
    calls = r'(?:env_str|env_int|env_bool|env_choice|env\.\w+|os\.environ\.get)\(\s*"([A-Z_]+)"'
    return set(re.findall(calls, SETTINGS_PY))


def test_the_readme_documents_every_variable_the_settings_read():
    assert set(readme_table()) == variables_read_by_the_code()


def readme_defaults(mode: str) -> dict[str, str]:
    """The defaults the README states as values, for development or production:
    "`x`", "`x` in production, `y` otherwise", "(none)" for empty."""
    out = {}
    for name, cell in readme_table().items():
        if m := re.fullmatch(r"`([^`]*)`", cell):
            out[name] = m.group(1)
        elif m := re.fullmatch(r"`([^`]*)` in production, `([^`]*)` otherwise", cell):
            out[name] = m.group(1) if mode == "production" else m.group(2)
        elif cell == "(none)":
            out[name] = ""
    return out


def test_the_readme_states_a_value_for_all_but_the_described_defaults():
    described = set(readme_table()) - set(readme_defaults("development"))
    # These defaults are described in words: a path, a key, a file.
    assert described == {"SHIJI_ENV_FILE", "SECRET_KEY", "DATABASE_URL"}


@pytest.mark.parametrize("mode", ["development", "production"])
def test_setting_every_variable_to_its_readme_default_changes_nothing(env_file, mode):
    base = PRODUCTION if mode == "production" else {}
    stated = {k: v for k, v in readme_defaults(mode).items() if k not in base}
    assert settings_of(env_file, **base, **stated) == settings_of(env_file, **base)
    # CONN_MAX_AGE applies to PostgreSQL only.
    pg = {**base, "DATABASE_URL": "postgres://shiji@127.0.0.1:5432/shiji"}
    assert settings_of(env_file, **pg, CONN_MAX_AGE=stated["CONN_MAX_AGE"]) == settings_of(
        env_file, **pg
    )
