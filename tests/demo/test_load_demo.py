"""``manage.py load_demo``: the seed's zones, meetings and targets, sample org
trees and rosters, the demo accounts, and cheap idempotent re-runs."""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.db import transaction
from django.test import override_settings

from shiji.assessment.models import Target
from shiji.audit.models import AuditEvent
from shiji.audit.verify import verify_all
from shiji.campaigns.models import ProblemCategory, ZoneCampaign
from shiji.core.errors import invalid
from shiji.demo import steps
from shiji.demo.accounts import DEMO_ACCOUNTS, DEMO_PASSWORD
from shiji.demo.models import DemoStep
from shiji.demo.roster import AVOID, ECONOMIC, ORGAN, plan_zone
from shiji.demo.zones import ZONES
from shiji.orgs import selectors
from shiji.orgs.models import Organization, Person, User, Zone
from shiji.orgs.services import authenticate_with_lockout, zone_create
from shiji.study.models import StudySession
from tests.clock import travel_to
from tests.conftest import SYSTEM

README = Path(__file__).resolve().parents[2] / "README.md"


DEMO_DAY = "2026-12-01"
pytestmark = pytest.mark.today(DEMO_DAY)


@pytest.fixture(autouse=True)
def _media_root():
    """The files are the demo's, in the media folder the module's demo
    fixture set: not a folder of each test's own (tests/conftest.py)."""


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker, tmp_path_factory):
    """The demo loaded once for the whole module, inside a transaction rolled
    back at the end. Each test runs in a savepoint of it (pytest-django's
    ``db``), so what one test changes the next does not see. Passwords are
    hashed with MD5 here: argon2 (the configured hasher, which ``make demo``
    uses) costs about 0.2 s per hash and per check, twice 28 times."""
    fast = override_settings(
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        MEDIA_ROOT=tmp_path_factory.mktemp("media"),  # the sample evidence files
    )
    # Loaded and read on one day after the demo's deployment meetings (fixed
    # days of March 2026; the demo records none before it is held).
    with django_db_blocker.unblock(), fast, travel_to(DEMO_DAY):
        outer = transaction.atomic()
        outer.__enter__()
        try:
            yield load_demo()
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


def load_demo() -> str:
    out = StringIO()
    call_command("load_demo", stdout=out)
    return out.getvalue()


def row_counts() -> dict[str, int]:
    return {m._meta.label: m.objects.count() for m in apps.get_models()}


MARCH_3, MARCH_6 = dt.date(2026, 3, 3), dt.date(2026, 3, 6)
SEED = {
    # code: (name, province, city, meeting date, meeting name starts with, byline)
    "guiyang": ("贵阳高新区", "贵州", "贵阳", MARCH_3, "党工委会议暨", "王轩禹"),
    "wuxi": ("无锡高新区", "江苏", "无锡", MARCH_3, "党的建设工作领导小组会议", "陆思元"),
    "qingyuan": ("清远高新区", "广东", "清远", MARCH_3, "2026年第4次党工委", "朱慧燕"),
    "jingdezhen": ("景德镇高新区", "江西", "景德镇", MARCH_6, "学习教育部署会议", "朱唯 蔡湘"),
    "longyan": ("龙岩高新区", "福建", "龙岩", MARCH_3, "党工委(扩大)会议", "杨润生"),
}


def test_load_demo_creates_the_five_seed_zones_with_their_deployment_meetings(demo, db):

    zones = {z.code: z for z in Zone.objects.all()}
    assert set(zones) == set(SEED)
    for code, (name, province, city, day, meeting, byline) in SEED.items():
        zone = zones[code]
        assert (zone.name, zone.province, zone.city, zone.is_sample) == (
            name,
            province,
            city,
            False,
        )
        adoption = ZoneCampaign.objects.get(zone=zone)
        assert adoption.campaign.code == "zhengjiguan-2026"
        # The meeting is stored once, as the zone's 部署会议 study session.
        (meeting_session,) = StudySession.objects.filter(
            zone=zone, kind__campaign=adoption.campaign, kind__code="deployment"
        )
        assert meeting_session.date == day
        assert meeting_session.topic.startswith(meeting)
        assert (
            f"信息来源：国家高新区深入开展树立和践行正确政绩观学习教育① ({byline})"
            in meeting_session.minutes
        )
        assert "学习教育" in meeting_session.minutes
        names = set(ProblemCategory.objects.filter(zone=zone).values_list("name", flat=True))
        assert len(names) == 8 and {"新官不理旧账", "形象工程", "政绩工程"} <= names
    minutes = {s.zone.code: s.minutes for s in StudySession.objects.filter(kind__code="deployment")}
    assert "1000亿元" in minutes["qingyuan"]
    assert "深" in minutes["wuxi"]
    assert verify_all().ok


def test_demo_org_trees_and_rosters_are_plausible_and_marked_as_samples(demo, db):

    for zone in Zone.objects.all():
        orgs = list(Organization.objects.filter(zone=zone))
        roots = [o for o in orgs if o.parent_id is None]
        assert len(roots) == 1 and not roots[0].is_sample  # the seed names each zone's 党工委/区委
        assert all(o.is_sample for o in orgs if o.parent_id)
        by_name = {o.name: o for o in orgs}
        departments = [o for o in orgs if o.parent_id == by_name[ORGAN].pk and o.sector == "organ"]
        assert 4 <= len(departments) <= 6
        firms = [o for o in orgs if o.parent_id == by_name[ECONOMIC].pk and o.sector == "private"]
        assert 3 <= len(firms) <= 5
        assert any(o.sector == "soe" for o in orgs)
        people = Counter(Person.objects.filter(zone=zone).values_list("org_id", flat=True))
        leaves = [o for o in orgs if not any(c.parent_id == o.pk for c in orgs)]
        assert all(8 <= people[o.pk] <= 15 for o in leaves)
        names = list(Person.objects.filter(zone=zone).values_list("name", flat=True))
        assert len(names) == len(set(names)) and not set(names) & AVOID
    assert not Person.objects.filter(is_sample=False).exists()


def test_qingyuan_shiwuwu_targets_are_stored_as_real_targets(demo, db):

    targets = Target.objects.select_related("indicator", "zone")
    assert {t.zone.code for t in targets} == {"qingyuan"}
    assert {(t.indicator.name, t.period, t.comparator, t.value) for t in targets} == {
        ("规模以上工业总产值", "十五五", "gt", Decimal("1000.00")),
        ("工业增加值", "十五五", "gt", Decimal("200.00")),
    }
    for target in targets:
        assert not target.is_sample
        assert target.indicator.unit == "亿元" and target.indicator.kind == "visible"
        assert "朱慧燕" in target.source and "十五五" in target.source
    assert AuditEvent.objects.filter(action="target.create", zone__code="qingyuan").count() == 2


def test_each_demo_zone_has_sample_problems_in_every_status_and_light(demo, db):
    from shiji.ledger.models import Light, ReviewState, Status
    from shiji.ledger.selectors import problems_visible_to

    admin = User.objects.get(username="admin")
    for spec in ZONES:
        problems = problems_visible_to(user=admin).filter(zone__code=spec.code)
        assert set(problems.values_list("status", flat=True)) == set(Status.values)
        assert set(problems.values_list("light", flat=True)) == set(Light.values)
        assert problems.filter(review_state=ReviewState.REWORK).exists()
        assert problems.filter(extension_count__gt=0).exists()
        assert problems.filter(reused_evidence=True).count() == 2
        # The ledger's own samples; problems made from the public's feedback
        # and the enterprises' demands are the open-door samples' (示例 in
        # their text), made by the handling services as staff would.
        own = problems.filter(feedback_items__isnull=True)
        assert all(own.values_list("is_sample", flat=True))
        assert all("示例" in d for d in problems.values_list("description", flat=True))
        for closed in problems.filter(status=Status.CLOSED):
            assert closed.evidence.exists() and closed.verified_by_id != closed.submitted_by_id


def test_the_demo_photos_have_their_thumbnails(demo, db):
    from django.core.files.storage import default_storage

    from shiji.campaigns.models import AssignmentEvidence
    from shiji.core.thumbnails import thumbnail_name
    from shiji.ledger.models import Evidence

    stored = {
        *Evidence.objects.values_list("file", flat=True),
        *AssignmentEvidence.objects.values_list("file", flat=True),
    }
    assert len(stored) > 50
    assert [n for n in stored if not default_storage.exists(thumbnail_name(n))] == []
    assert "生成凭证图片的缩略图" in demo


def test_every_demo_account_signs_in_with_the_demo_password(demo, db):

    assert User.objects.filter(username__in=[a.username for a in DEMO_ACCOUNTS]).count() == len(
        DEMO_ACCOUNTS
    )
    for account in DEMO_ACCOUNTS:
        user = authenticate_with_lockout(
            username=account.username, password=DEMO_PASSWORD, client="127.0.0.1"
        )
        assert user.pk and user.is_active
        assert user.name == account.display_name


def test_demo_accounts_hold_the_grants_and_roster_entries_the_list_describes(demo, db):

    for account in DEMO_ACCOUNTS:
        user = User.objects.get(username=account.username)
        grants = list(user.grants.select_related("zone", "org"))
        assert len(grants) == 1, account.username
        grant = grants[0]
        assert grant.role == account.role
        assert (grant.zone.code if grant.zone else "") == account.zone
        assert (grant.org.name if grant.org else "") == account.org
        assert grant.province == account.province
        assert grant.scope_label == account.scope_text
        if account.person:
            person = Person.objects.select_related("org").get(user=user)
            assert (person.org.name, person.position) == account.person
            assert person.name == user.name and person.zone.code == account.zone
        else:
            assert not Person.objects.filter(user=user).exists()
    admin = User.objects.get(username="admin")
    assert admin.is_superuser and admin.is_staff
    assert AuditEvent.objects.filter(action="user.create").count() == len(DEMO_ACCOUNTS)
    assert AuditEvent.objects.filter(action="user.create").exclude(actor=admin).count() == 1


def test_demo_accounts_see_what_their_scope_covers(demo, db):
    user = {u.username: u for u in User.objects.all()}

    def zones_of(username):
        return set(selectors.zones_visible_to(user=user[username]).values_list("code", flat=True))

    assert zones_of("national") == set(SEED)
    assert zones_of("guangdong") == {"qingyuan"}
    assert zones_of("gy_admin") == {"guiyang"}
    assert zones_of("ly_supervisor") == {"longyan"}
    organ = Organization.objects.get(zone__code="wuxi", name=ORGAN)
    visible = selectors.orgs_visible_to(user=user["wx_leader"])
    assert visible.count() == Organization.objects.filter(path__startswith=organ.path).count()
    assert set(
        selectors.orgs_visible_to(user=user["qy_secretary"]).values_list("name", flat=True)
    ) == {"经济发展局党支部"}


def test_a_second_run_creates_nothing_and_returns_at_once(demo, db):
    before = row_counts()
    assert before["demo.DemoStep"] == len(steps.STEPS)

    started = time.monotonic()
    out = load_demo()
    elapsed = time.monotonic() - started

    assert row_counts() == before
    assert elapsed < 1.0
    assert "演示数据已加载" in out and "[1/" not in out
    report = verify_all()
    assert report.ok and report.events == before["audit.AuditEvent"]


def test_load_demo_prints_progress_the_password_and_a_table_of_the_accounts(demo, db):
    assert f"[1/{len(steps.STEPS)}]" in demo and "清远高新区：3月3日" in demo
    table = demo[demo.index("演示账号") :]
    assert DEMO_PASSWORD in table
    for account in DEMO_ACCOUNTS:
        line = next(x for x in table.splitlines() if x.split()[:1] == [account.username])
        assert account.role_label in line and account.scope_text in line
        assert account.display_name in line


def test_a_step_added_later_runs_once_on_an_installation_loaded_before(demo, db, monkeypatch):
    calls = []

    def later(progress):
        calls.append(1)
        progress("示例问题")
        return "完成"

    monkeypatch.setattr(steps, "STEPS", [*steps.STEPS, steps.Step("later", "后加的步骤", later)])
    out = load_demo()
    assert calls == [1] and "[1/1] 后加的步骤" in out and "示例问题" in out
    load_demo()
    assert calls == [1]


def test_a_failing_step_writes_nothing_and_the_next_run_resumes_there(demo, db, monkeypatch):
    def broken(progress):
        zone_create(
            actor=SYSTEM,
            code="half",
            name="半途高新区",
            short_name="半途",
            province="某",
            city="某",
        )
        raise invalid(code="模拟失败")

    def fixed(progress):
        return "修好了"

    original = steps.STEPS
    events = AuditEvent.objects.count()
    monkeypatch.setattr(steps, "STEPS", [*original, steps.Step("extra", "新步骤", broken)])
    with pytest.raises(CommandError, match="新步骤失败：模拟失败"):
        load_demo()
    assert not Zone.objects.filter(code="half").exists()
    assert not DemoStep.objects.filter(name="extra").exists()
    assert AuditEvent.objects.count() == events

    monkeypatch.setattr(steps, "STEPS", [*original, steps.Step("extra", "新步骤", fixed)])
    out = load_demo()
    assert "[1/1] 新步骤" in out and "修好了" in out
    assert DemoStep.objects.filter(name="extra").exists() and verify_all().ok


def test_the_demo_plan_is_the_same_on_every_run():
    first = [plan_zone(z) for z in ZONES]
    plan_zone.cache_clear()
    assert [plan_zone(z) for z in ZONES] == first
    # Accounts point at positions that exist, once each.
    for account in DEMO_ACCOUNTS:
        if account.person:
            org, position = account.person
            plan = plan_zone(next(z for z in ZONES if z.code == account.zone))
            assert [p.position for p in plan.org(org).people].count(position) == 1


def test_the_readme_lists_every_demo_account_and_the_password():
    text = README.read_text(encoding="utf-8")
    assert DEMO_PASSWORD in text
    for account in DEMO_ACCOUNTS:
        role = account.username.split("_", 1)[-1]
        assert f"`{account.username}`" in text or f"`<zone>_{role}`" in text, account.username


# Open-door education (开门教育) ------------------------------------------------------


def test_each_demo_zone_has_feedback_in_every_state_and_channel(demo, db):
    from shiji.ledger.models import Review
    from shiji.outreach.models import (
        Channel,
        Enterprise,
        EnterpriseVisit,
        Feedback,
        FeedbackContact,
        FeedbackRating,
        PracticalProject,
        Roundtable,
        Status,
    )
    from shiji.outreach.uscc import is_valid

    for spec in ZONES:
        items = Feedback.objects.filter(zone__code=spec.code)
        assert set(items.values_list("status", flat=True)) == set(Status.values), spec.code
        assert set(items.values_list("channel", flat=True)) == set(Channel.values), spec.code
        assert items.filter(status=Status.MERGED, merged_into__isnull=False).exists()
        assert items.filter(restricted=True, kind="report").exists()
        assert items.filter(disclosed=True).count() >= 3
        ratings = FeedbackRating.objects.filter(feedback__zone__code=spec.code)
        assert {"satisfied", "basically_satisfied", "unsatisfied"} <= set(
            ratings.values_list("rating", flat=True)
        )
        assert {"portal", "return_call"} == set(ratings.values_list("via", flat=True))
        in_ledger = items.filter(status=Status.IN_LEDGER)
        assert in_ledger.filter(problem__status="closed").exists()
        # 不满意 with a closed problem reopened it, with the comment as the reason.
        reopened = Review.objects.filter(
            problem__feedback_items__zone__code=spec.code, action="reopen"
        ).get()
        assert reopened.note == "只补了主路，支路还是坑洼（示例）"
        assert reopened.problem.status == "in_progress"
        # Every item's arrival is in the audit trail; no contact is.
        assert (
            AuditEvent.objects.filter(
                action__in=["feedback.submit", "feedback.enter"],
                object_id__in=[str(pk) for pk in items.values_list("pk", flat=True)],
            ).count()
            == items.count()
        )
        assert FeedbackContact.objects.filter(feedback__zone__code=spec.code).exists()

        firms = Enterprise.objects.filter(zone__code=spec.code)
        assert firms.count() >= 3 and all(
            is_valid(c) for c in firms.values_list("credit_code", flat=True)
        )
        roundtable = Roundtable.objects.get(zone__code=spec.code)
        assert roundtable.enterprises.count() == 3 and roundtable.demands.count() == 2
        assert roundtable.demands.filter(status=Status.IN_LEDGER, problem__source="roundtable")
        visits = EnterpriseVisit.objects.filter(zone__code=spec.code)
        assert visits.count() == 2 and visits.filter(demands__isnull=False).exists()
        projects = PracticalProject.objects.filter(zone__code=spec.code)
        assert {(p.status, p.public) for p in projects} == {
            ("done", True),
            ("in_progress", True),
            ("planned", False),
        }
        assert all(p.progress.exists() for p in projects if p.status != "planned")
    assert verify_all().ok


def test_the_poster_opens_for_each_demo_zone(demo, db, client):
    for spec in ZONES:
        response = client.get(f"/p/{spec.code}/poster/", REMOTE_ADDR=f"10.0.1.{len(spec.code)}")
        html = response.content.decode()
        assert response.status_code == 200, spec.code
        assert spec.name in html and 'class="sj-qr"' in html
        assert f"http://testserver/p/{spec.code}/" in html


def test_the_disclosure_page_of_each_demo_zone_shows_its_public_items(demo, db, client):
    from shiji.outreach.models import Feedback, FeedbackContact

    for spec in ZONES:
        response = client.get(f"/p/{spec.code}/open/")
        html = response.content.decode()
        assert response.status_code == 200, spec.code
        disclosed = Feedback.objects.filter(zone__code=spec.code, disclosed=True)
        for summary in disclosed.values_list("public_summary", flat=True):
            assert summary in html
        assert html.count('class="card mb-2 sj-open-item"') == disclosed.count()
        assert "人才公寓二期建设（示例）" in html and "园区职工食堂改造（示例）" not in html
        for name, phone in FeedbackContact.objects.filter(
            feedback__zone__code=spec.code
        ).values_list("name", "phone"):
            assert (not name or name not in html) and (not phone or phone not in html)
        assert "企业检查中有工作人员" not in html  # a 举报 is never public
