"""The demo accounts, in one list that ``load_demo``, its printed table, the
README and the tests all read.

Every account uses ``DEMO_PASSWORD``. Zone accounts are linked to a person of
the invented roster (the position named in ``person``), whose name becomes
the account's display name.
"""

from __future__ import annotations

from dataclasses import dataclass
from unicodedata import east_asian_width

from shiji.demo.roster import (
    LIAISON_POSITION,
    ORGAN,
    SECRETARY_DEPT,
    SECRETARY_POSITION,
    TASK_FORCE_DEPT,
    TASK_FORCE_POSITION,
    branch_of,
    plan_zone,
)
from shiji.demo.zones import LEADER_AT, SUPERVISOR_AT, ZONES, ZONES_BY_CODE
from shiji.orgs import policy
from shiji.orgs.models import Role

# What the loader writes before any account exists, and the sample records no
# demo account would enter (rosters, targets, other orgs' task reports), is
# written by the system; the audit trail names it "系统（load_demo）".
SYSTEM = policy.system("load_demo")

DEMO_PASSWORD = "Shiji-demo-2026"


@dataclass(frozen=True)
class DemoAccount:
    username: str
    role: str  # orgs.Role code
    zone: str = ""  # code of the zone the grant (and the account) belongs to
    province: str = ""  # a provincial grant
    org: str = ""  # name of the org whose subtree the grant covers
    person: tuple[str, str] | None = None  # (org name, position) of the linked roster entry
    name: str = ""  # display name of accounts without a roster entry
    superuser: bool = False

    @property
    def role_label(self) -> str:
        return str(Role(self.role).label)

    @property
    def scope_text(self) -> str:
        if self.zone:
            zone = ZONES_BY_CODE[self.zone].name
            return f"{zone} / {self.org}" if self.org else zone
        if self.province:
            return f"{self.province}省"
        return "全部高新区"

    @property
    def display_name(self) -> str:
        if self.person is None:
            return self.name
        org, position = self.person
        return plan_zone(ZONES_BY_CODE[self.zone]).person(org, position).name


def _zone_accounts() -> list[DemoAccount]:
    out = []
    for z in ZONES:
        branch = branch_of(SECRETARY_DEPT)
        out += [
            DemoAccount(
                f"{z.prefix}_admin",
                Role.ZONE_ADMIN,
                zone=z.code,
                person=(branch_of(TASK_FORCE_DEPT), TASK_FORCE_POSITION),
            ),
            DemoAccount(
                f"{z.prefix}_leader",
                Role.LEADER,
                zone=z.code,
                org=ORGAN,
                person=(z.root, z.root_positions[LEADER_AT]),
            ),
            DemoAccount(
                f"{z.prefix}_secretary",
                Role.SECRETARY,
                zone=z.code,
                org=branch,
                person=(branch, SECRETARY_POSITION),
            ),
            DemoAccount(
                f"{z.prefix}_liaison",
                Role.LIAISON,
                zone=z.code,
                org=branch,
                person=(branch, LIAISON_POSITION),
            ),
            DemoAccount(
                f"{z.prefix}_supervisor",
                Role.SUPERVISOR,
                zone=z.code,
                person=(z.root, z.root_positions[SUPERVISOR_AT]),
            ),
        ]
    return out


DEMO_ACCOUNTS: tuple[DemoAccount, ...] = (
    DemoAccount("admin", Role.SYSTEM_ADMIN, name="系统管理员", superuser=True),
    DemoAccount("national", Role.VIEWER, name="全国查看"),
    DemoAccount("guangdong", Role.VIEWER, province="广东", name="广东省查看"),
    *_zone_accounts(),
)


def accounts_table_lines(rows: list[tuple[str, ...]]) -> list[str]:
    """Rows as aligned text columns; CJK characters count two columns wide."""

    def width(text: str) -> int:
        return sum(2 if east_asian_width(c) in "WF" else 1 for c in text)

    widths = [max(width(r[i]) for r in rows) for i in range(len(rows[0]))]
    return [
        "  ".join(cell + " " * (widths[i] - width(cell)) for i, cell in enumerate(row)).rstrip()
        for row in rows
    ]
