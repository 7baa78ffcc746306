"""References are resolved once, in the service: the same bad reference is
refused the same way whether it comes from the HTML form, the API or the
Excel import — a person who has left the roster, a retired category, another
zone's org or person — and nothing is written."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from shiji.audit.models import AuditEvent
from shiji.campaigns.models import ProblemCategory
from shiji.ledger.excel import HEADERS, export_workbook, import_workbook
from shiji.ledger.models import Problem
from shiji.orgs.models import Person

COL = {header: index for index, header in enumerate(HEADERS, start=1)}


@pytest.fixture
def departed(world):
    person = Person.objects.get(zone=world.a.zone, name="王五")
    person.is_active = False
    person.save(update_fields=["is_active"])
    return person


@pytest.fixture
def retired(categories):
    category = categories["a"][2]
    category.is_active = False
    category.save(update_fields=["is_active"])
    return category


def _today() -> dt.date:
    return timezone.localdate()


def _fields(world, categories, **over):
    values = {
        "source": "public",
        "category": categories["a"][0].pk,
        "kind": "deadline",
        "description": "园区道路亮化工程重外观轻实效",
        "org": world.a.dept.pk,
        "owner": Person.objects.get(zone=world.a.zone, name="张三").pk,
        "found_on": _today().isoformat(),
        "deadline": (_today() + dt.timedelta(days=30)).isoformat(),
    }
    values.update(over)
    return values


def _through_the_form(world, login, data):
    response = login(world["zone_admin"]).post(
        reverse("ledger:create"), {"zone": world.a.zone.pk, **data}
    )
    assert response.status_code == 422
    return response.content.decode()


def _through_the_api(world, api, data):
    response = api(world["zone_admin"]).post("/api/v1/problems", {"zone": world.a.zone.pk, **data})
    assert response.status_code == 422, response.content
    return {e["field"]: e["message"] for e in response.json()["errors"]}


def _through_the_workbook(world, **cells):
    out = io.BytesIO()
    export_workbook(user=world["zone_admin"], params={}, out=out)
    book = load_workbook(io.BytesIO(out.getvalue()))
    sheet = book["整改台账"]
    row = sheet.max_row + 1
    values = {
        "问题来源": "群众反映",
        "问题类别": "新官不理旧账",
        "问题描述": "园区道路亮化工程重外观轻实效",
        "责任单位": world.a.dept.name,
        "责任人": "张三",
        "整改类型": "限期整改",
        "整改时限": _today() + dt.timedelta(days=30),
        **cells,
    }
    for header, value in values.items():
        sheet.cell(row, COL[header]).value = value
    data = io.BytesIO()
    book.save(data)
    result = import_workbook(
        actor=world["zone_admin"],
        zone=world.a.zone,
        file=SimpleUploadedFile("台账.xlsx", data.getvalue()),
        dry_run=False,
    )
    return {e["column"]: e["message"] for e in result.errors}


@pytest.fixture
def nothing_written(db):
    def _count():
        return Problem.objects.count(), AuditEvent.objects.filter(action="problem.create").count()

    return _count


def test_a_person_who_left_is_refused_as_owner_everywhere(
    world, login, api, categories, departed, nothing_written
):
    before = nothing_written()
    data = _fields(world, categories, owner=departed.pk)
    message = "责任人“王五”已不在本区在册人员中，请重新选择"
    assert message in _through_the_form(world, login, data)
    assert _through_the_api(world, api, data) == {"owner": message}
    assert _through_the_workbook(world, 责任人="王五") == {"责任人": message}
    assert nothing_written() == before


def test_a_retired_category_is_refused_everywhere(
    world, login, api, categories, retired, nothing_written
):
    before = nothing_written()
    data = _fields(world, categories, category=retired.pk)
    message = f"问题类别“{retired.name}”已停用，请选用本区在用的问题类别"
    assert message in _through_the_form(world, login, data)
    assert _through_the_api(world, api, data) == {"category": message}
    assert _through_the_workbook(world, 问题类别=retired.name) == {"问题类别": message}
    assert nothing_written() == before


def test_another_zones_org_and_person_are_not_there(world, login, api, categories, nothing_written):
    before = nothing_written()
    for field, value, message in (
        ("org", world.b.dept.pk, "责任单位不存在"),
        ("owner", Person.objects.filter(zone=world.b.zone).first().pk, "责任人不在本区花名册中"),
        ("category", categories["b"][0].pk, "问题类别不存在"),
    ):
        data = _fields(world, categories, **{field: value})
        assert message in _through_the_form(world, login, data)
        assert _through_the_api(world, api, data) == {field: message}
    workbook = _through_the_workbook(world, 责任单位=world.b.dept.name)
    assert list(workbook) == ["责任单位"] and "不在本区的组织中" in workbook["责任单位"]
    assert nothing_written() == before


def test_an_edit_keeps_a_departed_owner_and_a_retired_category_it_already_had(
    world, api, categories, make_problem
):
    problem = make_problem(world, owner=Person.objects.get(zone=world.a.zone, name="王五"))
    Person.objects.filter(pk=problem.owner_id).update(is_active=False)
    ProblemCategory.objects.filter(pk=problem.category_id).update(is_active=False)
    response = api(world["zone_admin"]).patch(
        f"/api/v1/problems/{problem.pk}",
        {"goal": "新的目标", "owner": problem.owner_id, "category": problem.category_id},
    )
    assert response.status_code == 200, response.content
    problem.refresh_from_db()
    assert problem.goal == "新的目标"
