from django.core.management.base import BaseCommand

from shiji.core.thumbnails import thumbnails_backfill


class Command(BaseCommand):
    help = (
        "为已上传的图片（整改凭证、任务凭证、学习材料、发言材料）生成缺少的缩略图；"
        "已有的不重复生成，可随时重复运行。"
    )

    def handle(self, *args, **options):
        counts = thumbnails_backfill(progress=lambda line: self.stdout.write(f"  {line}"))
        self.stdout.write(
            f"新生成 {counts['made']} 张缩略图，已有 {counts['kept']} 张，"
            f"无法生成 {counts['none']} 张"
        )
