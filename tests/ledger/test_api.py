"""The ledger JSON API (DESIGN.md §6): every endpoint's happy path, every
lifecycle move with the right and a refused role, illegal moves, cross-zone
access, bad input, and the list's filters and query count. Assertions look
at the response, the database and the audit trail."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json

import pytest
import schemathesis
from django.core import signals
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import close_old_connections
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from shiji.audit.models import AuditEvent
from shiji.ledger.models import DeadlineExtension, Evidence, Problem, ProgressNote, Review
from shiji.orgs import services as org_services
from shiji.orgs.models import Person
from shiji.wsgi import application
from tests.conftest import SYSTEM
from tests.ledger.conftest import png_bytes

URL = "/api/v1/problems"

CONTRACT_FIELDS = {
    "id", "code", "zone", "source", "source_label", "category", "category_name",
    "description", "measures", "goal", "org", "org_name", "leader", "leader_name", "owner",
    "owner_name", "kind", "found_on", "deadline", "status", "status_label", "light",
    "review_state", "progress_summary", "completion_note", "closed_on", "extension_count",
    "needs_rule_change", "reused_evidence", "created_at", "updated_at",
}  # fmt: skip


def today() -> dt.date:
    return timezone.localdate()


def events(problem: Problem, action: str | None = None) -> list[AuditEvent]:
    qs = AuditEvent.objects.filter(object_type="ledger.problem", object_id=str(problem.pk))
    return list(qs.filter(action=action) if action else qs)


def new_body(world, categories, **kw) -> dict:
    body = {
        "zone": world.a.zone.pk,
        "source": "self_check",
        "category": categories["a"][0].pk,
        "description": "重大项目审批久拖不决，企业多次反映",
        "org": world.a.dept.pk,
        "kind": "deadline",
        "found_on": (today() - dt.timedelta(days=3)).isoformat(),
        "deadline": (today() + dt.timedelta(days=30)).isoformat(),
        "measures": "梳理审批事项清单",
        "goal": "审批时限压缩一半",
    }
    body.update(kw)
    return body


def field_errors(response) -> dict[str, str]:
    return {e["field"]: e["message"] for e in response.json().get("errors") or []}


def upload(name: str = "整改后.png", content: bytes | None = None, **data):
    return {"file": SimpleUploadedFile(name, content or png_bytes(name)), **data}


def post_form(client, path: str, data: dict):
    return client.post(path, data, format="multipart")


# Creating -------------------------------------------------------------------------


def test_create_returns_201_with_the_problem_and_records_it(world, categories, api):
    response = api(world["zone_admin"]).post(URL, new_body(world, categories, leader=None))

    assert response.status_code == 201, response.content
    data = response.json()
    problem = Problem.objects.get(pk=data["id"])
    assert problem.zone == world.a.zone and problem.org == world.a.dept
    assert problem.created_by == world["zone_admin"]
    assert data["code"] == problem.code and data["code"].startswith("ZA-")
    assert data["status"] == "open" and data["status_label"] == "待整改"
    assert data["light"] == "green" and data["reused_evidence"] is False
    assert data["source_label"] == "自查" and data["category_name"] == "新官不理旧账"
    assert data["org_name"] == world.a.dept.name and data["leader"] is None
    assert [e.actor for e in events(problem, "problem.create")] == [world["zone_admin"]]


def test_create_accepts_chinese_labels_and_person_references(world, categories, api):
    leader = world.a.organ.people.create(zone=world.a.zone, name="孙局长", position="局长")
    owner = world.a.dept.people.get(name="张三")
    body = new_body(world, categories, source="群众反映", kind="限期整改")
    body.update(leader=leader.pk, owner=owner.pk, needs_rule_change=True)

    response = api(world["secretary"]).post(URL, body)

    assert response.status_code == 201, response.content
    data = response.json()
    assert (data["source"], data["kind"]) == ("public", "deadline")
    assert (data["leader"], data["leader_name"]) == (leader.pk, "孙局长")
    assert (data["owner"], data["owner_name"]) == (owner.pk, "张三")
    assert Problem.objects.get(pk=data["id"]).needs_rule_change is True


def test_create_in_a_zone_outside_the_callers_scope_is_404(world, categories, api):
    body = new_body(world, categories, zone=world.b.zone.pk, org=world.b.dept.pk)
    body["category"] = categories["b"][0].pk

    response = api(world["zone_admin"]).post(URL, body)

    assert response.status_code == 404
    assert not Problem.objects.exists()


@pytest.mark.parametrize("field", ["category", "org", "leader", "owner"])
def test_create_with_a_reference_from_another_zone_is_a_field_error(world, categories, api, field):
    other = {
        "category": categories["b"][0].pk,
        "org": world.b.dept.pk,
        "leader": world.b.dept.people.first().pk,
        "owner": world.b.firm.people.first().pk,
    }[field]

    response = api(world["zone_admin"]).post(URL, new_body(world, categories, **{field: other}))

    assert response.status_code == 422
    assert field in field_errors(response)
    assert not Problem.objects.exists()


def test_create_with_an_org_outside_the_callers_subtree_is_a_field_error(world, categories, api):
    response = api(world["secretary"]).post(URL, new_body(world, categories, org=world.a.soe.pk))

    assert response.status_code == 422
    assert "org" in field_errors(response)


def test_create_by_a_read_only_role_is_refused(world, categories, api):
    response = api(world["provincial"]).post(URL, new_body(world, categories))

    assert response.status_code == 403
    assert not Problem.objects.exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"description": "   "}, "description"),
        ({"description": "含有\x00空字符"}, "description"),
        ({"source": "道听途说"}, "source"),
        ({"kind": "someday"}, "kind"),
        ({"found_on": "2026-02-30"}, "found_on"),
        ({"found_on": "2999-01-01", "deadline": "2999-02-01"}, "found_on"),
        ({"deadline": None}, "deadline"),
        ({"deadline": "2000-01-01"}, "deadline"),
        ({"category": 0}, "category"),
        ({"measures": "措" * 4001}, "measures"),
    ],
)
def test_create_with_bad_input_is_422_with_the_field(world, categories, api, change, field):
    response = api(world["zone_admin"]).post(URL, new_body(world, categories, **change))

    assert response.status_code == 422, response.content
    assert field in field_errors(response)
    assert not Problem.objects.exists()


def test_create_with_a_missing_field_is_422_and_malformed_json_is_400(world, categories, api):
    client = api(world["zone_admin"])
    body = new_body(world, categories)
    del body["description"]

    missing = client.post(URL, body)
    malformed = client.post(URL, "{not json", content_type="application/json")

    assert missing.status_code == 422 and "description" in field_errors(missing)
    assert malformed.status_code == 400
    assert not Problem.objects.exists()


# Reading ---------------------------------------------------------------------------


def test_detail_has_every_contract_field(world, make_problem, api):
    problem = make_problem(world)

    response = api(world["liaison"]).get(f"{URL}/{problem.pk}")

    assert response.status_code == 200
    data = response.json()
    assert set(data) >= CONTRACT_FIELDS
    assert data["id"] == problem.pk and data["zone"] == world.a.zone.pk
    assert data["found_on"] == problem.found_on.isoformat()
    assert data["owner_name"] == "张三" and data["extension_count"] == 0


def test_a_missing_problem_is_404(world, api):
    assert api(world["zone_admin"]).get(f"{URL}/999999").status_code == 404
    assert api(world["zone_admin"]).get(f"{URL}/{2**70}").status_code == 404


def test_history_lists_audit_events_and_reviews(world, make_problem, api):
    problem = make_problem(world, status="closed")

    response = api(world["supervisor"]).get(f"{URL}/{problem.pk}/history")

    assert response.status_code == 200
    data = response.json()
    actions = [e["action"] for e in data["events"]]
    assert actions == [
        "problem.create", "problem.start", "problem.evidence", "problem.submit", "problem.verify",
    ]  # fmt: skip
    seqs = [e["seq"] for e in data["events"]]
    assert seqs == sorted(seqs)
    assert data["events"][-1]["changes"] == {"status": ["submitted", "closed"]}
    assert "supervisor" in data["events"][-1]["actor"]
    assert {"seq", "at", "actor", "action", "changes", "note"} <= set(data["events"][0])
    assert [r["action"] for r in data["reviews"]] == ["start", "submit", "verify"]
    assert data["reviews"][-1]["to_status"] == "closed"
    assert data["reviews"][-1]["actor"] == "supervisor"


# The list --------------------------------------------------------------------------


def codes(response) -> set[str]:
    assert response.status_code == 200, response.content
    return {item["code"] for item in response.json()["items"]}


def test_list_shows_only_what_the_caller_may_see(world, make_problem, api):
    dept = make_problem(world)
    soe = make_problem(world, org=world.a.soe)
    other_zone = make_problem(world, zone="b")

    assert codes(api(world["zone_admin"]).get(URL)) == {dept.code, soe.code}
    assert codes(api(world["secretary"]).get(URL)) == {dept.code}
    assert codes(api(world["outsider"]).get(URL)) == {other_zone.code}
    assert codes(api(world["national"]).get(URL)) == {dept.code, soe.code, other_zone.code}
    assert codes(api(world["nobody"]).get(URL)) == set()
    response = api(world["zone_admin"]).get(URL)
    assert response.json()["count"] == 2
    assert set(response.json()["items"][0]) >= CONTRACT_FIELDS


def test_list_filtered_by_a_zone_or_org_outside_the_scope_is_404(world, make_problem, api):
    make_problem(world)

    assert api(world["zone_admin"]).get(URL, data={"zone": world.b.zone.pk}).status_code == 404
    assert api(world["secretary"]).get(URL, data={"org": world.a.soe.pk}).status_code == 404
    assert api(world["secretary"]).get(URL, data={"zone": world.a.zone.pk}).status_code == 200


def test_list_filters_by_each_parameter(world, categories, make_problem, api):
    soon = today() + dt.timedelta(days=3)
    plain = make_problem(world, description="招商数据虚报")
    firm = make_problem(world, org=world.a.firm, source="public", category=categories["a"][1])
    urgent = make_problem(world, deadline=soon, kind="immediate")
    lasting = make_problem(world, deadline=None)
    started = make_problem(world, status="in_progress")
    late = make_problem(world, status="in_progress")
    Problem.objects.filter(pk=late.pk).update(deadline=today() - dt.timedelta(days=1))
    other_zone = make_problem(world, zone="b")
    client = api(world["national"])

    def get(**params):
        return codes(client.get(URL, data=params))

    everything = {plain.code, firm.code, urgent.code, lasting.code, started.code, late.code}
    assert get(zone=world.a.zone.pk) == everything
    assert get(zone=world.b.zone.pk) == {other_zone.code}
    assert get(org=world.a.econ.pk) == {firm.code}
    assert get(status="in_progress") == {started.code, late.code}
    assert get(status="open", zone=world.a.zone.pk) == everything - {started.code, late.code}
    assert get(category=categories["a"][1].pk) == {firm.code}
    assert get(source="public") == {firm.code}
    assert get(kind="long_term") == {lasting.code}
    assert get(light="red") == {late.code}
    assert get(light="yellow") == {urgent.code}
    assert get(q="招商数据") == {plain.code}
    assert get(q=plain.code) == {plain.code}
    assert get(review="approved") == set()
    by_deadline = client.get(URL, data={"sort": "deadline", "zone": world.a.zone.pk})
    assert by_deadline.json()["items"][0]["code"] == late.code
    by_light = client.get(URL, data={"sort": "light", "zone": world.a.zone.pk})
    assert [i["light"] for i in by_light.json()["items"]][:2] == ["red", "yellow"]


def test_list_pages(world, make_problem, api):
    made = [make_problem(world) for _ in range(5)]
    client = api(world["zone_admin"])

    first = client.get(URL, data={"page_size": 2}).json()
    last = client.get(URL, data={"page_size": 2, "page": 3}).json()
    huge = client.get(URL, data={"page_size": 10_000}).json()

    assert first["count"] == 5 and len(first["items"]) == 2
    assert [i["code"] for i in first["items"]] == [p.code for p in made[:2]]
    assert [i["code"] for i in last["items"]] == [made[4].code]
    assert huge["page_size"] == 200 and len(huge["items"]) == 5


@pytest.mark.parametrize(
    "params",
    [
        {"status": "done"},
        {"light": "purple"},
        {"source": "rumour"},
        {"kind": "someday"},
        {"sort": "random"},
        {"zone": "abc"},
        {"org": "0"},
        {"page": "0"},
        {"page_size": "-1"},
        {"q": "x" * 101},
        {"q": "a\x00b"},
    ],
)
def test_list_with_bad_filter_values_is_422(world, api, params):
    response = api(world["zone_admin"]).get(URL, data=params)

    assert response.status_code == 422, response.content
    assert next(iter(params)) in field_errors(response)


def test_list_query_count_does_not_grow_with_the_rows(
    world, make_problem, api, django_assert_num_queries
):
    client = api(world["zone_admin"])
    params = {"zone": world.a.zone.pk, "org": world.a.root.pk, "light": "green"}
    make_problem(world, status="in_progress")
    client.get(URL, data=params)  # the token's first use records itself once

    # The token, the grants, the zone and the org checked here, the org again
    # in the filter, the count, the page's ids and their rows.
    with django_assert_num_queries(8):
        assert len(client.get(URL, data=params).json()["items"]) == 1
    for i in range(6):
        make_problem(world, org=world.a.firm if i % 2 else world.a.dept, status="submitted")
    with django_assert_num_queries(8):
        assert len(client.get(URL, data=params).json()["items"]) == 7


def test_list_items_are_the_problems_as_their_own_url_gives_them(world, make_problem, api):
    """The list writes its rows out without the schema (ledger/api.py,
    problem_list); each item must still be exactly what GET /problems/{id},
    which goes through ProblemOut, answers: same fields, order and values."""
    client = api(world["zone_admin"])
    made = [
        make_problem(world, status="in_progress", deadline=today() - dt.timedelta(days=2)),
        make_problem(world, owner=None, deadline=None, leader=Person.objects.first()),
        make_problem(world, status="submitted", deadline=today() + dt.timedelta(days=3)),
    ]
    same = png_bytes("同一张照片")
    for problem in made[:2]:
        response = post_form(
            api(world["liaison"]), f"{URL}/{problem.pk}/evidence", upload("a.png", same)
        )
        assert response.status_code == 201, response.content

    labels = {}
    for language in ("zh-hans", "en"):
        client.headers["Cookie"] = f"django_language={language}"
        listed = client.get(URL, data={"page_size": 200})
        assert listed.status_code == 200
        assert listed["Content-Type"] == client.get(f"{URL}/{made[0].pk}")["Content-Type"]
        items = json.loads(listed.content)["items"]
        assert {item["id"] for item in items} == {p.pk for p in made}
        for item in items:
            alone = client.get(f"{URL}/{item['id']}").content
            assert json.dumps(item, ensure_ascii=False) == json.dumps(
                json.loads(alone), ensure_ascii=False
            )
        assert {i["light"] for i in items} == {"red", "yellow", "green"}
        assert [i["reused_evidence"] for i in items].count(True) == 2
        labels[language] = {i["status_label"] for i in items}
    assert labels["en"] != labels["zh-hans"]  # the labels follow the language


# Editing ---------------------------------------------------------------------------


def test_patch_changes_only_the_given_fields_and_audits_them(world, categories, make_problem, api):
    problem = make_problem(world)
    before = problem.description

    response = api(world["liaison"]).patch(
        f"{URL}/{problem.pk}",
        {"measures": "建立审批时限公示制度", "category": categories["a"][2].pk, "owner": None},
    )

    assert response.status_code == 200, response.content
    problem.refresh_from_db()
    assert problem.measures == "建立审批时限公示制度" and problem.description == before
    assert problem.category == categories["a"][2] and problem.owner is None
    assert response.json()["category_name"] == "政绩工程" and response.json()["owner"] is None
    (event,) = events(problem, "problem.update")
    assert set(event.changes) == {"measures", "category", "owner"}
    assert event.actor == world["liaison"]


def test_patch_cannot_move_a_deadline_without_an_extension(world, make_problem, api):
    problem = make_problem(world)
    later = (problem.deadline + dt.timedelta(days=10)).isoformat()

    response = api(world["zone_admin"]).patch(f"{URL}/{problem.pk}", {"deadline": later})

    assert response.status_code == 422 and "deadline" in field_errors(response)
    problem.refresh_from_db()
    assert problem.extension_count == 0 and not events(problem, "problem.update")


@pytest.mark.parametrize("body", [{"description": None}, {"org": None}, {"source": "x"}])
def test_patch_with_bad_values_is_422(world, make_problem, api, body):
    problem = make_problem(world)

    response = api(world["zone_admin"]).patch(f"{URL}/{problem.pk}", body)

    assert response.status_code == 422 and next(iter(body)) in field_errors(response)


@pytest.mark.parametrize("role", ["supervisor", "leader", "national"])
def test_patch_by_a_role_that_may_not_edit_is_refused(world, make_problem, api, role):
    problem = make_problem(world)

    response = api(world[role]).patch(f"{URL}/{problem.pk}", {"goal": "改了"})

    assert response.status_code == 403
    problem.refresh_from_db()
    assert problem.goal != "改了"


def test_patch_of_a_submitted_problem_is_409(world, make_problem, api):
    problem = make_problem(world, status="submitted")

    response = api(world["zone_admin"]).patch(f"{URL}/{problem.pk}", {"goal": "改了"})

    assert response.status_code == 409


def test_extension_moves_the_deadline_and_counts(world, make_problem, api):
    problem = make_problem(world, status="in_progress")
    new = problem.deadline + dt.timedelta(days=30)

    response = api(world["leader"]).post(
        f"{URL}/{problem.pk}/extensions",
        {"new_deadline": new.isoformat(), "reason": "涉及跨部门协调，需要更多时间"},
    )

    assert response.status_code == 201, response.content
    data = response.json()
    assert data["new_deadline"] == new.isoformat()
    assert data["problem"]["deadline"] == new.isoformat()
    assert data["problem"]["extension_count"] == 1
    assert DeadlineExtension.objects.get(pk=data["id"]).reason == "涉及跨部门协调，需要更多时间"
    assert events(problem, "problem.extend")[0].note == "涉及跨部门协调，需要更多时间"


def test_extension_needs_a_reason_and_the_right_role(world, make_problem, api):
    problem = make_problem(world)
    new = (problem.deadline + dt.timedelta(days=30)).isoformat()
    path = f"{URL}/{problem.pk}/extensions"

    no_reason = api(world["leader"]).post(path, {"new_deadline": new, "reason": " "})
    liaison = api(world["liaison"]).post(path, {"new_deadline": new, "reason": "理由"})

    assert no_reason.status_code == 422 and "reason" in field_errors(no_reason)
    assert liaison.status_code == 403
    assert not DeadlineExtension.objects.exists()


def test_review_approves_or_sends_back_the_list_entry(world, make_problem, api):
    approved, reworked = make_problem(world), make_problem(world)
    client = api(world["supervisor"])

    ok = client.post(f"{URL}/{approved.pk}/review", {"decision": "approve"})
    back = client.post(
        f"{URL}/{reworked.pk}/review", {"decision": "send_back", "note": "问题描述笼统"}
    )

    assert ok.status_code == 200 and ok.json()["review_state"] == "approved"
    assert back.status_code == 200 and back.json()["review_state"] == "rework"
    assert Review.objects.get(problem=reworked).note == "问题描述笼统"
    assert events(reworked, "problem.review.send_back")[0].actor == world["supervisor"]
    # A list entry sent back cannot start until it is reworked.
    start = api(world["liaison"]).post(f"{URL}/{reworked.pk}/transitions", {"action": "start"})
    assert start.status_code == 409


def test_review_refusals(world, make_problem, api):
    problem = make_problem(world)
    started = make_problem(world, status="in_progress")
    path = f"{URL}/{problem.pk}/review"

    assert api(world["secretary"]).post(path, {"decision": "approve"}).status_code == 403
    no_note = api(world["supervisor"]).post(path, {"decision": "send_back"})
    assert no_note.status_code == 422 and "note" in field_errors(no_note)
    assert api(world["supervisor"]).post(path, {"decision": "maybe"}).status_code == 422
    late = api(world["supervisor"]).post(f"{URL}/{started.pk}/review", {"decision": "approve"})
    assert late.status_code == 409


# Progress and evidence ---------------------------------------------------------------


def test_progress_is_recorded_and_summarised(world, make_problem, api):
    problem = make_problem(world, status="in_progress")

    response = api(world["liaison"]).post(
        f"{URL}/{problem.pk}/progress", {"text": "已完成清单梳理"}
    )

    assert response.status_code == 201, response.content
    data = response.json()
    assert {"id", "text", "created_at", "author"} <= set(data)
    assert data["text"] == "已完成清单梳理" and data["author"] == "liaison"
    note = ProgressNote.objects.get(pk=data["id"])
    assert note.author == world["liaison"] and note.problem == problem
    problem.refresh_from_db()
    assert problem.progress_summary == "已完成清单梳理"
    assert events(problem, "problem.progress")[0].actor == world["liaison"]


def test_progress_refusals(world, make_problem, api):
    problem = make_problem(world, status="in_progress")
    closed = make_problem(world, status="closed")

    supervisor = api(world["supervisor"]).post(f"{URL}/{problem.pk}/progress", {"text": "进展"})
    blank = api(world["liaison"]).post(f"{URL}/{problem.pk}/progress", {"text": "  "})
    late = api(world["liaison"]).post(f"{URL}/{closed.pk}/progress", {"text": "进展"})

    assert supervisor.status_code == 403
    assert blank.status_code == 422 and "text" in field_errors(blank)
    assert late.status_code == 409
    assert not ProgressNote.objects.exists()


def test_evidence_upload_returns_the_files_sha256(world, make_problem, api):
    problem = make_problem(world, status="in_progress")
    content = png_bytes("现场照片")

    response = post_form(
        api(world["liaison"]),
        f"{URL}/{problem.pk}/evidence",
        upload("现场照片.png", content, note="整改后现场", stage="during"),
    )

    assert response.status_code == 201, response.content
    data = response.json()
    assert data["sha256"] == hashlib.sha256(content).hexdigest()
    assert (data["name"], data["size"], data["stage"]) == ("现场照片.png", len(content), "during")
    assert data["reused"] is False
    evidence = Evidence.objects.get(pk=data["id"])
    assert evidence.problem == problem and evidence.uploaded_by == world["liaison"]
    assert evidence.file.read() == content
    assert events(problem, "problem.evidence")[0].changes["evidence"][1]["sha256"] == data["sha256"]


def test_the_same_file_on_two_problems_is_flagged_as_reused(world, make_problem, api):
    first = make_problem(world, status="in_progress")
    second = make_problem(world, status="in_progress")
    client = api(world["liaison"])
    content = png_bytes("同一张照片")

    post_form(client, f"{URL}/{first.pk}/evidence", upload("a.png", content))
    response = post_form(
        client, f"{URL}/{second.pk}/evidence", upload("b.png", content, stage="整改后")
    )

    assert response.status_code == 201 and response.json()["reused"] is True
    assert response.json()["stage"] == "after"
    assert client.get(f"{URL}/{second.pk}").json()["reused_evidence"] is True


def test_a_disguised_executable_is_refused_as_evidence(world, make_problem, api):
    problem = make_problem(world, status="in_progress")
    exe = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 200

    response = post_form(
        api(world["liaison"]), f"{URL}/{problem.pk}/evidence", upload("照片.png", exe)
    )

    assert response.status_code == 422
    assert "file" in field_errors(response)
    assert not Evidence.objects.filter(problem=problem).exists()


def test_an_oversized_evidence_file_is_refused(world, make_problem, api, settings):
    settings.MAX_UPLOAD_MB = 1
    problem = make_problem(world, status="in_progress")
    big = png_bytes("大") + b"\x00" * (1024 * 1024)

    response = post_form(
        api(world["liaison"]), f"{URL}/{problem.pk}/evidence", upload("大.png", big)
    )

    assert response.status_code == 422 and "file" in field_errors(response)
    assert not Evidence.objects.filter(problem=problem).exists()


def test_evidence_refusals(world, make_problem, api):
    problem = make_problem(world, status="in_progress")
    submitted = make_problem(world, status="submitted")
    before = Evidence.objects.count()

    assert (
        post_form(api(world["supervisor"]), f"{URL}/{problem.pk}/evidence", upload()).status_code
        == 403
    )
    late = post_form(api(world["liaison"]), f"{URL}/{submitted.pk}/evidence", upload())
    assert late.status_code == 409
    no_file = post_form(api(world["liaison"]), f"{URL}/{problem.pk}/evidence", {"note": "忘了附件"})
    assert no_file.status_code == 422 and "file" in field_errors(no_file)
    bad_stage = post_form(
        api(world["liaison"]), f"{URL}/{problem.pk}/evidence", upload(stage="later")
    )
    assert bad_stage.status_code == 422 and "stage" in field_errors(bad_stage)
    assert Evidence.objects.count() == before


# The lifecycle -----------------------------------------------------------------------


def move(client, problem, action, note=""):
    return client.post(f"{URL}/{problem.pk}/transitions", {"action": action, "note": note})


def test_every_lifecycle_move_with_the_right_role(world, make_problem, api):
    problem = make_problem(world)
    liaison, secretary = api(world["liaison"]), api(world["secretary"])
    supervisor, supervisor2 = api(world["supervisor"]), api(world["supervisor2"])

    steps = [
        (liaison, "start", "", "in_progress"),
        (secretary, "submit", "审批时限已压缩到 5 个工作日", "submitted"),
        (supervisor, "return", "凭证不足以说明整改效果", "in_progress"),
        (secretary, "submit", "补充了办件统计", "submitted"),
        (supervisor2, "verify", "", "closed"),
        (supervisor, "reopen", "回头看发现问题反弹", "in_progress"),
    ]
    post_form(liaison, f"{URL}/{problem.pk}/evidence", upload("办件统计.png"))
    for client, action, note, status in steps:
        response = move(client, problem, action, note)
        assert response.status_code == 200, (action, response.content)
        assert response.json()["status"] == status
        problem.refresh_from_db()
        assert problem.status == status
    cancel = move(api(world["zone_admin"]), problem, "cancel", "并入其他问题整改")
    assert cancel.status_code == 200 and cancel.json()["status"] == "cancelled"

    reviews = list(Review.objects.filter(problem=problem).values_list("action", "to_status"))
    assert reviews == [(a, s) for _, a, _, s in steps] + [("cancel", "cancelled")]
    audited = [
        e.action
        for e in events(problem)
        if e.action.startswith("problem.") and e.changes.get("status")
    ]
    assert audited == [f"problem.{a}" for _, a, _, _ in steps] + ["problem.cancel"]
    assert events(problem, "problem.reopen")[0].note == "回头看发现问题反弹"


def test_verify_sets_the_closing_date_and_the_verifier(world, make_problem, api):
    problem = make_problem(world, status="submitted")

    response = move(api(world["supervisor"]), problem, "verify")

    assert response.status_code == 200
    assert response.json()["closed_on"] == today().isoformat()
    problem.refresh_from_db()
    assert problem.verified_by == world["supervisor"] and problem.closed_on == today()


def test_cancel_from_open_by_the_zone_admin(world, make_problem, api):
    problem = make_problem(world)

    response = move(api(world["zone_admin"]), problem, "cancel", "重复录入")

    assert response.status_code == 200 and response.json()["status"] == "cancelled"
    assert events(problem, "problem.cancel")[0].actor == world["zone_admin"]


@pytest.mark.parametrize(
    ("role", "status", "action"),
    [
        ("supervisor", "open", "start"),
        ("leader", "open", "start"),
        ("liaison", "in_progress", "submit"),
        ("secretary", "submitted", "verify"),
        ("leader", "submitted", "verify"),
        ("secretary", "submitted", "return"),
        ("liaison", "closed", "reopen"),
        ("secretary", "open", "cancel"),
        ("supervisor", "in_progress", "cancel"),
        ("provincial", "open", "start"),
    ],
)
def test_a_move_by_a_role_that_may_not_make_it_is_refused(
    world, make_problem, api, role, status, action
):
    problem = make_problem(world, status=status)

    response = move(api(world[role]), problem, action, "理由")

    assert response.status_code == 403, response.content
    problem.refresh_from_db()
    assert problem.status == status
    assert not events(problem, f"problem.{action}") or status != "open"


@pytest.mark.parametrize(
    ("status", "action"),
    [
        ("open", "submit"),
        ("open", "verify"),
        ("open", "reopen"),
        ("in_progress", "start"),
        ("submitted", "cancel"),
        ("closed", "start"),
        ("closed", "return"),
        ("cancelled", "start"),
        ("cancelled", "reopen"),
    ],
)
def test_a_move_the_lifecycle_does_not_allow_is_409(world, make_problem, api, status, action):
    problem = make_problem(world, status=status)

    response = move(api(world["zone_admin"]), problem, action, "理由")

    assert response.status_code == 409, response.content
    problem.refresh_from_db()
    assert problem.status == status


def test_submit_without_evidence_is_409(world, make_problem, api):
    problem = make_problem(world, status="in_progress")

    response = move(api(world["secretary"]), problem, "submit", "已整改")

    assert response.status_code == 409
    problem.refresh_from_db()
    assert problem.status == "in_progress" and problem.completion_note == ""


def test_the_submitter_may_not_verify_their_own_submission(world, make_problem, api):
    problem = make_problem(world, status="in_progress")
    admin = api(world["zone_admin"])
    post_form(admin, f"{URL}/{problem.pk}/evidence", upload())
    assert move(admin, problem, "submit", "已整改").status_code == 200

    response = move(admin, problem, "verify")

    assert response.status_code == 409
    problem.refresh_from_db()
    assert problem.status == "submitted"


def test_the_owner_may_not_verify_their_own_problem(world, make_problem, api):
    person = org_services.person_create(
        actor=SYSTEM, org=world.a.dept, name="周督导", user=world["supervisor"]
    )
    problem = make_problem(world, owner=person, status="submitted")

    response = move(api(world["supervisor"]), problem, "verify")

    assert response.status_code == 409
    problem.refresh_from_db()
    assert problem.status == "submitted"


@pytest.mark.parametrize("action", ["return", "cancel"])
def test_a_move_that_needs_a_reason_without_one_is_422(world, make_problem, api, action):
    problem = make_problem(world, status="submitted" if action == "return" else "open")
    role = "supervisor" if action == "return" else "zone_admin"

    response = move(api(world[role]), problem, action, "  ")

    assert response.status_code == 422 and "note" in field_errors(response)


def test_an_unknown_action_is_422(world, make_problem, api):
    problem = make_problem(world)

    response = move(api(world["zone_admin"]), problem, "close_quietly")

    assert response.status_code == 422 and "action" in field_errors(response)
    problem.refresh_from_db()
    assert problem.status == "open"


# Scope and authentication ------------------------------------------------------------


def each_endpoint(problem):
    base = f"{URL}/{problem.pk}"
    return [
        ("get", base, None),
        ("patch", base, {"goal": "越权修改"}),
        ("post", f"{base}/progress", {"text": "越权进展"}),
        ("post", f"{base}/evidence", "multipart"),
        ("post", f"{base}/transitions", {"action": "start"}),
        ("post", f"{base}/review", {"decision": "approve"}),
        ("post", f"{base}/extensions", {"new_deadline": "2099-01-01", "reason": "越权"}),
        ("get", f"{base}/history", None),
    ]


def call(client, method, path, body):
    if body == "multipart":
        return post_form(client, path, upload())
    if method == "get":
        return client.get(path)
    return getattr(client, method)(path, body)


def test_another_zones_problem_is_404_everywhere(world, make_problem, api):
    problem = make_problem(world, zone="b", status="in_progress")
    client = api(world["zone_admin"])
    seen = events(problem)

    for method, path, body in each_endpoint(problem):
        assert call(client, method, path, body).status_code == 404, path
    assert codes(client.get(URL)) == set()
    assert events(problem) == seen
    problem.refresh_from_db()
    assert problem.status == "in_progress"


def test_a_problem_outside_a_secretarys_subtree_is_404(world, make_problem, api):
    problem = make_problem(world, org=world.a.soe)

    for method, path, body in each_endpoint(problem):
        assert call(api(world["secretary"]), method, path, body).status_code == 404, path


def test_every_endpoint_needs_authentication(world, make_problem, api):
    problem = make_problem(world, status="in_progress")
    anonymous = api(None)
    endpoints = [
        ("get", URL, None),
        ("post", URL, {"zone": world.a.zone.pk}),
        ("get", "/api/v1/ledger/export", None),
        ("post", "/api/v1/ledger/import", "multipart"),
        *each_endpoint(problem),
    ]

    for method, path, body in endpoints:
        response = call(anonymous, method, path, body)
        assert response.status_code == 401, (path, response.content)
    bad_token = Client(headers={"Authorization": "Bearer nope"}).get(URL)
    assert bad_token.status_code == 401


def test_a_browser_session_may_post_with_its_csrf_token(world, categories, db):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world["zone_admin"])
    body = json.dumps(new_body(world, categories))

    refused = client.post(URL, body, content_type="application/json")
    client.get("/")  # any page sets the CSRF cookie
    token = client.cookies["csrftoken"].value
    accepted = client.post(
        URL, body, content_type="application/json", headers={"X-CSRFToken": token}
    )

    assert refused.status_code == 403
    assert accepted.status_code == 201, accepted.content
    assert Problem.objects.get().created_by == world["zone_admin"]
    assert client.get(URL).json()["count"] == 1


# The ledger workbook -------------------------------------------------------------------

EXPORT = "/api/v1/ledger/export"
IMPORT = "/api/v1/ledger/import"


def workbook_bytes(response) -> bytes:
    return b"".join(response.streaming_content)


def sheet_rows(content: bytes) -> list[tuple]:
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(content), read_only=True)["整改台账"]
    return list(sheet.iter_rows(values_only=True))


def exported_codes(response) -> set[str]:
    assert response.status_code == 200, response.content
    return {row[1] for row in sheet_rows(workbook_bytes(response))[2:]}


def test_export_returns_the_visible_problems_as_a_workbook(world, make_problem, api):
    dept = make_problem(world)
    started = make_problem(world, org=world.a.soe, status="in_progress")
    make_problem(world, zone="b")

    response = api(world["zone_admin"]).get(EXPORT, data={"zone": world.a.zone.pk})

    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert response["Content-Disposition"].startswith("attachment;")
    assert ".xlsx" in response["Content-Disposition"]
    assert response["Cache-Control"] == "private, no-store"
    rows = sheet_rows(workbook_bytes(response))
    assert rows[1][:3] == ("序号", "台账编号", "问题来源")
    assert {row[1] for row in rows[2:]} == {dept.code, started.code}
    assert exported_codes(api(world["secretary"]).get(EXPORT)) == {dept.code}
    filtered = api(world["zone_admin"]).get(EXPORT, data={"status": "in_progress"})
    assert exported_codes(filtered) == {started.code}


def test_export_of_another_zone_is_404_and_without_any_role_403(world, make_problem, api):
    make_problem(world, zone="b")

    assert api(world["zone_admin"]).get(EXPORT, data={"zone": world.b.zone.pk}).status_code == 404
    assert api(world["nobody"]).get(EXPORT).status_code == 403
    assert api(world["zone_admin"]).get(EXPORT, data={"light": "blue"}).status_code == 422


def edited_workbook(world, api, edit) -> SimpleUploadedFile:
    """Export zone A's ledger, change it with ``edit(sheet)``, return the upload."""
    from openpyxl import load_workbook

    exported = api(world["zone_admin"]).get(EXPORT, data={"zone": world.a.zone.pk})
    book = load_workbook(io.BytesIO(workbook_bytes(exported)))
    edit(book["整改台账"])
    out = io.BytesIO()
    book.save(out)
    return SimpleUploadedFile("台账.xlsx", out.getvalue())


def column(sheet, header: str) -> int:
    return [c.value for c in sheet[2]].index(header) + 1


def test_import_dry_run_reports_and_writes_nothing(world, make_problem, api):
    problem = make_problem(world)

    def edit(sheet):
        sheet.cell(3, column(sheet, "整改措施")).value = "建立审批时限公示制度"

    file = edited_workbook(world, api, edit)
    client = api(world["zone_admin"])  # issuing its token is audited too
    before = AuditEvent.objects.count()

    response = post_form(client, IMPORT, {"file": file, "zone": world.a.zone.pk, "dry_run": True})

    assert response.status_code == 200, response.content
    assert response.json() == {"created": 0, "updated": 1, "errors": []}
    problem.refresh_from_db()
    assert problem.measures != "建立审批时限公示制度"
    assert AuditEvent.objects.count() == before


def test_import_updates_and_creates_through_the_services(world, make_problem, api):
    problem = make_problem(world)

    def edit(sheet):
        sheet.cell(3, column(sheet, "整改措施")).value = "建立审批时限公示制度"
        new = [c.value for c in sheet[3]]
        new[column(sheet, "序号") - 1] = 2
        new[column(sheet, "台账编号") - 1] = None
        new[column(sheet, "问题描述") - 1] = "涉企检查多头重复"
        new[column(sheet, "整改进展") - 1] = None
        sheet.append(new)

    file = edited_workbook(world, api, edit)

    response = post_form(api(world["zone_admin"]), IMPORT, {"file": file, "zone": world.a.zone.pk})

    assert response.status_code == 200, response.content
    assert response.json() == {"created": 1, "updated": 1, "errors": []}
    problem.refresh_from_db()
    assert problem.measures == "建立审批时限公示制度"
    assert Problem.objects.get(description="涉企检查多头重复").zone == world.a.zone
    assert events(problem, "problem.update")[0].actor == world["zone_admin"]
    assert AuditEvent.objects.filter(action="ledger.import").count() == 1


def test_an_import_with_errors_is_422_and_writes_nothing(world, make_problem, api):
    problem = make_problem(world)

    def edit(sheet):
        sheet.cell(3, column(sheet, "整改措施")).value = "建立审批时限公示制度"
        sheet.cell(3, column(sheet, "责任单位")).value = "不存在的单位"

    file = edited_workbook(world, api, edit)

    response = post_form(api(world["zone_admin"]), IMPORT, {"file": file, "zone": world.a.zone.pk})

    assert response.status_code == 422, response.content
    data = response.json()
    assert (data["created"], data["updated"], data["code"]) == (0, 0, "invalid_workbook")
    # Exactly the contract's keys (DESIGN.md §6), nothing the page uses besides.
    assert set(data["errors"][0]) == {"row", "column", "message"}
    assert {"row": 3, "column": "责任单位"}.items() <= data["errors"][0].items()
    assert data["errors"][0]["message"]
    problem.refresh_from_db()
    assert problem.measures != "建立审批时限公示制度"
    assert not AuditEvent.objects.filter(action="ledger.import").exists()


def test_import_refusals(world, make_problem, api):
    make_problem(world)
    file = edited_workbook(world, api, lambda sheet: None)

    def send(user, zone, upload_file=None):
        file.seek(0)
        data = {"file": upload_file or file, "zone": zone.pk}
        return post_form(api(world[user]), IMPORT, data)

    assert send("zone_admin", world.b.zone).status_code == 404
    assert send("secretary", world.a.zone).status_code == 403
    not_xlsx = send("zone_admin", world.a.zone, SimpleUploadedFile("台账.xlsx", png_bytes()))
    assert not_xlsx.status_code == 422 and "file" in field_errors(not_xlsx)
    missing_zone = post_form(api(world["zone_admin"]), IMPORT, {"file": file})
    assert missing_zone.status_code == 422 and "zone" in field_errors(missing_zone)


# Fuzzing -------------------------------------------------------------------------------

# tests/test_openapi_fuzz.py runs schemathesis over the whole API, where a
# random problem id is almost always a 404. Here the ledger's operations get
# the same checks with most ids and references aimed at real records, so the
# services see the junk too.
fuzz_schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application).include(
    path_regex=r"^/api/v1/(problems|ledger/)"
)
FUZZ_CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@pytest.fixture
def fuzz_world(world, make_problem):
    # The WSGI app's request signals would close the connection that holds
    # the test transaction (Django's test client disconnects them the same way).
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    problems = [make_problem(world, status=s) for s in ("open", "in_progress", "submitted")]
    problems.append(make_problem(world, status="closed"))
    yield {
        "headers": {
            "Authorization": "Bearer " + org_services.token_issue(user=world["zone_admin"])
        },
        "problems": [p.pk for p in problems],
        "zone": world.a.zone.pk,
        "org": world.a.dept.pk,
        "category": problems[0].category_id,
        "person": problems[0].owner_id,
    }
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def _aim(value, real):
    """Keep one random id in three; aim the others at a real record."""
    return value if not isinstance(value, int) or value % 3 == 0 else real


@fuzz_schema.parametrize()
@hypothesis_settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_ledger_operations_answer_every_input_within_their_contract(case, fuzz_world):
    params = case.path_parameters or {}
    if "problem_id" in params:
        pid = params["problem_id"]
        params["problem_id"] = _aim(
            pid, fuzz_world["problems"][pid % 4 if isinstance(pid, int) else 0]
        )
    for container in (case.query, case.body):
        if isinstance(container, dict):
            for key in ("zone", "org", "category"):
                if key in container:
                    container[key] = _aim(container[key], fuzz_world[key])
            for key in ("leader", "owner"):
                if key in container:
                    container[key] = _aim(container[key], fuzz_world["person"])
    case.call_and_validate(headers=fuzz_world["headers"], checks=FUZZ_CHECKS)


@pytest.mark.parametrize("deadline", ["1989-12-31", "2101-01-01"])
def test_a_date_outside_1990_to_2100_is_a_field_error(world, categories, api, deadline):
    before = Problem.objects.count()
    response = api(world["zone_admin"]).post(URL, new_body(world, categories, deadline=deadline))
    assert response.status_code == 422
    assert field_errors(response) == {"deadline": "整改时限应在 1990-01-01 至 2100-12-31 之间"}
    assert Problem.objects.count() == before
