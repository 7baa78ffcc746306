"""``make bench``: Shiji's pages, exports and imports measured on a generated
national data set, each figure beside its floor (not a test).

    .venv/bin/python bench/run.py                      # both databases, full size
    .venv/bin/python bench/run.py --db sqlite --runs 10
    .venv/bin/python bench/run.py --quick --db sqlite  # a smoke test: tiny data, few runs

For each database it builds the data set once (``manage.py generate_national``;
cached by its parameters: a SQLite file var/bench/<params>.sqlite3, or the
PostgreSQL database ``shiji_bench`` on 127.0.0.1:5432, created if missing and
regenerated only when ``generate_national --check`` says it holds other
parameters), runs collectstatic into var/bench/server and starts gunicorn with
the production settings (SHIJI_ENV=production, DEBUG off, whitenoise serving
the manifest's files) on loopback, one worker and one thread. Each role signs
in through the login form (a session and its CSRF token); every page is
fetched ``--warmup`` times, then ``--runs`` times timed with
time.perf_counter, and reported as median and p95.

Floors, measured in the same run: the raw SQL of each list (captured from
the page through Django's test client, run again through a bare sqlite3 /
psycopg connection); an empty Django view through the same server
(/bench/empty/), an empty page for a signed-in user (/bench/page/: the
session, the user, the grants and the layout every page renders) and an
empty API call (/api/v1/bench/empty), all three on only with
BENCH_EMPTY_VIEW (shiji/core/bench.py), each page beside the signed-in one
of its kind; and bare XlsxWriter writing the exported cells. The export
and the import dry runs run in a process of their own (bench/inproc.py),
which reports its time and peak RSS. Then
gunicorn restarts with 2 workers × 8 threads for a bounded load (50 clients,
60 s): each client, the admin of a zone of its own, goes round its zone's
pages, list filters, a progress note, and the zone's public portal and a
public submission; it reports throughput, p95, errors, the rows each kind of
write added against its 2xx answers, the server's RSS sampled during the run
and, on PostgreSQL, the lock waits seen in pg_locks (README "Benchmarks").

Results: bench/results/<db>-<date>.json and a markdown table on stdout.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.stats import Figure, from_samples, table  # noqa: E402

BIN = Path(sys.executable).parent
PASSWORD = "Shiji-national-2026"
PG_SERVER = "postgres://postgres@127.0.0.1:5432"
PG_NAME = "shiji_bench"
VAR = ROOT / "var" / "bench"
RESULTS = ROOT / "bench" / "results"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--zones", type=int, default=None, help="default: every zone")
    parser.add_argument("--problems-per-zone", type=int, default=575)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--runs", type=int, default=20, help="timed runs of each page")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--clients", type=int, default=50, help="concurrent clients of the load")
    parser.add_argument("--seconds", type=float, default=60, help="length of the load")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers of the load")
    # 2 × 8 served 2.2-2.3× the requests of 2 × 4 in back-to-back runs (README
    # "Production at scale"): a thread waiting on PostgreSQL leaves the core
    # to another.
    parser.add_argument("--threads", type=int, default=8, help="threads per worker of the load")
    parser.add_argument(
        "--only",
        choices=("pages", "files", "load"),
        action="append",
        help="measure only these parts (repeatable; default: all)",
    )
    parser.add_argument(
        "--database-url",
        help="measure this existing database as it is (no build, no --check): "
        "e.g. a scratch copy of a generated one; the load writes to it",
    )
    parser.add_argument("--quick", action="store_true", help="tiny data, few runs")
    parser.add_argument("--results", type=Path, default=RESULTS, help="where the JSON goes")
    parser.add_argument("--no-import-100k", action="store_true", help="skip the 100k dry run")
    args = parser.parse_args(argv)
    args.extra = []  # further generate_national options
    if args.quick:
        args.zones = args.zones or 3
        args.problems_per_zone = 40
        args.runs = min(args.runs, 5)
        args.warmup = 1
        args.clients, args.seconds = 5, 3.0
        args.extra = ["--people-per-zone", "250", "--sessions-per-zone", "5"]
        args.extra += ["--feedback-per-zone", "2"]
        args.no_import_100k = True
    args.only = set(args.only or ("pages", "files", "load"))
    return args


def params_key(args: argparse.Namespace) -> str:
    zones = "all" if args.zones is None else args.zones
    key = f"z{zones}-p{args.problems_per_zone}-s{args.seed}"
    return key + ("-quick" if args.quick else "")


# Processes -------------------------------------------------------------------


def base_env(database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "SHIJI_"))}
    env.update(
        DATABASE_URL=database_url,
        SHIJI_VAR_DIR=str(VAR / "server"),
        DJANGO_SETTINGS_MODULE="shiji.settings",
        LANG="C.UTF-8",
    )
    env.pop("DEBUG", None)
    return env


def production_env(database_url: str, port: int) -> dict[str, str]:
    env = base_env(database_url)
    env.update(
        SHIJI_ENV="production",
        SECRET_KEY=secrets.token_urlsafe(50),
        AUDIT_HMAC_KEYS="bench:" + secrets.token_urlsafe(48),
        ALLOWED_HOSTS="127.0.0.1",
        CSRF_TRUSTED_ORIGINS=f"https://127.0.0.1:{port}",
        BEHIND_TLS_PROXY="true",  # the client sends X-Forwarded-Proto: https
        BENCH_EMPTY_VIEW="true",
        LOG_LEVEL="ERROR",
    )
    return env


def manage(env: dict[str, str], *argv: str, check: bool = True) -> int:
    done = subprocess.run(  # noqa: S603 - our own command
        [sys.executable, str(ROOT / "manage.py"), *argv],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if check and done.returncode != 0:
        raise SystemExit(f"manage.py {' '.join(argv)} failed:\n{done.stdout}\n{done.stderr}")
    return done.returncode


def inproc(env: dict[str, str], *argv: str) -> dict[str, Any]:
    done = subprocess.run(  # noqa: S603 - our own script
        [sys.executable, str(ROOT / "bench" / "inproc.py"), *argv],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    for line in done.stdout.splitlines():
        if line.startswith("BENCH-JSON "):
            return json.loads(line.removeprefix("BENCH-JSON "))
    raise SystemExit(f"bench/inproc.py {argv[0]} failed:\n{done.stdout}\n{done.stderr}")


def database_url(db: str, args: argparse.Namespace) -> str:
    if db == "sqlite":
        VAR.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{VAR / (params_key(args) + '.sqlite3')}"
    name = PG_NAME + ("_quick" if args.quick else "")
    import psycopg

    with psycopg.connect(PG_SERVER + "/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
    return f"{PG_SERVER}/{name}"


def build(env: dict[str, str], args: argparse.Namespace) -> float:
    """The data set, unless the database already holds it; its build time."""
    manage(env, "migrate", "--no-input")
    options = ["--problems-per-zone", str(args.problems_per_zone), "--seed", str(args.seed)]
    if args.zones is not None:
        options += ["--zones", str(args.zones)]
    options += args.extra
    if manage(env, "generate_national", *options, "--check", check=False) == 0:
        return 0.0
    started = time.perf_counter()
    manage(env, "generate_national", *options, "--replace")
    return time.perf_counter() - started


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """gunicorn with the production settings on a loopback port."""

    def __init__(self, env: dict[str, str], port: int, workers: int, threads: int):
        self.port = port
        self.log = tempfile.NamedTemporaryFile(prefix="shiji-bench-gunicorn-", suffix=".log")  # noqa: SIM115
        argv = [str(BIN / "gunicorn"), "shiji.wsgi", "--bind", f"127.0.0.1:{port}"]
        argv += ["--workers", str(workers), "--threads", str(threads), "--timeout", "600"]
        self.process = subprocess.Popen(  # noqa: S603 - our own command
            argv, env=env, cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit("gunicorn stopped:\n" + Path(self.log.name).read_text())
            try:
                if Client(port).get("/accounts/login/")[0] == 200:
                    return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise SystemExit("gunicorn did not start serving")

    def rss_mb(self) -> float:
        """Resident memory of the master and its workers."""
        total = 0
        pids = [self.process.pid]
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        if children.exists():
            pids += [int(p) for p in children.read_text().split()]
        for pid in pids:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        return total / 1024

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


# HTTP ------------------------------------------------------------------------


class Client:
    """One signed-in session against the server (a connection per request:
    gunicorn's sync worker closes each one)."""

    def __init__(self, port: int):
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(
        self, method: str, path: str, body: bytes | None = None, headers: dict | None = None
    ) -> tuple[int, bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=600)
        head = {"X-Forwarded-Proto": "https", "Host": f"127.0.0.1:{self.port}"}
        if self.cookies:
            head["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if method != "GET":
            origin = f"https://127.0.0.1:{self.port}"
            head.update(Origin=origin, Referer=origin + path)
            if "csrftoken" in self.cookies:
                head["X-CSRFToken"] = self.cookies["csrftoken"]
        head.update(headers or {})
        try:
            conn.request(method, path, body=body, headers=head)
            response = conn.getresponse()
            data = response.read()
            for raw in response.headers.get_all("Set-Cookie") or []:
                cookie: SimpleCookie = SimpleCookie()
                cookie.load(raw)
                for key, morsel in cookie.items():
                    self.cookies[key] = morsel.value
            return response.status, data
        finally:
            conn.close()

    def get(self, path: str) -> tuple[int, bytes]:
        return self.request("GET", path)

    def login(self, username: str) -> Client:
        status, page = self.get("/accounts/login/")
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        if status != 200 or token is None:
            raise SystemExit(f"login page: {status}")
        form = f"csrfmiddlewaretoken={token.group(1).decode()}&username={username}"
        form += f"&password={PASSWORD}"
        status, _ = self.request(
            "POST",
            "/accounts/login/",
            form.encode(),
            {"Content-Type": "application/x-www-form-urlencoded"},
        )
        if status != 302 or "sessionid" not in self.cookies:
            raise SystemExit(f"sign-in as {username} failed ({status})")
        return self


def timed(client: Client, path: str, runs: int, warmup: int) -> list[float]:
    for _ in range(warmup):
        status, _ = client.get(path)
        if status != 200:
            raise RuntimeError(f"{path}: {status}")
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        status, _ = client.get(path)
        samples.append(time.perf_counter() - started)
        if status != 200:
            raise RuntimeError(f"{path}: {status}")
    return samples


# Floors ----------------------------------------------------------------------


def raw_sql_samples(url: str, sql: list[str], runs: int, warmup: int) -> list[float]:
    """The list's SQL (its page's ids, then their rows) through a bare
    driver connection (no Django), one sample for the statements together."""
    if url.startswith("sqlite"):
        import sqlite3

        conn: Any = sqlite3.connect(url.removeprefix("sqlite:///"))
    else:
        import psycopg

        conn = psycopg.connect(url, autocommit=True)
    samples = []
    try:
        for i in range(warmup + runs):
            started = time.perf_counter()
            for statement in sql:
                conn.execute(statement).fetchall()
            if i >= warmup:
                samples.append(time.perf_counter() - started)
    finally:
        conn.close()
    return samples


def count_rows(url: str, table_name: str) -> int:
    if url.startswith("sqlite"):
        import sqlite3

        with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
            return conn.execute(f"SELECT COUNT(*) FROM {table_name}").fetchone()[0]  # noqa: S608
    import psycopg

    with psycopg.connect(url) as conn:
        return conn.execute(f"SELECT COUNT(*) FROM {table_name}").fetchone()[0]  # noqa: S608


# The benchmark ----------------------------------------------------------------


ROLES = ("leader", "secretary", "liaison", "supervisor")


def pages(info: dict[str, Any]) -> list[tuple[str, str, str, bool]]:
    """(figure, user, path, is a list with a raw-SQL floor)."""
    zone, admin = info["zone_id"], info["zone_admin"]
    items = [
        ("zone list (HTML)", admin, "/ledger/", True),
        ("zone list (JSON)", admin, f"/api/v1/problems?zone={zone}", True),
        (
            "all zones, open, by deadline (HTML)",
            "national",
            "/ledger/?status=open&sort=deadline",
            True,
        ),
        (
            "all zones, open, by deadline (JSON)",
            "national",
            "/api/v1/problems?status=open&sort=deadline",
            True,
        ),
        ("all zones, every status, by deadline (HTML)", "national", "/ledger/?sort=deadline", True),
        (
            "all zones, every status, by deadline (JSON)",
            "national",
            "/api/v1/problems?sort=deadline",
            True,
        ),
        ("problem page", admin, f"/ledger/{info['problem_id']}/", False),
        ("home: zone admin", admin, "/", False),
        ("home: national viewer", "national", "/", False),
        ("home: system admin", "admin", "/", False),
        ("我的待办 (zone admin)", admin, "/ledger/inbox/", False),
        ("roll-up: campaign scores (national)", "national", "/assessment/campaign/", False),
        ("roll-up: zone comparison (national)", "national", "/assessment/compare/", False),
        ("dashboard: task matrix (zone admin)", admin, "/campaigns/tasks/matrix/", False),
        ("roll-up: reports (national)", "national", "/reports/rollup/", False),
        ("dashboard: zone reports (zone admin)", admin, f"/reports/zones/{zone}/", False),
    ]
    if info.get("province"):
        items.insert(10, ("home: province viewer", info["province"], "/", False))
    # The zone's other roles (generate_national's <zone>_<role> accounts):
    # each one's home page and 我的待办.
    zone_code = admin.removesuffix("_admin")
    for role in ROLES:
        items.append((f"home: zone {role}", f"{zone_code}_{role}", "/", False))
    for role in ROLES:
        items.append((f"我的待办 (zone {role})", f"{zone_code}_{role}", "/ledger/inbox/", False))
    return items  # fmt: skip


def measure_pages(port: int, url: str, env: dict, info: dict, args) -> list[Figure]:
    sessions: dict[str, Client] = {}

    def session(user: str) -> Client:
        if user not in sessions:
            sessions[user] = Client(port).login(user)
        return sessions[user]

    admin = session(info["zone_admin"])
    empty = from_samples("empty Django view", timed(admin, "/bench/empty/", args.runs, args.warmup))
    # What any signed-in page and API call cost before their own work: the
    # session, the user, the grants and, for a page, the layout.
    page = from_samples(
        "signed-in empty page", timed(admin, "/bench/page/", args.runs, args.warmup)
    )
    api = from_samples(
        "signed-in empty API call", timed(admin, "/api/v1/bench/empty", args.runs, args.warmup)
    )
    for floor in (page, api):
        floor.floor, floor.floor_name = empty.median, "empty view"
    plan = pages(info)
    sql = inproc(env, "sql", json.dumps([[u, p] for _, u, p, is_list in plan if is_list]))
    figures = [empty, page, api]
    for name, user, path, is_list in plan:
        try:
            samples = timed(session(user), path, args.runs, args.warmup)
        except RuntimeError as error:
            print(f"  skipped {name}: {error}", flush=True)
            continue
        signed_in = api if path.startswith("/api/") else page
        figure = from_samples(name, samples, floor=signed_in.median, floor_name=signed_in.name)
        figure.extra["path"] = path
        figure.extra["ratio_to_empty_view"] = figure.median / empty.median
        figure.extra["ratio_to_signed_in_floor"] = figure.ratio
        if is_list and sql.get(path):
            floor = from_samples("raw SQL", raw_sql_samples(url, sql[path], args.runs, args.warmup))
            figure.floor, figure.floor_name = floor.median, "raw SQL"
            figure.extra["sql"] = sql[path]
        figures.append(figure)
        print(f"  {name}: {figure.median:.1f} ms", flush=True)
    return figures


def measure_files(env: dict, args) -> list[Figure]:
    figures = []
    with tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp) / "ledger.xlsx")
        done = inproc(env, "export", path)
        floor = inproc(env, "writer", path)
        figures.append(
            Figure(
                f"export, {done['rows']:,} rows",
                done["seconds"],
                unit="s",
                floor=floor["seconds"],
                floor_name="bare XlsxWriter",
                extra={"peak_rss_mb": done["maxrss_mb"], "rss_before_mb": done["before_mb"]},
            )
        )
        print(f"  export: {done['seconds']:.1f} s, peak RSS {done['maxrss_mb']:.0f} MB", flush=True)
    cache = VAR / f"import-{params_key(args)}"
    cache.mkdir(parents=True, exist_ok=True)
    for rows in (10_000,) if args.no_import_100k else (10_000, 100_000):
        done = inproc(env, "import", str(rows), str(cache))
        refused = f" ({done['error_count']} errors!)" if done["error_count"] else ""
        figures.append(
            Figure(
                f"import dry run, {rows:,} rows{refused}",
                done["seconds"],
                unit="s",
                extra={k: v for k, v in done.items() if k != "seconds"},
            )
        )
        print(f"  import {rows}: {done['seconds']:.1f} s", flush=True)
    return figures


# The load ---------------------------------------------------------------------

# One client's round, in order (each client starts at its own place in it):
# its zone's reads, list filters, a progress note on one of its zone's
# problems, and a member of the public at the zone's portal. Two writes in
# nine requests; every client works in a zone of its own.
ROUND = (
    "zone list",
    "problem page",
    "list filter",
    "progress note",
    "list filter (JSON)",
    "public form",
    "problem page",
    "list filter",
    "public intake",
)
FILTERS = (
    "/ledger/?status=in_progress&sort=deadline",
    "/ledger/?light=red",
    "/ledger/?status=open&sort=deadline&page=2",
)
# Rows each kind of write adds, counted before and after the load.
WRITES = {"progress note": "ledger_progressnote", "public intake": "outreach_feedback"}


def public_address(k: int) -> str:
    """The k-th member of the public's address (10.0.0.0/8).

    The portal limits submissions per client address (PUBLIC_SUBMIT_LIMIT,
    5/h by default). Behind the TLS proxy (BEHIND_TLS_PROXY=true, as the bench
    and production run) the client is the X-Forwarded-For entry the proxy
    writes; the bench plays that proxy and gives every submission a
    different address, as many people submitting once each would have. The
    limit itself stays on and counts in the database as in production."""
    return f"10.{k >> 16 & 255}.{k >> 8 & 255}.{k & 255}"


class Sampler(threading.Thread):
    """Samples the server's RSS, and PostgreSQL's lock waits, while the load runs."""

    def __init__(self, server: Server, url: str, every: float = 0.5):
        super().__init__(daemon=True)
        self.server, self.url, self.every = server, url, every
        self.done = threading.Event()
        self.rss: list[tuple[float, float]] = []
        self.samples = 0
        self.lock_waits: list[str] = []

    def run(self) -> None:
        conn = None
        if self.url.startswith("postgres"):
            import psycopg

            conn = psycopg.connect(self.url, autocommit=True)
        started = time.monotonic()
        try:
            while not self.done.is_set():
                self.rss.append((time.monotonic() - started, self.server.rss_mb()))
                if conn is not None:
                    self.samples += 1
                    # A backend waiting for a lock another holds: the sign of
                    # writes that serialize (a row every zone's writes share).
                    rows = conn.execute(
                        "SELECT l.locktype, COALESCE(l.relation::regclass::text, ''),"
                        " left(a.query, 120) FROM pg_locks l JOIN pg_stat_activity a"
                        " USING (pid) WHERE NOT l.granted AND a.datname = current_database()"
                    ).fetchall()
                    self.lock_waits += [" ".join(r) for r in rows]
                self.done.wait(self.every)
        finally:
            if conn is not None:
                conn.close()

    def stop(self) -> None:
        self.done.set()
        self.join()


def measure_load(server: Server, url: str, info: dict, args) -> dict[str, Any]:
    port = server.port
    writers = list(info["writable"].items())
    clients = []
    for i in range(args.clients):
        user, problems = writers[i % len(writers)]
        clients.append((Client(port).login(user), user.removesuffix("_admin"), problems))
    before = {kind: count_rows(url, table) for kind, table in WRITES.items()}
    audit_before = count_rows(url, "audit_auditevent")
    latencies: dict[str, list[float]] = {kind: [] for kind in dict.fromkeys(ROUND)}
    errors: list[str] = []
    answered = dict.fromkeys(WRITES, 0)
    lock = threading.Lock()
    # next() under the GIL: one address each, from a random place in 10/8 so
    # that the next run within the hour does not reuse this one's addresses.
    first = secrets.randbelow(1 << 23)
    submitted = iter(range(first, 1 << 24))

    def request(n: int, i: int, staff: Client, public: Client, zone: str, problems: list[int]):
        kind = ROUND[(n + i) % len(ROUND)]
        problem = problems[i % len(problems)]
        client, method, body, head = staff, "GET", None, {}
        if kind == "zone list":
            path = "/ledger/"
        elif kind == "problem page":
            path = f"/ledger/{problem}/"
        elif kind == "list filter":
            path = FILTERS[i % len(FILTERS)]
        elif kind == "list filter (JSON)":
            path = "/api/v1/problems?status=open&sort=deadline"
        elif kind == "progress note":
            method, path = "POST", f"/api/v1/problems/{problem}/progress"
            body = json.dumps({"text": f"bench {n}-{i}"}).encode()
        elif kind == "public form":
            client, path = public, f"/p/{zone}/"
        else:
            client, method, path = public, "POST", "/api/v1/public/feedback"
            body = json.dumps(
                {"zone": zone, "kind": "suggestion", "content": f"bench {n}-{i}"},
                ensure_ascii=False,
            ).encode()
            head = {"X-Forwarded-For": public_address(next(submitted))}
        if body is not None:
            head["Content-Type"] = "application/json"
        started = time.perf_counter()
        try:
            status, _ = client.request(method, path, body, head)
        except OSError as error:
            status = 0
            with lock:
                errors.append(f"{method} {path}: {error}")
        elapsed = time.perf_counter() - started
        with lock:
            latencies[kind].append(elapsed)
            if status and not 200 <= status < 300:
                errors.append(f"{method} {path}: {status}")
            if kind in answered and 200 <= status < 300:
                answered[kind] += 1

    stop = time.monotonic() + args.seconds

    def work(n: int, staff: Client, zone: str, problems: list[int]) -> None:
        public = Client(port)
        i = 0
        while time.monotonic() < stop:
            request(n, i, staff, public, zone, problems)
            i += 1

    sampler = Sampler(server, url)
    sampler.start()
    threads = [threading.Thread(target=work, args=(n, *c)) for n, c in enumerate(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - started
    sampler.stop()
    written = {kind: count_rows(url, table) - before[kind] for kind, table in WRITES.items()}
    audit = count_rows(url, "audit_auditevent") - audit_before
    everything = [s for samples in latencies.values() for s in samples]
    figure = from_samples("load: request (mixed)", everything)
    rss = [mb for _, mb in sampler.rss]
    return {
        "figure": figure,
        "clients": args.clients,
        "zones": len({zone for _, zone, _ in clients}),
        "workers": args.workers,
        "threads": args.threads,
        "seconds": seconds,
        "requests": len(everything),
        "throughput_rps": len(everything) / seconds,
        "errors": len(errors),
        "error_samples": errors[:5],
        "kinds": {
            kind: {
                "requests": len(samples),
                "median_ms": from_samples(kind, samples).median if samples else None,
                "p95_ms": from_samples(kind, samples).p95 if samples else None,
            }
            for kind, samples in latencies.items()
        },
        "writes_2xx": answered,
        "rows_written": written,
        "audit_events_written": audit,
        "writes_match": answered == written and audit == sum(answered.values()),
        "server_rss_mb": rss[-1] if rss else server.rss_mb(),
        "server_rss_first_mb": rss[0] if rss else None,
        "server_rss_max_mb": max(rss) if rss else None,
        # Flat memory: what the second half of the run added (the first
        # half includes the workers' warm-up: caches, templates, connections).
        "server_rss_second_half_mb": rss[-1] - rss[len(rss) // 2] if rss else None,
        "server_rss_samples": [
            [round(t, 1), round(mb, 1)] for t, mb in sampler.rss[:: max(1, len(rss) // 30)]
        ],
        "lock_wait_samples": sampler.samples if url.startswith("postgres") else None,
        "lock_waits": len(sampler.lock_waits) if url.startswith("postgres") else None,
        "lock_wait_examples": sorted(set(sampler.lock_waits))[:5],
    }


def run_db(db: str, args) -> dict[str, Any]:
    print(f"\n## {db}", flush=True)
    url = args.database_url or database_url(db, args)
    env = base_env(url)
    built = 0.0 if args.database_url else build(env, args)
    print(f"  data set {params_key(args)}: " + (f"built in {built:.1f} s" if built else "cached"))
    info = inproc(env, "info")
    figures: list[Figure] = []
    load: dict[str, Any] = {}
    if "pages" in args.only:
        port = free_port()
        prod = production_env(url, port)
        manage(prod, "collectstatic", "--no-input")
        server = Server(prod, port, workers=1, threads=1)
        try:
            figures += measure_pages(port, url, env, info, args)
        finally:
            server.stop()
    if "files" in args.only:
        figures += measure_files(env, args)
    if "load" in args.only:
        port = free_port()
        prod = production_env(url, port)
        manage(prod, "collectstatic", "--no-input")
        server = Server(prod, port, workers=args.workers, threads=args.threads)
        try:
            load = measure_load(server, url, info, args)
        finally:
            server.stop()
        load_figure = load.pop("figure")
        load_figure.name = (
            f"load: {load['clients']} clients × {args.seconds:.0f} s, "
            f"{args.workers} workers × {args.threads} threads"
        )
        load_figure.extra = load
        figures.append(load_figure)
    return {
        "db": db,
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "params": params_key(args),
        "problems": info["problems"],
        "build_seconds": built or None,
        "runs": args.runs,
        "warmup": args.warmup,
        "figures": [f.as_dict() for f in figures],
        "load": load,
    }


def report(result: dict[str, Any]) -> str:
    """The markdown of one database's run, from its JSON."""
    fields = ("name", "median", "p95", "unit", "floor", "floor_name", "runs", "extra")
    figures = [Figure(**{k: f[k] for k in fields}) for f in result["figures"]]
    load = result["load"]
    export = next((f for f in figures if f.name.startswith("export")), None)
    lines = [
        f"### {result['db']} — {result['problems']:,} problems ({result['params']}), "
        f"{result['date'][:10]}, medians of {result['runs']} runs",
        "",
        table(figures),
        "",
    ]
    if export is not None:
        lines.append(
            f"Export: peak RSS of the whole process {export.extra['peak_rss_mb']:.0f} MB "
            f"({export.extra['rss_before_mb']:.0f} MB before it started). "
        )
    if load:
        lines.append(load_summary(load))
    return "\n".join(lines)


def load_summary(load: dict[str, Any]) -> str:
    """The load's counts in words, and a row per kind of request."""
    writes = ", ".join(
        f"{kind}: {load['writes_2xx'][kind]} answered 2xx, {load['rows_written'][kind]} rows"
        for kind in load["writes_2xx"]
    )
    locks = (
        f"{load['lock_waits']} lock waits in {load['lock_wait_samples']} samples of pg_locks"
        if load.get("lock_wait_samples") is not None
        else "SQLite: one writer at a time for the whole database"
    )
    text = (
        f"Load: {load['clients']} clients in {load['zones']} zones, "
        f"{load['workers']} workers × {load['threads']} threads: "
        f"{load['requests']} requests in {load['seconds']:.0f} s, "
        f"{load['throughput_rps']:.1f} requests/s, {load['errors']} errors; {writes}; "
        f"{load['audit_events_written']} audit events; {locks}; server RSS "
        f"{load['server_rss_first_mb']:.0f} MB at the start, "
        f"{load['server_rss_max_mb']:.0f} MB at most, "
        f"{load['server_rss_mb']:.0f} MB at the end "
        f"({load['server_rss_second_half_mb']:+.0f} MB over the second half).\n\n"
        "| request | count | median | p95 |\n|---|---:|---:|---:|\n"
    )
    rows = [
        f"| {kind} | {k['requests']} | {k['median_ms'] or 0:.0f} ms | {k['p95_ms'] or 0:.0f} ms |"
        for kind, k in load["kinds"].items()
    ]
    return text + "\n".join(rows)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if shutil.which("gunicorn", path=str(BIN)) is None:
        raise SystemExit("gunicorn is not installed in this environment (make install)")
    dbs = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    args.results.mkdir(parents=True, exist_ok=True)
    for db in dbs:
        result = run_db(db, args)
        text = report(result)
        print("\n" + text, flush=True)
        name = f"{db}-{dt.datetime.now(dt.UTC).date().isoformat()}" + (
            "-quick" if args.quick else ""
        )
        (args.results / f"{name}.json").write_text(json.dumps(result, indent=2, ensure_ascii=False))
        (args.results / f"{name}.md").write_text(text + "\n")


if __name__ == "__main__":
    main()
