from django.core.management.base import BaseCommand

from shiji.orgs.services import login_throttles_purge


class Command(BaseCommand):
    help = (
        "删除长期无人再试的登录失败计数（超过 LOGIN_LOCKOUT_MAX_MINUTES 且已不在锁定中；"
        "可由 cron 每日运行）。"
    )

    def handle(self, *args, **options):
        count = login_throttles_purge()
        self.stdout.write(f"已删除 {count} 条过期的登录失败计数")
