"""Settings for Shiji, read from the environment (and a `.env` file).

Every value has a safe development default except in production, where
SECRET_KEY must be given and DEBUG is refused. Bad values fail at start with
ImproperlyConfigured naming the variable and what it accepts. Importing this
module writes nothing to disk: the SQLite backend makes its database folder
when it connects, collectstatic makes STATIC_ROOT, storage makes MEDIA_ROOT.
"""

import os
import re
from pathlib import Path

import environ
import jinja2
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

# The .env file is read before any setting, so that every variable below can
# come from it; a variable already in the environment wins over the file.
ENV_FILE = Path(os.environ.get("SHIJI_ENV_FILE") or BASE_DIR / ".env")
if "SHIJI_ENV_FILE" in os.environ and not ENV_FILE.is_file():
    raise ImproperlyConfigured(f"SHIJI_ENV_FILE names no file: {ENV_FILE}")
environ.Env.read_env(ENV_FILE, overwrite=False)
env = environ.Env()


def env_str(name: str, default: str) -> str:
    """A value, or the default when the variable is unset or empty."""
    return os.environ.get(name, "").strip() or default


def env_int(name: str, default: int, low: int, high: int) -> int:
    """A whole number within [low, high]; anything else stops the start."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = None
    if value is None or not low <= value <= high:
        raise ImproperlyConfigured(
            f"{name} must be a whole number from {low} to {high}, not {raw!r}"
        )
    return value


def env_bool(name: str, default: bool) -> bool:
    """true/false (also 1/0, yes/no, on/off); a typo such as DEBUG=ture stops the
    start instead of silently meaning false."""
    raw = os.environ.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in ("true", "1", "yes", "on"):
        return True
    if raw in ("false", "0", "no", "off"):
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {os.environ[name]!r}")


def env_choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    value = env_str(name, default)
    if value not in choices:
        raise ImproperlyConfigured(f"{name} must be one of {', '.join(choices)}, not {value!r}")
    return value


# Relative paths are taken from the repository folder, whatever the working directory.
VAR_DIR = BASE_DIR / env_str("SHIJI_VAR_DIR", "var")

# SHIJI_ENV=production switches on the strict defaults (secure cookies, HSTS,
# TLS redirect), makes SECRET_KEY mandatory and refuses DEBUG; development is
# the default so that `make demo` and the tests run on plain http://127.0.0.1.
SHIJI_ENV = env_choice("SHIJI_ENV", "development", ("development", "production"))
PRODUCTION = SHIJI_ENV == "production"
DEBUG = env_bool("DEBUG", False)
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured(
        "DEBUG=true is refused when SHIJI_ENV=production: debug pages show settings "
        "and source code to anyone."
    )
SECRET_KEY = env_str("SECRET_KEY", "")
if not SECRET_KEY:
    if PRODUCTION:
        raise ImproperlyConfigured("SECRET_KEY must be set in production (see README).")
    SECRET_KEY = "dev-only-insecure-key-change-me-0123456789-abcdefghijklmnopqrstuvwxyz"
# The test client's "testserver" is added by Django's test setup, not here.
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "csp",
    "django_htmx",
    "ninja",  # Swagger UI for /api/v1/docs from its own static files, not a CDN
    "django_tasks",
    "django_tasks_db",
    "shiji.core",
    "shiji.audit",
    "shiji.orgs",
    "shiji.campaigns",
    "shiji.ledger",
    "shiji.regulations",
    "shiji.study",
    "shiji.outreach",
    "shiji.assessment",
    "shiji.web",
    "shiji.demo",
    "shiji.national",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "shiji.core.middleware.ChosenLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "shiji.core.middleware.AppErrorMiddleware",
]

ROOT_URLCONF = "shiji.urls"
WSGI_APPLICATION = "shiji.wsgi.application"
ASGI_APPLICATION = "shiji.asgi.application"
AUTH_USER_MODEL = "orgs.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "shiji.web.context.shell",
            ],
        },
    },
    # Jinja2 renders only the rows of the hottest lists (<app>/jinja2/), from
    # values their views work out: Django's engine resolving ~700 cells was
    # most of a zone list's time (README "Benchmarks"). Pages, layouts and
    # everything with tags stay Django templates.
    {
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {"undefined": jinja2.StrictUndefined},
    },
]

# SQLite in WAL mode under var/ is the embedded default (through a thin backend
# that makes var/ when it first connects). IMMEDIATE transactions take the
# write lock up front, so two writers queue instead of failing with "database
# is locked" when a read turns into a write (the audit chain does that).
DATABASES = {
    "default": env.db_url_config(env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'shiji.sqlite3'}"))
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["ENGINE"] = "shiji.core.sqlite3"
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
        ),
    }
else:
    _options = DATABASES["default"].setdefault("OPTIONS", {})
    # A statement running longer than this is cancelled by the server (the
    # request answers 500 instead of holding a connection and its locks).
    # Off by default: migrations and db_worker's long jobs must not be cut;
    # give it to the app servers' environment only (README "Production").
    DB_STATEMENT_TIMEOUT = env_int("DB_STATEMENT_TIMEOUT", 0, 0, 3600)
    # No JIT compilation: the planner prices a grouped read with a subquery
    # per row (study coverage, a feedback's first answer: the roll-ups and
    # the national home page) above jit_above_cost, and compiling it took
    # 130-480 ms, more than running it; Shiji's queries are short reads that
    # JIT never pays back.
    # random_page_cost 1.1 instead of 4 (a disk seek): the data of a Shiji
    # server sits in memory or on SSD, where an index lookup costs about what
    # a sequential page does. At 4 the planner hashed the whole org,
    # category and people tables to join a page's 50 rows (6.7 ms of a zone
    # list's SQL; 1.5 ms at 1.1; the API's 11 ms, 2.1).
    _server = ["-c jit=off", "-c random_page_cost=1.1"]
    if DB_STATEMENT_TIMEOUT:
        _server.append(f"-c statement_timeout={DB_STATEMENT_TIMEOUT * 1000}")
    _options["options"] = " ".join(_server)
    # psycopg's connection pool (Django's OPTIONS["pool"], psycopg-pool): each
    # process keeps up to DB_POOL_SIZE connections for its threads. The pool
    # replaces persistent connections, which Django refuses beside it.
    DB_POOL_SIZE = env_int("DB_POOL_SIZE", 0, 0, 200)
    DB_POOL_TIMEOUT = env_int("DB_POOL_TIMEOUT", 10, 1, 600)
    if DB_POOL_SIZE:
        _options["pool"] = {
            "min_size": 1,
            "max_size": DB_POOL_SIZE,
            "timeout": DB_POOL_TIMEOUT,
        }
        DATABASES["default"]["CONN_MAX_AGE"] = 0
    else:
        DATABASES["default"].setdefault("CONN_MAX_AGE", env_int("CONN_MAX_AGE", 60, 0, 3600))
        DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# A read replica for reports (README "When one primary is not enough"): reads
# go there only inside shiji.core.db_router.replica_reads(), which report
# views choose; every other read and every write stays on the primary, so
# nobody reads their own write from a replica that has not replayed it yet.
_replica_url = env_str("DATABASE_REPLICA_URL", "")
if _replica_url:
    if not DATABASES["default"]["ENGINE"].startswith("django.db.backends.postgresql"):
        raise ImproperlyConfigured("DATABASE_REPLICA_URL needs a PostgreSQL DATABASE_URL")
    _replica = env.db_url_config(_replica_url)
    _replica["OPTIONS"] = {**DATABASES["default"].get("OPTIONS", {}), **_replica.get("OPTIONS", {})}
    for _key in ("CONN_MAX_AGE", "CONN_HEALTH_CHECKS"):
        if _key in DATABASES["default"]:
            _replica[_key] = DATABASES["default"][_key]
    # Tests read the replica through the primary's connection (no second
    # test database to keep in step).
    _replica["TEST"] = {"MIRROR": "default"}
    DATABASES["replica"] = _replica
    DATABASE_ROUTERS = ["shiji.core.db_router.ReplicaRouter"]

# A shared cache (CACHE_URL=redis://…) lets several app servers share
# sessions and the public rate limits; locmem is one process's own.
CACHES = {"default": env.cache_url_config(env_str("CACHE_URL", "locmemcache://"))}
# django-environ leaves key_prefix, timeout and version in lower case for
# Django's own RedisCache, which reads them only in upper case.
for _key in ("key_prefix", "timeout", "version"):
    if _key in CACHES["default"]:
        CACHES["default"][_key.upper()] = CACHES["default"].pop(_key)
SESSION_ENGINE = {
    "db": "django.contrib.sessions.backends.db",
    "cached_db": "django.contrib.sessions.backends.cached_db",
    "cache": "django.contrib.sessions.backends.cache",
}[env_choice("SESSION_STORE", "db", ("db", "cached_db", "cache"))]

# Argon2id's memory per hash, in MiB: Django's own 100 made every concurrent
# sign-in take 100 MB for ~0.5 s; 46 is OWASP's figure for one pass (Django
# makes two), measured in README "Sign-in cost".
# Hashes made with another cost still verify, and are rehashed at the next
# sign-in (README "Sign-in cost").
ARGON2_MEMORY_MB = env_int("ARGON2_MEMORY_MB", 46, 8, 1024)
PASSWORD_HASHERS = [
    "shiji.core.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Lockout, per username and client address: this many failures in a row lock
# sign-in for LOGIN_LOCKOUT_MINUTES; each further failure doubles the wait, up
# to LOGIN_LOCKOUT_MAX_MINUTES. A success or an admin's unlock starts afresh.
LOGIN_MAX_FAILURES = env_int("LOGIN_MAX_FAILURES", 5, 1, 1000)
LOGIN_LOCKOUT_MAX_MINUTES = env_int("LOGIN_LOCKOUT_MAX_MINUTES", 24 * 60, 1, 30 * 24 * 60)
LOGIN_LOCKOUT_MINUTES = env_int("LOGIN_LOCKOUT_MINUTES", 15, 1, LOGIN_LOCKOUT_MAX_MINUTES)
API_TOKEN_DAYS = env_int("API_TOKEN_DAYS", 30, 1, 365)


def env_rate(name: str, default: str) -> str:
    """A rate limit such as 5/h, 60/m or 10/15m (count / [n] s|m|h|d)."""
    value = env_str(name, default)
    if not re.fullmatch(r"\s*[1-9]\d{0,5}\s*/\s*([1-9]\d{0,3})?\s*[smhd]\s*", value):
        raise ImproperlyConfigured(
            f"{name} must be a rate such as 5/h, 60/m or 10/15m, not {value!r}"
        )
    return value


# The public portal and its API (no account), per client address: submissions,
# look-ups by tracking code, and wrong codes (past the limit an address is
# refused until its window ends).
PUBLIC_SUBMIT_LIMIT = env_rate("PUBLIC_SUBMIT_LIMIT", "5/h")
PUBLIC_LOOKUP_LIMIT = env_rate("PUBLIC_LOOKUP_LIMIT", "60/m")
PUBLIC_WRONG_CODE_LIMIT = env_rate("PUBLIC_WRONG_CODE_LIMIT", "10/15m")
# Where those counts live: the database (one row per address and limit, right
# for any number of processes on one database), or the cache, which takes the
# writes off the database when CACHE_URL is a shared Redis.
RATE_LIMIT_STORE = env_choice("RATE_LIMIT_STORE", "database", ("database", "cache"))


def base_url(name: str, value: str) -> str:
    """An address such as https://shiji.example.gov.cn (no path; a trailing
    slash is dropped), or "" for none."""
    value = value.rstrip("/")
    if value and not re.fullmatch(r"https?://[A-Za-z0-9.-]+(:\d{1,5})?", value):
        raise ImproperlyConfigured(
            f"{name} must be an address such as https://shiji.example.gov.cn, not {value!r}"
        )
    return value


# The address the public reaches the portal at, printed on the QR posters
# (/p/<zone>/poster/). Unset: the address of the request that asks for the
# poster, which is right when staff open it at the public address.
PUBLIC_BASE_URL = base_url("PUBLIC_BASE_URL", env_str("PUBLIC_BASE_URL", ""))

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]  # zh-only: each in its own language
# The language switch keeps its choice for a year (Django's default cookie
# ends with the browser session).
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
LANGUAGE_COOKIE_SAMESITE = "Lax"
LOCALE_PATHS = [BASE_DIR / "shiji" / "locale"]
TIME_ZONE = env_str("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"  # collectstatic's target; whitenoise serves from here
MEDIA_ROOT = BASE_DIR / env_str("MEDIA_ROOT", str(VAR_DIR / "media"))
# Evidence and uploads are never served as static media: downloads go
# through access-checked views. With S3_BUCKET they go to an S3-compatible
# object store (django-storages; the credentials come from boto3's usual
# AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY or the machine's role), so that
# several app servers see the same files.
S3_BUCKET = env_str("S3_BUCKET", "")
if S3_BUCKET:
    _media: dict = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": S3_BUCKET,
            "endpoint_url": env_str("S3_ENDPOINT_URL", "") or None,
            "region_name": env_str("S3_REGION", "") or None,
            # Private objects: never a public URL, and never overwritten
            # (stored_upload shares identical bytes on purpose).
            "default_acl": None,
            "querystring_auth": True,
            "file_overwrite": False,
            "signature_version": "s3v4",  # what current stores accept
        },
    }
else:
    _media = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
STORAGES = {
    "default": _media,
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
# Development serves static files straight from the apps (finders) and picks up
# edits without a restart; it never needs STATIC_ROOT to exist.
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_AUTOREFRESH = not PRODUCTION

# Uploads: evidence, rosters, workbooks.
MAX_UPLOAD_MB = env_int("MAX_UPLOAD_MB", 20, 1, 200)
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# Security: production gets strict settings by default.
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000 if PRODUCTION else 0, 0, 63072000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = PRODUCTION
SECURE_HSTS_PRELOAD = PRODUCTION
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", PRODUCTION)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", PRODUCTION)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", PRODUCTION)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 8 * 3600, 300, 30 * 24 * 3600)
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Behind the TLS proxy, trust its X-Forwarded-Proto; the client address is
# then the proxy's last X-Forwarded-For entry (shiji.core.client), else REMOTE_ADDR.
BEHIND_TLS_PROXY = env_bool("BEHIND_TLS_PROXY", False)

# make bench: /bench/empty/ answers (shiji/core/bench.py); a 404 otherwise.
BENCH_EMPTY_VIEW = env_bool("BENCH_EMPTY_VIEW", False)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if BEHIND_TLS_PROXY else None
# Content-Security-Policy (django-csp) on every response that has none of its
# own (an evidence download may set a stricter one, which is kept). No inline
# scripts, styles or style attributes anywhere: they live in static files.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        # Tabler draws its check marks and select carets as data: SVG backgrounds.
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}
SILENCED_SYSTEM_CHECKS = env.list("SILENCED_SYSTEM_CHECKS", default=[])

EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {
        "handlers": ["console"],
        "level": env_choice("LOG_LEVEL", "WARNING", ("DEBUG", "INFO", "WARNING", "ERROR")),
    },
}

# --- Audit trail (shiji/audit; README "Audit trail") --------------------------
# AUDIT_HMAC_KEYS signs the event chains: "id:secret[,id:secret…]", the first
# key signs, the others still verify (rotation). Development derives a key from
# SECRET_KEY; production must be given real keys. Checkpoints of the chains go
# to an append-only file outside the database, optionally also POSTed to a URL.
# The keys' format is checked when the audit app starts; their absence in
# production stops the server and every command that may write, but not
# collectstatic, which builds assets where no secret belongs
# (shiji/audit/keys.py, shiji/audit/checks.py, shiji/wsgi.py).
AUDIT_HMAC_KEYS = env_str("AUDIT_HMAC_KEYS", "")
AUDIT_CHECKPOINT_FILE = BASE_DIR / env_str(
    "AUDIT_CHECKPOINT_FILE", str(VAR_DIR / "audit" / "checkpoints.jsonl")
)
AUDIT_CHECKPOINT_URL = env_str("AUDIT_CHECKPOINT_URL", "")
