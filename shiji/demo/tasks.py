"""Sample task lists and rule-making registers for the demo zones.

Each zone gets the 2026 preset's task templates (assigned by sector) plus two
tasks added by its 工作专班 with deadlines near the day the demo is loaded, so
every traffic light shows. Assignments are walked into every state: the
secretary's own branch by its demo accounts, other organizations by the
system (their secretaries have no demo accounts). Three regulations per zone,
one in each status, the issued one linked to the zone's sample problems that
need a rule change. Everything is ``is_sample`` and goes through the services.
"""

from __future__ import annotations

import datetime as dt
import struct
import zlib

from django.core.files.base import ContentFile
from django.utils import timezone

from shiji.campaigns import services as campaign_services
from shiji.campaigns.models import (
    AssignmentStatus,
    Campaign,
    Task,
    TaskAssignment,
    WorkArrangement,
)
from shiji.demo.accounts import SYSTEM
from shiji.demo.roster import SECRETARY_DEPT, branch_of
from shiji.demo.zones import CAMPAIGN, ZONES
from shiji.ledger.models import Problem
from shiji.orgs.models import Organization, OrgKind, User, Zone
from shiji.orgs.policy import Actor
from shiji.regulations import services as regulation_services
from shiji.regulations.models import Regulation

# (title, arrangement code, sectors, days from today)
EXTRA_TASKS = [
    ("开展“回头看”，对已销号问题逐项复查，防止反弹回潮（示例）", "rectify",
     ["organ", "soe", "institution"], 5),
    ("报送本单位学习教育工作总结和典型经验（示例）", "study",
     ["organ", "soe", "institution", "private", "social"], 20),
]  # fmt: skip
# The states the walk cycles through, so every zone shows each of them.
CYCLE = [
    AssignmentStatus.ACCEPTED,
    AssignmentStatus.REPORTED,
    AssignmentStatus.PENDING,
    AssignmentStatus.RETURNED,
    AssignmentStatus.PENDING,
]

REGULATIONS = [
    # (title, action, status, doc number pattern, summary)
    ("政绩考核办法（修订）", "revise", "issued", "{short}高党工委发〔2026〕8号",
     "把“显绩”和“潜绩”一并纳入考核，不再单纯以地区生产总值论英雄（示例）"),
    ("重大项目决策程序规定", "new", "review", "",
     "重大项目须经可行性论证、风险评估和集体决策，防止盲目上项目（示例）"),
    ("关于废止《招商引资考核奖励暂行办法》的决定", "repeal", "draft", "",
     "原办法以签约额论奖励，导致重签约轻落地，予以废止（示例）"),
]  # fmt: skip


def _png(seed: str) -> bytes:
    """A small real PNG; ``seed`` makes its SHA-256 unique."""

    def chunk(tag: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(tag + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", crc)

    rows = b"".join(b"\x00" + b"\x1c\x5c\xb7" * 32 for _ in range(8))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 32, 8, 8, 2, 0, 0, 0))
        + chunk(b"tEXt", b"Comment\x00" + seed.encode())
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def _walk(a: TaskAssignment, state: str, reporter: Actor, admin: User) -> None:
    if state == AssignmentStatus.PENDING:
        return
    campaign_services.assignment_transition(
        actor=reporter,
        assignment=a,
        action="report",
        note=f"{a.org.name}已按要求完成：召开专题会议，形成工作台账（示例）",
        files=[ContentFile(_png(f"task-{a.pk}"), name="会议记录.png")],
    )
    if state == AssignmentStatus.REPORTED:
        return
    if state == AssignmentStatus.RETURNED:
        campaign_services.assignment_transition(
            actor=admin, assignment=a, action="return",
            note="材料只有会议照片，请补充会议记录和整改台账（示例）",
        )  # fmt: skip
        return
    campaign_services.assignment_transition(actor=admin, assignment=a, action="accept")


def create_tasks(progress) -> str:
    campaign = Campaign.objects.get(code=CAMPAIGN)
    today = timezone.localdate()
    made = 0
    for spec in ZONES:
        zone = Zone.objects.get(code=spec.code)
        if Task.objects.filter(zone=zone, is_sample=True).exists():
            continue
        admin = User.objects.get(username=f"{spec.prefix}_admin")
        reporters = [
            User.objects.get(username=f"{spec.prefix}_{k}") for k in ("secretary", "liaison")
        ]
        branch = Organization.objects.get(zone=zone, name=branch_of(SECRETARY_DEPT))
        campaign_services.tasks_adopt_templates(
            actor=admin, zone=zone, campaign=campaign, is_sample=True
        )
        for title, arrangement, sectors, days in EXTRA_TASKS:
            campaign_services.task_create(
                actor=admin,
                zone=zone,
                campaign=campaign,
                arrangement=WorkArrangement.objects.get(campaign=campaign, code=arrangement),
                title=title,
                sectors=sectors,
                deadline=today + dt.timedelta(days=days),
                is_sample=True,
            )
        assignments = TaskAssignment.objects.filter(task__zone=zone).select_related("org", "task")
        for i, a in enumerate(assignments.order_by("task__deadline", "task_id", "org__path")):
            own = a.org_id == branch.pk
            # Orgs without a demo account report through the loader itself.
            _walk(a, CYCLE[i % len(CYCLE)], reporters[i % 2] if own else SYSTEM, admin)
        made += Task.objects.filter(zone=zone).count()
        progress(f"{spec.name}：{assignments.count()} 个单位次")
    return f"新建 {made} 项任务"


def create_regulations(progress) -> str:
    today = timezone.localdate()
    made = 0
    for spec in ZONES:
        zone = Zone.objects.get(code=spec.code)
        if Regulation.objects.filter(zone=zone, is_sample=True).exists():
            continue
        admin = User.objects.get(username=f"{spec.prefix}_admin")
        root = Organization.objects.filter(zone=zone, parent__isnull=True).first()
        owner = (
            Organization.objects.filter(zone=zone, kind=OrgKind.COMMITTEE).order_by("path").first()
            or root
        )
        needing = list(Problem.objects.filter(zone=zone, needs_rule_change=True, is_sample=True))
        for title, action, status, number, summary in REGULATIONS:
            # The sample rules are registered and submitted by the loader; the
            # zone's task force issues them (the issuer is never the drafter).
            r = regulation_services.regulation_create(
                actor=SYSTEM,
                zone=zone,
                org=root if action == "revise" else owner,
                title=title,
                action=action,
                doc_number=number.format(short=spec.short_name),
                summary=summary,
                problems=needing if status == "issued" else [],
                is_sample=True,
            )
            if status in ("review", "issued"):
                regulation_services.regulation_transition(
                    actor=SYSTEM, regulation=r, action="submit"
                )
            if status == "issued":
                regulation_services.regulation_transition(
                    actor=admin, regulation=r, action="issue",
                    issued_on=today - dt.timedelta(days=30),
                )  # fmt: skip
            made += 1
        progress(f"{spec.name}：{len(REGULATIONS)} 项制度")
    return f"新建 {made} 项制度"
