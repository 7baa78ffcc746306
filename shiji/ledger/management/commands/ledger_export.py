"""Export the ledger workbook from the command line, e.g. for a nightly
archive: ``manage.py ledger_export --user admin --zone wx -o 台账.xlsx``."""

from __future__ import annotations

import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from shiji.core.errors import AppError
from shiji.ledger import excel
from shiji.orgs.models import User, Zone

FILTERS = ("status", "source", "kind", "light", "category", "org", "q", "sort")


class Command(BaseCommand):
    help = "导出整改台账（.xlsx）。导出的范围与该账号在台账页能导出的范围相同。"

    def add_arguments(self, parser):
        parser.add_argument("--user", required=True, help="以哪个账号的权限导出（用户名）")
        parser.add_argument("--zone", help="只导出这个高新区（代码，如 wx）")
        parser.add_argument("-o", "--output", help="输出文件；默认为当前目录下的标准文件名")
        for name in FILTERS:
            parser.add_argument(f"--{name}", help=f"与台账页相同的筛选条件 {name}")

    def handle(self, *args, **options):
        user = User.objects.filter(username=options["user"], is_active=True).first()
        if user is None:
            raise CommandError(f"账号不存在或已停用：{options['user']}")
        params = {name: options[name] for name in FILTERS if options.get(name)}
        if options.get("zone"):
            zone = Zone.objects.filter(code=options["zone"]).first()
            if zone is None:
                raise CommandError(f"高新区不存在：{options['zone']}")
            params["zone"] = str(zone.pk)
        try:
            zone = excel.export_zone(user=user, params=params)
            path = Path(options.get("output") or excel.export_filename(zone))
            started = time.monotonic()
            with path.open("wb") as out:
                rows = excel.export_workbook(
                    user=user, params=params, out=out, progress=self._progress
                )
        except AppError as exc:
            raise CommandError(exc.message) from None
        seconds = time.monotonic() - started
        self.stdout.write(
            self.style.SUCCESS(f"已导出 {rows} 个问题到 {path}（用时 {seconds:.1f} 秒）")
        )

    def _progress(self, phase: str, done: int, total: int | None) -> None:
        if total:
            self.stdout.write(f"{phase}：{done} / {total} 行（{done * 100 // total}%）")
        else:
            self.stdout.write(f"{phase}：{done} 行")
