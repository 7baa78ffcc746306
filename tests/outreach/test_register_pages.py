"""The register's pages: every list and record page renders for each role,
an empty form is refused field by field with nothing written, a demand added
on a page becomes a tracked item, and what users typed is shown as text."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from shiji.audit.models import AuditEvent
from shiji.ledger.models import Problem
from shiji.outreach.models import (
    Enterprise,
    EnterpriseVisit,
    Feedback,
    PracticalProject,
    Roundtable,
)
from tests.ledger.conftest import create_categories, png_upload
from tests.outreach.register_fixtures import CODES, enterprise, project, roundtable, visit

LISTS = ["enterprise_list", "roundtable_list", "visit_list", "project_list"]


@pytest.fixture
def records(world):
    firm = enterprise(world, name="<b>华为</b>")
    table = roundtable(world, present=[firm], minutes="<script>alert(1)</script>")
    trip = visit(world, firm)
    plan = project(world)
    return {"firm": firm, "table": table, "trip": trip, "plan": plan}


@pytest.mark.parametrize("who", ["sysadmin", "national", "zone_admin", "secretary", "supervisor",
                                 "outsider", "nobody"])  # fmt: skip
def test_every_page_renders_for_every_role(world, records, client, who):
    client.force_login(world[who])
    for name in LISTS:
        assert client.get(reverse(f"outreach:{name}")).status_code == 200, name
    details = {
        "roundtable_detail": records["table"].pk,
        "visit_detail": records["trip"].pk,
        "project_detail": records["plan"].pk,
    }
    sees_zone_a = who not in ("outsider", "nobody")
    for name, pk in details.items():
        status = client.get(reverse(f"outreach:{name}", args=[pk])).status_code
        assert status == (200 if sees_zone_a else 404), name


def test_lists_show_the_records_and_escape_what_users_typed(world, records, login):
    client = login(world["zone_admin"])
    body = client.get(reverse("outreach:enterprise_list")).content.decode()
    assert "&lt;b&gt;华为&lt;/b&gt;" in body and "<b>华为</b>" not in body
    body = client.get(reverse("outreach:roundtable_detail", args=[records["table"].pk])).content
    assert b"<script>alert(1)</script>" not in body
    body = client.get(reverse("outreach:project_list")).content.decode()
    assert "园区东门路灯改造" in body and 'data-light="green"' in body


def test_empty_lists_say_what_to_do_next(world, login):
    client = login(world["zone_admin"])
    assert "登记企业" in client.get(reverse("outreach:enterprise_list")).content.decode()
    assert "记录圆桌会" in client.get(reverse("outreach:roundtable_list")).content.decode()
    assert "新增实事" in client.get(reverse("outreach:project_list")).content.decode()


@pytest.mark.parametrize(
    ("name", "fields", "model"),
    [
        ("enterprise_create", {"name", "credit_code"}, Enterprise),
        ("roundtable_create", {"title", "held_on", "hosts"}, Roundtable),
        ("visit_create", {"enterprise", "visited_on", "visitors"}, EnterpriseVisit),
        ("project_create", {"title", "org", "target", "deadline"}, PracticalProject),
    ],
)
def test_saving_an_empty_form_shows_field_errors_and_writes_nothing(world, login, name, fields,
                                                                     model):  # fmt: skip
    client = login(world["zone_admin"])
    assert client.get(reverse(f"outreach:{name}")).status_code == 200
    before = AuditEvent.objects.count()
    response = client.post(reverse(f"outreach:{name}"), {})
    assert response.status_code == 422
    assert set(response.context["field_errors"]) == fields
    assert response.content.decode().count("invalid-feedback") >= len(fields)
    assert not model.objects.exists() and AuditEvent.objects.count() == before


def test_a_credit_code_with_a_typo_is_explained_on_the_form(world, login):
    response = login(world["liaison"]).post(
        reverse("outreach:enterprise_create"),
        {"name": "某公司", "credit_code": "91350100M000100Y44"},
    )
    assert response.status_code == 422
    assert "校验码（第 18 位）不正确" in response.content.decode()


def test_create_pages_lead_to_the_record(world, login):
    client = login(world["zone_admin"])
    response = client.post(
        reverse("outreach:enterprise_create"),
        {"name": "腾讯", "credit_code": CODES[1], "contact_phone": "0755-86013388"},
    )
    assert response.status_code == 302
    firm = Enterprise.objects.get()
    response = client.post(
        reverse("outreach:roundtable_create"),
        {"title": "圆桌会", "held_on": timezone.localdate().isoformat(), "hosts": "主任",
         "enterprises": [firm.pk], "file": [png_upload("签到.png")]},
    )  # fmt: skip
    table = Roundtable.objects.get()
    assert response["Location"] == reverse("outreach:roundtable_detail", args=[table.pk])
    assert table.files.count() == 1
    response = client.post(
        reverse("outreach:project_create"),
        {"title": "路灯", "org": world.a.dept.pk, "target": "换新",
         "deadline": (timezone.localdate() + dt.timedelta(days=5)).isoformat(), "public": "on"},
    )  # fmt: skip
    plan = PracticalProject.objects.get()
    assert response["Location"] == reverse("outreach:project_detail", args=[plan.pk])
    assert plan.public


def test_a_demand_added_on_the_page_becomes_an_item_and_shows_its_state(world, records, login):
    client = login(world["secretary"])
    url = reverse("outreach:roundtable_demand", args=[records["table"].pk])
    response = client.post(url, {"content": "", "route": "feedback"})
    assert response.status_code == 422 and not Feedback.objects.exists()
    response = client.post(url, {"content": "希望增加公交班次", "enterprise": records["firm"].pk})
    assert response.status_code == 302
    item = Feedback.objects.get()
    body = client.get(reverse("outreach:roundtable_detail", args=[records["table"].pk]))
    assert item.number in body.content.decode() and "待受理" in body.content.decode()


def test_a_demand_into_the_ledger_from_a_visit_page(world, records, login):
    categories = create_categories(world)
    client = login(world["zone_admin"])
    url = reverse("outreach:visit_demand", args=[records["trip"].pk])
    response = client.post(url, {"content": "厂房漏水", "route": "problem"})
    assert response.status_code == 422
    assert {"problem_org", "problem_category", "problem_kind"} <= set(
        response.context["field_errors"]
    )
    response = client.post(
        url,
        {"content": "厂房漏水", "route": "problem", "problem_org": world.a.dept.pk,
         "problem_category": categories["a"][0].pk, "problem_kind": "long_term"},
    )  # fmt: skip
    assert response.status_code == 302
    problem = Problem.objects.get()
    body = client.get(reverse("outreach:visit_detail", args=[records["trip"].pk])).content
    assert problem.code in body.decode()


def test_progress_on_the_page_with_evidence_and_a_backwards_step(world, records, login):
    client = login(world["secretary"])
    url = reverse("outreach:project_progress", args=[records["plan"].pk])
    response = client.post(url, {"text": "完成一半", "percent": "50", "file": png_upload("p.png")})
    assert response.status_code == 302
    response = client.post(url, {"text": "返工", "percent": "40"})
    assert response.status_code == 422 and "reason" in response.context["field_errors"]
    note = records["plan"].progress.get()
    file_url = reverse("outreach:project_file", args=[records["plan"].pk, note.pk])
    assert client.get(file_url).status_code == 200
    outsider = login(world["outsider"])
    assert outsider.get(file_url).status_code == 404


def test_a_supervisor_sees_no_forms_and_is_refused(world, records, login):
    client = login(world["supervisor"])
    body = client.get(reverse("outreach:roundtable_detail", args=[records["table"].pk]))
    assert b"sj-demand-form" not in body.content
    url = reverse("outreach:roundtable_demand", args=[records["table"].pk])
    assert client.post(url, {"content": "x"}).status_code == 403
    assert client.get(reverse("outreach:project_create")).status_code == 403
