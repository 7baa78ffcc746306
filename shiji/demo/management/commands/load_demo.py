import time

from django.core.management.base import BaseCommand, CommandError

from shiji.core.errors import AppError
from shiji.core.i18n import in_chinese
from shiji.demo.accounts import DEMO_PASSWORD, accounts_table_lines
from shiji.demo.steps import account_rows, pending_steps, run_step


class Command(BaseCommand):
    help = (
        "Load the demo data of the seed: the 2026 campaign preset, the five zones with their "
        "deployment meetings, sample org trees and rosters, Qingyuan's targets and the demo "
        "accounts. Idempotent: a second run only prints the accounts."
    )

    # The demo is Chinese data (its labels included), whatever language is active.
    @in_chinese
    def handle(self, *args, **options):
        started = time.monotonic()
        steps = pending_steps()
        if not steps:
            self.stdout.write(f"演示数据已加载（{time.monotonic() - started:.2f} 秒）。")
        for i, step in enumerate(steps, 1):
            self.stdout.write(f"[{i}/{len(steps)}] {step.label} …")
            try:
                summary = run_step(step, lambda line: self.stdout.write(f"    {line}"))
            except AppError as exc:
                raise CommandError(f"{step.label}失败：{exc.message}") from None
            self.stdout.write(self.style.SUCCESS(f"    {summary}"))
        if steps:
            self.stdout.write(f"演示数据加载完成（{time.monotonic() - started:.1f} 秒）。")
        rows = account_rows()
        self.stdout.write("")
        self.stdout.write(f"演示账号（{len(rows)} 个，统一密码：{DEMO_PASSWORD}）")
        for line in accounts_table_lines([("用户名", "角色", "范围", "姓名"), *rows]):
            self.stdout.write(f"  {line}")
