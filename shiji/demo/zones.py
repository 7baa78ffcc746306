"""The five zones of the seed, as the bulletin reports them.

Source: “国家高新区深入开展树立和践行正确政绩观学习教育①” (shared/seeds/, in
reading order in READING-ORDER.md). The zones, their deployment meetings and
Qingyuan's 十五五 targets are real (``is_sample`` False); the organization
trees and rosters built from ``OrgTemplate`` below are invented.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from shiji.orgs.models import OrgKind

CAMPAIGN = "zhengjiguan-2026"
BULLETIN = "国家高新区深入开展树立和践行正确政绩观学习教育①"


@dataclass(frozen=True)
class Meeting:
    date: dt.date
    name: str
    requirements: str  # condensed from the seed's paragraphs on the meeting
    byline: str

    @property
    def source(self) -> str:
        return f"{BULLETIN} ({self.byline})"


@dataclass(frozen=True)
class TargetSpec:
    indicator: str  # Indicator code
    name: str
    unit: str
    period: str
    comparator: str  # assessment.Comparator code
    value: Decimal
    source: str


@dataclass(frozen=True)
class ZoneSpec:
    code: str
    prefix: str  # of the demo account names: gy_admin, …
    name: str
    short_name: str
    province: str
    city: str
    meeting: Meeting
    # The zone's top party organization (named in the seed, so not a sample)
    # and its leadership positions: a 党工委 in most zones; 无锡高新区 is run
    # together with 新吴区, whose 区委 held the seed's meeting.
    root: str
    root_positions: tuple[str, ...]
    enterprises: tuple[str, ...]  # invented; 3–5 of them get a party branch
    targets: tuple[TargetSpec, ...] = ()
    root_kind: str = OrgKind.WORKING_COMMITTEE


# Positions in the root organization: the demo leader and supervisor
# accounts are linked to the people holding these.
LEADER_AT = 2
SUPERVISOR_AT = 4

_DANGGONGWEI = (
    "党工委书记",
    "党工委副书记、管委会主任",
    "党工委委员、管委会副主任（分管机关党建）",
    "党工委委员、纪工委书记",
    "学习教育督导组组长",
)

ZONES: tuple[ZoneSpec, ...] = (
    ZoneSpec(
        code="guiyang",
        prefix="gy",
        name="贵阳高新区",
        short_name="贵阳",
        province="贵州",
        city="贵阳",
        meeting=Meeting(
            date=dt.date(2026, 3, 3),
            name="党工委会议暨区党工委党的建设工作领导小组会议",
            requirements=(
                "学习贯彻习近平总书记关于树立和践行正确政绩观的重要论述，部署启动学习教育。"
                "会议要求：以学习教育为契机，教育引导各级党组织和党员干部进一步树牢正确政绩观，"
                "以实干实绩奋力谱写中国式现代化贵阳“高新”篇章；深刻理解、准确把握、全面落实"
                "“立党为公、为民造福、科学决策、真抓实干”的总要求，坚持学查改一体推进；"
                "全面抓好学习研讨、查摆问题、整改整治、建章立制、“开门”教育；"
                "各级党委（党组）主要负责同志担负起第一责任人职责，领导班子成员履行好“一岗双责”，"
                "强化分类指导、精准督导、宣传引导，以推动高质量发展的实绩检验学习教育成效。"
            ),
            byline="王轩禹",
        ),
        root="贵阳高新区党工委",
        root_positions=_DANGGONGWEI,
        enterprises=(
            "贵阳云数智联科技有限公司",
            "贵阳黔芯电子科技有限公司",
            "贵阳筑云软件有限公司",
            "贵阳高原生物医药有限公司",
            "贵阳新储能源科技有限公司",
        ),
    ),
    ZoneSpec(
        code="wuxi",
        prefix="wx",
        name="无锡高新区",
        short_name="无锡",
        province="江苏",
        city="无锡",
        meeting=Meeting(
            date=dt.date(2026, 3, 3),
            name="党的建设工作领导小组会议",
            requirements=(
                "深入学习贯彻习近平总书记关于树立和践行正确政绩观的重要论述，部署启动学习教育。"
                "会议要求：深刻理解、准确把握“立党为公、为民造福、科学决策、真抓实干”总要求；"
                "学习研讨要求“深”，查摆问题要求“准”，整改整治要求“严”，建章立制要求“实”，"
                "“开门”教育要求“真”；区委党的建设工作领导小组牵头抓总，工作专班精准指导、督促落实，"
                "各级党委（党组）扛起主体责任，主要负责同志履行好“第一责任人”责任；强化分类指导，"
                "把学习教育与推动中心工作、与持续整治形式主义为基层减负结合起来；"
                "发挥主流媒体和新媒体作用，营造良好氛围。"
            ),
            byline="陆思元",
        ),
        root="无锡高新区（新吴区）区委",
        root_positions=(
            "区委书记",
            "区委副书记、区长",
            "区委常委、副区长（分管机关党建）",
            "区委常委、纪委书记",
            "学习教育督导组组长",
        ),
        root_kind=OrgKind.COMMITTEE,
        enterprises=(
            "无锡芯拓微电子有限公司",
            "无锡物联智感科技有限公司",
            "无锡康源生物医药有限公司",
            "无锡曜能新能源科技有限公司",
            "无锡精工传动机械有限公司",
        ),
    ),
    ZoneSpec(
        code="qingyuan",
        prefix="qy",
        name="清远高新区",
        short_name="清远",
        province="广东",
        city="清远",
        meeting=Meeting(
            date=dt.date(2026, 3, 3),
            name="2026年第4次党工委(扩大)会议",
            requirements=(
                "学习贯彻习近平总书记关于树立和践行正确政绩观学习教育的重要论述精神，部署学习教育。"
                "会议要求：把学习教育作为2026年党建工作的重要政治任务，压紧压实主体责任、"
                "“一岗双责”和第一责任人责任，确保学习教育走深走实、见行见效；"
                "锚定“十五五”规模以上工业总产值超1000亿元、工业增加值超200亿元的核心目标，"
                "聚焦产业园区扩容提质、建强产业平台、全力以赴抓招商，围绕主导产业招大引强、延链补链，"
                "精准招引现代服务业和城市配套项目，打造产、城、人深度融合的现代化园区。"
            ),
            byline="朱慧燕",
        ),
        root="清远高新区党工委",
        root_positions=_DANGGONGWEI,
        enterprises=(
            "清远华材新材料有限公司",
            "清远粤北装备制造有限公司",
            "清远润禾生物科技有限公司",
            "清远铝创金属制品有限公司",
            "清远智联电子有限公司",
        ),
        targets=(
            TargetSpec(
                indicator="industrial-output",
                name="规模以上工业总产值",
                unit="亿元",
                period="十五五",
                comparator="gt",
                value=Decimal("1000"),
                source=(
                    f"{BULLETIN}（朱慧燕）：清远高新区2026年第4次党工委(扩大)会议要求"
                    "锚定“十五五”规模以上工业总产值超1000亿元的核心目标"
                ),
            ),
            TargetSpec(
                indicator="industrial-value-added",
                name="工业增加值",
                unit="亿元",
                period="十五五",
                comparator="gt",
                value=Decimal("200"),
                source=(
                    f"{BULLETIN}（朱慧燕）：清远高新区2026年第4次党工委(扩大)会议要求"
                    "锚定“十五五”工业增加值超200亿元的核心目标"
                ),
            ),
        ),
    ),
    ZoneSpec(
        code="jingdezhen",
        prefix="jdz",
        name="景德镇高新区",
        short_name="景德镇",
        province="江西",
        city="景德镇",
        meeting=Meeting(
            date=dt.date(2026, 3, 6),
            name="学习教育部署会议（传达学习中央、江西省委、景德镇市委部署精神）",
            requirements=(
                "传达学习中央、江西省委、景德镇市委部署开展树立和践行正确政绩观学习教育有关精神，"
                "全面部署学习教育。会议要求：学深悟透，将学习习近平总书记重要论述与考察江西重要讲话"
                "精神相贯通，用好典型案例；深查细照，对照问题清单和群众反映把问题找准找实，建立整改台账；"
                "动真碰硬，集中整治“新官不理旧账”“形象工程”“政绩工程”等8个方面突出问题，"
                "坚决杜绝虚假整改；建章立制，修订完善不符合正确政绩观的制度规定，用好政绩考核“指挥棒”；"
                "“开门”教育，融入“三员入企”“政企圆桌会”，面对面听取意见，办好为民实事。"
                "党工委负总责，领导班子成员履行“一岗双责”，基层党支部书记扛起主责，纳入年度考核；"
                "区分机关、国企、非公企业等领域分类指导，突出抓好“一把手”和年轻干部教育，"
                "坚决防止“一刀切”和形式主义。"
            ),
            byline="朱唯 蔡湘",
        ),
        root="景德镇高新区党工委",
        root_positions=_DANGGONGWEI,
        enterprises=(
            "景德镇瓷韵新材料有限公司",
            "景德镇航宇零部件有限公司",
            "景德镇陶研精密陶瓷有限公司",
            "景德镇青花智能科技有限公司",
            "景德镇瓷都医药有限公司",
        ),
    ),
    ZoneSpec(
        code="longyan",
        prefix="ly",
        name="龙岩高新区",
        short_name="龙岩",
        province="福建",
        city="龙岩",
        meeting=Meeting(
            date=dt.date(2026, 3, 3),
            name="党工委(扩大)会议",
            requirements=(
                "深入学习贯彻习近平总书记关于树立和践行正确政绩观的重要论述，传达学习中央、福建省委、"
                "龙岩市委有关会议精神，研究部署学习教育。会议要求：提高站位、深化认识，把学习教育同落实"
                "“十五五”规划部署和省委、市委工作要求结合起来；聚焦核心、精准发力，牢牢把握总要求，"
                "一体推进学查改，既做让群众看得见的“显绩”，更做为高新区长远发展打基础的“潜绩”；"
                "压实责任、务求实效，把学习教育同项目建设、招商引资、科技创新、企业服务等中心工作结合起来，"
                "以实实在在的发展业绩检验学习教育成效。"
            ),
            byline="杨润生",
        ),
        root="龙岩高新区党工委",
        root_positions=_DANGGONGWEI,
        enterprises=(
            "龙岩闽西环保装备有限公司",
            "龙岩红土新材料有限公司",
            "龙岩汀江机械有限公司",
            "龙岩冠豸智能科技有限公司",
            "龙岩客家食品有限公司",
        ),
    ),
)

ZONES_BY_CODE = {z.code: z for z in ZONES}
