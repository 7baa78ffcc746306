from django.core.management.base import BaseCommand

from shiji.core.staging import staged_purge


class Command(BaseCommand):
    help = "删除超过一天仍未确认的上传文件（花名册、台账导入的试导入副本）。"

    def handle(self, *args, **options):
        count = staged_purge()
        self.stdout.write(f"已删除 {count} 个过期的待确认上传")
