"""Invented organization trees and rosters for the demo zones.

``plan_zone`` is a pure function of the zone: every choice comes from a
``random.Random`` seeded with the zone code, so each run (and each machine)
builds the same trees and the same names, the tests can predict them, and
adding a zone does not change the others.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from functools import cache
from itertools import accumulate

from shiji.demo.zones import ZoneSpec
from shiji.orgs.models import OrgKind, Sector

ORGAN = "机关党委"
ECONOMIC = "经济（社会）组织党委"
INSTITUTION = "政务服务中心党支部"

# (department, title of its head). The 党群工作部 branch hosts the campaign's
# 工作专班 and 经济发展局's branch is the one the demo secretary runs, so
# every zone has both; the others are drawn.
DEPARTMENTS = (
    ("党政办公室", "主任"),
    ("党群工作部", "部长"),
    ("经济发展局", "局长"),
    ("科技创新局", "局长"),
    ("规划建设局", "局长"),
    ("招商服务局", "局长"),
    ("社会事务局", "局长"),
    ("财政金融局", "局长"),
)
TASK_FORCE_DEPT = "党群工作部"
SECRETARY_DEPT = "经济发展局"

# Positions the demo accounts are linked to (see accounts.py).
TASK_FORCE_POSITION = "副部长、学习教育工作专班办公室主任"
SECRETARY_POSITION = "局长、党支部书记"
LIAISON_POSITION = "副局长、组织委员、学习教育联络员"


def branch_of(department: str) -> str:
    return f"{department}党支部"


@dataclass(frozen=True)
class PersonPlan:
    name: str
    position: str
    is_party_member: bool = True


@dataclass(frozen=True)
class OrgPlan:
    name: str
    parent: str | None  # the parent's name; None for the zone's root
    kind: str
    sector: str
    is_sample: bool
    people: tuple[PersonPlan, ...]


@dataclass(frozen=True)
class ZonePlan:
    zone: ZoneSpec
    orgs: tuple[OrgPlan, ...]  # parents before their children

    def org(self, name: str) -> OrgPlan:
        return next(o for o in self.orgs if o.name == name)

    def person(self, org: str, position: str) -> PersonPlan:
        return next(p for p in self.org(org).people if p.position == position)

    @property
    def people_count(self) -> int:
        return sum(len(o.people) for o in self.orgs)


# Names ---------------------------------------------------------------------------

# Common surnames, most frequent first (drawn with falling weights).
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
    "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛段雷侯龙史陶黎贺顾毛郝龚"
    "邵万严覃武戴莫孔向汤"
)
# Characters of given names: some read as a man's, some as a woman's, some
# as either; a name draws from one of the first two pools and the third.
GIVEN_MALE = "伟强磊军勇杰涛明超刚辉鹏飞鑫波斌宇浩凯健俊峰航昊睿泽轩铭哲瑞诚毅亮德胜荣永康国平建志"
GIVEN_FEMALE = "芳娜敏静丽艳娟秀霞婷雪琳怡妍萱彤楠丹蕾玲燕红梅兰芬桂英玉蓉薇蕊倩瑶璐颖慧晶"
GIVEN_EITHER = "文博晨欣悦佳思嘉海晓阳宁凡然琦新安乐春晖"
# Real people an invented roster must not name: the seed's reporters, and
# national leaders whose names the character pools above could produce.
AVOID = frozenset(
    {
        "王轩禹",
        "陆思元",
        "朱慧燕",
        "朱唯",
        "蔡湘",
        "杨润生",
        "李强",
        "王毅",
        "李希",
        "蔡奇",
        "王晨",
        "胡春华",
        "孙春兰",
        "杨晶",
        "王勇",
        "刘鹤",
        "陈敏尔",
        "李鸿忠",
        "陈希",
        "黄坤明",
        "张军",
        "何立峰",
        "王小洪",
        "吴政隆",
        "李国英",
        "王文涛",
        "王志刚",
        "王宁",
        "刘宁",
    }
)
# Surnames weighted towards the common ones, summed once: ``rng.choices``
# would otherwise add the weights up on every draw (the national generator
# names 60,000 people), with the same draws either way.
_SURNAME_CUM = list(accumulate(1 / (i + 6) for i in range(len(SURNAMES))))


def person_name(rng: random.Random, taken: set[str]) -> str:
    """A plausible name not yet in ``taken`` (and then added to it)."""
    while True:
        surname = rng.choices(SURNAMES, cum_weights=_SURNAME_CUM)[0]
        pool = (GIVEN_MALE if rng.random() < 0.55 else GIVEN_FEMALE) + GIVEN_EITHER
        given = "".join(rng.sample(pool, 1 if rng.random() < 0.15 else 2))
        name = surname + given
        if name not in taken and name not in AVOID:
            taken.add(name)
            return name


# Positions in a leaf branch, by sector: the branch committee first, then
# the members, drawn from the fillers.
_ORGAN_FILLERS = (
    "一级主任科员",
    "二级主任科员",
    "三级主任科员",
    "四级主任科员",
    "一级科员",
    "二级科员",
    "科长",
    "副科长",
)
_PRIVATE_HEAD = ("党支部书记、副总经理", "组织委员、综合部经理", "宣传委员、研发中心主任")
_PRIVATE_FILLERS = (
    "研发工程师",
    "工艺工程师",
    "生产主管",
    "质量主管",
    "销售经理",
    "财务主管",
    "技术员",
    "项目经理",
    "人力资源专员",
    "车间主任",
)
_SOE_HEAD = ("党支部书记、副总经理", "组织委员、综合部部长", "纪检委员、审计部部长")
_SOE_FILLERS = (
    "投资部经理",
    "财务部经理",
    "工程管理部经理",
    "风控专员",
    "项目经理",
    "资产管理专员",
    "融资专员",
)
_INSTITUTION_HEAD = ("主任、党支部书记", "副主任、组织委员", "宣传委员、综合科科长")
_INSTITUTION_FILLERS = ("窗口负责人", "综合受理员", "审批专员", "帮办代办员", "科员")
_SOCIAL_HEAD = ("会长、党支部书记", "秘书长、组织委员", "副秘书长、宣传委员")
_SOCIAL_FILLERS = ("会员企业代表", "会员企业代表", "办公室主任", "干事")


def _department_head(department: str, head: str) -> tuple[str, ...]:
    third = TASK_FORCE_POSITION if department == TASK_FORCE_DEPT else f"副{head}、宣传委员"
    if department == SECRETARY_DEPT:
        return (SECRETARY_POSITION, LIAISON_POSITION, third, "纪检委员")
    return (f"{head}、党支部书记", f"副{head}、组织委员、学习教育联络员", third, "纪检委员")


def _leaf_people(
    rng: random.Random,
    taken: set[str],
    head: tuple[str, ...],
    fillers: tuple[str, ...],
    *,
    activists: bool = False,
) -> tuple[PersonPlan, ...]:
    """8–15 people: the branch committee, then members. In enterprises and
    social organizations some members are 入党积极分子, not yet party members."""
    size = rng.randint(8, 15)
    people = [PersonPlan(person_name(rng, taken), position) for position in head]
    while len(people) < size:
        position = rng.choice(fillers)
        if activists and rng.random() < 0.2:
            people.append(PersonPlan(person_name(rng, taken), f"入党积极分子、{position}", False))
        else:
            people.append(PersonPlan(person_name(rng, taken), position))
    return tuple(people)


@cache
def plan_zone(spec: ZoneSpec) -> ZonePlan:
    rng = random.Random(f"shiji-demo/{spec.code}")
    taken: set[str] = set()

    def committee(positions: tuple[str, ...]) -> tuple[PersonPlan, ...]:
        return tuple(PersonPlan(person_name(rng, taken), p) for p in positions)

    orgs = [
        OrgPlan(
            spec.root,
            None,
            spec.root_kind,
            Sector.ORGAN,
            False,
            committee(spec.root_positions),
        ),
        OrgPlan(
            ORGAN,
            spec.root,
            OrgKind.COMMITTEE,
            Sector.ORGAN,
            True,
            committee(("机关党委书记", "机关党委专职副书记", "机关党委委员")),
        ),
    ]
    # Departments: the two every zone needs, and more drawn up to 4–6.
    fixed = {TASK_FORCE_DEPT, SECRETARY_DEPT}
    others = [d for d, _ in DEPARTMENTS if d not in fixed]
    chosen = fixed | set(rng.sample(others, rng.randint(4, 6) - len(fixed)))
    for department, head in DEPARTMENTS:
        if department in chosen:
            orgs.append(
                OrgPlan(
                    branch_of(department),
                    ORGAN,
                    OrgKind.BRANCH,
                    Sector.ORGAN,
                    True,
                    _leaf_people(rng, taken, _department_head(department, head), _ORGAN_FILLERS),
                )
            )
    if rng.random() < 0.7:
        orgs.append(
            OrgPlan(
                INSTITUTION,
                ORGAN,
                OrgKind.BRANCH,
                Sector.INSTITUTION,
                True,
                _leaf_people(rng, taken, _INSTITUTION_HEAD, _INSTITUTION_FILLERS),
            )
        )
    orgs.append(
        OrgPlan(
            ECONOMIC,
            spec.root,
            OrgKind.COMMITTEE,
            Sector.PRIVATE,
            True,
            committee(("党委书记", "党委副书记", "党建指导员")),
        )
    )
    for company in spec.enterprises[: rng.randint(3, 5)]:
        orgs.append(
            OrgPlan(
                f"{company}党支部",
                ECONOMIC,
                OrgKind.BRANCH,
                Sector.PRIVATE,
                True,
                _leaf_people(rng, taken, _PRIVATE_HEAD, _PRIVATE_FILLERS, activists=True),
            )
        )
    if rng.random() < 0.6:
        orgs.append(
            OrgPlan(
                f"{spec.name}企业家协会党支部",
                ECONOMIC,
                OrgKind.BRANCH,
                Sector.SOCIAL,
                True,
                _leaf_people(rng, taken, _SOCIAL_HEAD, _SOCIAL_FILLERS, activists=True),
            )
        )
    group = f"{spec.short_name}高新投资发展集团有限公司"
    orgs.append(
        OrgPlan(
            f"{group}党委",
            spec.root,
            OrgKind.COMMITTEE,
            Sector.SOE,
            True,
            committee(("党委书记、董事长", "党委副书记、总经理", "党委委员、纪委书记")),
        )
    )
    orgs.append(
        OrgPlan(
            f"{group}综合党支部",
            f"{group}党委",
            OrgKind.BRANCH,
            Sector.SOE,
            True,
            _leaf_people(rng, taken, _SOE_HEAD, _SOE_FILLERS),
        )
    )
    if rng.random() < 0.5:
        orgs.append(
            OrgPlan(
                f"{spec.short_name}高新城市建设运营有限公司党支部",
                spec.root,
                OrgKind.BRANCH,
                Sector.SOE,
                True,
                _leaf_people(rng, taken, _SOE_HEAD, _SOE_FILLERS),
            )
        )
    return ZonePlan(zone=spec, orgs=tuple(orgs))
