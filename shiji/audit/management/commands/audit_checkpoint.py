from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from shiji.audit import checkpoints


class Command(BaseCommand):
    help = (
        "Append a signed checkpoint of every audit chain that moved to "
        "AUDIT_CHECKPOINT_FILE (and POST it to AUDIT_CHECKPOINT_URL if set). Run from cron."
    )

    def handle(self, *args, **options):
        result = checkpoints.checkpoints_write()
        path = checkpoints.checkpoint_file()
        for cp in result.written:
            self.stdout.write(f"检查点 {cp.chain} #{cp.seq} {cp.hash[:16]}…")
        self.stdout.write(f"写入 {len(result.written)} 个检查点：{path}")
        failed = []
        url = getattr(settings, "AUDIT_CHECKPOINT_URL", "")
        if url and result.written:
            try:
                checkpoints.publish(result.written, url)
            except OSError as exc:
                failed.append(f"检查点未能发送到 {url}：{exc}")
            else:
                self.stdout.write(f"已发送到 {url}")
        for brk in result.refused:
            failed.append(f"未写检查点，链有断裂：{brk}")
        if failed:
            for line in failed:
                self.stderr.write(line)
            raise CommandError("检查点未全部完成；请运行 manage.py audit_verify 查看")
