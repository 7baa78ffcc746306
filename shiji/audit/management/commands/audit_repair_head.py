import getpass
import socket

from django.core.management.base import BaseCommand, CommandError

from shiji.audit import services
from shiji.audit.verify import all_chains, check_chain
from shiji.orgs import policy


class Command(BaseCommand):
    help = (
        "Rebuild a missing or wrong audit chain head from the chain's last verified "
        "event, recording the repair in the chain. Refuses a chain with other breaks "
        "unless --accept-breaks (the breaks then go into the repair's record)."
    )

    def add_arguments(self, parser):
        parser.add_argument("chains", nargs="*", help="chains to repair (default: every chain)")
        parser.add_argument("--accept-breaks", action="store_true")

    def handle(self, *args, chains, accept_breaks, **options):
        targets = chains or [
            c for c in all_chains() if any(b.kind == "head" for b in check_chain(c).breaks)
        ]
        if not targets:
            self.stdout.write(self.style.SUCCESS("所有链头完好，无需修复"))
            return
        ran_by = f"{getpass.getuser()}@{socket.gethostname()}（manage.py audit_repair_head）"
        refused = []
        for chain in targets:
            result = services.head_repair(
                actor=policy.system("audit_repair_head"),
                chain=chain,
                accept_breaks=accept_breaks,
                ran_by=ran_by,
            )
            if result.repaired:
                self.stdout.write(
                    self.style.SUCCESS(f"{chain}：链头已指向 #{result.tip[0]}，修复已记入审计链")
                )
            elif result.breaks:
                refused.append(chain)
                for brk in result.breaks:
                    self.stdout.write(f"断裂 {brk}")
            else:
                self.stdout.write(f"{chain}：链头完好")
        if refused:
            raise CommandError(
                f"{'、'.join(refused)} 链中另有断裂，未修复。请先查明原因；"
                "确需继续写入时加 --accept-breaks，断裂将记入修复事件"
            )
