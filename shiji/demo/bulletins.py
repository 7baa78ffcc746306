"""Work updates and bulletins for the demo.

Bulletin ① of the national series 树立和践行正确政绩观学习教育简报 is the seed
itself: the five zones' reports of their deployment meetings, each
paragraph in its place (shared/seeds/READING-ORDER.md joins the paragraphs
the newspaper's columns split, and restores the few characters the
extraction lost: "十〔五五”高〕质量发展" is printed without the brackets).
The text is the seed's, character for character, punctuation included.
Each zone's report is submitted as a work update of its top party
organization (entered by the system from the seed, approved by the zone's
task force), compiled in the seed's order by the system admin, each entry's
heading edited to the zone's name as the seed prints it, and issued.

The second bulletin is 无锡高新区's own 第1期, from the demo's own records:
its secretary's and liaison's updates on the branch's study, the ledger's
figures and an enterprise visit, with photos (one more update waits for
review and one was returned, so the review queue is not empty).

Who issues the national series and the distribution lists are invented.
"""

from __future__ import annotations

import datetime as dt
import io

from django.core.files.base import ContentFile
from PIL import Image, ImageDraw

from shiji.demo.accounts import SYSTEM
from shiji.demo.roster import SECRETARY_DEPT, branch_of
from shiji.demo.zones import ZONES, ZoneSpec
from shiji.ledger.models import Problem
from shiji.ledger.models import Status as ProblemStatus
from shiji.orgs.models import Organization, User, Zone
from shiji.reports import services
from shiji.reports.models import Bulletin, BulletinSeries

SERIES_TITLE = "树立和践行正确政绩观学习教育简报"
SERIES_ISSUER = "国家高新区学习教育工作专班办公室"
SERIES_REPORT_TO = "各省、自治区、直辖市学习教育领导小组办公室"
SERIES_COPY_TO = "各国家高新区党工委（党委）学习教育工作专班"

TITLE = "国家高新区深入开展树立和践行正确政绩观学习教育 ①"
SUBTITLE = "以正确政绩观推动“十五五”开好局起好步"
LEAD = (
    "近日,中共中央办公厅印发《关于在全党开展树立和践行正确政绩观学习教育的通知》。连日来,"
    "国家高新区深入开展树立和践行正确政绩观学习教育(以下简称“学习教育”),为促进高新区高质量发展"
    "提供思想坐标和价值引领,把学习教育激发的热情转化为攻坚克难、干事创业的实效实绩。"
)
ISSUED_ON = dt.date(2026, 3, 10)  # after the last of the meetings (景德镇, 3月6日)

# code: (update title, paragraphs in reading order). The heading printed is
# the zone's name; the byline is the seed's (ZoneSpec.meeting.byline).
SEED_REPORTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "guiyang": (
        "贵阳高新区召开党工委会议部署启动学习教育",
        (
            "3月3日,贵阳高新区召开党工委会议暨区党工委党的建设工作领导小组会议,学习贯彻习近平总书记关于树立和践行正确政绩观的重要论述,部署启动贵阳高新区学习教育工作。",
            "会议指出,在全党开展树立和践行正确政绩观学习教育,是党中央着眼党和国家事业发展全局作出的重要部署,对推动“十五五”开好局、起好步,以中国式现代化全面推进强国建设、民族复兴伟业提供有力保障,具有重大而深远的意义。贵阳高新区要以此次学习教育为契机,教育引导各级党组织和党员干部进一步树牢正确政绩观,以实干实绩奋力谱写中国式现代化贵阳“高新”篇章。",
            "会议强调,要确保学习教育走深走实,取得实效。要准确把握目标要求,深刻理解、准确把握、全面落实“立党为公、为民造福、科学决策、真抓实干”的总要求,坚持学查改一体推进,高标准高质量开展学习教育。要全面抓好学习研讨、查摆问题、整改整治、建章立制、“开门”教育,有效推动正确政绩观内化于心、外化于行。要加强组织领导,贵阳高新区各级党委(党组)主要负责同志担负起第一责任人职责,领导班子成员履行好“一岗双责”,强化分类指导、精准督导、宣传引导,落细落实学习教育重点任务,以推动高质量发展的实绩检验学习教育成效。",
        ),
    ),
    "wuxi": (
        "无锡高新区召开党的建设工作领导小组会议部署启动学习教育",
        (
            "3月3日,无锡高新区召开党的建设工作领导小组会议,深入学习贯彻习近平总书记关于树立和践行正确政绩观的重要论述,部署启动高新区学习教育工作。",
            "会议要求,无锡高新区要深刻理解、准确把握“立党为公、为民造福、科学决策、真抓实干”总要求,坚持准确把握、统筹推进,确保学习教育取得实效。学习研讨要求“深”,筑牢思想根基;查摆问题要求“准”,触及灵魂深处;整改整治要求“严”,动真碰硬见效;建章立制要求“实”,力求常态长效。“开门”教育要求“真”,接受群众监督。",
            "会议强调,无锡高新区要把开展学习教育当作当前一项重大政治任务,压实工作责任,区委党的建设工作领导小组要牵头抓总,强化统筹,工作专班要精准指导、督促落实,各级党委(党组)要扛起主体责任,主要负责同志要履行好“第一责任人”责任;强化分类指导,聚焦不同层级领域,加强政策研究和过程指导,充分发挥行业系统主管部门党委(党组)指导作用,把学习教育与推动中心工作紧密结合起来,与持续整治形式主义为基层减负结合起来,以推动高质量发展的实绩来检验学习教育成效;营造良好氛围,发挥主流媒体和新媒体作用,宣传学习教育的重要意义、进展成效和经验做法。",
        ),
    ),
    "qingyuan": (
        "清远高新区召开党工委（扩大）会议部署学习教育",
        (
            "3月3日,清远高新区召开2026年第4次党工委(扩大)会议,学习贯彻习近平总书记关于树立和践行正确政绩观学习教育的重要论述精神,部署高新区学习教育工作。",
            "会议强调,清远高新区各级党组织要把学习教育作为2026年党建工作的重要政治任务,压紧压实主体责任、“一岗双责”和第一责任人责任,精心组织、周密部署、扎实推进,确保学习教育走深走实、见行见效,以实实在在的学习教育成效助力清远高新区“十五五”高质量发展。",
            "会议要求,要锚定目标强力冲刺,紧密结合清远高新区实际,锚定“十五五”规模以上工业总产值超1000亿元、工业增加值超200亿元的核心目标,聚焦产业园区扩容提质、建强产业平台、全力以赴抓招商,围绕主导产业招大引强、延链补链,同时紧扣制造业与服务业协同需求,精准招引现代服务业和城市配套项目,完善产业生态、提升城市能级,打造产、城、人深度融合的现代化园区。",
        ),
    ),
    "jingdezhen": (
        "景德镇高新区召开会议全面部署学习教育",
        (
            "3月6日,景德镇高新区召开会议,传达学习中央、江西省委、景德镇市委部署开展树立和践行正确政绩观学习教育有关精神,对高新区学习教育工作进行全面部署。",
            "会议强调,要聚焦重点、精准发力,高标准推动各项任务落地。要学深悟透,将学习习近平总书记重要论述与考察江西重要讲话精神相贯通,用好典型案例筑牢思想根基。要深查细照,对照问题清单和群众反映,把问题找准找实,建立整改台账。要动真碰硬,集中整治“新官不理旧账”“形象工程”“政绩工程”等8个方面突出问题,坚决杜绝虚假整改。要建章立制,修订完善不符合正确政绩观的制度规定,用好政绩考核“指挥棒”。要“开门”教育,将学习教育融入“三员入企”“政企圆桌会”,面对面听取意见,办好为民实事。",
            "会议强调,要压实责任、强化统筹。景德镇高新区党工委负总责,领导班子成员履行“一岗双责”,基层党支部书记扛起主责,纳入年度考核传导压力。要加强分类指导,区分机关、国企、非公企业等不同领域特点,突出抓好“一把手”和年轻干部教育,坚决防止“一刀切”和形式主义。要坚持学做结合,把学习教育与园区中心工作紧密结合,以高质量发展的实际成效检验学习教育成果。",
        ),
    ),
    "longyan": (
        "龙岩高新区召开党工委（扩大）会议研究部署学习教育",
        (
            "3月3日,龙岩高新区召开党工委(扩大)会议,深入学习贯彻习近平总书记关于树立和践行正确政绩观的重要论述,传达学习中央、福建省委、龙岩市委有关会议精神,研究部署学习教育工作。",
            "会议强调,要提高站位、深化认识。要把开展此次学习教育同落实“十五五”规划部署、福建省委、龙岩市委工作要求结合起来,以正确政绩观引领高新区高质量发展,以思想自觉引领行动自觉,切实把学习教育成效转化为推动发展的强大动力。",
            "要聚焦核心、精准发力。要牢牢把握“立党为公、为民造福、科学决策、真抓实干”总要求,一体推进学查改,把科学决策、真抓实干作为落脚点,既做让群众看得见的“显绩”,更做为高新区长远发展打基础的“潜绩”,让政绩经得起实践、经得起人民、经得起历史的检验。",
            "要压实责任、务求实效。要层层压实工作责任,把开展学习教育同项目建设、招商引资、科技创新、企业服务等中心工作结合起来,以实干导向深化作风建设,切实把学习教育激发的热情,转化为攻坚克难、干事创业的实际成效,以实实在在的发展业绩检验学习教育成效。",
        ),
    ),
}

WUXI = "wuxi"
WUXI_SERIES = "无锡高新区学习教育工作简报"
WUXI_ISSUER = "无锡高新区学习教育工作专班"


def _photo(name: str, colour: tuple[int, int, int], label: int) -> ContentFile:
    """A small picture of a meeting room (a table and chairs), ``label``
    making each one's pixels, and so its SHA-256, its own."""
    image = Image.new("RGB", (640, 420), (236, 232, 222))
    draw = ImageDraw.Draw(image)
    draw.rectangle([0, 0, 640, 70], fill=colour)  # the banner over the stage
    draw.rectangle([120, 230, 520, 300], fill=(150, 105, 70))  # the table
    for x in range(140, 520, 60):
        draw.ellipse([x, 180, x + 36, 216], fill=(60, 60, 60))  # heads
        draw.rectangle([x, 300, x + 36, 360], fill=(90, 60, 40))  # chairs
    draw.rectangle([10, 400, 10 + label * 8, 410], fill=(0, 0, 0))
    out = io.BytesIO()
    image.save(out, "PNG")
    return ContentFile(out.getvalue(), name=name)


def _root(spec: ZoneSpec, zone: Zone) -> Organization:
    return Organization.objects.get(zone=zone, name=spec.root)


def create_seed_bulletin(progress) -> str:
    """Bulletin ① of the national series: the seed."""
    if BulletinSeries.objects.filter(zone=None, title=SERIES_TITLE).exists():
        return "已有全国简报系列"
    series = services.series_create(
        actor=SYSTEM,
        zone=None,
        title=SERIES_TITLE,
        issuer=SERIES_ISSUER,
        report_to=SERIES_REPORT_TO,
        copy_to=SERIES_COPY_TO,
    )
    updates = []
    for spec in ZONES:
        zone = Zone.objects.get(code=spec.code)
        title, body = SEED_REPORTS[spec.code]
        update = services.update_submit(
            actor=SYSTEM,
            zone=zone,
            org=_root(spec, zone),
            title=title,
            happened_on=spec.meeting.date,
            body="\n".join(body),
            author=spec.meeting.byline,
        )
        admin = User.objects.get(username=f"{spec.prefix}_admin")
        services.update_review(actor=admin, update=update, action="approve", note="同意编入简报")
        updates.append(update)
        progress(f"{spec.name}：{title}")
    bulletin = services.bulletin_create(
        actor=SYSTEM, series=series, title=TITLE, subtitle=SUBTITLE, lead=LEAD, updates=updates
    )
    # Light editing: the seed heads each zone's report with the zone's name.
    for item, spec in zip(bulletin.items.order_by("position"), ZONES, strict=True):
        services.bulletin_item_edit(actor=SYSTEM, bulletin=bulletin, item=item, heading=spec.name)
    services.bulletin_issue(actor=SYSTEM, bulletin=bulletin, issued_on=ISSUED_ON)
    bulletin.refresh_from_db()
    return f"{SERIES_TITLE}第{bulletin.number}期（{len(updates)} 个高新区）"


def _wuxi_updates(zone: Zone, spec: ZoneSpec) -> list[tuple[str, dict]]:
    """(who submits, the update) for 无锡's own updates, from its records."""
    branch = Organization.objects.get(zone=zone, name=branch_of(SECRETARY_DEPT))
    problems = Problem.objects.filter(zone=zone)
    found = problems.count()
    closed = problems.filter(status=ProblemStatus.CLOSED).count()
    return [
        (
            "secretary",
            {
                "org": branch,
                "title": f"{branch.name}开展专题学习",
                "happened_on": dt.date(2026, 3, 12),
                "body": (
                    f"3月12日，{branch.name}召开支部党员大会，集中学习习近平总书记关于树立和践行"
                    "正确政绩观的重要论述，逐条对照“新官不理旧账”“形象工程”“政绩工程”等问题开展自查。\n"
                    "支部书记结合经济发展工作实际讲专题党课，党员逐一发言，查摆出服务企业不够主动、"
                    "调研不够深入等问题，列入支部问题清单，明确整改时限和责任人。"
                ),
                "author": "经济发展局党支部",
                "photos": [_photo("支部学习.png", (178, 34, 34), 1)],
            },
        ),
        (
            "admin",
            {
                "org": _root(spec, zone),
                "title": "无锡高新区建立整改台账挂账销号",
                "happened_on": dt.date(2026, 4, 20),
                "body": (
                    f"无锡高新区把查摆出的问题逐条纳入整改台账，目前共登记问题{found}个，"
                    f"已审核销号{closed}个，其余问题明确整改措施、责任单位和整改时限，挂账推进。\n"
                    "区学习教育工作专班对提交销号的问题逐一核验整改凭证，坚决杜绝纸面整改、"
                    "文件整改、会议销号，对整改不到位的一律退回重新整改。"
                ),
                "author": "区学习教育工作专班",
                "photos": [],
            },
        ),
        (
            "liaison",
            {
                "org": branch,
                "title": "经济发展局党支部“三员入企”走访企业",
                "happened_on": dt.date(2026, 4, 28),
                "body": (
                    "经济发展局党支部组织党员干部深入园区企业开展“三员入企”走访，面对面听取企业"
                    "在用地、用工、融资等方面的意见建议，现场能解决的当场解决，不能当场解决的"
                    "列入问题清单，明确责任人限期办结并向企业反馈。"
                ),
                "author": "经济发展局党支部",
                "photos": [
                    _photo("入企走访1.png", (30, 80, 160), 2),
                    _photo("入企走访2.png", (30, 120, 90), 3),
                ],
            },
        ),
    ]


def create_zone_bulletin(progress) -> str:
    """无锡高新区's own bulletin 第1期, and its review queue."""
    spec = next(z for z in ZONES if z.code == WUXI)
    zone = Zone.objects.get(code=WUXI)
    if BulletinSeries.objects.filter(zone=zone, title=WUXI_SERIES).exists():
        return "已有无锡高新区简报系列"
    users = {
        k: User.objects.get(username=f"{spec.prefix}_{k}")
        for k in ("admin", "secretary", "liaison")
    }
    admin = users["admin"]
    approved = []
    for who, data in _wuxi_updates(zone, spec):
        update = services.update_submit(actor=users[who], zone=zone, **data)
        services.update_review(actor=admin, update=update, action="approve")
        approved.append(update)
        progress(f"{zone.name}：{update.title}")
    branch = Organization.objects.get(zone=zone, name=branch_of(SECRETARY_DEPT))
    services.update_submit(
        actor=users["liaison"],
        zone=zone,
        org=branch,
        title="经济发展局党支部开展研讨交流",
        happened_on=dt.date(2026, 5, 8),
        body="支部围绕“为谁创造业绩、创造什么样的业绩、怎样创造业绩”开展研讨交流，5名党员作交流发言。",
        author="经济发展局党支部",
    )
    returned = services.update_submit(
        actor=users["secretary"],
        zone=zone,
        org=branch,
        title="支部工作情况",
        happened_on=dt.date(2026, 5, 9),
        body="本周支部开展了学习。",
        author="",
    )
    services.update_review(
        actor=admin,
        update=returned,
        action="return",
        note="内容过简，请写明学习的时间、内容、参加人员和查摆出的问题后重新报送",
    )
    series = services.series_create(
        actor=admin,
        zone=zone,
        title=WUXI_SERIES,
        issuer=WUXI_ISSUER,
        report_to="市学习教育领导小组办公室",
        copy_to="区党工委、管委会领导班子成员，区各部门、各党委（党总支、党支部）",
    )
    bulletin = services.bulletin_create(
        actor=admin,
        series=series,
        title="无锡高新区学查改一体推进学习教育",
        lead="无锡高新区坚持学查改一体推进，以支部学习打牢思想根基，以整改台账推动问题见底清零，以“三员入企”问需于企。现将近期工作摘编如下。",
        updates=approved,
    )
    services.bulletin_issue(actor=admin, bulletin=bulletin, issued_on=dt.date(2026, 5, 12))
    bulletin.refresh_from_db()
    return f"{WUXI_SERIES}第{bulletin.number}期；1 条待审核、1 条已退回"


def seed_bulletin() -> Bulletin:
    return Bulletin.objects.get(series__zone=None, series__title=SERIES_TITLE, number=1)
