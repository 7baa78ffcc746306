from django.core.management.base import BaseCommand, CommandError

from shiji.audit.verify import verify_all


class Command(BaseCommand):
    help = (
        "Verify every audit chain and compare it with the signed checkpoints; "
        "lists every break and exits non-zero when there is one."
    )

    def handle(self, *args, **options):
        report = verify_all()
        for note in report.notes:
            self.stderr.write(self.style.WARNING(f"注意：{note}"))
        summary = f"{report.chains} 条链、{report.events} 条事件、{report.checkpoints} 个检查点"
        if not report.ok:
            for brk in report.breaks:
                self.stdout.write(f"断裂 {brk}")
            raise CommandError(f"审计链有 {len(report.breaks)} 处断裂（已检查 {summary}）")
        self.stdout.write(self.style.SUCCESS(f"审计链完整：{summary}校验通过"))
