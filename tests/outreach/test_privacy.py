"""Whistleblower protection: the submitter's name and phone never appear in
a back-office page, export or API response for anyone without the
permission; the permitted see them only on request, and every view is
audited. A 举报 naming an official is for the zone admin and supervisors
only; another zone's item is a 404."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.urls import reverse

from shiji.audit.models import AuditEvent
from shiji.outreach.models import Feedback
from shiji.outreach.services.handling import feedback_act, feedback_enter
from tests.conftest import SYSTEM
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


@pytest.fixture
def case(world):
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
