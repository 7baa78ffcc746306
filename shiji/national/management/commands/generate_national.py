import datetime as dt
import time

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from shiji.national.generator import (
    PASSWORD,
    Params,
    Refused,
    existing,
    generate,
    holds_real_data,
    same,
)
from shiji.national.zones import ZONES

# Exit codes besides 0 (done, or already there): --check's "not this data
# set", and a refusal to touch the database.
NOT_SAME = 1
REFUSED = 3
MIN_PEOPLE = 250


class Command(BaseCommand):
    help = (
        "Fill an empty database with a generated national data set (DESIGN.md §6): the "
        "national high-tech zones with org trees, rosters, accounts, problems in every state "
        "with their records, study sessions with attendance, tasks and regulations. "
        "Deterministic for a seed. Refuses a database with real data; a database it generated "
        "with the same parameters is left as it is."
    )

    def add_arguments(self, parser):
        defaults = Params()
        parser.add_argument("--zones", type=int, default=defaults.zones)
        parser.add_argument("--problems-per-zone", type=int, default=defaults.problems_per_zone)
        parser.add_argument("--people-per-zone", type=int, default=defaults.people_per_zone)
        parser.add_argument("--sessions-per-zone", type=int, default=defaults.sessions_per_zone)
        parser.add_argument("--feedback-per-zone", type=int, default=defaults.feedback_per_zone)
        parser.add_argument("--seed", type=int, default=defaults.seed)
        parser.add_argument(
            "--today",
            type=dt.date.fromisoformat,
            default=None,
            help="the day dates are drawn relative to (YYYY-MM-DD; default: today)",
        )
        parser.add_argument(
            "--check",
            action="store_true",
            help="write nothing; exit 0 if the database holds this data set, 1 otherwise",
        )
        parser.add_argument(
            "--replace",
            action="store_true",
            help="a database holding a generated data set with other parameters is emptied "
            "(flush) and filled again; never one with real data",
        )

    def handle(self, *args, **options):
        if not 1 <= options["zones"] <= len(ZONES):
            raise CommandError(f"--zones 应在 1 到 {len(ZONES)} 之间", returncode=2)
        if options["feedback_per_zone"] < 0:
            raise CommandError("--feedback-per-zone 不能为负数", returncode=2)
        for name in ("problems_per_zone", "sessions_per_zone"):
            if options[name] < 5:
                raise CommandError(f"--{name.replace('_', '-')} 至少为 5", returncode=2)
        if options["people_per_zone"] < MIN_PEOPLE:
            # Every zone's fixed offices and their branches take up to 220.
            raise CommandError(f"--people-per-zone 至少为 {MIN_PEOPLE}", returncode=2)
        params = Params(
            zones=options["zones"],
            problems_per_zone=options["problems_per_zone"],
            people_per_zone=options["people_per_zone"],
            sessions_per_zone=options["sessions_per_zone"],
            feedback_per_zone=options["feedback_per_zone"],
            seed=options["seed"],
            today=options["today"] or timezone.localdate(),
        )
        dataset = existing()
        if options["check"]:
            if same(dataset, params):
                self.stdout.write("数据库中已有相同参数生成的全国数据。")
                return
            raise CommandError("数据库中没有相同参数生成的全国数据。", returncode=NOT_SAME)
        if dataset is None and holds_real_data():
            raise CommandError(
                "数据库中已有真实数据（高新区、问题、账号或学习教育活动），且不是由 "
                "generate_national 生成的：拒绝写入。请使用空数据库（migrate 之后）。",
                returncode=REFUSED,
            )
        if dataset is not None:
            if same(dataset, params):
                self.stdout.write(
                    f"数据库中已有相同参数生成的全国数据（{dataset.created_at:%Y-%m-%d}），无需重新生成。"
                )
                return
            if not options["replace"]:
                raise CommandError(
                    f"数据库中已有参数不同的生成数据（{dataset.params}）：拒绝写入。"
                    "如需替换，请加 --replace（将清空整个数据库）。",
                    returncode=REFUSED,
                )
            self.stdout.write("清空原有生成数据 …")
            call_command("flush", interactive=False, verbosity=0)
        started = time.monotonic()
        try:
            counts = generate(params, progress=lambda line: self.stdout.write(f"  {line}"))
        except Refused:
            raise CommandError("数据库不为空：拒绝写入。", returncode=REFUSED) from None
        total = sum(counts.values())
        self.stdout.write(
            self.style.SUCCESS(
                f"已生成 {total:,} 行（{time.monotonic() - started:.1f} 秒），参数 {params.key()}"
            )
        )
        for label, count in sorted(counts.items(), key=lambda kv: -kv[1]):
            self.stdout.write(f"  {label:32} {count:>10,}")
        self.stdout.write(
            f"账号：admin（系统管理员）、national、province01…、<高新区代码>_admin 等，"
            f"统一密码 {PASSWORD}"
        )
