"""The national data set (issue 12, DESIGN.md §6): every zone of ``zones.py``
with an org tree, a roster, accounts, a problem ledger walked through the
lifecycle, study sessions with attendance, the task list and the rule
register — written in bulk (``writer.Writer``), not through the services.

Everything is drawn from ``random.Random`` seeded with the seed and the
zone's code, so the same parameters give the same rows (ids included, on an
empty database), and a zone's data does not depend on how many zones are
generated. Dates are relative to ``Params.today``.

The rows are what the services would have left: org paths as
``orgs.services.tree`` builds them, 台账编号 as ``ledger.services`` assigns
them (with its ``CodeCounter`` moved on), a ``Review`` for every lifecycle
move and list review with the problem's fields to match (closed problems
carry ``closed_on`` and ``verified_by``, extensions their
``DeadlineExtension`` rows and ``extension_count``), ``Evidence`` before
every submission (with a made-up sha256 and no file), attendance only for
the people the session expected. No audit events are written for them: the
trail starts with the preset's loading, and the marker
(``models.GeneratedDataset``) says the rest was generated.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.utils import timezone

from shiji.assessment.models import Indicator, IndicatorRelation, Measurement, PeriodKind
from shiji.assessment.periods import Period, last_finished_quarter
from shiji.assessment.services import indicators_load
from shiji.campaigns.models import (
    AssignmentStatus,
    Campaign,
    CategoryTemplate,
    ProblemCategory,
    StudyKind,
    Task,
    TaskAssignment,
    TaskTemplate,
    ZoneCampaign,
)
from shiji.campaigns.services import campaign_load
from shiji.core.uploads import content_path
from shiji.core.workdays import add_working_days
from shiji.demo.roster import DEPARTMENTS, person_name
from shiji.ledger.models import (
    CodeCounter,
    DeadlineExtension,
    Evidence,
    Kind,
    Problem,
    ProgressNote,
    Review,
    ReviewState,
    Source,
    Stage,
    Status,
)
from shiji.national.models import GeneratedDataset
from shiji.national.writer import IdRange, Writer, indexes_rebuilt
from shiji.national.zones import ZONES, ZoneRow
from shiji.orgs import policy
from shiji.orgs.models import Organization, OrgKind, Person, Role, RoleGrant, Sector, User, Zone
from shiji.outreach import codes as feedback_codes
from shiji.outreach.models import Category as FeedbackCategory
from shiji.outreach.models import (
    Channel,
    Feedback,
    FeedbackContact,
    FeedbackRating,
    FeedbackStep,
    OutreachSettings,
    Rating,
)
from shiji.outreach.models import Kind as FeedbackKind
from shiji.outreach.models import Status as FeedbackStatus
from shiji.outreach.workflow import stored_label
from shiji.regulations.models import Action as RegAction
from shiji.regulations.models import Regulation
from shiji.regulations.models import Status as RegStatus
from shiji.study.models import Attendance, AttendeeScope, StudySession

GENERATOR = "generate_national"
VERSION = 1
CAMPAIGN = "zhengjiguan-2026"
PASSWORD = "Shiji-national-2026"
SYSTEM = policy.system(GENERATOR)

Progress = Callable[[str], None]
# The tables with most rows, whose indexes are built after they are filled.
BIG_TABLES = (Problem, Review, ProgressNote, Evidence, DeadlineExtension, StudySession, Attendance)


@dataclass(frozen=True)
class Params:
    zones: int = len(ZONES)
    problems_per_zone: int = 575
    people_per_zone: int = 340
    sessions_per_zone: int = 400
    feedback_per_zone: int = 60
    seed: int = 1
    today: dt.date = field(default_factory=timezone.localdate)

    def key(self) -> dict:
        """What makes two data sets the same (the day they were drawn
        relative to is not: a cached data set stays usable)."""
        out = asdict(self)
        out.pop("today")
        return out


# Texts ----------------------------------------------------------------------

# (category code of the preset, problem descriptions): what a zone's own
# check would write down, with "{org}" for the responsible unit.
PROBLEMS: dict[str, tuple[str, ...]] = {
    "old-accounts": (
        "{org}对前任承诺的企业配套项目推进不力，企业多次反映未获回应",
        "{org}历史遗留的厂房产权办证问题久拖未决，影响企业融资",
        "{org}对上届班子签订的招商协议中的奖补政策兑现不到位",
    ),
    "image-projects": (
        "{org}景观亮化工程投入大、使用率低，日常维护费用挤占企业服务经费",
        "{org}展厅建设追求规模档次，利用率不高",
        "{org}道路沿线“穿衣戴帽”工程重外观、轻功能",
    ),
    "vanity-projects": (
        "{org}招商签约项目重签约、轻落地，部分项目长期未开工",
        "{org}盲目追求产业园区规模，入驻率偏低",
        "{org}孵化器数量增长快但在孵企业质量不高",
    ),
    "reckless-debt": (
        "{org}举债建设标准厂房，空置率较高，偿债压力大",
        "{org}平台公司融资成本偏高，未按规定履行决策程序",
    ),
    "fake-data": (
        "{org}统计上报的研发投入数据与企业财务报表不一致",
        "{org}上报的招商引资到位资金存在重复统计",
        "{org}高新技术企业培育数据核查不严，口径不一",
    ),
    "one-size-fits-all": (
        "{org}环保检查“一刀切”停产，影响配套中小企业正常经营",
        "{org}安全生产整治简单化，对合规企业一律限产",
    ),
    "traces-over-results": (
        "{org}基层填报表格多、重复留痕，企业服务专员疲于应付",
        "{org}以会议落实会议、以文件落实文件，督查检查频次过多",
        "{org}工作群打卡、拍照留痕要求过多，增加基层负担",
    ),
    "short-termism": (
        "{org}引进项目只看投资规模，忽视能耗和环境承载",
        "{org}土地出让追求短期收益，产业用地效率偏低",
    ),
}
MEASURES = (
    "建立工作台账，逐项明确责任人和完成时限，定期调度推进",
    "开展专项核查，形成核查报告并报党工委审议",
    "制定整改方案，分阶段推进，每月报送进展",
    "约谈相关责任人，完善内部管理流程",
    "主动对接企业，逐一听取意见并反馈办理结果",
    "清理合并相关报表和检查事项，减轻基层负担",
)
GOALS = (
    "问题按期整改到位，企业和群众满意",
    "形成长效机制，防止问题反弹回潮",
    "相关指标真实准确、经得起检验",
    "项目按节点推进，年内见到实效",
)
PROGRESS = (
    "已召开专题会议研究整改方案，明确责任分工",
    "已完成问题核查，正在推进整改",
    "已与相关企业逐一对接，收集意见{n}条",
    "整改方案已报党工委审议通过",
    "已完成阶段性整改任务，进度约{p}%",
    "已建立整改台账，每周调度",
)
COMPLETION = (
    "已按整改措施完成整改，相关材料已归档",
    "问题已整改到位，企业反馈满意",
    "已建立长效机制并印发执行",
)
RETURN_REASONS = ("佐证材料不足，请补充整改前后对比材料", "整改措施未全部落实，请继续整改")
REOPEN_REASONS = ("回头看发现问题有反弹，重新整改",)
CANCEL_REASONS = ("经核实不属于本单位职责，已移交相关部门", "与已有问题重复，合并处理")
SEND_BACK = ("问题描述不够具体，请补充问题表现和原因分析",)
EXTENSION_REASONS = ("涉及上级审批，办理周期较长", "受施工季节影响，需顺延工期")
FEEDBACK_TEXTS = {
    "business": "{short}高新区企业开办和项目审批环节仍较多，希望进一步压缩办理时间",
    "service": "在{short}高新区政务服务中心办理业务时多次被要求补交材料，希望一次告知",
    "infrastructure": "{short}高新区园区道路夜间照明不足，存在安全隐患",
    "environment": "{short}高新区某企业夜间排放异味，影响周边居民",
    "safety": "{short}高新区部分厂房消防通道被占用，建议加强检查",
    "labour": "{short}高新区某企业拖欠员工加班费，希望帮助协调",
    "livelihood": "{short}高新区员工子女入学难，希望增加学位供给",
    "conduct": "{short}高新区个别工作人员办事推诿，态度生硬",
    "other": "对{short}高新区学习教育工作提出建议：多到企业一线听取意见",
}
FEEDBACK_REPLIES = (
    "您反映的问题已转相关部门核实处理，现已整改完毕，感谢您的监督。",
    "经核实，情况属实，已责成相关单位限期整改，并将持续跟踪。",
    "您的建议已收悉，我们将在下一步工作中认真研究采纳。",
)
ABSENCE = ("外出招商", "病假", "参加上级培训", "出差", "事假")
STUDY_TOPICS = (
    "学习习近平总书记关于树立和践行正确政绩观的重要论述",
    "对照“新官不理旧账”“形象工程”等问题开展自查",
    "学习《中国共产党纪律处分条例》有关条款，以案为鉴",
    "围绕“为谁创造政绩、创造什么样的政绩、怎样创造政绩”开展研讨",
    "学习典型案例，查找本单位在政绩观方面存在的差距",
)
INDUSTRIES = (
    "电子", "软件", "生物医药", "新材料", "智能装备", "新能源", "光电", "数据科技",
    "精密制造", "环保科技", "汽车零部件", "半导体", "医疗器械", "检测技术",
)  # fmt: skip
WORDS = "华创新科恒瑞博远达鑫泰盛卓航宏信安联中天汇智星辰"
MEMBER_POSITIONS = (
    "一级主任科员", "二级主任科员", "科长", "副科长", "研发工程师", "生产主管",
    "项目经理", "财务主管", "技术员", "销售经理", "综合受理员", "审批专员",
)  # fmt: skip
ROOT_POSITIONS = (
    "党工委书记",
    "党工委副书记、管委会主任",
    "党工委委员、管委会副主任",
    "党工委委员、纪工委书记",
    "学习教育督导组组长",
)


def fake_sha256(*parts: object) -> str:
    return hashlib.sha256("/".join(map(str, parts)).encode()).hexdigest()


# The plan of one zone ---------------------------------------------------------


@dataclass
class OrgRow:
    id: int
    name: str
    kind: str
    sector: str
    parent: OrgRow | None
    path: str = ""
    depth: int = 0
    people: list[int] = field(default_factory=list)  # person ids


@dataclass
class ZoneData:
    row: ZoneRow
    id: int
    rng: random.Random
    orgs: list[OrgRow] = field(default_factory=list)
    leaves: list[OrgRow] = field(default_factory=list)
    people: list[Any] = field(default_factory=list)  # rows: lists, then tuples
    users: dict[str, int] = field(default_factory=dict)  # role -> user id
    leaders: list[int] = field(default_factory=list)  # person ids in the root
    categories: list[int] = field(default_factory=list)


class Walk:
    """One problem's history as it is drawn: its clock and its reviews."""

    def __init__(
        self, gen: Generator, pk: int, t: dt.datetime, rng: random.Random, reviews: list
    ) -> None:
        self.gen, self.pk, self.t, self.rng, self.reviews = gen, pk, t, rng, reviews

    def later(self, days_max: int) -> dt.datetime:
        """A moment 1 to ``days_max`` days on, never past the generator's clock."""
        r = self.rng.random
        step = dt.timedelta(days=1 + int(r() * max(days_max, 1)), hours=r())
        self.t = min(self.t + step, self.gen.clock)
        return self.t

    def review(self, action: str, old: str, new: str, actor: int, note: str = "") -> None:
        self.reviews.append(
            (self.gen.ids[Review].take(), self.pk, action, old, new, note, actor, False, "", self.t)
        )


class Generator:
    def __init__(self, params: Params, progress: Progress | None = None) -> None:
        self.p = params
        self.progress = progress or (lambda line: None)
        self.today = params.today
        self.clock = dt.datetime.combine(params.today, dt.time(12), tzinfo=dt.UTC)
        self.w = Writer(clock=self.clock)
        self.counts: dict[str, int] = {}

    # helpers
    def moment(self, day: dt.date, rng: random.Random) -> dt.datetime:
        """A working-hours moment of ``day`` (UTC; 08:00–18:00 Beijing)."""
        return dt.datetime.combine(day, dt.time(0), tzinfo=dt.UTC) + dt.timedelta(
            seconds=rng.randrange(0, 10 * 3600)
        )

    def run(self) -> dict[str, int]:
        started = time.monotonic()
        outermost = not connection.in_atomic_block
        with (
            sqlite_foreign_keys_off(outermost=outermost),
            transaction.atomic(),
            bulk_session(outermost=outermost) as checks_off,
        ):
            campaign_load(actor=SYSTEM, path=CAMPAIGN)
            self.campaign = Campaign.objects.get(code=CAMPAIGN)
            self.ids = {
                m: IdRange(m)
                for m in (
                    Zone, Organization, Person, User, RoleGrant, ZoneCampaign, ProblemCategory,
                    Problem, Review, ProgressNote, Evidence, DeadlineExtension, StudySession,
                    Attendance, Task, TaskAssignment, Regulation, Feedback, FeedbackStep,
                    Measurement,
                )
            }  # fmt: skip
            zones = self.build_zones()
            self.step("zones, org trees, rosters and accounts", started)
            # An index cannot be built on a table with checks still pending.
            with indexes_rebuilt(BIG_TABLES if checks_off else ()):
                self.write_problems(zones)
                self.step("problems and their records", started)
                self.write_study(zones)
                self.step("study sessions and attendance", started)
            self.step("indexes of the big tables built", started)
            self.write_tasks(zones)
            self.write_regulations(zones)
            self.step("tasks and regulations", started)
            self.write_feedback(zones)
            self.step("public feedback", started)
            indicators_load(actor=SYSTEM)
            self.write_measurements(zones)
            self.step("indicator figures", started)
            self.w.reset_sequences()
            check_references()
            GeneratedDataset.objects.create(
                generator=GENERATOR,
                version=VERSION,
                params=self.p.key(),
                anchor_day=self.today,
                counts=self.w.written,
                seconds=round(time.monotonic() - started, 2),
                created_at=self.clock,
            )
        analyze()
        self.step("statistics (ANALYZE)", started)
        return dict(self.w.written)

    def step(self, label: str, started: float) -> None:
        self.progress(f"{time.monotonic() - started:6.1f} s  {label}")

    # zones, orgs, people, accounts ---------------------------------------------

    def build_zones(self) -> list[ZoneData]:
        if self.p.zones > len(ZONES):
            raise ValueError(f"zones: at most {len(ZONES)}")
        zones = [
            ZoneData(row, self.ids[Zone].take(), random.Random(f"{self.p.seed}/{row.code}"))  # noqa: S311
            for row in ZONES[: self.p.zones]
        ]
        self.w.insert(
            Zone,
            ["id", "code", "name", "short_name", "province", "city", "is_sample"],
            [(z.id, *z.row, False) for z in zones],
        )
        self.w.insert(
            ZoneCampaign,
            ["id", "zone", "campaign", "adopted_at", "requires_list_review"],
            [
                (self.ids[ZoneCampaign].take(), z.id, self.campaign.pk, self.clock, True)
                for z in zones
            ],
        )
        templates = list(CategoryTemplate.objects.filter(campaign=self.campaign).order_by("order"))
        self.category_codes: dict[int, str] = {}
        rows = []
        for z in zones:
            for t in templates:
                pk = self.ids[ProblemCategory].take()
                z.categories.append(pk)
                self.category_codes[pk] = t.code
                rows.append(
                    (pk, z.id, self.campaign.pk, t.code, t.name, t.description,
                     t.is_placeholder, t.order, True)
                )  # fmt: skip
        self.w.insert(
            ProblemCategory,
            ["id", "zone", "campaign", "code", "name", "description", "is_placeholder",
             "order", "is_active"],
            rows,
        )  # fmt: skip
        for z in zones:
            self.plan_orgs(z)
        self.w.insert(
            Organization,
            ["id", "zone", "parent", "name", "kind", "sector", "path", "depth", "is_sample"],
            [
                (o.id, z.id, o.parent.id if o.parent else None, o.name, o.kind, o.sector,
                 o.path, o.depth, True)
                for z in zones
                for o in z.orgs
            ],
        )  # fmt: skip
        self.write_accounts(zones)
        self.w.insert(
            Person,
            ["id", "zone", "org", "name", "position", "is_party_member", "phone", "user",
             "is_active", "is_sample"],
            (p for z in zones for p in z.people),
        )  # fmt: skip
        return zones

    def plan_orgs(self, z: ZoneData) -> None:
        rng, short = z.rng, z.row.short_name
        taken: set[str] = set()

        def org(name: str, kind: str, sector: str, parent: OrgRow | None) -> OrgRow:
            o = OrgRow(self.ids[Organization].take(), name, kind, sector, parent)
            # As orgs.services.tree._set_path builds it.
            parent_path = parent.path if parent else ""
            o.path, o.depth = f"{parent_path}{o.id:08d}.", parent_path.count(".")
            z.orgs.append(o)
            return o

        def staff(o: OrgRow, positions: tuple[str, ...] | list[str]) -> None:
            for position in positions:
                pk = self.ids[Person].take()
                party = not position.startswith("入党积极分子")
                z.people.append(
                    [pk, z.id, o.id, person_name(rng, taken), position, party, "", None, True, True]
                )
                o.people.append(pk)

        def leaf(o: OrgRow, head: tuple[str, ...], size: int) -> None:
            members = list(head)[:size]
            while len(members) < size:
                position = rng.choice(MEMBER_POSITIONS)
                if o.sector in (Sector.PRIVATE, Sector.SOCIAL) and rng.random() < 0.2:
                    position = f"入党积极分子、{position}"
                members.append(position)
            staff(o, members)
            z.leaves.append(o)

        root = org(f"{short}高新区党工委", OrgKind.WORKING_COMMITTEE, Sector.ORGAN, None)
        staff(root, ROOT_POSITIONS)
        z.leaders = list(root.people)
        organ = org("机关党委", OrgKind.COMMITTEE, Sector.ORGAN, root)
        staff(organ, ("机关党委书记", "机关党委专职副书记", "机关党委委员"))
        for dept, head in DEPARTMENTS:
            branch = org(f"{dept}党支部", OrgKind.BRANCH, Sector.ORGAN, organ)
            leaf(
                branch,
                (f"{head}、党支部书记", f"副{head}、组织委员、学习教育联络员",
                 f"副{head}、宣传委员", "纪检委员"),
                rng.randint(8, 16),
            )  # fmt: skip
        service = org("政务服务中心党支部", OrgKind.BRANCH, Sector.INSTITUTION, organ)
        leaf(service, ("主任、党支部书记", "副主任、组织委员", "宣传委员、综合科科长"), 12)
        group = f"{short}高新投资发展集团有限公司"
        soe = org(f"{group}党委", OrgKind.COMMITTEE, Sector.SOE, root)
        staff(soe, ("党委书记、董事长", "党委副书记、总经理", "党委委员、纪委书记"))
        for part in ("综合", "工程建设", "资产运营"):
            leaf(
                org(f"{group}{part}党支部", OrgKind.BRANCH, Sector.SOE, soe),
                ("党支部书记、副总经理", "组织委员、综合部部长", "纪检委员、审计部部长"),
                rng.randint(8, 18),
            )
        economic = org("经济（社会）组织党委", OrgKind.COMMITTEE, Sector.PRIVATE, root)
        staff(economic, ("党委书记", "党委副书记", "党建指导员"))
        leaf(
            org(f"{short}高新区企业家协会党支部", OrgKind.BRANCH, Sector.SOCIAL, economic),
            ("会长、党支部书记", "秘书长、组织委员", "副秘书长、宣传委员"),
            rng.randint(6, 12),
        )
        names: set[str] = set()
        while len(z.people) < self.p.people_per_zone:
            while True:
                company = f"{short}{''.join(rng.sample(WORDS, 2))}{rng.choice(INDUSTRIES)}有限公司"
                if company not in names:
                    names.add(company)
                    break
            size = min(rng.randint(8, 25), self.p.people_per_zone - len(z.people))
            leaf(
                org(f"{company}党支部", OrgKind.BRANCH, Sector.PRIVATE, economic),
                ("党支部书记、副总经理", "组织委员、综合部经理", "宣传委员、研发中心主任"),
                size,
            )

    def write_accounts(self, zones: list[ZoneData]) -> None:
        password = make_password(PASSWORD)  # one hash for every account: speed
        users, grants = [], []

        def user(username: str, name: str, zone_id: int | None, superuser: bool = False) -> int:
            pk = self.ids[User].take()
            users.append(
                (pk, username, password, name, zone_id, superuser, superuser, True, self.clock)
            )
            return pk

        def grant(user_id: int, role: str, zone=None, org=None, province="") -> None:
            grants.append((self.ids[RoleGrant].take(), user_id, role, province, zone, org))

        admin = user("admin", "系统管理员", None, superuser=True)
        grant(admin, Role.SYSTEM_ADMIN)
        grant(user("national", "全国查看", None), Role.VIEWER)
        provinces = list(dict.fromkeys(z.row.province for z in zones))
        for i, province in enumerate(provinces, 1):
            grant(user(f"province{i:02d}", f"{province}查看", None), Role.VIEWER, province=province)
        people = {p[0]: p for z in zones for p in z.people}
        for z in zones:
            code = z.row.code
            task_force = next(o for o in z.orgs if o.name == "党群工作部党支部")
            branch = next(o for o in z.orgs if o.name == "经济发展局党支部")
            organ = next(o for o in z.orgs if o.name == "机关党委")
            specs = [
                ("admin", Role.ZONE_ADMIN, None, task_force.people[2]),
                ("leader", Role.LEADER, organ.id, z.leaders[2]),
                ("secretary", Role.SECRETARY, branch.id, branch.people[0]),
                ("liaison", Role.LIAISON, branch.id, branch.people[1]),
                ("supervisor", Role.SUPERVISOR, None, z.leaders[4]),
            ]
            for suffix, role, org_id, person_id in specs:
                person = people[person_id]
                pk = user(f"{code}_{suffix}", person[3], z.id)
                person[7] = pk
                grant(pk, role, zone=z.id, org=org_id)
                z.users[suffix] = pk
        self.w.insert(
            User,
            ["id", "username", "password", "name", "zone", "is_staff", "is_superuser",
             "is_active", "date_joined"],
            users,
        )  # fmt: skip
        self.w.insert(RoleGrant, ["id", "user", "role", "province", "zone", "org"], grants)
        for z in zones:
            z.people = [tuple(p) for p in z.people]

    # problems -----------------------------------------------------------------

    def write_problems(self, zones: list[ZoneData]) -> None:
        ids = self.ids
        problems: list[tuple] = []
        reviews: list[tuple] = []
        notes: list[tuple] = []
        evidence: list[tuple] = []
        extensions: list[tuple] = []
        counters: list[tuple] = []
        # Found since the campaign began (at most 300 days back, and at least
        # 60 days' worth, whatever day it is).
        start = min(
            max(self.campaign.starts_on, self.today - dt.timedelta(days=300)),
            self.today - dt.timedelta(days=60),
        )
        span = max((self.today - start).days, 1)
        statuses = (Status.OPEN, Status.IN_PROGRESS, Status.SUBMITTED, Status.CLOSED,
                    Status.CANCELLED)  # fmt: skip
        weights = (12, 33, 10, 40, 5)
        sources = [s for s, _ in Source.choices]
        source_weights = [30, 15, 15, 12, 5, 8, 6, 4, 5]
        kinds = (Kind.IMMEDIATE, Kind.DEADLINE, Kind.LONG_TERM)
        self.rule_problems: dict[int, list[int]] = {}
        self.public_problems: dict[int, list[tuple]] = {}
        for z in zones:
            rng = z.rng
            admin, supervisor = z.users["admin"], z.users["supervisor"]
            secretary, liaison = z.users["secretary"], z.users["liaison"]
            org_people = {o.id: o.people for o in z.leaves}
            leaf_names = {o.id: o.name for o in z.leaves}
            drafts = []
            for i in range(self.p.problems_per_zone):
                # The first five cover every status whatever the size.
                status = statuses[i] if i < 5 else rng.choices(statuses, weights)[0]
                found = start + dt.timedelta(days=int(span * rng.random() ** 0.8))
                drafts.append((found, status))
            drafts.sort(key=lambda d: d[0])
            counter: dict[int, int] = {}
            for found, status in drafts:
                pk = ids[Problem].take()
                counter[found.year] = n = counter.get(found.year, 0) + 1
                code = f"{z.row.code.upper()}-{found.year}-{n:04d}"
                category = rng.choice(z.categories)
                org = rng.choice(z.leaves)
                owner = rng.choice(org_people[org.id])
                leader = rng.choice(z.leaders[1:4])
                kind = rng.choices(kinds, (25, 60, 15))[0]
                deadline: dt.date | None
                if kind == Kind.IMMEDIATE:
                    deadline = found + dt.timedelta(days=rng.randint(7, 30))
                elif kind == Kind.DEADLINE:
                    deadline = found + dt.timedelta(days=rng.randint(30, 180))
                else:
                    deadline = None if rng.random() < 0.5 else dt.date(found.year, 12, 31)
                description = rng.choice(PROBLEMS[self.category_codes[category]]).format(
                    org=leaf_names[org.id].removesuffix("党支部")
                )
                walk = Walk(self, pk, self.moment(found, rng), rng, reviews)
                later, review = walk.later, walk.review
                age = (self.today - found).days

                review_state, review_note = ReviewState.PENDING, ""
                progress_summary = completion = ""
                closed_on = submitted_by = verified_by = None
                extension_count = 0
                if status == Status.OPEN:
                    roll = rng.random()
                    if roll < 0.1:
                        later(max(age // 4, 1))
                        review_state = ReviewState.REWORK
                        review_note = SEND_BACK[0]
                        review("send_back", status, status, supervisor, review_note)
                    elif roll < 0.4:
                        later(max(age // 4, 1))
                        review_state = ReviewState.APPROVED
                        review("approve", status, status, supervisor)
                elif status == Status.CANCELLED:
                    later(max(age // 3, 1))
                    if rng.random() < 0.5:
                        review_state = ReviewState.APPROVED
                        review("approve", Status.OPEN, Status.OPEN, supervisor)
                        later(max(age // 3, 1))
                        review("start", Status.OPEN, Status.IN_PROGRESS, liaison)
                        previous = Status.IN_PROGRESS
                    else:
                        previous = Status.OPEN
                    later(max(age // 3, 1))
                    review("cancel", previous, Status.CANCELLED, admin, rng.choice(CANCEL_REASONS))
                else:
                    # Approved, started, then worked on.
                    review_state = ReviewState.APPROVED
                    later(max(age // 6, 1))
                    review("approve", Status.OPEN, Status.OPEN, supervisor)
                    later(max(age // 6, 1))
                    review("start", Status.OPEN, Status.IN_PROGRESS, liaison)
                    texts = [
                        rng.choice(PROGRESS).format(n=rng.randint(3, 30), p=rng.randint(20, 90))
                        for _ in range(rng.randint(1, 3))
                    ]
                    for text in texts:
                        later(max(age // 6, 1))
                        notes.append((ids[ProgressNote].take(), pk, liaison, text, walk.t))
                    progress_summary = texts[-1]
                    if deadline and rng.random() < 0.1:
                        for _ in range(rng.randint(1, 2)):
                            new = deadline + dt.timedelta(days=rng.randint(15, 60))
                            later(3)
                            extensions.append(
                                (ids[DeadlineExtension].take(), pk, deadline, new,
                                 rng.choice(EXTENSION_REASONS), admin, walk.t)
                            )  # fmt: skip
                            deadline, extension_count = new, extension_count + 1
                    n_files = (
                        rng.randint(1, 3) if status != Status.IN_PROGRESS else rng.randint(0, 1)
                    )
                    for k in range(n_files):
                        later(2)
                        sha = fake_sha256(self.p.seed, z.row.code, pk, k)
                        stage = Stage.AFTER if k == 0 else rng.choice((Stage.BEFORE, Stage.DURING))
                        evidence.append(
                            (ids[Evidence].take(), pk,
                             content_path("evidence", zone_id=z.id, sha256=sha, kind="pdf"),
                             f"整改凭证{k + 1}.pdf", "pdf", rng.randint(40_000, 900_000), sha,
                             stage, "", liaison, walk.t)
                        )  # fmt: skip
                    if status in (Status.SUBMITTED, Status.CLOSED):
                        completion = rng.choice(COMPLETION)
                        later(max(age // 6, 1))
                        review(
                            "submit", Status.IN_PROGRESS, Status.SUBMITTED, secretary, completion
                        )
                        if rng.random() < 0.1:
                            later(5)
                            review("return", Status.SUBMITTED, Status.IN_PROGRESS, admin,
                                   rng.choice(RETURN_REASONS))  # fmt: skip
                            later(10)
                            review("submit", Status.IN_PROGRESS, Status.SUBMITTED, secretary,
                                   completion)  # fmt: skip
                        submitted_by = secretary
                        if status == Status.CLOSED:
                            later(max(age // 6, 1))
                            verifier = admin if rng.random() < 0.6 else supervisor
                            review("verify", Status.SUBMITTED, Status.CLOSED, verifier)
                            closed_on, verified_by = walk.t.date(), verifier
                    elif n_files and rng.random() < 0.25:
                        # Submitted once already: returned, or closed and
                        # reopened after a 回头看; being worked on again.
                        completion = rng.choice(COMPLETION)
                        later(max(age // 6, 1))
                        review(
                            "submit", Status.IN_PROGRESS, Status.SUBMITTED, secretary, completion
                        )
                        submitted_by = secretary
                        later(5)
                        if rng.random() < 0.3:
                            review("verify", Status.SUBMITTED, Status.CLOSED, admin)
                            later(10)
                            review("reopen", Status.CLOSED, Status.IN_PROGRESS, supervisor,
                                   REOPEN_REASONS[0])  # fmt: skip
                        else:
                            review("return", Status.SUBMITTED, Status.IN_PROGRESS, admin,
                                   rng.choice(RETURN_REASONS))  # fmt: skip
                problems.append(
                    (pk, z.id, self.campaign.pk, code, rng.choices(sources, source_weights)[0],
                     category, description, rng.choice(MEASURES), rng.choice(GOALS), org.id,
                     leader, owner, kind, found, deadline, status, review_state, review_note,
                     progress_summary, completion, closed_on, submitted_by, verified_by,
                     extension_count, rng.random() < 0.08, liaison, self.moment(found, rng), walk.t,
                     False)
                )  # fmt: skip
                if problems[-1][24]:
                    self.rule_problems.setdefault(z.id, []).append(pk)
                if problems[-1][4] == Source.PUBLIC:
                    self.public_problems.setdefault(z.id, []).append(
                        (pk, found, org.id, status, closed_on)
                    )
            counters.extend((z.id, year, value) for year, value in counter.items())
        self.w.insert(
            Problem,
            ["id", "zone", "campaign", "code", "source", "category", "description", "measures",
             "goal", "org", "leader", "owner", "kind", "found_on", "deadline", "status",
             "review_state", "review_note", "progress_summary", "completion_note", "closed_on",
             "submitted_by", "verified_by", "extension_count", "needs_rule_change", "created_by",
             "created_at", "updated_at", "is_sample"],
            problems,
        )  # fmt: skip
        self.w.insert(
            Review,
            ["id", "problem", "action", "from_status", "to_status", "note", "actor", "flagged",
             "independence_note", "created_at"],
            reviews,
        )  # fmt: skip
        self.w.insert(ProgressNote, ["id", "problem", "author", "text", "created_at"], notes)
        self.w.insert(
            Evidence,
            ["id", "problem", "file", "original_name", "content_kind", "size", "sha256", "stage",
             "note", "uploaded_by", "uploaded_at"],
            evidence,
        )  # fmt: skip
        self.w.insert(
            DeadlineExtension,
            ["id", "problem", "old_deadline", "new_deadline", "reason", "actor", "created_at"],
            extensions,
        )
        # Bumped as ledger.services._next_code would have: the next problem
        # created by hand gets the following number.
        self.w.insert(CodeCounter, ["zone", "year", "value"], counters)

    # study ---------------------------------------------------------------------

    def write_study(self, zones: list[ZoneData]) -> None:
        ids = self.ids
        kinds = dict(StudyKind.objects.filter(campaign=self.campaign).values_list("code", "pk"))
        start = min(self.campaign.starts_on, self.today - dt.timedelta(days=60))
        span = max((self.today - start).days, 1)
        sessions, attendance = [], []
        for z in zones:
            rng = z.rng
            root = z.orgs[0]
            everyone = [p[0] for p in z.people]
            admin = z.users["admin"]
            for i in range(self.p.sessions_per_zone):
                if i == 0:
                    kind, org, scope, people = "deployment", root, AttendeeScope.SUBTREE, everyone
                    day = start + dt.timedelta(days=rng.randint(3, 10))
                    topic = f"{z.row.name}学习教育部署会议"
                else:
                    roll = rng.random()
                    if roll < 0.06:
                        kind, org = rng.choice(("committee-meeting", "central-group")), root
                    elif roll < 0.1:
                        kind, org = "seminar", rng.choice(z.leaves)
                    else:
                        kind, org = "branch-study", rng.choice(z.leaves)
                    scope, people = AttendeeScope.ORG, org.people
                    day = start + dt.timedelta(days=rng.randrange(span))
                    topic = rng.choice(STUDY_TOPICS)
                pk = ids[StudySession].take()
                at = self.moment(day, rng)
                sessions.append(
                    (pk, z.id, org.id, kinds[kind], day, topic,
                     Decimal(rng.choice(("1.0", "1.5", "2.0", "3.0"))), "会议室", "", scope, None,
                     True, admin, at, at)
                )  # fmt: skip
                pending = (self.today - day).days < 7 and rng.random() < 0.3
                for person in people:
                    if pending:
                        present, reason = None, ""
                    elif rng.random() < 0.93:
                        present, reason = True, ""
                    else:
                        present, reason = False, rng.choice(ABSENCE)
                    attendance.append((ids[Attendance].take(), pk, person, present, reason))
        self.w.insert(
            StudySession,
            ["id", "zone", "org", "kind", "date", "topic", "duration_hours", "place", "minutes",
             "attendee_scope", "attendee_group", "is_sample", "created_by", "created_at",
             "updated_at"],
            sessions,
        )  # fmt: skip
        self.w.insert(Attendance, ["id", "session", "person", "present", "reason"], attendance)

    # tasks and regulations -----------------------------------------------------

    def write_tasks(self, zones: list[ZoneData]) -> None:
        ids = self.ids
        templates = list(
            TaskTemplate.objects.filter(campaign=self.campaign).select_related("campaign")
        )
        kinds = {OrgKind.COMMITTEE, OrgKind.GENERAL_BRANCH, OrgKind.BRANCH, OrgKind.ENTERPRISE}
        tasks, assignments = [], []
        for z in zones:
            rng = z.rng
            admin, secretary = z.users["admin"], z.users["secretary"]
            for template in templates:
                pk = ids[Task].take()
                tasks.append(
                    (pk, z.id, self.campaign.pk, template.arrangement_id, template.pk,
                     template.title, template.description, template.due_date,
                     list(template.sectors), admin, self.clock, True)
                )  # fmt: skip
                due = template.due_date or self.today
                for o in z.orgs:
                    if o.kind not in kinds or o.sector not in template.sectors:
                        continue
                    status = rng.choices(
                        (AssignmentStatus.ACCEPTED, AssignmentStatus.REPORTED,
                         AssignmentStatus.PENDING, AssignmentStatus.RETURNED),
                        (60, 15, 20, 5),
                    )[0]  # fmt: skip
                    note, reason = "", ""
                    reported_by = reviewed_by = None
                    reported_at = reviewed_at = None
                    if status != AssignmentStatus.PENDING:
                        note = "已按要求完成，相关材料已报送"
                        reported_by = secretary
                        reported = self.moment(due - dt.timedelta(days=rng.randint(0, 10)), rng)
                        reported_at = reported
                        if status in (AssignmentStatus.ACCEPTED, AssignmentStatus.RETURNED):
                            reviewed_by = admin
                            reviewed_at = reported + dt.timedelta(days=rng.randint(1, 5))
                    if status == AssignmentStatus.RETURNED:
                        reason = "材料不完整，请补充会议记录和照片"
                    assignments.append(
                        (ids[TaskAssignment].take(), pk, o.id, status, note, reported_by,
                         reported_at, reviewed_by, reviewed_at, reason, self.clock, self.clock)
                    )  # fmt: skip
        self.w.insert(
            Task,
            ["id", "zone", "campaign", "arrangement", "template", "title", "description",
             "deadline", "sectors", "created_by", "created_at", "is_sample"],
            tasks,
        )  # fmt: skip
        self.w.insert(
            TaskAssignment,
            ["id", "task", "org", "status", "report_note", "reported_by", "reported_at",
             "reviewed_by", "reviewed_at", "return_reason", "created_at", "updated_at"],
            assignments,
        )  # fmt: skip

    def write_regulations(self, zones: list[ZoneData]) -> None:
        ids = self.ids
        specs = (
            ("政绩考核办法（修订）", RegAction.REVISE, RegStatus.ISSUED),
            ("重大项目决策程序规定", RegAction.NEW, RegStatus.REVIEW),
            ("关于废止《招商引资考核奖励暂行办法》的决定", RegAction.REPEAL, RegStatus.DRAFT),
            ("企业服务专员工作规范", RegAction.NEW, RegStatus.ISSUED),
            ("统计数据质量责任制实施办法", RegAction.NEW, RegStatus.ISSUED),
        )
        rows, links = [], []
        for z in zones:
            rng = z.rng
            root = z.orgs[0]
            admin, leader = z.users["admin"], z.users["leader"]
            linked = list(self.rule_problems.get(z.id, []))
            for n, (title, action, status) in enumerate(specs, 1):
                pk = ids[Regulation].take()
                issued = status == RegStatus.ISSUED
                day = self.today - dt.timedelta(days=rng.randint(5, 120)) if issued else None
                rows.append(
                    (pk, z.id, root.id, title,
                     f"{z.row.short_name}高党工委发〔{self.today.year}〕{n}号" if issued else "",
                     action, status, day, "（生成数据）", admin,
                     leader if status != RegStatus.DRAFT else None, self.clock, self.clock, True)
                )  # fmt: skip
                if issued:
                    for problem in linked[n::5][:5]:
                        links.append((pk, problem))
        self.w.insert(
            Regulation,
            ["id", "zone", "org", "title", "doc_number", "action", "status", "issued_on",
             "summary", "created_by", "submitted_by", "created_at", "updated_at", "is_sample"],
            rows,
        )  # fmt: skip
        self.w.insert(Regulation.problems.through, ["regulation", "problem"], links)

    # public feedback (开门教育) ---------------------------------------------------

    def write_feedback(self, zones: list[ZoneData]) -> None:
        """Items in every state, with the steps, replies, ratings and ledger
        links the moves of ``outreach.workflow`` leave. Items that became
        problems point at the ledger's 群众反映 problems."""
        ids = self.ids
        F = FeedbackStatus
        limits = {k: OutreachSettings().limit_for(k) for k in FeedbackKind.values}
        channels = [c for c in Channel.values if c not in (Channel.ROUNDTABLE,
                    Channel.ENTERPRISE_VISIT)]  # fmt: skip
        items: list[tuple] = []
        contacts: list[tuple] = []
        steps: list[tuple] = []
        ratings: list[tuple] = []
        taken: set[str] = set()
        span = max((self.today - self.campaign.starts_on).days, 60)

        labels: dict[str, str] = {}  # stored_label activates a language: once per action
        due: dict[tuple[dt.date, int], dt.date] = {}  # add_working_days walks a calendar
        kinds, categories = FeedbackKind.values, FeedbackCategory.values
        statuses = (F.RECEIVED, F.ACCEPTED, F.FORWARDED, F.REPLY_PENDING, F.ANSWERED,
                    F.DECLINED, F.IN_LEDGER, F.MERGED)  # fmt: skip

        def step(pk: int, t: dt.datetime, action: str, note: str = "", actor=None) -> None:
            if action not in labels:
                labels[action] = stored_label(action)
            steps.append((ids[FeedbackStep].take(), pk, action, labels[action], note, actor, t))

        def due_on(received: dt.date, kind: str) -> dt.date:
            key = (received, limits[kind])
            if key not in due:
                due[key] = add_working_days(received, limits[kind])
            return due[key]

        def later(rng: random.Random, t: dt.datetime, days: int) -> dt.datetime:
            gap = dt.timedelta(days=rng.randint(0, days), hours=rng.random() * 4)
            return min(t + gap, self.clock)

        for z in zones:
            rng = z.rng
            admin, handler = z.users["admin"], z.users["liaison"]
            public = list(self.public_problems.get(z.id, []))
            rng.shuffle(public)
            drafts = []
            for _ in range(self.p.feedback_per_zone):
                status = rng.choices(statuses, (8, 8, 12, 5, 45, 5, 12, 5))[0]
                problem = None
                if status == F.IN_LEDGER:
                    if public:
                        problem = public.pop()
                    else:
                        status = F.ANSWERED
                if problem is not None:
                    received = problem[1] - dt.timedelta(days=rng.randint(0, 5))
                else:
                    received = self.today - dt.timedelta(days=int(span * rng.random() ** 1.5))
                drafts.append((received, status, problem))
            drafts.sort(key=lambda d: d[0])
            numbers: dict[int, int] = {}
            open_items: list[int] = []
            for received, status, problem in drafts:
                pk = ids[Feedback].take()
                numbers[received.year] = n = numbers.get(received.year, 0) + 1
                number = f"{z.row.code.upper()}-FK-{received.year}-{n:04d}"
                while True:
                    code = "".join(rng.choices(feedback_codes.ALPHABET, k=feedback_codes.LENGTH))
                    if code not in taken:
                        taken.add(code)
                        break
                kind = rng.choices(kinds, (25, 15, 25, 30, 5))[0]
                category = rng.choice(categories)
                at = self.moment(received, rng)
                t = at
                anonymous = rng.random() < 0.3
                accused = "某工作人员" if kind == FeedbackKind.REPORT and rng.random() < 0.5 else ""
                org = None
                decline = reply_draft = reply = ""
                replied_at = merged_into = problem_id = None

                step(pk, t, "submit")
                if status == F.DECLINED:
                    t = later(rng, t, 2)
                    decline = "不属于本区职责范围，已告知向相关部门反映"
                    step(pk, t, "decline", decline, handler)
                elif status == F.MERGED and open_items:
                    merged_into = rng.choice(open_items)
                    t = later(rng, t, 2)
                    step(pk, t, "merge", "", handler)
                elif status != F.RECEIVED:
                    if status == F.MERGED:
                        status = F.ACCEPTED
                    t = later(rng, t, 2)
                    step(pk, t, "accept", "", handler)
                    if status != F.ACCEPTED and (status == F.FORWARDED or rng.random() < 0.5):
                        org = rng.choice(z.leaves).id
                        t = later(rng, t, 3)
                        step(pk, t, "forward", "", handler)
                    if status in (F.REPLY_PENDING, F.ANSWERED):
                        reply_draft = FEEDBACK_REPLIES[rng.randrange(len(FEEDBACK_REPLIES))]
                        t = later(rng, t, 5)
                        step(pk, t, "reply", "", handler)
                    if status == F.ANSWERED:
                        reply, t = reply_draft, later(rng, t, 3)
                        replied_at = t
                        step(pk, t, "publish_reply", reply, admin)
                        if not anonymous and rng.random() < 0.5:
                            t = later(rng, t, 5)
                            # 不满意 would have sent it back to 受理
                            # (outreach.services.rating): not drawn here.
                            rating = rng.choices(
                                (Rating.SATISFIED, Rating.BASICALLY_SATISFIED), (75, 25)
                            )[0]
                            ratings.append((pk, rating, "", "portal", None, t))
                            step(pk, t, "rate")
                    if status == F.IN_LEDGER and problem is not None:
                        problem_id, org = problem[0], org or problem[2]
                        t = max(t, self.moment(problem[1], rng))
                        step(pk, t, "to_problem", "", admin)
                        if problem[3] == Status.CLOSED:
                            t = max(t, self.moment(problem[4], rng))
                            step(pk, t, "problem_closed")
                if status in (F.RECEIVED, F.ACCEPTED, F.FORWARDED):
                    open_items.append(pk)
                items.append(
                    (pk, z.id, number, feedback_codes.code_hash(code), kind, category,
                     rng.choice(channels), FEEDBACK_TEXTS[category].format(short=z.row.short_name),
                     accused, bool(accused), anonymous, status, at,
                     due_on(received, kind), org, decline, reply_draft, reply,
                     replied_at, problem_id, merged_into, 0, False, False, "", handler,
                     at, t)
                )  # fmt: skip
                if not anonymous:
                    taken_names: set[str] = set()
                    contacts.append(
                        (
                            pk,
                            person_name(rng, taken_names),
                            f"1{rng.randint(3, 9)}{rng.randrange(10**9):09d}",
                        )
                    )
        self.w.insert(OutreachSettings, ["zone"], [(z.id,) for z in zones])
        self.w.insert(
            Feedback,
            ["id", "zone", "number", "code_hash", "kind", "category", "channel", "content",
             "accused", "restricted", "anonymous", "status", "received_at", "due_on", "org",
             "decline_reason", "reply_draft", "reply", "replied_at", "problem", "merged_into",
             "unsatisfied_count", "escalated", "disclosed", "public_summary", "entered_by",
             "created_at", "updated_at"],
            items,
        )  # fmt: skip
        self.w.insert(FeedbackContact, ["feedback", "name", "phone"], contacts)
        self.w.insert(
            FeedbackStep, ["id", "feedback", "action", "public_label", "note", "actor", "at"], steps
        )
        self.w.insert(
            FeedbackRating,
            ["feedback", "rating", "comment", "via", "recorded_by", "created_at"],
            ratings,
        )

    # indicator figures (政绩考核) ---------------------------------------------------

    def periods(self, kind: str) -> list[Period]:
        """The periods a zone has entered figures for: the last two years; the
        last finished quarter with the one before and the same one a year
        before; the last finished month and the same month a year before."""
        if kind == PeriodKind.YEAR:
            return [Period(self.today.year - 2, 0, kind), Period(self.today.year - 1, 0, kind)]
        if kind == PeriodKind.QUARTER:
            q = last_finished_quarter(self.today)
            return [q.year_before(), q.previous(), q]
        m = Period(self.today.year, self.today.month, PeriodKind.MONTH).previous()
        return [m.year_before(), m]

    def write_measurements(self, zones: list[ZoneData]) -> None:
        """Figures of the library's indicators that statistics offices report
        (not the campaign's own, ``computed_from``): entered by the zone's
        liaison, most confirmed by its task force; within each indicator's
        range, a plausible change year on year, and the library's relations
        (工业增加值 ≤ 规上工业总产值) kept, so no plausibility check would
        have flagged them."""
        ids = self.ids
        indicators = list(
            Indicator.objects.filter(is_active=True, computed_from="").order_by("code")
        )
        # (low, high, grows with the zone's size, decimals) by unit.
        base = {
            "%": (5, 60, False, 2),
            "个": (10, 300, True, 0),
            "家": (50, 2000, True, 0),
            "项": (5, 80, True, 0),
            "亿元": (20, 2000, True, 2),
            "万元/人": (80, 400, False, 2),
            "吨标准煤/万元": (0.02, 0.2, False, 3),
        }
        relations = list(IndicatorRelation.objects.values_list("left_id", "right_id"))
        rows: list[tuple] = []
        for z in zones:
            rng = z.rng
            scale = rng.uniform(0.3, 3.0)
            liaison, admin = z.users["liaison"], z.users["admin"]
            values: dict[tuple[int, str], Decimal] = {}
            for ind in indicators:
                low, high, grows, decimals = base.get(ind.unit, (1, 100, False, 2))
                level = rng.uniform(low, high) * (scale if grows else 1)
                for period in self.periods(ind.period_kind):
                    level *= 1 + rng.uniform(-0.05, 0.15)
                    value = Decimal(f"{level:.{decimals}f}")
                    if ind.min_value is not None:
                        value = max(value, ind.min_value)
                    if ind.max_value is not None:
                        value = min(value, ind.max_value)
                    values[(ind.pk, str(period))] = value
            for left, right in relations:
                # The smaller one a steady share of the larger (工业增加值 about a
                # quarter of 规上工业总产值): below it, and changing as it does.
                share = Decimal(f"{rng.uniform(0.2, 0.3):.3f}")
                for pk, period_text in list(values):
                    other = values.get((right, period_text))
                    if pk == left and other is not None:
                        values[(pk, period_text)] = (other * share).quantize(Decimal("0.01"))
            entered_on = self.today - dt.timedelta(days=20)
            for (pk, period_text), value in values.items():
                entered = self.moment(entered_on - dt.timedelta(days=rng.randint(0, 30)), rng)
                confirmed = rng.random() < 0.8
                rows.append(
                    (ids[Measurement].take(), z.id, pk, period_text, value,
                     f"{z.row.city}市统计局", "", "confirmed" if confirmed else "entered", [],
                     liaison, entered, admin if confirmed else None,
                     entered + dt.timedelta(days=rng.randint(1, 5)) if confirmed else None,
                     "", None, "", True, "", True)
                )  # fmt: skip
        self.w.insert(
            Measurement,
            ["id", "zone", "indicator", "period", "value", "source", "report", "status", "flags",
             "entered_by", "entered_at", "confirmed_by", "confirmed_at", "confirm_note",
             "corrects", "correction_reason", "is_current", "evidence", "is_sample"],
            rows,
        )  # fmt: skip


def check_references() -> None:
    """SQLite: every foreign key of the database points at a row (half a
    second for the national data set), before the transaction commits —
    the load itself ran without the per-row lookups."""
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA foreign_key_check")
        broken = cursor.fetchmany(5)
    if broken:
        raise RuntimeError(f"generated rows point at missing rows: {broken}")


@contextmanager
def sqlite_foreign_keys_off(*, outermost: bool) -> Iterator[None]:
    """SQLite looks up the parent row of every foreign key of every inserted
    row (a fifth of the load). When the generator owns the transaction the
    lookups are off and ``check_references`` checks them all at once; the
    pragma only takes effect outside a transaction, so this goes around the
    atomic block."""
    if connection.vendor != "sqlite" or not outermost:
        yield
        return
    connection.ensure_connection()
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA foreign_keys = OFF")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA foreign_keys = ON")


@contextmanager
def bulk_session(*, outermost: bool) -> Iterator[bool]:
    """Settings for one big load, undone afterwards.

    SQLite: a page cache big enough for the indexes being filled (the
    default 2 MB makes every insert into a large index a cache miss).

    PostgreSQL: Django's foreign keys are DEFERRABLE INITIALLY DEFERRED, so
    each of the two million rows queues a check that runs at COMMIT — half
    of the whole load's time. A superuser can skip them for this transaction
    (``session_replication_role = replica``, ``SET LOCAL``); the ids are
    assigned here, so every reference is right by construction, and the
    tests check them (they run inside a transaction, where the checks stay
    on). Without superuser rights the checks simply run. Yields whether the
    checks are off.
    """
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA cache_size")
            (before,) = cursor.fetchone()
            cursor.execute("PRAGMA cache_size = -524288")  # 512 MB, as it is needed
            try:
                yield False
            finally:
                cursor.execute(f"PRAGMA cache_size = {int(before)}")
            return
        if connection.vendor == "postgresql" and outermost:
            cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
            row = cursor.fetchone()
            if row and row[0]:
                cursor.execute("SET LOCAL session_replication_role = replica")
                yield True
                return
        yield False


def analyze() -> None:
    """Fresh planner statistics after a bulk load. PostgreSQL also needs the
    visibility map for index-only scans, and autovacuum may be off: VACUUM
    ANALYZE, outside any transaction."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql" and not connection.in_atomic_block:
            cursor.execute("VACUUM ANALYZE")
        else:
            cursor.execute("ANALYZE")


# The marker ------------------------------------------------------------------


class Refused(Exception):
    pass


def existing() -> GeneratedDataset | None:
    return GeneratedDataset.objects.order_by("-pk").first()


def holds_real_data() -> bool:
    """Anything a person (or ``load_demo``) could have made."""
    return (
        Zone.objects.exists()
        or Problem.objects.exists()
        or User.objects.exists()
        or Campaign.objects.exists()
    )


def same(dataset: GeneratedDataset | None, params: Params) -> bool:
    return (
        dataset is not None
        and dataset.generator == GENERATOR
        and dataset.version == VERSION
        and dataset.params == params.key()
    )


def generate(params: Params, progress: Progress | None = None) -> dict[str, int]:
    """Fill an empty database. Refuses (``Refused``, nothing written) when it
    holds anything already — real data, or an earlier generated set."""
    dataset = existing()
    if dataset is not None:
        raise Refused("generated")
    if holds_real_data():
        raise Refused("real")
    return Generator(params, progress).run()
