"""Sample study sessions (学习研讨) and saved attendee groups for the demo zones.

Each zone gets the attendee groups a task force would save first: the top
committee's 理论学习中心组 (its leadership and the heads of the three
second-level committees), its 班子成员, the people expected at the
deployment meeting (the top committee and every party organization's
secretary), and the demo secretary's branch. Every session names who was
expected through one of them (or the branch's own people), so its
attendance — and the coverage built on it — counts exactly those people.

Each zone's deployment meeting from the seed becomes a session of kind 部署会议:
its date, name and content are the ones ``adopt_campaign`` recorded on the
zone's ``ZoneCampaign``; who attended is invented, so the session is
``is_sample``. After it come a 理论学习中心组 study, 支部学习 sessions in the
demo secretary's branch and three other branches (the last of them recorded
without attendance yet: 出勤待补录), and a 研讨交流 with two speeches, so the
coverage page shows branches ahead and behind. The secretary's branch is
recorded by its demo secretary, the rest by the zone's task force;
everything goes through ``shiji.study.services``.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.utils import timezone

from shiji.campaigns.models import Campaign, StudyKind
from shiji.demo.roster import SECRETARY_DEPT, branch_of
from shiji.demo.zones import CAMPAIGN, ZONES
from shiji.orgs.models import Organization, OrgKind, Person, User, Zone
from shiji.study import services
from shiji.study.models import AttendeeGroup, AttendeeScope, StudySession

REASONS = ("外出招商", "病假", "参加上级培训", "出差", "事假")
BRANCH_TOPICS = (
    "学习习近平总书记关于树立和践行正确政绩观的重要论述",
    "对照“新官不理旧账”“形象工程”“政绩工程”等问题开展自查",
    "学习《中国共产党纪律处分条例》有关条款，以案为鉴",
)


# Heads of the second-level committees who sit on the top committee's 中心组.
CENTRAL_GROUP_HEADS = ("机关党委书记", "党委书记", "党委书记、董事长")
CENTRAL_GROUP = "理论学习中心组"
DEPLOYMENT_GROUP = "学习教育部署会议参会人员"


def _marks(people: list[Person], rng: random.Random, absent: int) -> list[dict]:
    """Everyone expected present except ``absent`` people picked by ``rng``,
    with reasons."""
    away = set(rng.sample(range(len(people)), min(absent, max(len(people) - 1, 0))))
    return [
        {
            "person": p,
            "present": i not in away,
            "reason": rng.choice(REASONS) if i in away else "",
        }
        for i, p in enumerate(people)
    ]


def _on_or_before(day: dt.date, today: dt.date) -> dt.date | None:
    """Sessions are recorded after they took place: a day still to come is skipped."""
    return day if day <= today else None


def _branch_group(branch: Organization) -> str:
    return f"{branch.name}全体党员"


def _groups(root: Organization, branch: Organization, admin, secretary, people):
    """The zone's saved attendee groups, by name (a second run reuses them)."""
    committee = [p for p in people if p.org_id == root.pk]
    leaders = [p for p in committee if "督导组" not in p.position]
    heads = [
        p for p in people if p.org.depth == root.depth + 1 and p.position in CENTRAL_GROUP_HEADS
    ]
    secretaries = [p for p in people if p.org_id != root.pk and "书记" in p.position]
    members = [p for p in people if p.org_id == branch.pk and p.is_party_member]
    specs = (
        (admin, root, CENTRAL_GROUP, leaders + heads),
        (admin, root, "班子成员", leaders),
        (admin, root, DEPLOYMENT_GROUP, committee + secretaries),
        (secretary, branch, _branch_group(branch), members),
    )
    out = {}
    for actor, org, name, chosen in specs:
        group = AttendeeGroup.objects.filter(org=org, name=name).first()
        if group is None:
            group = services.group_create(actor=actor, org=org, name=name, members=chosen)
        out[name] = group
    return out


def _expected(group: AttendeeGroup) -> list[Person]:
    return list(
        group.members.filter(is_active=True).select_related("org").order_by("org__path", "name")
    )


def create_study_sessions(progress) -> str:
    today = timezone.localdate()
    campaign = Campaign.objects.get(code=CAMPAIGN)
    kinds = {k.name: k for k in StudyKind.objects.filter(campaign=campaign)}
    made = 0
    for spec in ZONES:
        zone = Zone.objects.get(code=spec.code)
        if StudySession.objects.filter(zone=zone).exists():
            continue  # recorded by hand, or by an earlier run
        rng = random.Random(f"study-{spec.code}")
        admin = User.objects.get(username=f"{spec.prefix}_admin")
        secretary = User.objects.get(username=f"{spec.prefix}_secretary")
        root = Organization.objects.get(zone=zone, name=spec.root)
        own = Organization.objects.get(zone=zone, name=branch_of(SECRETARY_DEPT))
        people = list(
            Person.objects.filter(zone=zone, is_active=True)
            .select_related("org")
            .order_by("org__path", "name")
        )
        groups = _groups(root, own, admin, secretary, people)
        count = 0

        # The deployment meeting is stored once, as this session.
        meeting = spec.meeting
        meeting_day = _on_or_before(meeting.date, today)
        if meeting_day:
            deployment = groups[DEPLOYMENT_GROUP]
            services.session_create(
                actor=admin,
                zone=zone,
                org=root,
                kind=kinds["部署会议"],
                date=meeting_day,
                topic=meeting.name,
                duration_hours=Decimal("2"),
                place=f"{zone.short_name}管委会会议室",
                minutes=(
                    f"{meeting.requirements}\n\n信息来源：{meeting.source}\n\n"
                    "（出席名单为示例数据）"
                ),
                attendees=AttendeeScope.GROUP,
                group=deployment,
                attendance=_marks(_expected(deployment), rng, 2),
                is_sample=True,
            )
            count += 1
        start = meeting.date

        day = _on_or_before(start + dt.timedelta(days=14), today)
        central = groups[CENTRAL_GROUP]
        if day:
            services.session_create(
                actor=admin,
                zone=zone,
                org=root,
                kind=kinds["理论学习中心组"],
                date=day,
                topic="专题学习习近平总书记关于树立和践行正确政绩观的重要论述（示例）",
                duration_hours=Decimal("3"),
                place=f"{zone.short_name}管委会会议室",
                minutes="中心组成员逐一交流学习体会，围绕“显绩”与“潜绩”开展研讨（示例）。",
                attendees=AttendeeScope.GROUP,
                group=central,
                attendance=_marks(_expected(central), rng, 1),
                is_sample=True,
            )
            count += 1

        others = list(
            Organization.objects.filter(zone=zone, kind=OrgKind.BRANCH)
            .exclude(pk=own.pk)
            .order_by("path")
        )
        branches = [
            (own, secretary),
            *[(o, admin) for o in rng.sample(others, min(3, len(others)))],
        ]
        for n, (branch, actor) in enumerate(branches):
            # The secretary's branch uses its saved group; the others their own people.
            group = groups.get(_branch_group(branch))
            expected = _expected(group) if group else [p for p in people if p.org_id == branch.pk]
            for i, topic in enumerate(BRANCH_TOPICS[: 2 if n == 0 else 1]):
                day = _on_or_before(start + dt.timedelta(days=20 + 21 * i + 3 * n), today)
                if not day or not expected:
                    continue
                # The last branch has held its session but not yet recorded who came.
                pending = n == len(branches) - 1 and n > 0
                services.session_create(
                    actor=actor,
                    zone=zone,
                    org=branch,
                    kind=kinds["支部学习"],
                    date=day,
                    topic=f"{topic}（示例）",
                    duration_hours=Decimal("1.5"),
                    place="党员活动室",
                    minutes="",
                    attendees=AttendeeScope.GROUP if group else AttendeeScope.ORG,
                    group=group,
                    attendance=[] if pending else _marks(expected, rng, 1 + i),
                    is_sample=True,
                )
                count += 1

        group = groups[_branch_group(own)]
        expected = _expected(group)
        day = _on_or_before(start + dt.timedelta(days=70), today)
        if day and len(expected) >= 2:
            session = services.session_create(
                actor=secretary,
                zone=zone,
                org=own,
                kind=kinds["研讨交流"],
                date=day,
                topic="“以实绩论英雄”专题研讨（示例）",
                duration_hours=Decimal("2"),
                place="党员活动室",
                minutes="围绕招商引资“重签约轻落地”等问题开展研讨（示例）。",
                attendees=AttendeeScope.GROUP,
                group=group,
                attendance=_marks(expected, rng, 0),
                is_sample=True,
            )
            speeches = (
                ("新官要理旧账", "对历史遗留的项目承诺逐项梳理，能兑现的限期兑现（示例）。"),
                ("算好显绩和潜绩两本账", "不能只看签约额，要看项目落地和企业获得感（示例）。"),
            )
            for person, (title, text) in zip(expected, speeches, strict=False):
                services.speech_add(
                    actor=secretary, session=session, person=person, title=title, text=text
                )
            count += 1
        made += count
        progress(f"{spec.name}：{count} 次学习研讨")
    return f"记录 {made} 次学习研讨"
