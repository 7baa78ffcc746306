import datetime as dt

from django.core.management.base import BaseCommand

from shiji.ledger.tasks import JOB_MAX_AGE, job_purge


class Command(BaseCommand):
    help = (
        "把后台处理程序中断后仍显示“进行中”的任务标记为失败（可重试），"
        "并删除 7 天前的台账导入导出任务及其导出文件（可由 cron 定期运行）。"
    )

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=JOB_MAX_AGE.days, help="保留的天数")

    def handle(self, *args, **options):
        count = job_purge(max_age=dt.timedelta(days=max(0, options["days"])))
        self.stdout.write(f"已删除 {count} 个过期的台账导入导出任务")
