from django.core.management.base import BaseCommand, CommandError

from shiji.campaigns.presets import builtin_presets
from shiji.campaigns.services import campaign_load
from shiji.core.errors import AppError
from shiji.orgs import policy


class Command(BaseCommand):
    help = (
        "Load campaign presets (YAML) into the database: a file path or the code of a "
        "built-in preset. Loading again updates the campaign in place."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "presets", nargs="*", help="文件路径或内置预设代码，如 zhengjiguan-2026"
        )
        parser.add_argument("--all", action="store_true", help="载入全部内置预设")
        parser.add_argument("--list", action="store_true", help="列出内置预设")

    def handle(self, *args, **options):
        if options["list"]:
            for path in builtin_presets():
                self.stdout.write(f"{path.stem}\t{path}")
            return
        names = [str(p) for p in builtin_presets()] if options["all"] else options["presets"]
        if not names:
            raise CommandError("请指定预设文件或代码（或 --all、--list）")
        for i, name in enumerate(names, 1):
            self.stdout.write(f"[{i}/{len(names)}] 载入 {name} …")
            try:
                result = campaign_load(actor=policy.system("load_campaign"), path=name)
            except AppError as exc:
                raise CommandError(exc.message) from None
            self.stdout.write(self.style.SUCCESS(f"  {result.summary()}"))
