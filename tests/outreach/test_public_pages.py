"""The portal pages under /p/: no account, every step a plain form."""

from __future__ import annotations

import re

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from shiji.outreach import codes
from shiji.outreach.models import Feedback, FeedbackFile, FeedbackRating, Status
from tests.outreach.test_exif import photo_with_gps

PHONE = "13912345678"


def post_feedback(client, zone, **kw):
    data = {"kind": "complaint", "category": "infrastructure", "content": "东门路灯坏了"} | kw
    return client.post(f"/p/{zone.code}/", data)


def code_on(response) -> str:
    found = re.search(r'id="tracking-code"[^>]*>([^<]+)<', response.content.decode())
    assert found, response.content.decode()
    return found[1].strip()


def test_the_zone_list_searches_by_name_and_links_to_each_zones_form(client, world):
    page = client.get("/p/", {"q": "甲"})
    assert page.status_code == 200
    html = page.content.decode()
    assert world.a.zone.name in html and world.b.zone.name not in html
    assert f'href="/p/{world.a.zone.code}/"' in html


def test_the_qr_link_opens_the_form_and_an_unknown_zone_is_404(client, world):
    page = client.get(f"/p/{world.a.zone.code.upper()}/")
    assert page.status_code == 200
    html = page.content.decode()
    for label in ("咨询", "求助", "投诉", "建议", "举报", 'name="website"', "匿名"):
        assert label in html
    assert client.get("/p/no-such-zone/").status_code == 404


def test_submit_shows_the_code_once_and_stores_it_only_as_a_hash(client, world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    photo = SimpleUploadedFile("p.jpg", photo_with_gps(), content_type="image/jpeg")
    done = post_feedback(client, world.a.zone, name="王先生", phone=PHONE, files=[photo])
    assert done.status_code == 200
    html = done.content.decode()
    assert "请保存查询码" in html and "截图" in html
    code = code_on(done)
    item = Feedback.objects.get()
    assert item.code_hash == codes.code_hash(code) and code not in str(item.__dict__)
    assert FeedbackFile.objects.filter(feedback=item).count() == 1
    assert done["Cache-Control"].startswith("max-age=0")


def test_mistakes_come_back_inline_with_what_was_typed(client, world):
    page = post_feedback(
        client, world.a.zone, kind="", content="<script>alert(1)</script>x", phone="abc"
    )
    assert page.status_code == 422
    html = page.content.decode()
    assert "请选择反映类型" in html
    again = post_feedback(client, world.a.zone, phone="abc")
    assert again.status_code == 422 and "联系电话应为" in again.content.decode()
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html
    assert not Feedback.objects.exists()


def test_anonymous_drops_name_and_phone(client, world):
    post_feedback(client, world.a.zone, name="王先生", phone=PHONE, anonymous="1")
    item = Feedback.objects.get()
    assert (
        item.anonymous
        and not hasattr(item, "contact_cache")
        and not item.__class__.objects.filter(contact__isnull=False).exists()
    )


def test_the_honeypot_pretends_success_and_stores_nothing(client, world):
    page = post_feedback(client, world.a.zone, website="http://spam.example")
    assert page.status_code == 200 and "请保存查询码" in page.content.decode()
    code = code_on(page)
    assert not Feedback.objects.exists()
    assert client.post("/p/track/", {"code": code}).status_code == 404


def test_track_by_code_then_rate_the_answer(client, world):
    code = code_on(post_feedback(client, world.a.zone))
    status = client.post("/p/track/", {"code": code.lower()})
    assert status.status_code == 200
    html = status.content.decode()
    assert "已提交，等待受理" in html and "评价办理结果" not in html
    early = client.post("/p/track/rate/", {"code": code, "rating": "satisfied"})
    assert early.status_code == 409 and "尚无办理结果" in early.content.decode()
    Feedback.objects.update(
        status=Status.ANSWERED, reply="<b>已修复</b>", replied_at=timezone.now()
    )
    status = client.post("/p/track/", {"code": code})
    html = status.content.decode()
    assert "评价办理结果" in html and "&lt;b&gt;已修复&lt;/b&gt;" in html
    rated = client.post(
        "/p/track/rate/", {"code": code, "rating": "unsatisfied", "comment": "没修好"}
    )
    assert rated.status_code == 200 and "感谢您的评价" in rated.content.decode()
    assert FeedbackRating.objects.get().comment == "没修好"
    assert Feedback.objects.get().status == Status.ACCEPTED


def test_a_wrong_code_says_so_inline(client, world):
    page = client.post("/p/track/", {"code": "K7MQ-4XZP-9R"})
    assert page.status_code == 404 and "查询码不正确" in page.content.decode()


def test_forms_need_the_csrf_token(world):
    strict = Client(enforce_csrf_checks=True)
    response = strict.post(f"/p/{world.a.zone.code}/", {"kind": "help", "content": "x"})
    assert response.status_code == 403
    assert not Feedback.objects.exists()


def test_too_many_submissions_get_a_chinese_429_page(client, world, settings):
    settings.PUBLIC_SUBMIT_LIMIT = "1/h"
    post_feedback(client, world.a.zone)
    page = post_feedback(client, world.a.zone)
    assert page.status_code == 429 and "请稍后再试" in page.content.decode()
    assert page["Retry-After"]


def test_the_forms_post_over_https_with_the_browsers_origin(world, settings):
    """Over HTTPS Django compares the Origin header with the site: the pages
    must not ask for ``no-referrer``, which makes browsers send
    ``Origin: null`` (refused). tests/browser/test_portal_phone.py runs
    this in Chromium behind the proxy's header."""
    settings.CSRF_COOKIE_SECURE = True
    strict = Client(enforce_csrf_checks=True)
    url = f"/p/{world.a.zone.code}/"
    html = strict.get(url, secure=True).content.decode()
    assert 'content="no-referrer"' not in html and 'name="referrer"' in html
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)[1]
    data = {"kind": "help", "content": "路面积水", "csrfmiddlewaretoken": token}
    done = strict.post(url, data, secure=True, HTTP_ORIGIN="https://testserver")
    assert done.status_code == 200 and Feedback.objects.count() == 1
    refused = strict.post(url, data, secure=True, HTTP_ORIGIN="null")
    assert refused.status_code == 403 and Feedback.objects.count() == 1


def test_the_submitter_sees_only_the_fixed_chinese_step_labels_never_staff_notes(
    client, world, settings
):
    """Each step's label comes from the move (workflow.PUBLIC_LABELS), in
    Chinese: not the note staff wrote, not the text the step row holds (a
    label stored while a staff member's page was in English, or anything
    written there later)."""
    from django.utils import translation

    from shiji.outreach.models import FeedbackStep
    from shiji.outreach.services.handling import feedback_act
    from shiji.outreach.workflow import PUBLIC_LABELS

    secret = "内部：举报人是老王的邻居"
    code = code_on(post_feedback(client, world.a.zone))
    item = Feedback.objects.get()
    admin = world["zone_admin"]
    with translation.override("en"):
        feedback_act(actor=admin, feedback=item, action="accept", note=secret)
        feedback_act(actor=admin, feedback=item, action="forward", org=world.a.dept.pk, note=secret)
        feedback_act(actor=world["secretary"], feedback=item, action="reply", reply="已修复")
        feedback_act(actor=admin, feedback=item, action="publish_reply", note=secret)
    FeedbackStep.objects.filter(feedback=item, action="forward").update(public_label=secret)
    FeedbackStep.objects.create(feedback=item, action="internal_check", public_label=secret)
    with translation.override("zh-hans"):
        fixed = {str(label) for label in PUBLIC_LABELS.values()}
    html = client.post("/p/track/", {"code": code}).content.decode()
    api = client.get(f"/api/v1/public/feedback/{code}").json()
    assert secret not in html and secret not in str(api)
    labels = [s["label"] for s in api["steps"]]
    assert labels == ["已提交，等待受理", "已受理", "已转交承办单位办理", "已答复"]
    assert set(labels) <= fixed
    for label in labels:
        assert label in html


def _queries(client, method: str, url: str, data=None) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    getattr(client, method)(url, data or {})  # the address's rate counters are made once
    with CaptureQueriesContext(connection) as queries:
        response = getattr(client, method)(url, data or {})
    assert response.status_code == 200
    return len(queries)


def test_the_status_page_costs_the_same_with_twice_the_steps(client, world):
    from shiji.outreach.services.handling import feedback_act
    from shiji.outreach.services.public import PORTAL
    from shiji.outreach.services.rating import feedback_rate

    code = code_on(post_feedback(client, world.a.zone))
    item = Feedback.objects.get()
    admin = world["zone_admin"]
    for action in ("accept", "reply", "publish_reply"):
        feedback_act(actor=admin, feedback=item, action=action, reply="已修复")
    small = _queries(client, "post", "/p/track/", {"code": code})
    # Another round: rated unsatisfied, answered again (twice the steps).
    feedback_rate(actor=PORTAL, feedback=item, rating="unsatisfied", comment="没修好")
    for action in ("reply", "publish_reply"):
        feedback_act(actor=admin, feedback=item, action=action, reply="已修复")
    big = _queries(client, "post", "/p/track/", {"code": code})
    assert small == big == STATUS_QUERIES


def test_the_zone_list_costs_the_same_with_twice_the_zones(client, world):
    small = _queries(client, "get", "/p/")
    from shiji.orgs.models import Zone

    for i in range(2):
        Zone.objects.create(code=f"zx{i}", name=f"新高新区{i}", province="浙江", city="杭州")
    big = _queries(client, "get", "/p/")
    assert small == big == ZONES_QUERIES


# Counting the look-up and the wrong code (2), the item, giving the wrong
# code back, its latest rating, its public steps, whether it was rated since.
STATUS_QUERIES = 7
ZONES_QUERIES = 1


def test_every_mistake_on_the_form_is_shown_at_once(client, world):
    page = post_feedback(client, world.a.zone, kind="", content="", phone="call me", name="名" * 51)
    assert page.status_code == 422
    html = page.content.decode()
    for field in ("kind", "content", "phone", "name"):
        assert re.search(rf'name="{field}"[^>]*is-invalid', html) or field == "kind", field
    assert html.count('class="invalid-feedback d-block"') == 4
    assert "请选择反映类型" in html
    assert not Feedback.objects.exists()
