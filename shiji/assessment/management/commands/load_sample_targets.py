from django.core.management.base import BaseCommand, CommandError

from shiji.assessment.samples import sample_targets_load
from shiji.assessment.services import indicators_load
from shiji.core.errors import AppError
from shiji.orgs import policy


class Command(BaseCommand):
    help = (
        "Set the sample 2026–2030 target trajectories (十五五) of the demo zones, marked as "
        "sample data; loads the indicator library first. Idempotent."
    )

    def handle(self, *args, **options):
        actor = policy.system("load_sample_targets")
        try:
            self.stdout.write(indicators_load(actor=actor).summary())
            made = sample_targets_load(actor=actor)
        except AppError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(self.style.SUCCESS(f"示例目标值 {made} 项（已标记为示例数据）"))
