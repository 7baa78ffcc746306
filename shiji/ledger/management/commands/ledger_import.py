"""Import a ledger workbook from the command line, with the same checks
and the same all-or-nothing transaction as the import page:
``manage.py ledger_import --user admin --zone wx 台账.xlsx [--dry-run]``."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from shiji.core.errors import AppError
from shiji.ledger import excel
from shiji.orgs.models import User, Zone


class Command(BaseCommand):
    help = "导入整改台账（.xlsx）：先逐行检查，全部无误才写入；--dry-run 只检查。"

    def add_arguments(self, parser):
        parser.add_argument("file", help="台账文件（.xlsx）")
        parser.add_argument("--user", required=True, help="以哪个账号导入（用户名，须有导入权限）")
        parser.add_argument("--zone", required=True, help="导入到哪个高新区（代码，如 wx）")
        parser.add_argument("--dry-run", action="store_true", help="只检查，不写入")

    def handle(self, *args, **options):
        user = User.objects.filter(username=options["user"], is_active=True).first()
        if user is None:
            raise CommandError(f"账号不存在或已停用：{options['user']}")
        zone = Zone.objects.filter(code=options["zone"]).first()
        if zone is None:
            raise CommandError(f"高新区不存在：{options['zone']}")
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"文件不存在：{path}")
        try:
            with path.open("rb") as file:
                result = excel.import_workbook(
                    actor=user,
                    zone=zone,
                    file=file,
                    dry_run=options["dry_run"],
                    progress=self._progress,
                )
        except AppError as exc:
            # str(): a field message may be lazily translated, which join refuses.
            raise CommandError("；".join(map(str, exc.fields.values())) or exc.message) from None
        if result.errors:
            for error in result.errors:
                where = f"第 {error['row']} 行" if error["row"] else "文件"
                column = f" [{error['column']}]" if error["column"] else ""
                self.stderr.write(f"{where}{column}：{error['message']}")
            raise CommandError(f"发现 {len(result.errors)} 处问题，未导入任何数据")
        verb = "检查通过，将" if options["dry_run"] else "已导入："
        self.stdout.write(
            self.style.SUCCESS(f"{verb}新增 {result.created} 条、更新 {result.updated} 条")
        )

    def _progress(self, phase: str, done: int, total: int | None) -> None:
        if total:
            self.stdout.write(f"{phase}：{done} / {total} 行（{min(100, done * 100 // total)}%）")
        else:
            self.stdout.write(f"{phase}：{done} 行")
