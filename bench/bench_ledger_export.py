"""Benchmark of the streaming ledger export (not a test).

    .venv/bin/python bench/bench_ledger_export.py                # 100,000 rows, scratch SQLite
    .venv/bin/python bench/bench_ledger_export.py --rows 20000 --check-import
    .venv/bin/python bench/bench_ledger_export.py --current-db --user admin

By default it builds a scratch SQLite database in a temporary folder (deleted
afterwards unless --keep): one zone, an org tree, a roster with a few shared
names, and N problems in every status. The problems are bulk-inserted — a
fixture for measuring the export, which reads them; creating 100,000 through
the services (with their audit events) would take half an hour. With
--current-db it reads the configured database instead and writes nothing.

It exports as a system admin (or --user) exactly as the download does and
prints the time, the file size, the process's peak RSS (getrusage maxrss)
and, in a second run under tracemalloc, the peak of Python allocations.
--check-import also times the import's checking pass (a dry run) on the file.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import shutil
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000, help="problems to create")
    parser.add_argument("--current-db", action="store_true", help="use the configured database")
    parser.add_argument("--user", help="export as this user (default: a scratch system admin)")
    parser.add_argument("--output", help="keep the exported workbook here")
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder")
    parser.add_argument("--no-tracemalloc", action="store_true", help="skip the second run")
    parser.add_argument("--check-import", action="store_true", help="time a dry-run import")
    return parser.parse_args()


def maxrss_mb() -> float:
    # Linux reports kilobytes, macOS bytes.
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / 1024 / 1024 if sys.platform == "darwin" else rss / 1024


def setup_django(args: argparse.Namespace) -> Path | None:
    scratch = None
    if not args.current_db:
        scratch = Path(tempfile.mkdtemp(prefix="shiji-bench-"))
        os.environ["SHIJI_VAR_DIR"] = str(scratch)
        os.environ["DATABASE_URL"] = f"sqlite:///{scratch / 'bench.sqlite3'}"
        os.environ["MEDIA_ROOT"] = str(scratch / "media")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shiji.settings")
    import django

    django.setup()
    if scratch is not None:
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
    return scratch


def build(rows: int):
    """A zone with orgs, people and ``rows`` problems; returns (admin, zone)."""
    from django.db import transaction
    from django.utils import timezone

    from shiji.campaigns.models import Campaign, ProblemCategory, ZoneCampaign
    from shiji.ledger.models import Kind, Problem, Source, Status
    from shiji.orgs import policy
    from shiji.orgs import services as orgs
    from shiji.orgs.models import User

    SYSTEM = policy.system("bench")  # the actor of the scratch data
    zone = orgs.zone_create(
        actor=SYSTEM, code="wx", name="无锡高新区", short_name="无锡", province="江苏", city="无锡"
    )
    root = orgs.org_create(
        actor=SYSTEM,
        zone=zone,
        parent=None,
        name="无锡高新区党工委",
        kind="working_committee",
        sector="organ",
    )
    orgs_ = [
        orgs.org_create(
            actor=SYSTEM,
            zone=zone,
            parent=root,
            name=f"第{i}党支部",
            kind="branch",
            sector="organ",
        )
        for i in range(1, 21)
    ]
    surnames, given = "张王李赵刘陈杨黄周吴", "伟芳娜敏静丽强磊军洋"
    people = []
    for i, org in enumerate(orgs_):
        for j in range(10):
            # Names repeat across orgs, so some are written "姓名（组织）".
            name = surnames[(i + j) % 10] + given[j]
            people.append(orgs.person_create(actor=SYSTEM, org=org, name=name, position="干部"))
    campaign = Campaign.objects.create(
        code="bench-2026",
        name="树立和践行正确政绩观学习教育",
        year=2026,
        general_requirement="立党为公、为民造福、科学决策、真抓实干",
        starts_on=dt.date(2026, 2, 24),
        ends_on=dt.date(2026, 7, 31),
    )
    ZoneCampaign.objects.create(zone=zone, campaign=campaign)
    categories = [
        ProblemCategory.objects.create(zone=zone, campaign=campaign, code=f"c{i}", name=name)
        for i, name in enumerate(["新官不理旧账", "形象工程", "政绩工程", "数据造假", "文山会海"])
    ]
    admin = User.objects.create_user(username="bench-admin", password=None, name="基准测试")
    admin.grants.create(role="system_admin")

    today = timezone.localdate()
    statuses = list(Status.values)
    sources, kinds = list(Source.values), list(Kind.values)
    batch: list[Problem] = []
    started = time.monotonic()
    with transaction.atomic():
        for n in range(rows):
            status = statuses[n % len(statuses)]
            found = today - dt.timedelta(days=60 + n % 90)
            kind = kinds[n % 3]
            batch.append(
                Problem(
                    zone=zone,
                    campaign=campaign,
                    code=f"WX-2026-{n + 1:06d}",
                    source=sources[n % len(sources)],
                    category=categories[n % 5],
                    description=f"第{n + 1}号问题：招商引资签约项目落地率低，部分项目“只签不落”，"
                    "存在重签约数量、轻落地实效的倾向，企业反映审批环节多、周期长。",
                    measures="逐项梳理已签约项目，建立“一项目一专班”推进机制；压缩审批时限，"
                    "推行并联审批和容缺受理；每月通报项目落地进度。",
                    goal="年内签约项目落地率提高到 80% 以上",
                    org=orgs_[n % 20],
                    leader=people[(n * 7) % len(people)],
                    owner=people[(n * 13) % len(people)],
                    kind=kind,
                    found_on=found,
                    deadline=None if kind == Kind.LONG_TERM else found + dt.timedelta(days=120),
                    status=status,
                    progress_summary="已完成项目清单梳理，正在逐项核查落地情况" if n % 2 else "",
                    completion_note="已建立项目推进机制，落地率提升至 82%"
                    if status in (Status.SUBMITTED, Status.CLOSED)
                    else "",
                    closed_on=found + dt.timedelta(days=100) if status == Status.CLOSED else None,
                    created_by=admin,
                )
            )
            if len(batch) == 5000:
                Problem.objects.bulk_create(batch)
                batch.clear()
        Problem.objects.bulk_create(batch)
    print(f"准备数据：{rows} 个问题，用时 {time.monotonic() - started:.1f} 秒")
    return admin, zone


def export_once(user, path: Path, *, trace: bool) -> tuple[int, float, float | None]:
    from shiji.ledger import excel

    if trace:
        tracemalloc.start()
    started = time.perf_counter()
    with path.open("wb") as out:
        rows = excel.export_workbook(user=user, params={}, out=out)
    seconds = time.perf_counter() - started
    peak = None
    if trace:
        peak = tracemalloc.get_traced_memory()[1] / 1024 / 1024
        tracemalloc.stop()
    return rows, seconds, peak


def main() -> None:
    args = parse_args()
    scratch = setup_django(args)
    try:
        from django.db import connection

        from shiji.orgs.models import User

        if args.current_db:
            user = User.objects.filter(username=args.user).first() if args.user else None
            if user is None:
                user = User.objects.filter(is_superuser=True).first()
            if user is None:
                sys.exit("请用 --user 指定一个可导出的账号")
            zone = None
        else:
            user, zone = build(args.rows)
        out_dir = Path(tempfile.mkdtemp(prefix="shiji-bench-out-"))
        path = Path(args.output) if args.output else out_dir / "ledger.xlsx"
        rss_before = maxrss_mb()
        rows, seconds, _ = export_once(user, path, trace=False)
        rss_after = maxrss_mb()
        size = path.stat().st_size / 1024 / 1024
        print(
            f"数据库：{connection.vendor}；导出 {rows} 行，用时 {seconds:.1f} 秒"
            f"（{rows / max(seconds, 1e-9):,.0f} 行/秒），文件 {size:.1f} MB"
        )
        print(
            f"进程峰值内存（maxrss）：导出前 {rss_before:.0f} MB，导出后 {rss_after:.0f} MB"
            f"（增加 {rss_after - rss_before:.0f} MB）"
        )
        if not args.no_tracemalloc:
            _, traced_seconds, peak = export_once(user, path, trace=True)
            print(
                f"tracemalloc 峰值（Python 分配）：{peak:.1f} MB"
                f"（该次用时 {traced_seconds:.1f} 秒）"
            )
        if args.check_import and zone is not None:
            from shiji.ledger import excel

            started = time.perf_counter()
            with path.open("rb") as file:
                result = excel.import_workbook(actor=user, zone=zone, file=file, dry_run=True)
            print(
                f"导入检查（试导入，不写入）：{time.perf_counter() - started:.1f} 秒，"
                f"新增 {result.created}、更新 {result.updated}、问题 {len(result.errors)} 处"
            )
            for error in result.errors[:5]:
                print("  ", error)
            print(f"进程峰值内存（maxrss）：{maxrss_mb():.0f} MB")
        if not args.output:
            shutil.rmtree(out_dir, ignore_errors=True)
    finally:
        if scratch is not None and not args.keep:
            shutil.rmtree(scratch, ignore_errors=True)
        elif scratch is not None:
            print(f"临时数据库保留在 {scratch}")


if __name__ == "__main__":
    main()
