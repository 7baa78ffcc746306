"""``load_demo`` as a list of steps, run in order, each once.

A step does its work through the services and records itself as a
``DemoStep`` in the same transaction, so a run that stops half way resumes
at the step that failed, and a complete installation is recognized with one
query. To add demo data later (sample problems, study sessions), write a
function ``(progress) -> summary`` and append a ``Step`` to ``STEPS``: it
runs once on every installation, including ones loaded before it existed.
Steps also skip what already exists, so they are safe on a database where
some of the data was made by hand.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from shiji.assessment.models import Dimension, IndicatorKind
from shiji.assessment.periods import last_finished_quarter
from shiji.assessment.samples import (
    sample_figures_load,
    sample_quarter_figures_load,
    sample_targets_load,
    sample_year_figures_load,
)
from shiji.assessment.services import indicators_load
from shiji.assessment.services.targets import target_set
from shiji.campaigns.models import Campaign
from shiji.campaigns.services import campaign_load, zone_adopt_campaign
from shiji.core.thumbnails import thumbnails_backfill
from shiji.demo.accounts import DEMO_ACCOUNTS, DEMO_PASSWORD, SYSTEM, DemoAccount
from shiji.demo.bulletins import create_seed_bulletin, create_zone_bulletin
from shiji.demo.models import DemoStep
from shiji.demo.outreach import create_outreach
from shiji.demo.problems import create_problems
from shiji.demo.roster import plan_zone
from shiji.demo.services import indicator_ensure, superuser_create
from shiji.demo.study import create_study_sessions
from shiji.demo.tasks import create_regulations, create_tasks
from shiji.demo.zones import CAMPAIGN, ZONES
from shiji.orgs.models import Organization, Person, User, Zone
from shiji.orgs.services import org_create, person_create, user_create, user_update, zone_create

Progress = Callable[[str], None]


@dataclass(frozen=True)
class Step:
    name: str  # recorded in DemoStep; never rename a step that has shipped
    label: str
    run: Callable[[Progress], str]


def load_campaign(progress: Progress) -> str:
    return campaign_load(actor=SYSTEM, path=CAMPAIGN).summary()


def create_zones(progress: Progress) -> str:
    made = 0
    for spec in ZONES:
        if Zone.objects.filter(code=spec.code).exists():
            continue
        zone_create(
            actor=SYSTEM,
            code=spec.code,
            name=spec.name,
            short_name=spec.short_name,
            province=spec.province,
            city=spec.city,
            is_sample=False,
        )
        made += 1
        progress(f"{spec.name}（{spec.province}·{spec.city}）")
    return f"新建 {made} 个高新区"


def adopt_campaign(progress: Progress) -> str:
    campaign = Campaign.objects.get(code=CAMPAIGN)
    for spec in ZONES:
        meeting = spec.meeting
        # The meeting itself is recorded as a study session (demo/study.py).
        zone_adopt_campaign(actor=SYSTEM, zone=Zone.objects.get(code=spec.code), campaign=campaign)
        progress(f"{spec.name}：{meeting.date.month}月{meeting.date.day}日 {meeting.name}")
    return f"{len(ZONES)} 个高新区启用“{campaign.name}”"


def build_org_trees(progress: Progress) -> str:
    total = 0
    for spec in ZONES:
        zone = Zone.objects.get(code=spec.code)
        orgs = {o.name: o for o in Organization.objects.filter(zone=zone)}
        made = 0
        for plan in plan_zone(spec).orgs:
            if plan.name in orgs:
                continue
            orgs[plan.name] = org_create(
                actor=SYSTEM,
                zone=zone,
                parent=orgs[plan.parent] if plan.parent else None,
                name=plan.name,
                kind=plan.kind,
                sector=plan.sector,
                is_sample=plan.is_sample,
            )
            made += 1
        total += made
        progress(f"{spec.name}：{made} 个组织")
    return f"新建 {total} 个组织"


def _grant(account: DemoAccount) -> dict:
    grant: dict = {"role": account.role}
    if account.org:
        grant["org"] = Organization.objects.get(zone__code=account.zone, name=account.org).pk
    elif account.zone:
        grant["zone"] = Zone.objects.get(code=account.zone).pk
    elif account.province:
        grant["province"] = account.province
    return grant


def create_accounts(progress: Progress) -> str:
    """The admin first (it creates the others, so the audit trail names it)."""
    first = DEMO_ACCOUNTS[0]
    admin = User.objects.filter(username=first.username).first()
    made = 0
    if admin is None:
        admin = superuser_create(
            actor=SYSTEM, username=first.username, password=DEMO_PASSWORD, name=first.display_name
        )
        user_update(actor=admin, user=admin, grants=[_grant(first)])
        made += 1
    for account in DEMO_ACCOUNTS[1:]:
        if User.objects.filter(username=account.username).exists():
            continue
        user_create(
            actor=admin,
            username=account.username,
            password=DEMO_PASSWORD,
            name=account.display_name,
            grants=[_grant(account)],
        )
        made += 1
        progress(f"{account.username}（{account.role_label}）")
    return f"新建 {made} 个账号"


def build_rosters(progress: Progress) -> str:
    users = {
        u.username: u for u in User.objects.filter(username__in=[a.username for a in DEMO_ACCOUNTS])
    }
    linked = set(Person.objects.filter(user__isnull=False).values_list("user_id", flat=True))
    accounts = {(a.zone, a.person): users.get(a.username) for a in DEMO_ACCOUNTS if a.person}
    total = 0
    for spec in ZONES:
        zone = Zone.objects.get(code=spec.code)
        orgs = {o.name: o for o in Organization.objects.filter(zone=zone)}
        have = set(Person.objects.filter(zone=zone).values_list("org__name", "name"))
        made = 0
        for org in plan_zone(spec).orgs:
            for person in org.people:
                if (org.name, person.name) in have:
                    continue
                user = accounts.get((spec.code, (org.name, person.position)))
                if user is not None and user.pk in linked:
                    user = None
                person_create(
                    actor=SYSTEM,
                    org=orgs[org.name],
                    name=person.name,
                    position=person.position,
                    is_party_member=person.is_party_member,
                    user=user,
                    is_sample=True,
                )
                made += 1
        total += made
        progress(f"{spec.name}：{made} 人")
    return f"新建 {total} 名人员"


def set_targets(progress: Progress) -> str:
    made = 0
    for spec in ZONES:
        zone = Zone.objects.get(code=spec.code)
        for t in spec.targets:
            indicator = indicator_ensure(
                actor=SYSTEM,
                code=t.indicator,
                name=t.name,
                kind=IndicatorKind.VISIBLE,
                dimension=Dimension.QUALITY,
                unit=t.unit,
            )
            target_set(
                actor=SYSTEM,
                zone=zone,
                indicator=indicator,
                period=t.period,
                comparator=t.comparator,
                value=t.value,
                source=t.source,
                is_sample=False,
            )
            made += 1
            progress(f"{spec.name}：“{t.period}”{t.name}超 {t.value} {t.unit}")
    return f"{made} 项目标"


def load_assessment(progress: Progress) -> str:
    progress(indicators_load(actor=SYSTEM).summary())
    targets = sample_targets_load(actor=SYSTEM)
    quarter = last_finished_quarter(timezone.localdate())
    figures = 0
    # Each zone's figures, entered by its liaison and confirmed by its task
    # force: 清远's with a flagged jump and a correction after lock, and every
    # zone's yearly (and the others' quarterly) figures, so that the zone
    # pages and the comparison show a 显绩 and a 潜绩.
    for spec in ZONES:
        zone = Zone.objects.get(code=spec.code)
        people = {
            "enterer": User.objects.get(username=f"{spec.prefix}_liaison"),
            "confirmer": User.objects.get(username=f"{spec.prefix}_admin"),
        }
        if spec.code == "qingyuan":
            figures += sample_figures_load(zone=zone, quarter=quarter, **people)
        else:
            figures += sample_quarter_figures_load(zone=zone, upto=quarter, **people)
        figures += sample_year_figures_load(zone=zone, year=quarter.year, **people)
    return f"{targets} 项示例目标值，{figures} 项示例指标数据"


def make_thumbnails(progress: Progress) -> str:
    # The same backfill as `manage.py make_thumbnails`, so that the demo's
    # photos (and those of an installation loaded before thumbnails existed)
    # show without waiting for a first view.
    counts = thumbnails_backfill(progress=progress)
    return f"新生成 {counts['made']} 张缩略图"


STEPS: list[Step] = [
    Step("campaign", "载入 2026 年学习教育预设", load_campaign),
    Step("zones", "创建高新区", create_zones),
    Step("adoptions", "启用学习教育并记录部署会议", adopt_campaign),
    Step("orgs", "建立组织架构（示例）", build_org_trees),
    Step("accounts", "创建演示账号", create_accounts),
    Step("rosters", "建立人员名册（示例）", build_rosters),
    Step("targets", "录入清远高新区“十五五”目标", set_targets),
    Step("assessment", "载入考核指标库和各区年度目标轨迹（示例）", load_assessment),
    Step("problems", "录入示例问题并走完整改流程", create_problems),
    Step("tasks", "生成任务清单并模拟报送审核（示例）", create_tasks),
    Step("regulations", "登记建章立制示例", create_regulations),
    Step("study", "记录学习研讨与出勤（示例，含各区部署会议）", create_study_sessions),
    Step(
        "outreach",
        "开门教育示例：群众反映、企业名录、政企圆桌会、入企走访和为民实事",
        create_outreach,
    ),
    Step("bulletin_seed", "工作动态与全国简报第1期（种子报道）", create_seed_bulletin),
    Step("bulletin_zone", "无锡高新区的工作动态与简报第1期（示例）", create_zone_bulletin),
    Step("thumbnails", "生成凭证图片的缩略图", make_thumbnails),
]


def pending_steps() -> list[Step]:
    """The steps not yet run here: one query, the whole of a repeated run's work."""
    done = set(DemoStep.objects.values_list("name", flat=True))
    return [step for step in STEPS if step.name not in done]


def run_step(step: Step, progress: Progress) -> str:
    with transaction.atomic():
        summary = step.run(progress)
        # Bookkeeping of the loader itself, not domain data: no audit event.
        DemoStep.objects.create(name=step.name, done_at=timezone.now())
    return summary


def account_rows() -> list[tuple[str, str, str, str]]:
    """(username, role, scope, name) of each demo account that exists."""
    users = {
        u.username: u
        for u in User.objects.filter(username__in=[a.username for a in DEMO_ACCOUNTS]).only(
            "username", "name"
        )
    }
    return [
        (a.username, a.role_label, a.scope_text, users[a.username].name)
        for a in DEMO_ACCOUNTS
        if a.username in users
    ]
