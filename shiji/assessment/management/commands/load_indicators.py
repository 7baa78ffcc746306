from django.core.management.base import BaseCommand, CommandError

from shiji.assessment.library import LIBRARY_PATH
from shiji.assessment.services import indicators_load
from shiji.core.errors import AppError
from shiji.orgs import policy


class Command(BaseCommand):
    help = (
        "Load the indicator library of 政绩考核 (YAML) into the database: the built-in "
        "file by default. Loading again updates indicators in place."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?", default=str(LIBRARY_PATH), help="指标库文件路径")

    def handle(self, *args, **options):
        self.stdout.write(f"载入 {options['path']} …")
        try:
            result = indicators_load(actor=policy.system("load_indicators"), path=options["path"])
        except AppError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(self.style.SUCCESS(f"  {result.summary()}"))
