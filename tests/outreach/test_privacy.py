"""Whistleblower protection: the submitter's name and phone never appear in
a back-office page, export or API response for anyone without the
permission; the permitted see them only on request, and every view is
audited. A 举报 naming an official is for the zone admin and supervisors
only; another zone's item is a 404."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from html import unescape
from urllib.parse import urlsplit

import pytest
from django.urls import reverse
from django.utils import timezone

from shiji.audit.models import AuditEvent
from shiji.outreach.models import Feedback
from shiji.outreach.services.handling import feedback_act, feedback_enter
from tests.conftest import SYSTEM, build_world, forget_memos, shared_records
from tests.ledger.conftest import create_categories
from tests.outreach.test_handling import make_item

PHONE, NAME = "13912345678", "欧阳娜娜"
REPORT_PHONE, REPORT_NAME, ACCUSED = "13787654321", "司马光明", "钱副局长"
ENTERED_PHONE = "0512-66551234"
SECRETS = (PHONE, NAME, REPORT_PHONE, REPORT_NAME, ENTERED_PHONE, "66551234")
ROLES = [
    "sysadmin",
    "national",
    "provincial",
    "zone_admin",
    "leader",
    "secretary",
    "liaison",
    "supervisor",
    "firm_secretary",
    "outsider",
    "nobody",
]


# The fixture world and the case, built once for the module rather than for
# each of its ~55 tests (every one reads the case; what a test writes, such
# as a contact view's audit event, is rolled back after it: shared_records).
@pytest.fixture(scope="module")
def shared(django_db_setup, django_db_blocker, tmp_path_factory):
    def world_and_case():
        world = build_world()
        return world, make_case(world)

    yield from shared_records(django_db_blocker, tmp_path_factory, world_and_case)


@pytest.fixture
def world(shared, db):
    return forget_memos(shared.value[0])


@pytest.fixture
def case(shared, world):
    return shared.value[1]


def make_case(world):
    """Items in every stage: forwarded to the secretary's branch and turned
    into a problem; a restricted report; an item entered by phone; a merged
    one; and one in zone B."""
    create_categories(world)
    admin = world["zone_admin"]
    main = make_item(world, name=NAME, phone=PHONE, content="东门路灯坏了")
    feedback_act(actor=admin, feedback=main, action="accept")
    feedback_act(actor=admin, feedback=main, action="forward", org=world.a.dept.pk)
    dup = make_item(world, name=NAME, phone=PHONE, content="东门很黑")
    feedback_act(actor=admin, feedback=dup, action="merge", into=main.pk)
    feedback_act(actor=world["secretary"], feedback=main, action="reply", reply="正在维修")
    feedback_act(actor=admin, feedback=main, action="publish_reply")
    feedback_act(actor=admin, feedback=main, action="to_problem")
    report = make_item(
        world,
        kind="report",
        accused=ACCUSED,
        name=REPORT_NAME,
        phone=REPORT_PHONE,
        content="某局吃拿卡要",
    )
    entered = feedback_enter(
        actor=admin,
        zone=world.a.zone,
        channel="phone",
        kind="help",
        content="电话求助",
        name=NAME,
        phone=ENTERED_PHONE,
    ).feedback
    other = make_item(world, zone="b", name=NAME, phone=PHONE)
    main.refresh_from_db()
    return {"main": main, "dup": dup, "report": report, "entered": entered, "other": other}


def pages(case) -> list[str]:
    problem = case["main"].problem
    items = [case[k] for k in ("main", "dup", "report", "entered", "other")]
    return [
        reverse("home"),
        reverse("ledger:inbox"),
        reverse("outreach:home"),
        reverse("outreach:feedback_list"),
        reverse("outreach:feedback_list") + "?status=received",
        reverse("outreach:feedback_list") + "?q=东门",
        reverse("outreach:feedback_enter"),
        reverse("outreach:feedback_settings"),
        *[reverse("outreach:feedback_detail", args=[i.pk]) for i in items],
        reverse("ledger:list"),
        reverse("ledger:detail", args=[problem.pk]),
        reverse("audit:list"),
        "/api/v1/feedback",
        *[f"/api/v1/feedback/{i.pk}" for i in items],
        "/api/v1/problems",
        f"/api/v1/problems/{problem.pk}",
        f"/api/v1/problems/{problem.pk}/history",
    ]


def text_of(response) -> str:
    body = response.getvalue() if response.streaming else response.content
    if body[:2] == b"PK":  # a workbook: the text of its sheets
        with zipfile.ZipFile(io.BytesIO(body)) as book:
            return "".join(book.read(n).decode() for n in book.namelist() if n.endswith(".xml"))
    return body.decode(errors="replace")


@pytest.mark.parametrize("who", ROLES)
def test_no_page_export_or_api_response_shows_contact(world, case, client, who):
    client.force_login(world[who])
    urls = [
        *pages(case),
        reverse("ledger:export"),
        "/api/v1/ledger/export",
    ]
    for url in urls:
        response = client.get(url)
        if response.status_code == 302:
            response = client.get(response["Location"])
        assert response.status_code in (200, 403, 404), (url, response.status_code)
        text = text_of(response)
        for secret in SECRETS:
            assert secret not in text, (who, url, secret)
        if who not in ("zone_admin", "supervisor", "supervisor2"):
            assert ACCUSED not in text, (who, url)
    assert not AuditEvent.objects.filter(action="feedback.contact_view").exists()


def test_the_audit_trail_never_carries_contact(world, case):
    for event in AuditEvent.objects.all():
        text = f"{event.changes}{event.note}{event.object_repr}"
        assert not any(secret in text for secret in SECRETS), event.action


@pytest.mark.parametrize("who", [r for r in ROLES if r != "zone_admin"])
def test_the_contact_button_and_endpoint_refuse_everyone_else(world, case, client, who):
    client.force_login(world[who])
    main = case["main"]
    page = client.get(reverse("outreach:feedback_detail", args=[main.pk]))
    assert "sj-show-contact" not in page.content.decode()
    response = client.post(reverse("outreach:feedback_contact", args=[main.pk]))
    assert response.status_code in (403, 404)
    assert PHONE not in response.content.decode()
    response = client.get(f"/api/v1/feedback/{main.pk}/contact")
    assert response.status_code in (403, 404) and PHONE not in response.content.decode()
    assert not AuditEvent.objects.filter(action="feedback.contact_view").exists()


def test_the_forwarded_orgs_users_see_the_item_but_never_its_contact(world, case, client):
    main = case["main"]
    for who in ("secretary", "liaison"):
        client.force_login(world[who])
        page = client.get(reverse("outreach:feedback_detail", args=[main.pk]))
        assert page.status_code == 200 and "东门路灯坏了" in page.content.decode()
        assert client.post(reverse("outreach:feedback_contact", args=[main.pk])).status_code == 403


def test_the_zone_admin_sees_contact_on_request_and_each_view_is_audited(world, case, client):
    client.force_login(world["zone_admin"])
    main = case["main"]
    page = client.get(reverse("outreach:feedback_detail", args=[main.pk])).content.decode()
    assert "sj-show-contact" in page and PHONE not in page
    for n in (1, 2):
        shown = client.post(reverse("outreach:feedback_contact", args=[main.pk]))
        assert shown.status_code == 200
        assert PHONE in shown.content.decode() and NAME in shown.content.decode()
        views = AuditEvent.objects.filter(action="feedback.contact_view", object_id=str(main.pk))
        assert views.count() == n and views.last().actor == world["zone_admin"]
        assert abs(views.last().created_at - timezone.now()) < dt.timedelta(minutes=1)
    response = client.get(f"/api/v1/feedback/{main.pk}/contact")
    assert response.json() == {"name": NAME, "phone": PHONE}
    assert AuditEvent.objects.filter(action="feedback.contact_view").count() == 3


@pytest.mark.parametrize("who", ROLES)
def test_a_restricted_report_is_for_the_zone_admin_and_the_supervisor(world, case, client, who):
    client.force_login(world[who])
    report = case["report"]
    response = client.get(reverse("outreach:feedback_detail", args=[report.pk]))
    api = client.get(f"/api/v1/feedback/{report.pk}")
    if who in ("zone_admin", "supervisor"):
        assert response.status_code == 200 and ACCUSED in response.content.decode()
        assert api.json()["accused"] == ACCUSED
    else:
        assert response.status_code == 404 and api.status_code == 404


@pytest.mark.parametrize("who", [r for r in ROLES if r not in ("sysadmin", "national", "outsider")])
def test_another_zones_item_is_not_found(world, case, client, who):
    client.force_login(world[who])
    other = case["other"]
    assert client.get(reverse("outreach:feedback_detail", args=[other.pk])).status_code == 404
    assert client.get(f"/api/v1/feedback/{other.pk}").status_code == 404
    assert client.post(reverse("outreach:feedback_contact", args=[other.pk])).status_code == 404


def test_case_covers_every_stage(case):
    assert Feedback.objects.get(pk=case["main"].pk).status == "in_ledger"
    assert Feedback.objects.get(pk=case["dup"].pk).problem == case["main"].problem
    assert SYSTEM


# Every page a role can reach, crawled -----------------------------------------------

# Links a crawl must not follow: they sign out, switch the language, or are
# the public portal and the API's own documentation (no records there).
_SKIP = re.compile(r"^/(accounts/logout|logout|i18n/|static/|p/|api/v1/docs|api/v1/openapi)")
_LINK = re.compile(r'(?:href|hx-get|data-url|data-href|src)="(/[^"#]*)')
_CRAWL_LIMIT = 400
_QUERY_VARIANTS = 4


def _links(html: str) -> list[str]:
    return [unescape(u) for u in _LINK.findall(html) if not u.startswith("//")]


def _crawl(client, starts: list[str]) -> dict[str, str]:
    """Every same-site GET the pages link to (hrefs, htmx, images, downloads),
    breadth first from ``starts``: url -> the text of its answer."""
    seen: dict[str, str] = {}
    per_path: dict[str, int] = {}
    queue = list(starts)
    while queue and len(seen) < _CRAWL_LIMIT:
        url = queue.pop(0)
        path = urlsplit(url).path
        if url in seen or _SKIP.match(path):
            continue
        if "?" in url:
            per_path[path] = per_path.get(path, 0) + 1
            if per_path[path] > _QUERY_VARIANTS:
                continue
        response = client.get(url)
        assert response.status_code < 500, url
        if response.status_code in (301, 302) and response["Location"].startswith("/"):
            queue.append(response["Location"])
        text = text_of(response) if response.status_code == 200 else ""
        seen[url] = text
        if "html" in response.get("Content-Type", ""):
            queue += [u for u in _links(text) if u not in seen]
    return seen


def _api_urls(case, world) -> list[str]:
    """Every GET of the API's document, its ids filled with the case's records."""
    from shiji.api import api

    problem = case["main"].problem
    ids = {
        "feedback_id": [case[k].pk for k in ("main", "dup", "report", "entered", "other")],
        "problem_id": [problem.pk],
        "user_id": [world["zone_admin"].pk],
    }
    zone = world.a.zone.pk
    urls = []
    for path, operations in api.get_openapi_schema()["paths"].items():
        if "get" not in operations or "/public/" in path or path.endswith("/contact"):
            continue
        names = re.findall(r"{(\w+)}", path)
        if not names:
            urls += [path, f"{path}?zone={zone}"]
        elif len(names) == 1 and names[0] in ids:
            urls += [path.replace(f"{{{names[0]}}}", str(i)) for i in ids[names[0]]]
    return [*urls, f"/api/v1/feedback?zone={zone}&status=in_ledger", "/api/v1/problems?q=东门"]


@pytest.mark.parametrize("who", ROLES)
def test_a_crawl_of_every_reachable_page_export_and_endpoint_never_finds_contact(
    world, case, client, who
):
    """The issue's check, literally: as each role without the contact
    permission (the zone admin too, until they ask), follow every link from
    the home page and the items' pages, fetch every GET of the API, and
    search every answer (workbooks and documents by their XML) for the
    names and phone numbers."""
    client.force_login(world[who])
    answers = _crawl(client, [reverse("home"), *pages(case), reverse("ledger:export")])
    for url in _api_urls(case, world):
        response = client.get(url)
        assert response.status_code < 500, url
        answers[url] = text_of(response)
    assert len(answers) > 20
    for url, text in answers.items():
        for secret in SECRETS:
            assert secret not in text, (who, url, secret)
        if who not in ("zone_admin", "supervisor"):
            assert ACCUSED not in text, (who, url)
    assert not AuditEvent.objects.filter(action="feedback.contact_view").exists()
