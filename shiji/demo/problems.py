"""Sample problems for the demo zones: every status and every traffic light,
walked through the lifecycle by the zone's demo accounts (so the timeline and
the audit trail read like real work), one pair sharing a reused photo, one
entry sent back for rework and one deadline extension. All is sample data."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.utils import timezone
from PIL import Image, ImageDraw, PngImagePlugin

from shiji.campaigns.models import ProblemCategory
from shiji.demo.roster import SECRETARY_DEPT, branch_of
from shiji.demo.zones import ZONES
from shiji.ledger import services
from shiji.ledger.models import Problem
from shiji.orgs.models import Organization, Person, User, Zone


@dataclass(frozen=True)
class Sample:
    category: str  # category code of the 2026 preset
    source: str
    kind: str
    description: str
    measures: str
    goal: str
    found_days_ago: int
    deadline_in_days: int | None  # relative to the day the demo is loaded
    status: str  # open / in_progress / submitted / closed / cancelled / rework
    own_branch: bool = True  # in the secretary's branch, or elsewhere in the zone
    progress: str = ""
    extend: bool = False
    reuse_photo: bool = False


SAMPLES = [
    Sample(
        "old-accounts",
        "public",
        "deadline",
        "前任班子承诺的园区企业厂房配套道路至今未建成，企业多次反映无人回应（示例）",
        "梳理历史承诺清单，明确责任部门和完成时限，主动向企业反馈进度",
        "配套道路年内通车，企业满意",
        200,
        -20,
        "in_progress",
        progress="已完成道路设计和招标，施工单位进场",
    ),
    Sample(
        "image-projects",
        "inspection",
        "deadline",
        "园区入口景观提升工程投入大、使用率低，维护费用挤占民生支出（示例）",
        "暂停二期景观工程，资金调整用于企业服务中心建设",
        "节约资金用于民生和企业服务",
        180,
        3,
        "in_progress",
        progress="二期工程已暂停，资金调整方案报党工委审议",
    ),
    Sample(
        "vanity-projects",
        "research",
        "deadline",
        "招商签约项目重签约轻落地，2025年签约的12个项目中5个未开工（示例）",
        "建立签约项目落地跟踪台账，逐个项目明确专班和节点",
        "签约项目开工率达到90%以上",
        150,
        45,
        "submitted",
        progress="5个项目中4个已开工",
        reuse_photo=True,
    ),
    Sample(
        "fake-data",
        "audit",
        "deadline",
        "统计上报的研发投入数据与企业财务报表不一致，存在层层加码（示例）",
        "对上报数据逐户核查，建立统计数据质量责任制",
        "统计数据真实准确、经得起检验",
        160,
        30,
        "closed",
        progress="已完成126户企业数据核查",
    ),
    Sample(
        "traces-over-results",
        "self_check",
        "immediate",
        "基层填报表格多、重复留痕，企业服务专员疲于应付（示例）",
        "清理合并各类报表，只保留必要的3张",
        "报表数量减少一半以上",
        120,
        10,
        "closed",
        own_branch=False,
        progress="报表由11张压减为3张",
        reuse_photo=True,
    ),
    Sample(
        "one-size-fits-all",
        "roundtable",
        "deadline",
        "环保检查“一刀切”停产，影响配套中小企业正常经营（示例）",
        "建立分类监管清单，对合规企业不再简单停产",
        "分类施策、精准监管",
        90,
        60,
        "open",
    ),
    Sample(
        "reckless-debt",
        "patrol",
        "long_term",
        "个别平台公司举债建设标准厂房，空置率较高（示例）",
        "暂停新增举债项目，盘活存量厂房",
        "资产负债率回到合理区间",
        100,
        None,
        "in_progress",
        own_branch=False,
        progress="已盘活厂房2.3万平方米",
    ),
    Sample(
        "short-termism",
        "petition",
        "deadline",
        "为短期产值引进高耗能项目，与园区绿色发展定位不符（示例）",
        "对在谈项目开展能耗和产业定位评估",
        "建立项目准入评估机制",
        60,
        20,
        "cancelled",
    ),
    Sample(
        "old-accounts",
        "discipline",
        "deadline",
        "拖欠中小企业账款未按期清偿（示例）",
        "全面排查拖欠账款，制定清偿计划",
        "年底前清偿完毕",
        40,
        -5,
        "open",
        own_branch=False,
    ),
    Sample(
        "image-projects",
        "self_check",
        "deadline",
        "作风不实（示例）",
        "加强作风建设",
        "作风明显好转",
        30,
        40,
        "rework",
    ),
    Sample(
        "vanity-projects",
        "inspection",
        "deadline",
        "重大项目推进会议多、现场调度少，项目进度滞后（示例）",
        "改会议调度为现场办公，每周一次",
        "项目按计划节点推进",
        75,
        15,
        "in_progress",
        progress="本月现场办公4次，解决问题9个",
        extend=True,
    ),
]


def _png(seed: str, *, after: bool = False) -> bytes:
    """A site photo (480×360 PNG) of a roadside: rubble heaped on it before
    rectification, a clean verge with a planted bed after, so that the
    thumbnails and the viewer show something to compare. ``seed`` goes into
    a text chunk and makes the SHA-256 unique."""
    image = Image.new("RGB", (480, 360), (150, 190, 225))  # the sky
    draw = ImageDraw.Draw(image)
    draw.rectangle([0, 230, 480, 360], fill=(125, 125, 125))  # the road
    draw.rectangle([0, 205, 480, 230], fill=(90, 150, 70) if after else (140, 120, 90))
    if after:
        for x in range(20, 480, 70):
            draw.ellipse([x, 170, x + 45, 215], fill=(60, 140, 60))
    else:
        for i, x in enumerate(range(10, 440, 50)):
            draw.polygon(
                [(x, 230), (x + 30, 160 - (i % 3) * 20), (x + 65, 230)], fill=(110 + i * 9, 90, 70)
            )
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", seed)
    out = io.BytesIO()
    image.save(out, "PNG", pnginfo=info, optimize=True)
    return out.getvalue()


def _photo(name: str, seed: str, *, after: bool = False) -> ContentFile:
    return ContentFile(_png(seed, after=after), name=name)


def _walk(p: Problem, s: Sample, users: dict[str, User], shared: bytes) -> None:
    liaison, secretary = users["liaison"], users["secretary"]
    admin, supervisor, leader = users["admin"], users["supervisor"], users["leader"]
    worker = liaison if s.own_branch else admin
    submitter = secretary if s.own_branch else admin
    if s.status == "rework":
        services.problem_review(
            actor=supervisor,
            problem=p,
            decision="send_back",
            note="查摆不深不准：请写明具体事项、涉及单位和数据",
        )
        return
    if s.status == "cancelled":
        services.problem_transition(
            actor=admin, problem=p, action="cancel", note="经核实已纳入其他专项整改，撤销本条"
        )
        return
    services.problem_review(actor=supervisor, problem=p, decision="approve")
    if s.status == "open":
        return
    services.problem_transition(actor=worker, problem=p, action="start")
    services.problem_add_evidence(
        actor=worker,
        problem=p,
        file=_photo("整改前现场.png", f"{p.code}-before"),
        stage="before",
        note="整改前",
    )
    if s.progress:
        services.problem_add_progress(actor=worker, problem=p, text=s.progress)
    if s.extend and p.deadline is not None:  # every demo problem that is extended has one
        services.problem_extend_deadline(
            actor=leader,
            problem=p,
            new_deadline=p.deadline + dt.timedelta(days=30),
            reason="涉及多个部门协同，需延长一个月",
        )
    if s.status == "in_progress":
        return
    after = (
        ContentFile(shared, name="整改后现场.png")
        if s.reuse_photo
        else _photo("整改后现场.png", f"{p.code}-after", after=True)
    )
    services.problem_add_evidence(actor=worker, problem=p, file=after, stage="after")
    services.problem_transition(
        actor=submitter, problem=p, action="submit", note=f"已按措施完成整改：{s.progress}"
    )
    if s.status == "submitted":
        return
    services.problem_transition(actor=supervisor, problem=p, action="verify")


def create_problems(progress) -> str:
    today = timezone.localdate()
    made = 0
    for spec in ZONES:
        zone = Zone.objects.get(code=spec.code)
        if Problem.objects.filter(zone=zone, is_sample=True).exists():
            continue
        users = {
            key: User.objects.get(username=f"{spec.prefix}_{key}")
            for key in ("admin", "leader", "secretary", "liaison", "supervisor")
        }
        branch = Organization.objects.get(zone=zone, name=branch_of(SECRETARY_DEPT))
        others = list(Organization.objects.filter(zone=zone, kind="branch").exclude(pk=branch.pk))
        categories = {c.code: c for c in ProblemCategory.objects.filter(zone=zone)}
        shared = _png(f"{spec.code}-reused", after=True)
        for i, s in enumerate(SAMPLES):
            org = branch if s.own_branch else others[i % len(others)]
            owner = Person.objects.filter(org=org, user__isnull=True).order_by("pk").first()
            leader = Person.objects.filter(user=users["leader"]).first()
            found = today - dt.timedelta(days=s.found_days_ago)
            deadline = (
                None if s.deadline_in_days is None else today + dt.timedelta(s.deadline_in_days)
            )
            p = services.problem_create(
                actor=users["admin"],
                zone=zone,
                source=s.source,
                category=categories[s.category],
                description=s.description,
                org=org,
                kind=s.kind,
                found_on=found,
                deadline=deadline,
                measures=s.measures,
                goal=s.goal,
                leader=leader,
                owner=owner,
                is_sample=True,
                needs_rule_change=s.category in ("fake-data", "traces-over-results"),
            )
            _walk(p, s, users, shared)
            made += 1
        progress(f"{spec.name}：{len(SAMPLES)} 条示例问题")
    return f"新建 {made} 条示例问题"
