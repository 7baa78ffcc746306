"""The back-office feedback pages: the inbox, an item's forms, 代录, the
settings page, 回访, the ledger's panel, the home panel and the to-dos."""

from __future__ import annotations

import re

from django.urls import reverse

from shiji.audit.models import AuditEvent
from shiji.outreach.models import Feedback, FeedbackRating, OutreachSettings
from shiji.outreach.services.handling import feedback_act
from tests.ledger.conftest import create_categories
from tests.outreach.test_handling import make_item


def body(response) -> str:
    return response.content.decode()


def test_the_inbox_shows_overdue_first_with_status_tabs(world, login):
    late = make_item(world, content="已超期的反映")
    Feedback.objects.filter(pk=late.pk).update(due_on="2020-01-02")
    make_item(world, content="新到的反映")
    declined = make_item(world, content="不予受理的反映")
    feedback_act(actor=world["zone_admin"], feedback=declined, action="decline", note="重复")
    page = body(login(world["zone_admin"]).get(reverse("outreach:feedback_list")))
    assert page.index("已超期的反映") < page.index("新到的反映")
    assert re.search(r'data-status-tab="received"[^>]*>[^<]*<span[^>]*>2<', page)
    assert re.search(r'data-status-tab="all"[^>]*>[^<]*<span[^>]*>3<', page)
    assert "sj-bulk-merge" in page and "代录反映" in page
    filtered = body(
        login(world["zone_admin"]).get(reverse("outreach:feedback_list") + "?status=declined")
    )
    assert "不予受理的反映" in filtered and "新到的反映" not in filtered


def test_an_empty_inbox_says_what_to_do(world, login):
    page = body(login(world["zone_admin"]).get(reverse("outreach:feedback_list")))
    assert "代录反映" in page and "还没有群众反映" in page
    page = body(login(world["secretary"]).get(reverse("outreach:feedback_list")))
    assert "转办给本单位的群众反映会出现在这里" in page and "代录反映" not in page


def test_the_nav_entry_opens_the_inbox(world, login):
    response = login(world["zone_admin"]).get(reverse("outreach:home"))
    assert response.status_code == 302 and response["Location"] == reverse("outreach:feedback_list")


def test_moves_through_the_page_and_inline_errors(world, login):
    item = make_item(world)
    client = login(world["zone_admin"])
    url = reverse("outreach:feedback_act", args=[item.pk])
    page = body(client.get(reverse("outreach:feedback_detail", args=[item.pk])))
    assert 'data-form="accept"' in page and 'data-form="decline"' in page
    assert 'data-form="publish_reply"' not in page
    response = client.post(url, {"action": "decline", "note": ""})
    assert response.status_code == 422 and "请填写不予受理理由" in body(response)
    response = client.post(url, {"action": "accept"})
    assert response.status_code == 302
    response = client.post(url, {"action": "accept"})
    assert response.status_code == 409 and "不能受理" in body(response)
    response = client.post(url, {"action": "forward", "org": world.b.dept.pk})
    assert response.status_code == 422 and "承办单位不存在" in body(response)
    client.post(url, {"action": "forward", "org": world.a.dept.pk})
    assert Feedback.objects.get(pk=item.pk).status == "forwarded"
    secretary = login(world["secretary"])
    page = body(secretary.get(reverse("outreach:feedback_detail", args=[item.pk])))
    assert 'data-form="reply"' in page and 'data-form="accept"' not in page
    assert secretary.post(url, {"action": "reply", "reply": "已安排维修"}).status_code == 302
    assert secretary.post(url, {"action": "publish_reply"}).status_code == 403


def test_to_problem_through_the_page_links_both_pages(world, login):
    categories = create_categories(world)
    item = make_item(world, content="企业反映审批慢")
    client = login(world["zone_admin"])
    url = reverse("outreach:feedback_act", args=[item.pk])
    client.post(url, {"action": "accept"})
    response = client.post(
        url,
        {
            "action": "to_problem",
            "org": world.a.dept.pk,
            "category": categories["a"][1].pk,
            "problem_kind": "deadline",
            "deadline": "",
            "description": "审批时限过长",
        },
    )
    assert response.status_code == 302
    problem = Feedback.objects.get(pk=item.pk).problem
    assert problem.description == "审批时限过长" and problem.category == categories["a"][1]
    page = body(client.get(reverse("outreach:feedback_detail", args=[item.pk])))
    assert problem.code in page and "sj-linked-problem" in page
    ledger = body(login(world["secretary"]).get(reverse("ledger:detail", args=[problem.pk])))
    assert "sj-problem-feedback" in ledger and item.number in ledger


def test_bulk_merge_from_the_inbox(world, login):
    keep, a, b = make_item(world), make_item(world), make_item(world)
    client = login(world["zone_admin"])
    response = client.post(
        reverse("outreach:feedback_merge"), {"items": [a.pk, b.pk, keep.pk], "into": keep.pk}
    )
    assert response.status_code == 302
    assert set(Feedback.objects.filter(merged_into=keep).values_list("pk", flat=True)) == {
        a.pk,
        b.pk,
    }
    response = client.post(reverse("outreach:feedback_merge"), {"items": [], "into": keep.pk})
    assert response.status_code == 302  # back to the inbox with a message
    other = make_item(world, zone="b")
    response = client.post(
        reverse("outreach:feedback_merge"), {"items": [other.pk], "into": keep.pk}
    )
    assert response.status_code == 302 and Feedback.objects.get(pk=other.pk).status == "received"


def test_enter_shows_the_tracking_code_once(world, login):
    client = login(world["zone_admin"])
    assert client.get(reverse("outreach:feedback_enter")).status_code == 200
    response = client.post(
        reverse("outreach:feedback_enter"),
        {
            "channel": "letter",
            "kind": "suggestion",
            "content": "建议增设公交站",
            "name": "",
            "phone": "",
        },
    )
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    code = re.search(r'id="sj-tracking-code">([^<]+)<', body(response)).group(1)
    assert len(code) == 12
    item = Feedback.objects.get(content="建议增设公交站")
    assert item.channel == "letter" and item.anonymous
    assert code not in body(client.get(reverse("outreach:feedback_detail", args=[item.pk])))
    bad = client.post(
        reverse("outreach:feedback_enter"), {"channel": "phone", "kind": "help", "phone": "abc"}
    )
    assert bad.status_code == 422 and "请填写反映内容" in body(bad)
    assert login(world["secretary"]).get(reverse("outreach:feedback_enter")).status_code == 403


def test_the_settings_page_saves_limits_and_named_staff(world, login):
    client = login(world["zone_admin"])
    assert client.get(reverse("outreach:feedback_settings")).status_code == 200
    data = {f"limit_{k}": "3" for k in ("consult", "help", "complaint", "suggestion", "report")}
    response = client.post(
        reverse("outreach:feedback_settings"),
        {**data, "zone": world.a.zone.pk, "handlers": [world["liaison"].pk]},
    )
    assert response.status_code == 302
    row = OutreachSettings.objects.get(zone=world.a.zone)
    assert row.limit_help == 3 and list(row.handlers.all()) == [world["liaison"]]
    bad = client.post(reverse("outreach:feedback_settings"), {**data, "limit_help": "90"})
    assert bad.status_code == 422 and "1 至 60" in body(bad)
    assert login(world["supervisor"]).get(reverse("outreach:feedback_settings")).status_code == 403


def test_return_call_records_a_rating_for_an_answered_item(world, login):
    item = make_item(world)
    admin = world["zone_admin"]
    feedback_act(actor=admin, feedback=item, action="accept")
    feedback_act(actor=admin, feedback=item, action="reply", reply="已处理")
    feedback_act(actor=admin, feedback=item, action="publish_reply")
    client = login(admin)
    page = body(client.get(reverse("outreach:feedback_detail", args=[item.pk])))
    assert 'data-form="return_call"' in page
    url = reverse("outreach:feedback_return_call", args=[item.pk])
    assert client.post(url, {"rating": "great"}).status_code == 422
    assert client.post(url, {"rating": "satisfied", "comment": "电话回访满意"}).status_code == 302
    rating = FeedbackRating.objects.get(feedback=item)
    assert rating.via == "return_call" and rating.recorded_by == admin
    assert AuditEvent.objects.filter(action="feedback.return_call").exists()
    assert client.post(url, {"rating": "satisfied"}).status_code == 409  # rated already
    assert login(world["supervisor"]).post(url, {"rating": "satisfied"}).status_code == 403


def test_home_panel_and_todos_for_the_handler_and_the_forwarded_org(world, login):
    item = make_item(world, content="待受理的一条")
    forwarded = make_item(world, content="转给经济发展局的一条")
    feedback_act(actor=world["zone_admin"], feedback=forwarded, action="accept")
    feedback_act(
        actor=world["zone_admin"], feedback=forwarded, action="forward", org=world.a.dept.pk
    )
    home = body(login(world["zone_admin"]).get(reverse("home")))
    assert "sj-feedback-panel" in home and 'data-todo="feedback_accept"' in home
    todo = body(login(world["zone_admin"]).get(reverse("ledger:inbox") + "?group=feedback_accept"))
    assert item.number in todo and forwarded.number not in todo
    todo = body(login(world["secretary"]).get(reverse("ledger:inbox") + "?group=feedback_answer"))
    assert forwarded.number in todo and item.number not in todo
    home = body(login(world["secretary"]).get(reverse("home")))
    assert 'data-todo="feedback_answer"' in home and 'data-todo="feedback_accept"' not in home
    home = body(login(world["leader"]).get(reverse("home")))
    assert "feedback_" not in home


def test_escalated_items_are_a_todo_of_the_zone_admin(world, login):
    item = make_item(world)
    Feedback.objects.filter(pk=item.pk).update(escalated=True, unsatisfied_count=3)
    client = login(world["zone_admin"])
    todo = body(client.get(reverse("ledger:inbox") + "?group=feedback_escalated"))
    assert item.number in todo
    page = body(client.get(reverse("outreach:feedback_detail", args=[item.pk])))
    assert "sj-escalated" in page
