"""The back-office feedback API of DESIGN.md §6: paths, status codes and
bodies."""

from __future__ import annotations

from typing import get_args

import pytest

from shiji.audit.models import AuditEvent
from shiji.outreach import api as outreach_api
from shiji.outreach import workflow
from shiji.outreach.models import Channel, Feedback, Kind, Status
from tests.ledger.conftest import create_categories
from tests.outreach.test_handling import NAME, PHONE, make_item

ROOT = "/api/v1/feedback"


def test_the_api_codes_are_the_models_own():
    assert set(get_args(outreach_api.StatusCode)) == set(Status.values)
    assert set(get_args(outreach_api.KindCode)) == set(Kind.values)
    assert set(get_args(outreach_api.ChannelCode)) == set(Channel.values)
    assert list(get_args(outreach_api.Action)) == list(workflow.MOVES)


def test_list_gives_count_and_items_without_contact(world, api):
    item = make_item(world)
    make_item(world, zone="b")
    response = api(world["zone_admin"]).get(ROOT)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"count", "items"} and body["count"] == 1
    row = body["items"][0]
    assert row["id"] == item.pk and row["status"] == "received" and row["kind"] == "complaint"
    assert row["light"] in ("red", "yellow", "green")
    assert PHONE not in response.content.decode() and NAME not in response.content.decode()
    assert not {"name", "phone", "contact"} & set(row)


def test_list_filters_by_zone_status_and_kind(world, api):
    make_item(world, kind="help")
    make_item(world, kind="consult")
    client = api(world["zone_admin"])
    zone = world.a.zone.pk
    assert client.get(f"{ROOT}?zone={zone}&kind=help").json()["count"] == 1
    assert client.get(f"{ROOT}?status=answered").json()["count"] == 0
    assert client.get(f"{ROOT}?zone={world.b.zone.pk}").status_code == 404
    assert client.get(f"{ROOT}?status=nonsense").status_code == 422


def test_signed_out_is_401(world, api):
    assert api(None).get(ROOT).status_code == 401


def test_detail_404_for_another_zone_and_for_missing(world, api):
    item = make_item(world)
    assert api(world["outsider"]).get(f"{ROOT}/{item.pk}").status_code == 404
    assert api(world["zone_admin"]).get(f"{ROOT}/999999").status_code == 404
    body = api(world["zone_admin"]).get(f"{ROOT}/{item.pk}").json()
    assert body["number"] == item.number and body["steps"][0]["action"] == "submit"
    assert body["ratings"] == [] and body["merged_items"] == []


def test_actions_walk_an_item_to_the_ledger(world, api):
    categories = create_categories(world)
    item = make_item(world)
    admin = api(world["zone_admin"])
    url = f"{ROOT}/{item.pk}/actions"
    response = admin.post(url, {"action": "accept"})
    assert response.status_code == 200 and response.json()["status"] == "accepted"
    response = admin.post(url, {"action": "forward", "org": world.a.dept.pk, "note": "请办理"})
    assert response.json()["status"] == "forwarded" and response.json()["org"] == world.a.dept.pk
    response = api(world["secretary"]).post(url, {"action": "reply", "reply": "已修复"})
    assert response.status_code == 200 and response.json()["status"] == "reply_pending"
    assert admin.post(url, {"action": "to_problem"}).status_code == 409  # reply pending
    response = admin.post(url, {"action": "publish_reply", "reply": "已修复，欢迎监督"})
    assert response.json()["reply"] == "已修复，欢迎监督"
    response = admin.post(url, {"action": "to_problem"})
    body = response.json()
    assert response.status_code == 200 and body["status"] == "in_ledger"
    problem = Feedback.objects.get(pk=item.pk).problem
    assert body["problem"] == problem.pk and body["problem_code"] == problem.code
    assert problem.category == categories["a"][0] and problem.source == "public"


def test_action_codes_409_403_404_422(world, api):
    item = make_item(world)
    url = f"{ROOT}/{item.pk}/actions"
    admin = api(world["zone_admin"])
    assert admin.post(url, {"action": "publish_reply"}).status_code == 409
    assert api(world["supervisor"]).post(url, {"action": "accept"}).status_code == 403
    assert api(world["outsider"]).post(url, {"action": "accept"}).status_code == 404
    assert admin.post(url, {"action": "fly"}).status_code == 422
    response = admin.post(url, {"action": "decline"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "note"
    admin.post(url, {"action": "accept"})
    response = admin.post(url, {"action": "forward", "org": world.b.dept.pk})
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "org"
    assert Feedback.objects.get(pk=item.pk).status == "accepted"


def test_merge_through_the_api(world, api):
    keep, dup = make_item(world), make_item(world)
    response = api(world["zone_admin"]).post(
        f"{ROOT}/{dup.pk}/actions", {"action": "merge", "into": keep.pk}
    )
    assert response.status_code == 200 and response.json()["merged_into"] == keep.pk
    assert api(world["zone_admin"]).get(f"{ROOT}/{keep.pk}").json()["merged_items"] == [dup.pk]


def test_contact_only_with_the_permission_and_each_call_audited(world, api):
    item = make_item(world)
    url = f"{ROOT}/{item.pk}/contact"
    for who in ("sysadmin", "supervisor", "national"):
        assert api(world[who]).get(url).status_code == 403
    assert api(world["outsider"]).get(url).status_code == 404
    assert api(world["secretary"]).get(url).status_code == 404
    response = api(world["zone_admin"]).get(url)
    assert response.status_code == 200 and response.json() == {"name": NAME, "phone": PHONE}
    api(world["zone_admin"]).get(url)
    views = AuditEvent.objects.filter(action="feedback.contact_view", object_id=str(item.pk))
    assert views.count() == 2 and views.first().actor == world["zone_admin"]


@pytest.mark.parametrize("who", ["zone_admin", "supervisor"])
def test_the_accused_is_shown_to_restricted_holders_only(world, api, who):
    item = make_item(world, kind="report", accused="某局长")
    body = api(world[who]).get(f"{ROOT}/{item.pk}").json()
    assert body["accused"] == "某局长" and body["restricted"] is True
    assert api(world["sysadmin"]).get(f"{ROOT}/{item.pk}").status_code == 404
    listed = api(world["sysadmin"]).get(ROOT)
    assert "某局长" not in listed.content.decode() and listed.json()["count"] == 0


def test_the_openapi_document_declares_the_error_codes():
    from shiji.api import api

    document = api.get_openapi_schema()
    paths = document["paths"]
    actions = paths["/api/v1/feedback/{feedback_id}/actions"]["post"]["responses"]
    assert {"200", "400", "401", "403", "404", "409", "422"} <= set(map(str, actions))
    contact = paths["/api/v1/feedback/{feedback_id}/contact"]["get"]["responses"]
    assert {"200", "401", "403", "404"} <= set(map(str, contact))
