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
