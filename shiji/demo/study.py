"""Sample study sessions (学习研讨) for the demo zones.

Each zone's deployment meeting from the seed becomes a session of kind 部署会议:
its date, name and content are the ones ``adopt_campaign`` recorded on the
zone's ``ZoneCampaign``; who attended is invented from the roster (the top
committee and every branch secretary), so the session is ``is_sample``.
After it come a 理论学习中心组 study of the top committee, 支部学习 sessions
in the demo secretary's branch and three other branches, and a 研讨交流 with
two speeches, so the coverage page shows branches ahead and behind. The
secretary's branch is recorded by its demo secretary, the rest by the zone's
task force; everything goes through ``shiji.study.services``.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.utils import timezone

from shiji.campaigns.models import Campaign, StudyKind, ZoneCampaign
from shiji.demo.roster import SECRETARY_DEPT, branch_of
from shiji.demo.zones import BULLETIN, CAMPAIGN, ZONES
from shiji.orgs.models import Organization, OrgKind, Person, User, Zone
from shiji.study import services
from shiji.study.models import StudySession

REASONS = ("外出招商", "病假", "参加上级培训", "出差", "事假")
BRANCH_TOPICS = (
    "学习习近平总书记关于树立和践行正确政绩观的重要论述",
    "对照“新官不理旧账”“形象工程”“政绩工程”等问题开展自查",
    "学习《中国共产党纪律处分条例》有关条款，以案为鉴",
)


def _marks(people: list[Person], rng: random.Random, absent: int) -> list[dict]:
    """Everyone present except ``absent`` people picked by ``rng``, with reasons."""
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
        adoption = ZoneCampaign.objects.get(zone=zone, campaign=campaign)
        root = Organization.objects.get(zone=zone, name=spec.root)
        people = list(
            Person.objects.filter(zone=zone, is_active=True)
            .select_related("org")
            .order_by("org__path", "name")
        )
        committee = [p for p in people if p.org_id == root.pk]
        secretaries = [p for p in people if p.org_id != root.pk and "书记" in p.position]
        count = 0

        meeting_day = adoption.meeting_date and _on_or_before(adoption.meeting_date, today)
        if meeting_day:
            services.session_create(
                actor=admin,
                zone=zone,
                org=root,
                kind=kinds["部署会议"],
                date=meeting_day,
                topic=adoption.meeting_name or "学习教育部署会议",
                duration_hours=Decimal("2"),
                place=f"{zone.short_name}管委会会议室",
                minutes=(
                    f"{adoption.meeting_requirements}\n\n"
                    f"（会议情况摘自《{BULLETIN}》；出席名单为示例数据）"
                ),
                attendance=_marks(committee + secretaries, rng, 2),
                is_sample=True,
            )
            count += 1
        start = adoption.meeting_date or campaign.starts_on

        day = _on_or_before(start + dt.timedelta(days=14), today)
        if day and committee:
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
                attendance=_marks(committee, rng, 1),
                is_sample=True,
            )
            count += 1

        own = Organization.objects.get(zone=zone, name=branch_of(SECRETARY_DEPT))
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
            roster = [p for p in people if p.org_id == branch.pk]
            for i, topic in enumerate(BRANCH_TOPICS[: 2 if n == 0 else 1]):
                day = _on_or_before(start + dt.timedelta(days=20 + 21 * i + 3 * n), today)
                if not day or not roster:
                    continue
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
                    attendance=_marks(roster, rng, 1 + i),
                    is_sample=True,
                )
                count += 1

        roster = [p for p in people if p.org_id == own.pk]
        day = _on_or_before(start + dt.timedelta(days=70), today)
        if day and len(roster) >= 2:
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
                attendance=_marks(roster, rng, 0),
                is_sample=True,
            )
            speeches = (
                ("新官要理旧账", "对历史遗留的项目承诺逐项梳理，能兑现的限期兑现（示例）。"),
                ("算好显绩和潜绩两本账", "不能只看签约额，要看项目落地和企业获得感（示例）。"),
            )
            for person, (title, text) in zip(roster, speeches, strict=False):
                services.speech_add(
                    actor=secretary, session=session, person=person, title=title, text=text
                )
            count += 1
        made += count
        progress(f"{spec.name}：{count} 次学习研讨")
    return f"记录 {made} 次学习研讨"
