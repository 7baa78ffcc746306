"""The shared fixture world: two zones with an org tree each, a user for every
role in zone A, and outsiders. Built through the services, as users would."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.hashers import Argon2PasswordHasher
from django.core.cache import cache
from django.db import transaction
from django.db.backends.signals import connection_created
from django.test import override_settings
from django.utils import timezone, translation

from shiji.core.errors import Invalid
from shiji.orgs import policy, services
from shiji.orgs.models import Organization, User, Zone

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
PASSWORD = "Shiji-test-2026!"
# The fixtures build the world as the system would (a seeding command), not as a user.
SYSTEM = policy.system("tests")


@dataclass
class ZoneTree:
    zone: Zone
    root: Organization  # 党工委
    organ: Organization  # 机关党委
    dept: Organization  # 部门 under 机关党委
    econ: Organization  # 经济(社会)组织党委
    firm: Organization  # 非公企业支部 under econ
    soe: Organization  # 国企党委


@dataclass
class World:
    a: ZoneTree
    b: ZoneTree
    users: dict[str, User] = field(default_factory=dict)

    def __getitem__(self, key: str) -> User:
        return self.users[key]


def make_tree(code: str, name: str, province: str) -> ZoneTree:
    zone = services.zone_create(
        actor=SYSTEM, code=code, name=name, short_name=name[:2], province=province, city=name[:2]
    )

    def org(parent, name, kind, sector):
        return services.org_create(
            actor=SYSTEM, zone=zone, parent=parent, name=name, kind=kind, sector=sector
        )

    root = org(None, f"{name}党工委", "working_committee", "organ")
    organ = org(root, f"{name}机关党委", "committee", "organ")
    dept = org(organ, f"{name}经济发展局党支部", "branch", "organ")
    econ = org(root, f"{name}经济(社会)组织党委", "committee", "private")
    firm = org(econ, f"{name}某科技公司党支部", "branch", "private")
    soe = org(root, f"{name}投资集团党委", "committee", "soe")
    for o, people in ((dept, ["张三", "李四", "王五"]), (firm, ["赵六", "钱七"])):
        for p in people:
            services.person_create(actor=SYSTEM, org=o, name=p, position="干部")
    return ZoneTree(zone, root, organ, dept, econ, firm, soe)


def relative_day(days: int) -> dt.date:
    """Today on the test's clock plus ``days``: for a date whose value does
    not matter but must be in the past (``-7``) or the future (``30``)."""
    return timezone.localdate() + dt.timedelta(days=days)


def lock_out(username: str, client: str) -> None:
    """Fail sign-in as ``username`` from ``client`` until that pair is locked,
    through the service the login page and the token endpoint use."""
    for _ in range(settings.LOGIN_MAX_FAILURES):
        with pytest.raises(Invalid):
            services.authenticate_with_lockout(
                username=username, password="not-the-password", client=client
            )


def make_user(username: str, zone: Zone | None, grants: list[dict]) -> User:
    user = User.objects.create_user(username=username, password=PASSWORD, name=username, zone=zone)
    for g in grants:
        user.grants.create(**g)
    return user


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix, tmp_path_factory):
    """SQLite's test database in a file rather than in memory, so that a
    worker process a test starts (tests/ledger/test_worker_kill.py) sees it."""
    from django.conf import settings

    database = settings.DATABASES["default"]
    if database["ENGINE"].endswith("sqlite3"):  # Django's backend or shiji.core.sqlite3
        path = tmp_path_factory.mktemp("sqlite") / "test.sqlite3"
        database.setdefault("TEST", {})["NAME"] = str(path)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Argon2 is deliberately slow; the fixture world creates a dozen accounts
    # per test. Production keeps argon2 first (tests of hashing restore it).
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        "django.contrib.auth.hashers.Argon2PasswordHasher",
    ]


def build_world() -> World:
    """Two zones with their org trees, a user for every role in zone A, and
    outsiders (the ``world`` fixture, or a module's shared records)."""
    a = make_tree("za", "甲高新区", "江苏")
    b = make_tree("zb", "乙高新区", "广东")
    w = World(a=a, b=b)
    w.users = {
        "sysadmin": make_user("sysadmin", None, [{"role": "system_admin"}]),
        "national": make_user("national", None, [{"role": "viewer"}]),
        "provincial": make_user("provincial", None, [{"role": "viewer", "province": "江苏"}]),
        "zone_admin": make_user("zone_admin", a.zone, [{"role": "zone_admin", "zone": a.zone}]),
        "leader": make_user("leader", a.zone, [{"role": "leader", "zone": a.zone, "org": a.organ}]),
        "secretary": make_user(
            "secretary", a.zone, [{"role": "secretary", "zone": a.zone, "org": a.dept}]
        ),
        "liaison": make_user(
            "liaison", a.zone, [{"role": "liaison", "zone": a.zone, "org": a.dept}]
        ),
        "supervisor": make_user("supervisor", a.zone, [{"role": "supervisor", "zone": a.zone}]),
        "supervisor2": make_user("supervisor2", a.zone, [{"role": "supervisor", "zone": a.zone}]),
        "firm_secretary": make_user(
            "firm_secretary", a.zone, [{"role": "secretary", "zone": a.zone, "org": a.firm}]
        ),
        "outsider": make_user("outsider", b.zone, [{"role": "zone_admin", "zone": b.zone}]),
        "nobody": make_user("nobody", None, []),
    }
    return w


@pytest.fixture
def world(db) -> World:
    return build_world()


@dataclass
class Shared:
    """What ``shared_records`` built, and the media folder its files are in."""

    value: Any
    media: Path

    def media_copy(self, tmp_path: Path) -> Path:
        """A copy of the shared files for one test, which may add or remove
        files without the next test seeing it (as it sees none of its rows)."""
        return Path(shutil.copytree(self.media, tmp_path / "media"))


def shared_records(
    django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory, build: Callable[[], Any]
) -> Iterator[Shared]:
    """Records built once for a module whose tests only read them, instead of
    once per test: ``build()`` runs in a transaction that is rolled back after
    the module, and each test's own transaction (pytest-django's ``db``) is a
    savepoint inside it, so a test finds them exactly as built and what it
    writes is gone for the next one. For a module-scoped fixture (it needs
    ``django_db_setup``); not for ``transaction=True`` tests, which would
    flush them. Built with the settings the autouse fixtures give each test
    (quick hashing, a media folder of their own, the test's own audit
    checkpoints); a module with stored files overrides ``_media_root`` with
    ``Shared.media_copy``.

        @pytest.fixture(scope="module")
        def shared(django_db_setup, django_db_blocker, tmp_path_factory):
            yield from shared_records(django_db_blocker, tmp_path_factory, build_world)
    """
    media = tmp_path_factory.mktemp("shared-media")
    isolated = override_settings(
        PASSWORD_HASHERS=[
            "tests.conftest.QuickArgon2PasswordHasher",
            "django.contrib.auth.hashers.MD5PasswordHasher",
            "django.contrib.auth.hashers.Argon2PasswordHasher",
        ],
        MEDIA_ROOT=media,
        AUDIT_CHECKPOINT_FILE=media.parent / "audit-checkpoints.jsonl",
        AUDIT_CHECKPOINT_URL="",
    )
    outer = transaction.atomic()
    with django_db_blocker.unblock(), isolated, translation.override(settings.LANGUAGE_CODE):
        outer.__enter__()
        try:
            value = build()
        except BaseException:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            raise
    try:
        yield Shared(value, media)
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


def forget_memos(world: World) -> World:
    """The shared ``world`` of a module (``shared_records``) for the next test:
    the policy memoizes each user's grants and zones on the user object
    (``_shiji_*``, once per request in production), which a test that adds a
    zone or a grant would otherwise leave stale for the next one."""
    for user in world.users.values():
        for name in [n for n in vars(user) if n.startswith("_shiji_")]:
            delattr(user, name)
    return world


@pytest.fixture
def login(client):
    def _login(user: User):
        client.force_login(user)
        return client

    return _login


@pytest.fixture
def api(client):
    """A JSON client authenticated with a bearer token for ``user``."""

    class Api:
        def __init__(self, user: User | None):
            self.headers = {}
            if user is not None:
                self.headers["Authorization"] = "Bearer " + services.token_issue(user=user)

        def _call(self, method, path, data=None, **kw):
            fn = getattr(client, method)
            if data is not None and "format" not in kw:
                kw["content_type"] = "application/json"
            return (
                fn(path, data, headers=self.headers, **kw)
                if data is not None
                else fn(path, headers=self.headers, **kw)
            )

        def get(self, path, **kw):
            return self._call("get", path, **kw)

        def post(self, path, data=None, **kw):
            return self._call("post", path, data if data is not None else {}, **kw)

        def patch(self, path, data=None, **kw):
            return self._call("patch", path, data if data is not None else {}, **kw)

    return Api


@pytest.fixture(scope="session")
def browser_type_launch_args():
    # Debian's Chromium; never let Playwright download a browser.
    return {
        "executable_path": "/usr/bin/chromium",
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
            "--disable-sync",
            "--disable-quic",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "locale": "zh-CN", "viewport": {"width": 1366, "height": 900}}


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def libreoffice_profile(tmp_path_factory) -> Path:
    """A LibreOffice user profile for this test run, for printing exports to
    PDF (tests/paper.py): made once, on the first print."""
    return tmp_path_factory.mktemp("libreoffice-profile")


def _no_durability(sender, connection, **kwargs):
    # Tests do not need durability. On PostgreSQL a commit otherwise waits for
    # the WAL to reach the disk (5.8 ms here, against 0.1 ms without):
    # every migration while each worker's test database is made, every write
    # of a transactional or live-server test (each its own commit) and every
    # flush between them paid it. A crash loses the last commits of a test
    # database that is thrown away anyway; nothing else changes.
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA synchronous=OFF")
        elif connection.vendor == "postgresql":
            cursor.execute("SET synchronous_commit TO off")


connection_created.connect(_no_durability)


def _flush_by_delete() -> None:
    """On PostgreSQL, empty the tables after a transactional test (live
    server, ``transaction=True``) with DELETE rather than Django's TRUNCATE:
    TRUNCATE gives each of the ~70 tables and their indexes new files (3.4 s
    a flush on this 2-core machine under the helpers' load, against 0.05 s
    for deleting the few rows a test leaves). The foreign keys
    Django makes are deferred, so the order does not matter; the tables end
    up as empty as after TRUNCATE, and the sequences are not reset either way
    (``reset_sequences`` and ``available_apps`` keep Django's own SQL)."""
    try:
        from django.db.backends.postgresql.operations import DatabaseOperations
    except ImportError:  # no psycopg: SQLite only
        return
    truncate = DatabaseOperations.sql_flush

    def sql_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        if reset_sequences or allow_cascade:
            return truncate(
                self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade
            )
        # Every table is emptied, so the foreign keys' checks at commit (one
        # per deleted row) are skipped (as shiji.national.generator does).
        # The names are the tables Django introspected, quoted.
        return [
            "SET LOCAL session_replication_role = replica;",
            *(f"DELETE FROM {self.quote_name(table)};" for table in tables),  # noqa: S608
        ]

    DatabaseOperations.sql_flush = sql_flush


_flush_by_delete()


class QuickArgon2PasswordHasher(Argon2PasswordHasher):
    """Argon2 with the same hash format as production ("argon2$argon2id$…") but
    a tiny cost: at the production cost every test user takes about half a
    second of CPU, which dominated the suite's run time."""

    time_cost = 1
    memory_cost = 256
    parallelism = 1


@pytest.fixture(autouse=True)
def _quick_password_hashing(settings):
    settings.PASSWORD_HASHERS = [
        "tests.conftest.QuickArgon2PasswordHasher",
        *settings.PASSWORD_HASHERS,
    ]


@pytest.fixture(autouse=True)
def _chinese_by_default():
    # Django keeps the active language per thread: a request in English (or a
    # test that switched) would leave the next test running in English. Every
    # test starts in the product's default and puts it back afterwards.
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _empty_cache():
    # The home page keeps its figures in the cache under each zone's audit
    # chain head (shiji/web/summaries.py). A test's rows and heads roll back
    # and the next test's repeat their ids and versions: each test starts
    # with nothing cached, as a new deployment does.
    cache.clear()


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    # Files a test uploads (evidence, materials, rule texts) go to its own
    # temporary folder, never var/media.
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _own_audit_checkpoints(settings, tmp_path):
    # Each test's audit chains are compared with its own checkpoints only,
    # never with the ones a demo server wrote under var/.
    settings.AUDIT_CHECKPOINT_FILE = tmp_path / "audit-checkpoints.jsonl"
    settings.AUDIT_CHECKPOINT_URL = ""
