"""The public API of DESIGN.md §6: submit without an account, follow by
code, rate the result; never the name or phone."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from shiji.audit.models import AuditEvent
from shiji.outreach import codes
from shiji.outreach.models import Feedback, FeedbackContact, FeedbackFile, FeedbackRating, Status
from tests.outreach.test_exif import photo_with_gps
from tests.samples import pdf_bytes

URL = "/api/v1/public/feedback"
PHONE = "13912345678"


def submit(client, zone, **kw):
    body = {"zone": zone, "kind": "complaint", "content": "园区东门路灯坏了"} | kw
    return client.post(URL, body, content_type="application/json")


def test_submit_by_zone_code_returns_a_tracking_code_and_keeps_contact_apart(client, world):
    response = submit(client, world.a.zone.code, name="王先生", phone=PHONE)
    assert response.status_code == 201, response.content
    code = response.json()["tracking_code"]
    assert codes.well_formed(code)
    item = Feedback.objects.get()
    assert item.code_hash == codes.code_hash(code) and item.zone == world.a.zone
    assert FeedbackContact.objects.get(feedback=item).phone == PHONE
    assert AuditEvent.objects.filter(action="feedback.submit", object_id=str(item.pk)).exists()


def test_submit_by_zone_id_and_follow_by_code(client, world):
    code = submit(client, world.a.zone.pk, name="王先生", phone=PHONE).json()["tracking_code"]
    response = client.get(f"{URL}/{code.lower().replace('-', '')}")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "received" and body["kind"] == "complaint"
    assert body["zone"] == world.a.zone.pk and body["zone_name"] == world.a.zone.name
    assert body["steps"][0]["label"] and body["can_rate"] is False and body["rating"] is None
    assert PHONE not in response.content.decode() and "王先生" not in response.content.decode()


def test_multipart_with_photos_and_a_pdf(client, world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    files = [
        SimpleUploadedFile("a.jpg", photo_with_gps(), content_type="image/jpeg"),
        SimpleUploadedFile("b.pdf", pdf_bytes("x"), content_type="application/pdf"),
    ]
    response = client.post(
        URL, {"zone": world.a.zone.code, "kind": "help", "content": "积水", "files": files}
    )
    assert response.status_code == 201, response.content
    assert sorted(FeedbackFile.objects.values_list("kind", flat=True)) == ["jpeg", "pdf"]


def test_four_files_are_refused(client, world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    files = [
        SimpleUploadedFile(f"{i}.jpg", photo_with_gps(), content_type="image/jpeg")
        for i in range(4)
    ]
    response = client.post(
        URL, {"zone": world.a.zone.code, "kind": "help", "content": "积水", "files": files}
    )
    assert response.status_code == 422
    assert not Feedback.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"zone": "nowhere"}, "zone"),
        ({"kind": "praise"}, "kind"),
        ({"content": ""}, "content"),
        ({"content": "x" * 2001}, "content"),
        ({"content": "坏\x00了"}, "content"),
        ({"phone": "call me"}, "phone"),
        ({"zone": [1]}, "zone"),
    ],
)
def test_bad_submissions_name_the_field_and_write_nothing(client, world, body, field):
    data = {"zone": world.a.zone.code, "kind": "complaint", "content": "路灯坏了"} | body
    response = client.post(URL, data, content_type="application/json")
    assert response.status_code == 422, response.content
    assert field in {e["field"] for e in response.json()["errors"]}
    assert not Feedback.objects.exists()


def test_a_body_that_is_not_json_is_a_400(client, world):
    response = client.post(URL, "{not json", content_type="application/json")
    assert response.status_code == 400


def test_unknown_and_malformed_codes_are_the_same_404(client, world):
    submit(client, world.a.zone.code)
    answers = [
        client.get(f"{URL}/{code}")
        for code in ("K7MQ-4XZP-9R", "nonsense", "0000000000", "%00", "x" * 64)
    ]
    assert {a.status_code for a in answers} == {404}
    assert len({a.content for a in answers}) == 1


def test_rating_before_a_result_is_409_then_200_once_answered_then_409(client, world):
    code = submit(client, world.a.zone.code).json()["tracking_code"]
    url = f"{URL}/{code}/rating"
    early = client.post(url, {"rating": "satisfied"}, content_type="application/json")
    assert early.status_code == 409 and "尚无办理结果" in early.json()["detail"]
    Feedback.objects.update(status=Status.ANSWERED, reply="已修复", replied_at=timezone.now())
    assert client.get(f"{URL}/{code}").json()["can_rate"] is True
    done = client.post(
        url, {"rating": "satisfied", "comment": "好"}, content_type="application/json"
    )
    assert done.status_code == 200, done.content
    assert done.json()["rating"] == "satisfied" and done.json()["can_rate"] is False
    again = client.post(url, {"rating": "unsatisfied"}, content_type="application/json")
    assert again.status_code == 409 and "已经评价过" in again.json()["detail"]
    assert FeedbackRating.objects.count() == 1


def test_rating_a_wrong_code_is_404(client, world):
    response = client.post(
        f"{URL}/K7MQ-4XZP-9R/rating", {"rating": "satisfied"}, content_type="application/json"
    )
    assert response.status_code == 404


def test_the_submit_limit_answers_429_with_retry_after(client, world, settings):
    settings.PUBLIC_SUBMIT_LIMIT = "2/h"
    assert submit(client, world.a.zone.code).status_code == 201
    assert submit(client, world.a.zone.code, kind="bogus").status_code == 422  # not counted
    assert submit(client, world.a.zone.code).status_code == 201
    refused = submit(client, world.a.zone.code)
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0 and "分钟" in refused.json()["detail"]
    assert Feedback.objects.count() == 2
    # Another address is not affected.
    other = client.post(
        URL,
        {"zone": world.a.zone.code, "kind": "help", "content": "x"},
        content_type="application/json",
        REMOTE_ADDR="198.51.100.99",
    )
    assert other.status_code == 201


def test_no_session_and_no_csrf_token_are_needed(world):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    response = strict.post(
        URL,
        {"zone": world.a.zone.code, "kind": "help", "content": "x"},
        content_type="application/json",
    )
    assert response.status_code == 201


def test_the_whole_loop_as_the_submitter_sees_it(client, world, settings, tmp_path):
    """Submit (with a photo) → accept → forward → the org's reply → published →
    into the ledger → the problem closed → rated; after each move the code's
    status says what happened, and never who submitted. 不满意 then sends the
    problem back, and the next closure may be rated again."""
    from shiji.ledger import services as ledger
    from shiji.ledger.models import Problem
    from shiji.outreach.services.handling import feedback_act, feedback_disclose
    from tests.ledger.conftest import create_categories
    from tests.samples import image_bytes

    settings.MEDIA_ROOT = tmp_path
    create_categories(world)
    photo = SimpleUploadedFile("p.jpg", photo_with_gps(), content_type="image/jpeg")
    body = {"zone": world.a.zone.code, "kind": "complaint", "content": "东门路灯坏了"}
    made = client.post(URL, body | {"name": "王先生", "phone": PHONE, "files": [photo]})
    code = made.json()["tracking_code"]
    item = Feedback.objects.get()
    admin, secretary = world["zone_admin"], world["secretary"]

    def status():
        response = client.get(f"{URL}/{code}")
        assert PHONE not in response.content.decode() and "王先生" not in response.content.decode()
        return response.json()

    def last_step():
        return status()["steps"][-1]["label"]

    assert status()["status"] == "received" and last_step() == "已提交，等待受理"
    feedback_act(actor=admin, feedback=item, action="accept")
    assert status()["status"] == "accepted" and last_step() == "已受理"
    feedback_act(actor=admin, feedback=item, action="forward", org=world.a.dept.pk)
    assert status()["status"] == "forwarded" and last_step() == "已转交承办单位办理"
    feedback_act(actor=secretary, feedback=item, action="reply", reply="正在更换灯头")
    assert status()["reply"] is None  # a draft is not shown until it is reviewed
    feedback_act(actor=admin, feedback=item, action="publish_reply")
    shown = status()
    assert shown["status"] == "answered" and shown["reply"] == "正在更换灯头"
    feedback_act(actor=admin, feedback=item, action="to_problem")
    item.refresh_from_db()
    problem = item.problem
    assert status()["status"] == "in_ledger" and last_step() == "已列入问题整改台账"
    assert status()["can_rate"] is False  # the problem is not closed yet

    def close():
        if Problem.objects.get(pk=problem.pk).status == "open":
            ledger.problem_transition(actor=secretary, problem=problem, action="start")
        ledger.problem_add_evidence(
            actor=secretary,
            problem=problem,
            file=SimpleUploadedFile("after.png", image_bytes("png", str(timezone.now()))),
        )
        ledger.problem_transition(actor=secretary, problem=problem, action="submit", note="已修复")
        ledger.problem_transition(actor=world["supervisor"], problem=problem, action="verify")

    close()
    assert last_step() == "整改完成，请评价" and status()["can_rate"] is True
    rate = f"{URL}/{code}/rating"
    answer = client.post(
        rate, {"rating": "unsatisfied", "comment": "晚上还是黑"}, content_type="application/json"
    )
    assert answer.status_code == 200 and answer.json()["can_rate"] is False
    assert Problem.objects.get(pk=problem.pk).status == "in_progress"
    assert "评价不满意，重新整改" in [s["label"] for s in status()["steps"]]
    close()
    answer = client.post(rate, {"rating": "satisfied"}, content_type="application/json")
    assert answer.status_code == 200 and answer.json()["rating"] == "satisfied"
    assert FeedbackRating.objects.filter(feedback=item).count() == 2
    # The zone may now show it on its disclosure page, without personal data.
    feedback_disclose(actor=admin, feedback=item, disclosed=True, summary="东门路灯已修复")
    assert Feedback.objects.get(pk=item.pk).disclosed
