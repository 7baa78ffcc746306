"""Crafted workbooks against every import entry point (not a test).

    .venv/bin/python bench/bench_workbook_attacks.py            # every case
    .venv/bin/python bench/bench_workbook_attacks.py --case ledger-api

Builds a scratch SQLite database (the test suite's fixture world), then runs
each case in a fresh child process and prints what the entry point answered,
the wall-clock time and the growth of the child's resident memory during
the request (peak RSS after minus RSS before; the peak is reset first
through /proc/self/clear_refs). A child still running after --timeout
seconds is killed and reported as such.

Cases: the 5-million-empty-cell workbook without ``<dimension>`` (about
30 KB zipped, tests/xlsx_attacks.py) posted to the ledger API import, the
ledger import page (and, when the page hands it to a job, the job run as the
worker would), the sign-in sheet import and the roster import; and
``slow-api``, an 80 KB ledger workbook of a few thousand valid new rows
posted to the API import (before: worked inside the request).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CASES = ("ledger-api", "ledger-page", "signin-page", "roster-page", "slow-api")
SLOW_ROWS = 2400


def setup_django(scratch: Path) -> None:
    os.environ["SHIJI_VAR_DIR"] = str(scratch)
    os.environ["DATABASE_URL"] = f"sqlite:///{scratch / 'bench.sqlite3'}"
    os.environ["MEDIA_ROOT"] = str(scratch / "media")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shiji.settings")
    import django

    django.setup()


def build_world() -> None:
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from shiji.campaigns.models import StudyKind
    from shiji.campaigns.services import campaign_load, zone_adopt_campaign
    from shiji.study import services as study
    from tests.conftest import make_tree, make_user
    from tests.ledger.conftest import create_categories

    class World:
        pass

    world = World()
    world.a = make_tree("za", "甲高新区", "江苏")
    world.b = make_tree("zb", "乙高新区", "广东")
    make_user("admin", world.a.zone, [{"role": "zone_admin", "zone": world.a.zone}])
    create_categories(world)
    campaign = campaign_load(actor=None, path="zhengjiguan-2026").campaign
    zone_adopt_campaign(actor=None, zone=world.a.zone, campaign=campaign)
    import datetime as dt
    from decimal import Decimal

    from shiji.orgs.models import User

    study.session_create(
        actor=User.objects.get(username="admin"),
        zone=world.a.zone,
        org=world.a.dept,
        kind=StudyKind.objects.filter(campaign=campaign, name="支部学习").first(),
        date=dt.date(2026, 3, 10),
        topic="学习正确政绩观重要论述",
        duration_hours=Decimal("2"),
        attendance=[],
    )


def rss_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def slow_workbook() -> bytes:
    """SLOW_ROWS valid new ledger rows: repetitive text deflates to ~80 KB."""
    from openpyxl import Workbook

    from shiji.campaigns.models import ProblemCategory
    from shiji.core.xlsx import workbook_bytes
    from shiji.ledger.excel import HEADERS
    from shiji.orgs.models import Organization

    category = ProblemCategory.objects.filter(zone__code="za").first()
    org = Organization.objects.get(name="甲高新区经济发展局党支部")
    wb = Workbook()
    ws = wb.active
    ws.title = "整改台账"
    ws.append(["甲高新区问题整改台账"])
    ws.append(HEADERS)
    for n in range(SLOW_ROWS):
        row = dict.fromkeys(HEADERS)
        row.update(
            {
                "序号": n + 1,
                "问题来源": "自查",
                "问题类别": category.name,
                "问题描述": f"招商引资项目落地率低，第{n + 1}项",
                "整改措施": "建立项目推进机制",
                "整改目标": "落地率提高到 80%",
                "责任单位": org.name,
                "整改类型": "长期坚持",
            }
        )
        ws.append([row[h] for h in HEADERS])
    return workbook_bytes(wb)


def child(case: str) -> dict:
    from django.test import Client
    from django.urls import reverse

    from shiji.ledger.excel import HEADERS
    from shiji.orgs.models import User, Zone
    from shiji.orgs.roster import ORG_HEADERS, ORG_SHEET, PEOPLE_HEADERS, PEOPLE_SHEET
    from shiji.study.excel import SIGNIN_HEADERS, SIGNIN_SHEET
    from shiji.study.models import StudySession
    from tests import xlsx_attacks

    admin = User.objects.get(username="admin")
    zone = Zone.objects.get(code="za")
    client = Client(SERVER_NAME="localhost")
    client.force_login(admin)
    if case in ("ledger-api", "ledger-page"):
        data = xlsx_attacks.empty_cells_bomb(HEADERS, sheet="整改台账")
    elif case == "signin-page":
        data = xlsx_attacks.empty_cells_bomb(SIGNIN_HEADERS, sheet=SIGNIN_SHEET)
    elif case == "roster-page":
        data = xlsx_attacks.empty_cells_bomb(
            ORG_HEADERS, sheet=ORG_SHEET, others=[(PEOPLE_SHEET, PEOPLE_HEADERS)]
        )
    else:
        data = slow_workbook()
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("attack.xlsx", data, content_type="application/octet-stream")
    if case in ("ledger-api", "slow-api"):
        url = "/api/v1/ledger/import"
        form = {"file": upload, "zone": zone.pk, "dry_run": "true" if case != "slow-api" else ""}
        if case == "slow-api":
            form.pop("dry_run")
    elif case == "ledger-page":
        url, form = reverse("ledger:import"), {"file": upload, "zone": zone.pk}
    elif case == "signin-page":
        session = StudySession.objects.first()
        url, form = reverse("study:signin_import", args=[session.pk]), {"file": upload}
    else:
        url, form = reverse("orgs:roster_import"), {"file": upload, "zone": zone.pk}

    Path("/proc/self/clear_refs").write_text("5")  # reset the peak RSS
    before = rss_kb("VmRSS")
    started = time.perf_counter()
    response = client.post(url, form)
    seconds = time.perf_counter() - started
    out = {
        "case": case,
        "bytes": len(data),
        "status": response.status_code,
        "seconds": round(seconds, 2),
        "rss_growth_mb": round((rss_kb("VmHWM") - before) / 1024, 1),
        "answer": _answer(response),
    }
    if case == "ledger-page" and response.status_code == 302 and "/jobs/" in response["Location"]:
        # The page queued a job: run it as the worker would.
        from shiji.ledger import tasks
        from shiji.ledger.models import LedgerJob

        job = LedgerJob.objects.order_by("-pk").first()
        Path("/proc/self/clear_refs").write_text("5")
        before = rss_kb("VmRSS")
        started = time.perf_counter()
        tasks.job_run(job_id=job.pk)
        job.refresh_from_db()
        out["job"] = {
            "state": job.state,
            "error": job.error,
            "seconds": round(time.perf_counter() - started, 2),
            "rss_growth_mb": round((rss_kb("VmHWM") - before) / 1024, 1),
        }
    return out


def _answer(response) -> str:
    if response.get("Location"):
        return "→ " + response["Location"]
    text = response.content.decode(errors="replace")
    if response.get("Content-Type", "").startswith("application/json"):
        return text[:300]
    import re

    for pattern in (r'class="invalid-feedback[^"]*"[^>]*>\s*([^<]+)', r"alert[^>]*>\s*([^<]+)"):
        match = re.search(pattern, text)
        if match:
            return match.group(1).strip()[:300]
    return text[:120]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--case", choices=CASES, action="append")
    parser.add_argument("--timeout", type=int, default=180)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--scratch", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        setup_django(Path(args.scratch))
        print(json.dumps(child(args.child), ensure_ascii=False))
        return
    scratch = Path(tempfile.mkdtemp(prefix="shiji-attack-"))
    try:
        setup_django(scratch)
        build_world()
        for case in args.case or CASES:
            command = [sys.executable, __file__, "--child", case, "--scratch", str(scratch)]
            started = time.perf_counter()
            try:
                done = subprocess.run(  # noqa: S603 (this very script)
                    command, capture_output=True, text=True, timeout=args.timeout, check=False
                )
            except subprocess.TimeoutExpired:
                print(f"{case}: still running after {args.timeout} s, killed")
                continue
            lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
            if not lines:
                took = time.perf_counter() - started
                print(f"{case}: no answer (exit {done.returncode}, {took:.0f} s)")
                print(done.stderr[-2000:])
                continue
            print(json.dumps(json.loads(lines[-1]), ensure_ascii=False))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
