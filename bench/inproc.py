"""The parts of the benchmark that run inside Django, in a process of their
own against the benchmark database (``bench/run.py`` starts it with the
database's environment and reads one JSON object from its stdout).

    python bench/inproc.py info
    python bench/inproc.py sql '<json list of [username, url]>'
    python bench/inproc.py export <out.xlsx>
    python bench/inproc.py writer <exported.xlsx>
    python bench/inproc.py import <rows> <cache dir>

``export`` and ``import`` report the time and the peak RSS of this whole
process (getrusage maxrss), which does nothing else.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def maxrss_mb() -> float:
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / 1024 / 1024 if sys.platform == "darwin" else rss / 1024


def setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shiji.settings")
    import django

    django.setup()


def info() -> dict:
    from shiji.ledger.models import Problem, ProgressNote
    from shiji.ledger.workflow import ACTIVE
    from shiji.orgs.models import User, Zone

    zones = list(Zone.objects.order_by("pk").values_list("pk", "code"))
    big = Problem.objects.values("zone_id").order_by("-zone_id").first() or {"zone_id": zones[0][0]}
    zone_id = big["zone_id"]
    writable = {}
    for pk, code in zones[:50]:
        ids = list(
            Problem.objects.filter(zone_id=pk, status__in=ACTIVE)
            .order_by("pk")
            .values_list("pk", flat=True)[:20]
        )
        if ids and User.objects.filter(username=f"{code}_admin").exists():
            writable[f"{code}_admin"] = ids
    province = User.objects.filter(username__startswith="province").order_by("username").first()
    return {
        "zone_id": zone_id,
        "zone_admin": f"{dict(zones)[zone_id]}_admin",
        "province": province.username if province else None,
        "problem_id": Problem.objects.filter(zone_id=zone_id).order_by("pk").first().pk,
        "problems": Problem.objects.count(),
        "writable": writable,
        "progress_notes": ProgressNote.objects.count(),
    }


def sql(pages: list[list[str]]) -> dict:
    """The list queries of each page, as executed, captured through Django's
    test client: the page's ids (the query that reads ledger_problem with an
    ORDER BY and a LIMIT) and the query after it that reads those rows by id
    (a deferred join, ledger.selectors.problem_page)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from shiji.orgs.models import User

    found: dict[str, list[str] | None] = {}
    for username, url in pages:
        client = Client()
        client.force_login(User.objects.get(username=username))
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url, HTTP_HOST="127.0.0.1")
        if response.status_code != 200:
            raise SystemExit(f"{url}: {response.status_code}")
        queries = [q["sql"] for q in captured.captured_queries]
        ids = next(
            (
                i
                for i, q in enumerate(queries)
                if "ledger_problem" in q and "LIMIT" in q and "ORDER BY" in q
            ),
            None,
        )
        if ids is None:
            found[url] = None
            continue
        rows = next((q for q in queries[ids + 1 :] if 'FROM "ledger_problem"' in q), None)
        found[url] = [queries[ids]] + ([rows] if rows else [])
    return found


def export(path: str) -> dict:
    from shiji.ledger import excel
    from shiji.orgs.models import User

    user = User.objects.get(username="admin")
    before = maxrss_mb()
    started, cpu = time.perf_counter(), time.process_time()
    with open(path, "wb") as out:
        rows = excel.export_workbook(user=user, params={}, out=out)
    seconds = time.perf_counter() - started
    # CPU time too: on a shared machine the wall time also counts the waits
    # for a core (the database server's work is not in either).
    return {
        "rows": rows,
        "seconds": seconds,
        "cpu_seconds": time.process_time() - cpu,
        "maxrss_mb": maxrss_mb(),
        "before_mb": before,
    }


def _read_rows(path: str) -> list[list]:
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True)
    rows = [list(r) for r in book.worksheets[0].iter_rows(values_only=True)]
    book.close()
    return rows


def writer(path: str) -> dict:
    """The floor of the export: bare XlsxWriter (constant memory) writing
    the same cells, read back from the exported workbook beforehand."""
    import tempfile

    import xlsxwriter

    rows = _read_rows(path)
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        book = xlsxwriter.Workbook(
            os.path.join(tmp, "bare.xlsx"), {"constant_memory": True, "strings_to_numbers": False}
        )
        sheet = book.add_worksheet()
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if value is not None:
                    sheet.write(r, c, value)
        book.close()
        seconds = time.perf_counter() - started
    return {"rows": len(rows), "seconds": seconds}


NEW_ROW_BLANK = ("台账编号", "状态", "完成情况", "销号日期")


def _import_file(rows: int, cache: Path, zone, user) -> Path:
    """A workbook of ``rows`` new problems for ``zone``: its own export with
    the codes blanked, repeated. Built once per data set and size."""
    path = cache / f"import-{zone.code}-{rows}.xlsx"
    if path.exists():
        return path
    from openpyxl import Workbook

    from shiji.ledger import excel

    source = cache / f"export-{zone.code}.xlsx"
    with source.open("wb") as out:
        excel.export_workbook(user=user, params={"zone": str(zone.pk)}, out=out)
    table = _read_rows(str(source))
    header = next(i for i, row in enumerate(table) if "台账编号" in [str(v) for v in row])
    headers = [str(v) for v in table[header]]
    # A new row has no code, and its status, completion and closing day are
    # the import's to set (it refuses them otherwise).
    blank = [headers.index(h) for h in NEW_ROW_BLANK if h in headers]
    data = [row for row in table[header + 1 :] if any(v is not None for v in row)]
    book = Workbook(write_only=True)
    sheet = book.create_sheet(book_title(source))
    for row in table[: header + 1]:
        sheet.append(row)
    from django.utils import timezone

    later = timezone.localdate() + dt.timedelta(days=90)  # found today, due later
    deadline = headers.index("整改时限") if "整改时限" in headers else None
    for i in range(rows):
        row = list(data[i % len(data)])
        for column in blank:
            row[column] = None
        if deadline is not None:
            row[deadline] = later
        sheet.append(row)
    book.save(path)
    return path


def book_title(path: Path) -> str:
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True)
    try:
        return book.sheetnames[0]
    finally:
        book.close()


def import_(rows: int, cache: str) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from shiji.ledger import excel
    from shiji.orgs.models import User, Zone

    user = User.objects.get(username="admin")
    zone = Zone.objects.order_by("pk").first()
    path = _import_file(rows, Path(cache), zone, user)
    before = maxrss_mb()
    started, cpu = time.perf_counter(), time.process_time()
    with CaptureQueriesContext(connection) as queries, path.open("rb") as file:
        result = excel.import_workbook(actor=user, zone=zone, file=file, dry_run=True)
    seconds = time.perf_counter() - started
    return {
        "rows": rows,
        "seconds": seconds,
        # On a shared machine the wall clock includes waiting for a core;
        # the CPU time and the query count do not.
        "cpu_seconds": time.process_time() - cpu,
        "queries": len(queries.captured_queries),
        "created": result.created,
        "updated": result.updated,
        "errors": [str(e) for e in result.errors[:5]],
        "error_count": len(result.errors),
        "maxrss_mb": maxrss_mb(),
        "before_mb": before,
    }


def main() -> None:
    command, *args = sys.argv[1:]
    setup()
    if command == "info":
        result = info()
    elif command == "sql":
        result = sql(json.loads(args[0]))
    elif command == "export":
        result = export(args[0])
    elif command == "writer":
        result = writer(args[0])
    elif command == "import":
        result = import_(int(args[0]), args[1])
    else:
        sys.exit(f"unknown command {command}")
    print("BENCH-JSON " + json.dumps(result, default=str))


if __name__ == "__main__":
    main()
