"""Open-door education (开门教育) in the demo zones: feedback from the public
in every state and through every channel, handled by the zone's demo
accounts (so the steps, the tracking pages and the audit trail read like
real work); an enterprise register with valid 统一社会信用代码, a 政企圆桌会
with its demands, 三员入企 visits, and 为民实事 with progress, some public.

Everything goes through the services, as staff and the public would do it:
the portal's submissions as the portal, the zone's handling as its admin,
the branch's answers as its secretary, checks as its supervisor. All is
sample data (every text says 示例); the people who write in are invented.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from django.utils import timezone

from shiji.campaigns.models import ProblemCategory
from shiji.demo.problems import _photo
from shiji.demo.roster import ECONOMIC, SECRETARY_DEPT, branch_of
from shiji.demo.zones import ZONES, ZoneSpec
from shiji.ledger import services as ledger
from shiji.ledger.models import Problem
from shiji.orgs import policy
from shiji.orgs.models import Organization, Person, User, Zone
from shiji.outreach import uscc
from shiji.outreach.models import Enterprise, Feedback
from shiji.outreach.services.enterprises import enterprise_create
from shiji.outreach.services.handling import (
    feedback_act,
    feedback_disclose,
    feedback_enter,
    feedback_return_call,
)
from shiji.outreach.services.intake import feedback_create
from shiji.outreach.services.projects import project_create, project_progress_add
from shiji.outreach.services.rating import feedback_rate
from shiji.outreach.services.roundtables import (
    roundtable_create,
    roundtable_demand_add,
    visit_create,
    visit_demand_add,
)

PORTAL = policy.system("portal")

# The registrar's region (GB/T 2260) of each demo zone's enterprises.
REGIONS = {
    "guiyang": "520115",
    "wuxi": "320214",
    "qingyuan": "441802",
    "jingdezhen": "360202",
    "longyan": "350802",
}
INDUSTRIES = ("软件和信息技术服务业", "电子器件制造", "医药制造", "新能源", "专用设备制造")


def credit_code(zone_code: str, n: int) -> str:
    """A valid 统一社会信用代码 (GB 32100) for the ``n``-th demo enterprise
    of a zone: 9 (市场监管) 1 (企业), the zone's region, an organization code
    with its GB 11714 check character, and the check character. Invented:
    derived from the zone and the number, the same on every run."""
    digest = hashlib.sha256(f"{zone_code}-{n}".encode()).digest()
    body = "MA" + "".join(uscc.ALPHABET[b % 10] for b in digest[:6])
    first17 = "91" + REGIONS[zone_code] + body + uscc.org_check_char(body)
    code = first17 + uscc.check_char(first17)
    if not uscc.is_valid(code):  # the algorithm above is wrong: stop the demo
        raise ValueError(code)
    return code


@dataclass
class Cast:
    """Who does what in a zone, and where."""

    zone: Zone
    admin: User
    secretary: User
    supervisor: User
    branch: Organization  # the secretary's branch, which answers and rectifies
    econ: Organization


def _cast(spec: ZoneSpec) -> Cast:
    zone = Zone.objects.get(code=spec.code)
    users = {
        key: User.objects.get(username=f"{spec.prefix}_{key}")
        for key in ("admin", "secretary", "supervisor")
    }
    return Cast(
        zone=zone,
        admin=users["admin"],
        secretary=users["secretary"],
        supervisor=users["supervisor"],
        branch=Organization.objects.get(zone=zone, name=branch_of(SECRETARY_DEPT)),
        econ=Organization.objects.get(zone=zone, name=ECONOMIC),
    )


def _portal(c: Cast, kind: str, category: str, content: str, accused: str = "") -> Feedback:
    return feedback_create(
        actor=PORTAL, zone=c.zone, kind=kind, category=category, content=content, accused=accused
    ).feedback


def _act(c: Cast, item: Feedback, action: str, who: User | None = None, **kw: object) -> None:
    feedback_act(actor=who or c.admin, feedback=item, action=action, **kw)


def _answer(c: Cast, item: Feedback, reply: str, *, forward: bool = True) -> None:
    """Accepted, forwarded to the branch (which drafts the reply) and
    published by the zone admin."""
    _act(c, item, "accept")
    if forward:
        _act(c, item, "forward", org=c.branch.pk)
        _act(c, item, "reply", c.secretary, reply=reply)
    else:
        _act(c, item, "reply", reply=reply)
    _act(c, item, "publish_reply")


def _close(c: Cast, problem: Problem, text: str) -> None:
    """The list entry approved, fixed with a photo, submitted by the branch
    and verified by the supervisor."""
    problem = ledger.problem_review(actor=c.supervisor, problem=problem, decision="approve")
    problem = ledger.problem_transition(actor=c.secretary, problem=problem, action="start")
    ledger.problem_add_evidence(
        actor=c.secretary,
        problem=problem,
        file=_photo("整改后现场.png", f"{problem.code}-feedback-after", after=True),
        stage="after",
        note="整改后",
    )
    ledger.problem_transition(actor=c.secretary, problem=problem, action="submit", note=text)
    ledger.problem_transition(actor=c.supervisor, problem=problem, action="verify")


def _problem_of(item: Feedback) -> Problem:
    return Problem.objects.get(feedback_items=item)


def _feedback(c: Cast) -> int:
    """Items in every state (received, accepted, declined, forwarded,
    reply_pending, answered, in_ledger, merged) and channel; some rated,
    one reopened by 不满意, some disclosed. Returns how many."""
    made = 0

    # 1. Portal → forwarded → merged with a second report → ledger → closed
    #    → rated 满意 → disclosed.
    lamp = _portal(
        c, "complaint", "infrastructure", "园区东门路灯坏了一个月，晚上下班路过很危险（示例）"
    )
    same = _portal(c, "complaint", "infrastructure", "东门路口路灯不亮，过马路看不清车（示例）")
    _act(c, lamp, "accept")
    _act(c, lamp, "forward", org=c.branch.pk)
    _act(c, same, "merge", into=lamp.pk, note="同一路段路灯问题，合并办理")
    _act(c, lamp, "reply", c.secretary, reply="已安排电工排查东门路段线路（示例）。")
    _act(c, lamp, "publish_reply")
    _act(c, lamp, "to_problem", description="东门路段路灯线路老化、长期失修（示例）")
    _close(c, _problem_of(lamp), "已更换线路和灯具 12 盏，纳入日常巡查（示例）")
    feedback_rate(actor=PORTAL, feedback=lamp, rating="satisfied", comment="修得很快（示例）")
    feedback_disclose(
        actor=c.admin,
        feedback=lamp,
        disclosed=True,
        summary="群众反映东门路段路灯不亮。经排查系线路老化，已更换线路和灯具 12 盏，"
        "并纳入日常巡查（示例）。",
    )
    made += 2

    # 2. Portal 咨询 answered by the task force itself, rated 基本满意, disclosed.
    school = _portal(c, "consult", "livelihood", "孩子入学需要的居住证明去哪里开具？（示例）")
    _answer(c, school, "可到所在社区服务中心开具，需带户口簿和租房合同（示例）。", forward=False)
    feedback_rate(actor=PORTAL, feedback=school, rating="basically_satisfied")
    feedback_disclose(
        actor=c.admin,
        feedback=school,
        disclosed=True,
        summary="咨询子女入学居住证明的开具地点，已答复办理地点和所需材料（示例）。",
    )
    made += 1

    # 3. Phone (代录): answered, rated 不满意, so handled again (accepted).
    queue = feedback_enter(
        actor=c.admin,
        zone=c.zone,
        channel="phone",
        kind="complaint",
        category="service",
        content="政务服务大厅办理营业执照变更排队两个多小时（示例）",
        name="刘先生（示例）",
        phone="13800000001",
    ).feedback
    _answer(c, queue, "已增设两个综合窗口，高峰时段开放预约（示例）。")
    feedback_rate(
        actor=PORTAL, feedback=queue, rating="unsatisfied", comment="上周去还是排了很久（示例）"
    )
    made += 1

    # 4. Letter: forwarded to the branch, waiting for its answer.
    bins = feedback_enter(
        actor=c.admin,
        zone=c.zone,
        channel="letter",
        kind="suggestion",
        category="environment",
        content="建议在园区河道两侧增设垃圾分类投放点（示例）",
    ).feedback
    _act(c, bins, "accept")
    _act(c, bins, "forward", org=c.branch.pk)
    made += 1

    # 5. Mailbox: the branch's draft waits for the task force's review.
    wages = feedback_enter(
        actor=c.admin,
        zone=c.zone,
        channel="mailbox",
        kind="help",
        category="labour",
        content="某配套企业拖欠农民工工资三个月（示例）",
    ).feedback
    _act(c, wages, "accept")
    _act(c, wages, "forward", org=c.branch.pk)
    _act(c, wages, "reply", c.secretary, reply="已约谈企业负责人，限期十日内结清（示例）。")
    made += 1

    # 6. Visit (来访): just received.
    feedback_enter(
        actor=c.admin,
        zone=c.zone,
        channel="visit",
        kind="consult",
        category="business",
        content="小微企业房租补贴今年什么时候兑现？（示例）",
        name="陈女士（示例）",
    )
    made += 1

    # 7. Portal: declined, with the reason the submitter sees.
    declined = _portal(c, "help", "other", "小区物业费上涨，请园区出面协调（示例）")
    _act(
        c,
        declined,
        "decline",
        note="属于物业服务合同纠纷，请向所在街道物业管理部门反映（示例）",
    )
    made += 1

    # 8. Portal 举报 naming an official: accepted, seen only by the task force
    #    and the supervisors.
    report = _portal(
        c,
        "report",
        "conduct",
        "企业检查中有工作人员暗示购买指定设备（示例）",
        accused="某局执法人员（示例）",
    )
    _act(c, report, "accept")
    made += 1

    # 9. Portal: into the ledger, being fixed.
    hazard = _portal(c, "complaint", "safety", "园区某化工企业周边夜间有刺鼻气味（示例）")
    _act(c, hazard, "accept")
    _act(c, hazard, "to_problem", org=c.branch.pk)
    made += 1

    # 10. Phone: into the ledger, closed, then 不满意: the problem reopens
    #     automatically with the comment as the reason.
    road = feedback_enter(
        actor=c.admin,
        zone=c.zone,
        channel="phone",
        kind="complaint",
        category="infrastructure",
        content="产业园二期道路坑洼，货车通行困难（示例）",
    ).feedback
    _act(c, road, "accept")
    _act(c, road, "to_problem", org=c.branch.pk)
    _close(c, _problem_of(road), "已完成坑洼修补 300 平方米（示例）")
    feedback_return_call(
        actor=c.admin,
        feedback=road,
        rating="unsatisfied",
        comment="只补了主路，支路还是坑洼（示例）",
    )
    made += 1
    return made


def _register(c: Cast, spec: ZoneSpec) -> list[Enterprise]:
    found = []
    for n, name in enumerate(spec.enterprises[:4], 1):
        found.append(
            enterprise_create(
                actor=c.admin,
                zone=c.zone,
                name=name,
                credit_code=credit_code(spec.code, n),
                industry=INDUSTRIES[(n - 1) % len(INDUSTRIES)],
                contact_name=f"企业联络人{n}（示例）",
                contact_phone=f"1380000{n:04d}",
            )
        )
    return found


def _roundtable_and_visits(c: Cast, spec: ZoneSpec, firms: list[Enterprise]) -> int:
    """A 政企圆桌会 with three enterprises and two demands (one followed as
    feedback and answered, one straight into the ledger), and two visits,
    one with a demand answered and confirmed on a return call."""
    today = timezone.localdate()
    host = Person.objects.filter(user=c.admin).first()
    roundtable = roundtable_create(
        actor=c.admin,
        zone=c.zone,
        title=f"{spec.short_name}政企圆桌会（第一期）（示例）",
        held_on=today - dt.timedelta(days=20),
        hosts=f"管委会主任、{host.name if host else '工作专班'}（示例）",
        enterprises=[f.pk for f in firms[:3]],
        minutes="围绕融资、用工和审批时限座谈，企业提出诉求 2 项，现场答复 1 项（示例）。",
        satisfaction="basically_satisfied",
    )
    loan = roundtable_demand_add(
        actor=c.admin,
        roundtable=roundtable,
        enterprise=firms[0].pk,
        content="希望协调银行开展知识产权质押融资（示例）",
        kind="help",
        category="business",
    )
    _answer(c, loan, "已对接两家银行开展专场对接会，下月举办（示例）。")
    category = ProblemCategory.objects.filter(zone=c.zone).order_by("order", "pk").first()
    roundtable_demand_add(
        actor=c.admin,
        roundtable=roundtable,
        enterprise=firms[1].pk,
        content="施工许可审批环节多、时间长（示例）",
        kind="complaint",
        category="business",
        route="problem",
        problem={
            "org": c.branch.pk,
            "category": category.pk if category else None,
            "kind": "deadline",
            "deadline": today + dt.timedelta(days=45),
            "measures": "梳理审批环节，推行并联审批（示例）",
        },
    )
    visit = visit_create(
        actor=c.admin,
        zone=c.zone,
        enterprise=firms[2].pk,
        visited_on=today - dt.timedelta(days=10),
        visitors="企业服务专员、联络员、指导员（三员）（示例）",
        org=c.econ.pk,
        summary="了解企业扩产用地和招工情况（示例）。",
        satisfaction="satisfied",
    )
    staff = visit_demand_add(
        actor=c.admin,
        visit=visit,
        content="扩产后需招聘技术工人 50 名，希望协助对接职业院校（示例）",
        kind="help",
        category="labour",
    )
    _answer(c, staff, "已对接本地两所职业院校，组织专场招聘会（示例）。")
    feedback_return_call(
        actor=c.admin, feedback=staff, rating="satisfied", comment="电话回访（示例）"
    )
    feedback_disclose(
        actor=c.admin,
        feedback=staff,
        disclosed=True,
        summary="入企走访中企业反映招工难，已对接职业院校举办专场招聘会（示例）。",
    )
    visit_create(
        actor=c.admin,
        zone=c.zone,
        enterprise=firms[3].pk,
        visited_on=today - dt.timedelta(days=3),
        visitors="企业服务专员（示例）",
        summary="企业生产经营正常，暂无诉求（示例）。",
    )
    return 3


PROJECTS = (
    # title, target, days to the deadline, progress notes (text, percent), public
    (
        "园区公交微循环线路开通（示例）",
        "开通连接园区和地铁站的微循环公交 2 条（示例）",
        20,
        (("完成线路规划和站点设置（示例）", 40), ("两条线路已开通运营（示例）", 100)),
        True,
    ),
    (
        "人才公寓二期建设（示例）",
        "建成人才公寓 300 套并交付使用（示例）",
        90,
        (("主体结构封顶（示例）", 60),),
        True,
    ),
    (
        "园区职工食堂改造（示例）",
        "改造职工食堂，新增就餐座位 200 个（示例）",
        120,
        (),
        False,
    ),
)


def _projects(c: Cast) -> int:
    today = timezone.localdate()
    leader = Person.objects.filter(org__zone=c.zone, user__isnull=False).order_by("pk").first()
    for title, target, days, notes, public in PROJECTS:
        project = project_create(
            actor=c.admin,
            zone=c.zone,
            title=title,
            org=c.branch.pk,
            target=target,
            deadline=today + dt.timedelta(days=days),
            leader=leader.pk if leader else None,
            public=public,
        )
        for text, percent in notes:
            project_progress_add(actor=c.admin, project=project, text=text, percent=percent)
    return len(PROJECTS)


def create_outreach(progress) -> str:
    items = firms = projects = 0
    for spec in ZONES:
        c = _cast(spec)
        if Feedback.objects.filter(zone=c.zone).exists():
            continue  # made here before, or by hand: left as it is
        register = _register(c, spec)
        n = _feedback(c) + _roundtable_and_visits(c, spec, register)
        p = _projects(c)
        items, firms, projects = items + n, firms + len(register), projects + p
        progress(f"{spec.name}：群众反映 {n} 件，企业 {len(register)} 家，为民实事 {p} 项")
    return f"新建群众反映 {items} 件、企业 {firms} 家、为民实事 {projects} 项"
