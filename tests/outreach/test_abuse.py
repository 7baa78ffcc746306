"""Bad input and abuse from the public (issue 10, "Bad input and abuse"):
each case through the portal's pages and the public API, with what was
written checked in the database. The plain cases already covered elsewhere
(the honeypot's pretended success, over-long content and a NUL byte in the
API, four files in the API, rating before a result and twice, the submit
limit, X-Forwarded-For at the unit level) are in test_public_api.py,
test_public_pages.py, test_rating.py and test_ratelimit.py."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from shiji.audit.models import AuditEvent
from shiji.core.models import RateCounter
from shiji.outreach import codes
from shiji.outreach.models import Feedback, FeedbackContact, FeedbackFile, FeedbackRating, Status
from shiji.outreach.selectors.public import feedback_by_code
from shiji.outreach.services.handling import feedback_act, feedback_disclose
from tests.ledger.conftest import create_categories
from tests.outreach.test_exif import photo_with_gps

API = "/api/v1/public/feedback"
PHONE = "13912345678"
XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'
XSS_SHORT = "<i>王</i><img src=x onerror=alert(1)>"  # a name is at most 50
XSS_TEXT = "&lt;img src=x onerror=alert(1)&gt;"


def form(zone, **kw) -> dict:
    return {"kind": "complaint", "category": "infrastructure", "content": "东门路灯坏了"} | kw


def post_form(client, zone, **kw):
    return client.post(f"/p/{zone.code}/", form(zone, **kw))


def code_on(response) -> str:
    found = re.search(r'id="tracking-code"[^>]*>([^<]+)<', response.content.decode())
    assert found, response.content.decode()
    return found[1].strip()


def nothing_written() -> None:
    assert not Feedback.objects.exists()
    assert not FeedbackFile.objects.exists()
    assert not FeedbackContact.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="feedback.").exists()


# The honeypot ------------------------------------------------------------------------


def test_a_filled_honeypot_looks_like_a_success_and_leaves_no_trace(client, world):
    person = post_form(client, world.a.zone)
    robot = post_form(client, world.a.zone, website="http://spam.example", name="x", phone=PHONE)
    assert robot.status_code == person.status_code == 200
    # The same page but for the code itself.
    shape = [r.content.decode().replace(code_on(r), "CODE") for r in (person, robot)]
    assert shape[0] == shape[1]
    assert codes.well_formed(code_on(robot))
    assert Feedback.objects.count() == 1 and not FeedbackContact.objects.exists()


# Length limits -----------------------------------------------------------------------

TOO_LONG = [
    ("content", "长" * 2001),
    ("name", "名" * 51),
    ("phone", "1" * 21),
    ("accused", "某" * 101),
]


@pytest.mark.parametrize(("field", "value"), TOO_LONG, ids=[f for f, _ in TOO_LONG])
def test_an_over_long_field_on_the_form_is_a_field_error_and_writes_nothing(
    client, world, field, value
):
    page = post_form(client, world.a.zone, kind="report", **{field: value})
    assert page.status_code == 422
    html = page.content.decode()
    assert re.search(rf'<(input|textarea)[^>]*name="{field}"[^>]*is-invalid', html), field
    assert 'class="invalid-feedback d-block"' in html
    assert "不能超过" in html
    nothing_written()


@pytest.mark.parametrize(("field", "value"), TOO_LONG, ids=[f for f, _ in TOO_LONG])
def test_an_over_long_field_in_the_api_names_the_field_and_writes_nothing(
    client, world, field, value
):
    body = {"zone": world.a.zone.code, "kind": "report", "content": "路灯坏了", field: value}
    response = client.post(API, body, content_type="application/json")
    assert response.status_code == 422, response.content
    assert field in {e["field"] for e in response.json()["errors"]}
    nothing_written()


def test_an_over_long_rating_comment_is_a_field_error_and_nothing_is_rated(client, world):
    code = code_on(post_form(client, world.a.zone))
    Feedback.objects.update(status=Status.ANSWERED, reply="已修复", replied_at=timezone.now())
    page = client.post(
        "/p/track/rate/", {"code": code, "rating": "satisfied", "comment": "长" * 501}
    )
    assert page.status_code == 422 and "is-invalid" in page.content.decode()
    api = client.post(
        f"{API}/{code}/rating",
        {"rating": "satisfied", "comment": "长" * 501},
        content_type="application/json",
    )
    assert api.status_code == 422
    assert not FeedbackRating.objects.exists()


def test_an_over_long_code_is_only_a_wrong_code(client, world):
    code = code_on(post_form(client, world.a.zone))
    page = client.post("/p/track/", {"code": code + "X" * 10_000})
    assert page.status_code == 404 and "查询码不正确" in page.content.decode()
    assert client.get(f"{API}/{'A' * 65}").status_code in (404, 422)


# Files, checked by their content and size ----------------------------------------------

EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 512


def files_for(case: str) -> list[SimpleUploadedFile]:
    if case == "exe-named-jpg":
        return [SimpleUploadedFile("照片.jpg", EXE, content_type="image/jpeg")]
    if case == "html-named-png":
        page = b"<html><script>alert(1)</script></html>"
        return [SimpleUploadedFile("p.png", page, content_type="image/png")]
    if case == "four-files":
        return [
            SimpleUploadedFile(f"{i}.jpg", photo_with_gps(), content_type="image/jpeg")
            for i in range(4)
        ]
    if case == "too-big":
        big = photo_with_gps() + b"\x00" * (1024 * 1024 + 1)
        return [SimpleUploadedFile("big.jpg", big, content_type="image/jpeg")]
    if case == "two-pdfs":
        from tests.samples import pdf_bytes

        return [
            SimpleUploadedFile(f"{i}.pdf", pdf_bytes(str(i)), content_type="application/pdf")
            for i in range(2)
        ]
    raise AssertionError(case)


FILE_CASES = {
    "exe-named-jpg": "不支持此类文件",
    "html-named-png": "不支持此类文件",
    "four-files": "最多上传 3 个文件",
    "too-big": "文件过大",
    "two-pdfs": "只能上传 1 个 PDF",
}


@pytest.mark.parametrize(("case", "message"), FILE_CASES.items(), ids=list(FILE_CASES))
def test_a_bad_file_on_the_form_is_explained_and_nothing_is_stored(
    client, world, settings, tmp_path, case, message
):
    settings.MEDIA_ROOT = tmp_path
    settings.MAX_UPLOAD_MB = 1
    page = post_form(client, world.a.zone, files=files_for(case))
    assert page.status_code in (400, 413, 422)
    assert message in page.content.decode()
    nothing_written()
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]


@pytest.mark.parametrize(("case", "message"), FILE_CASES.items(), ids=list(FILE_CASES))
def test_a_bad_file_in_the_api_is_a_field_error_and_nothing_is_stored(
    client, world, settings, tmp_path, case, message
):
    settings.MEDIA_ROOT = tmp_path
    settings.MAX_UPLOAD_MB = 1
    body = {"zone": world.a.zone.code, "kind": "help", "content": "积水", "files": files_for(case)}
    response = client.post(API, body)
    assert response.status_code in (400, 413, 422), response.content
    errors = response.json()["errors"]
    assert [e["field"] for e in errors] == ["files"] and message in errors[0]["message"]
    nothing_written()
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]


def test_a_refused_file_does_not_use_up_the_submit_limit(client, world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.PUBLIC_SUBMIT_LIMIT = "1/h"
    assert post_form(client, world.a.zone, files=files_for("exe-named-jpg")).status_code == 422
    assert post_form(client, world.a.zone).status_code == 200


# HTML and script are text everywhere --------------------------------------------------


def test_html_from_the_public_is_text_on_every_page_that_shows_it(client, world):
    done = post_form(client, world.a.zone, content=XSS, name=XSS_SHORT, kind="report", accused=XSS)
    code = code_on(done)
    item = Feedback.objects.get()
    admin = world["zone_admin"]
    feedback_act(actor=admin, feedback=item, action="decline", note=XSS)
    status = client.post("/p/track/", {"code": code}).content.decode()
    assert "不予受理的理由" in status
    client.force_login(admin)
    pages = {
        "status": status,
        "inbox": client.get(reverse("outreach:feedback_list")).content.decode(),
        "item": client.get(reverse("outreach:feedback_detail", args=[item.pk])).content.decode(),
        "contact": client.post(
            reverse("outreach:feedback_contact", args=[item.pk])
        ).content.decode(),
    }
    # Another one taken into the ledger: its text is the problem's description.
    create_categories(world)
    post_form(client, world.a.zone, content=XSS)
    other = Feedback.objects.latest("pk")
    feedback_act(actor=admin, feedback=other, action="accept")
    feedback_act(actor=admin, feedback=other, action="to_problem", org=world.a.dept.pk)
    other.refresh_from_db()
    pages["ledger list"] = client.get(reverse("ledger:list")).content.decode()
    pages["problem"] = client.get(
        reverse("ledger:detail", args=[other.problem_id])
    ).content.decode()
    # A third, answered and disclosed with a summary staff wrote from it.
    post_form(client, world.a.zone, content=XSS)
    third = Feedback.objects.latest("pk")
    feedback_act(actor=admin, feedback=third, action="accept")
    feedback_act(actor=admin, feedback=third, action="reply", reply=XSS)
    feedback_act(actor=admin, feedback=third, action="publish_reply")
    feedback_disclose(actor=admin, feedback=third, disclosed=True, summary=XSS)
    client.logout()
    pages["disclosure"] = client.get(
        reverse("public:disclosure", args=[world.a.zone.code])
    ).content.decode()
    for where, html in pages.items():
        assert "<img src=x onerror" not in html, where
        assert '<script>alert("x")' not in html, where
    for where in ("status", "item", "contact", "problem", "disclosure"):
        assert XSS_TEXT in pages[where], where


def test_html_in_a_published_reply_is_text_in_the_api_too(client, world):
    code = code_on(post_form(client, world.a.zone))
    Feedback.objects.update(status=Status.ANSWERED, reply=XSS, replied_at=timezone.now())
    response = client.get(f"{API}/{code}")
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["reply"] == XSS  # data, for the client to show as text
    assert response["X-Content-Type-Options"] == "nosniff"


# Codes: a wrong one reveals nothing and costs the same; many are refused ---------------


def test_right_wrong_and_malformed_codes_take_the_same_single_lookup(client, world):
    code = code_on(post_form(client, world.a.zone))
    seen = []
    for text in (code, "K7MQ-4XZP-9R", "not a code", "", "x" * 5000, None, 42):
        with CaptureQueriesContext(connection) as queries:
            found = feedback_by_code(text)
        assert (found is not None) == (text == code)
        assert len(queries) == 1, text
        # The same statement, only the hash differs.
        seen.append(re.sub(r"'[0-9a-f]{64}'|%s", "?", queries[0]["sql"]))
    assert len(set(seen)) == 1


def test_a_wrong_code_counts_like_a_right_one_until_it_is_found(client, world, settings):
    """Each look-up claims a wrong-code count before the search; a right code
    gives it back. So the work done for both is the same, and the wrong one
    is what remains counted."""
    settings.PUBLIC_WRONG_CODE_LIMIT = "100/15m"
    code = code_on(post_form(client, world.a.zone))
    for _ in range(3):
        assert client.post("/p/track/", {"code": code}).status_code == 200
    assert RateCounter.objects.get(bucket="wrong_code").count == 0
    client.post("/p/track/", {"code": "K7MQ-4XZP-9R"})
    assert RateCounter.objects.get(bucket="wrong_code").count == 1


def test_wrong_and_unknown_codes_answer_the_same_page(client, world):
    post_form(client, world.a.zone)
    pages = [
        client.post("/p/track/", {"code": c}) for c in ("K7MQ-4XZP-9R", "ZZZZ-ZZZZ-ZZ", "0O1IL")
    ]
    assert {p.status_code for p in pages} == {404}
    bodies = {
        re.sub(r'name="code"[^>]*value="[^"]*"', "", p.content.decode())
        .replace("csrfmiddlewaretoken", "")
        .split('value="')[0]
        for p in pages
    }
    assert len(bodies) == 1


def test_too_many_wrong_codes_are_refused_for_a_while_with_a_chinese_page(client, world, settings):
    settings.PUBLIC_WRONG_CODE_LIMIT = "3/15m"
    code = code_on(post_form(client, world.a.zone))
    for i in range(3):
        assert client.post("/p/track/", {"code": f"K7MQ-4XZP-{i}A"}).status_code == 404
    page = client.post("/p/track/", {"code": "K7MQ-4XZP-9R"})
    assert page.status_code == 429
    html = page.content.decode()
    assert "查询码输错次数过多" in html and "分钟后再试" in html and 'lang="zh-hans"' in html
    assert 0 < int(page["Retry-After"]) <= 15 * 60
    # Even the right code waits: a guesser cannot tell a hit while refused.
    assert client.post("/p/track/", {"code": code}).status_code == 429
    api = client.get(f"{API}/{code}")
    assert api.status_code == 429 and "查询码输错次数过多" in api.json()["detail"]
    assert int(api["Retry-After"]) > 0
    rate = client.post(
        f"{API}/{code}/rating", {"rating": "satisfied"}, content_type="application/json"
    )
    assert rate.status_code == 429
    # After the window the right code works again.
    RateCounter.objects.update(window_start=timezone.now() - dt.timedelta(minutes=16))
    assert client.post("/p/track/", {"code": code}).status_code == 200


def test_the_wrong_code_limit_is_per_address(client, world, settings):
    settings.PUBLIC_WRONG_CODE_LIMIT = "2/15m"
    code = code_on(post_form(client, world.a.zone))
    for _ in range(3):
        client.post("/p/track/", {"code": "K7MQ-4XZP-9R"})
    assert client.post("/p/track/", {"code": code}).status_code == 429
    other = client.post("/p/track/", {"code": code}, REMOTE_ADDR="198.51.100.7")
    assert other.status_code == 200


# The client address comes from X-Forwarded-For only behind the proxy --------------------


def _submit_from(client, zone, remote: str, forwarded: str):
    return client.post(
        f"/p/{zone.code}/", form(zone), REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded
    )


def test_without_the_proxy_setting_a_forged_forwarded_for_does_not_escape_the_limit(
    client, world, settings
):
    settings.BEHIND_TLS_PROXY = False
    settings.PUBLIC_SUBMIT_LIMIT = "1/h"
    assert _submit_from(client, world.a.zone, "203.0.113.5", "1.1.1.1").status_code == 200
    assert _submit_from(client, world.a.zone, "203.0.113.5", "2.2.2.2").status_code == 429
    assert list(RateCounter.objects.values_list("client", flat=True)) == ["203.0.113.5"]


def test_behind_the_proxy_the_address_it_appended_is_the_client(client, world, settings):
    settings.BEHIND_TLS_PROXY = True
    settings.PUBLIC_SUBMIT_LIMIT = "1/h"
    proxy = "10.0.0.2"
    first = _submit_from(client, world.a.zone, proxy, "203.0.113.5")
    assert first.status_code == 200
    # A client that writes its own earlier entries is still the same client.
    forged = _submit_from(client, world.a.zone, proxy, "9.9.9.9, 203.0.113.5")
    assert forged.status_code == 429
    # Another client behind the same proxy has its own limit.
    assert _submit_from(client, world.a.zone, proxy, "198.51.100.8").status_code == 200
    assert set(RateCounter.objects.values_list("client", flat=True)) == {
        "203.0.113.5",
        "198.51.100.8",
    }


# Rating: twice, too early, merged away ------------------------------------------------


def test_rating_on_the_portal_before_a_result_then_twice_gives_clear_messages(client, world):
    code = code_on(post_form(client, world.a.zone))
    early = client.post("/p/track/rate/", {"code": code, "rating": "satisfied"})
    assert early.status_code == 409 and "尚无办理结果" in early.content.decode()
    Feedback.objects.update(status=Status.ANSWERED, reply="已修复", replied_at=timezone.now())
    assert client.post("/p/track/rate/", {"code": code, "rating": "satisfied"}).status_code == 200
    again = client.post("/p/track/rate/", {"code": code, "rating": "unsatisfied"})
    assert again.status_code == 409 and "已经评价过" in again.content.decode()
    assert "评价办理结果" not in again.content.decode()  # no form to try again
    assert FeedbackRating.objects.count() == 1


def test_rating_an_item_merged_away_says_it_was_merged(client, world):
    admin = world["zone_admin"]
    kept = code_on(post_form(client, world.a.zone, content="东门路灯坏了"))
    merged = code_on(post_form(client, world.a.zone, content="东门很黑"))
    primary, dup = Feedback.objects.order_by("pk")
    feedback_act(actor=admin, feedback=dup, action="merge", into=primary.pk)
    page = client.post("/p/track/rate/", {"code": merged, "rating": "satisfied"})
    assert page.status_code == 409
    html = page.content.decode()
    assert "合并办理" in html and "尚无办理结果" in html
    # Once the item it went into is answered and rated, the merged one is told so.
    Feedback.objects.filter(pk=primary.pk).update(
        status=Status.ANSWERED, reply="已修复", replied_at=timezone.now()
    )
    assert client.post("/p/track/rate/", {"code": kept, "rating": "satisfied"}).status_code == 200
    api = client.post(
        f"{API}/{merged}/rating", {"rating": "unsatisfied"}, content_type="application/json"
    )
    assert api.status_code == 409
    assert "合并办理" in api.json()["detail"] and "已经评价过" in api.json()["detail"]
    assert FeedbackRating.objects.count() == 1


def test_a_bad_rating_value_on_the_portal_is_a_field_error(client, world):
    code = code_on(post_form(client, world.a.zone))
    Feedback.objects.update(status=Status.ANSWERED, reply="已修复", replied_at=timezone.now())
    for rating in ("great", "", "\x00", "satisfied" * 100):
        page = client.post("/p/track/rate/", {"code": code, "rating": rating})
        assert page.status_code == 422, rating
    assert not FeedbackRating.objects.exists()


# Nothing tells whether a phone number has submitted before -----------------------------


def test_a_phone_number_seen_before_is_answered_exactly_like_a_new_one(client, world):
    first = post_form(client, world.a.zone, name="王先生", phone=PHONE)
    again = post_form(client, world.a.zone, name="王先生", phone=PHONE)
    new = post_form(client, world.a.zone, name="王先生", phone="13800000001")
    shapes = {r.content.decode().replace(code_on(r), "CODE") for r in (first, again, new)}
    assert len(shapes) == 1 and {r.status_code for r in (first, again, new)} == {200}
    body = {"zone": world.a.zone.code, "kind": "help", "content": "积水", "phone": PHONE}
    api = [client.post(API, body, content_type="application/json") for _ in range(2)]
    assert [r.status_code for r in api] == [201, 201]
    assert all(set(r.json()) == {"tracking_code"} for r in api)
    # Each is its own item with its own code: nothing is merged by phone.
    assert FeedbackContact.objects.filter(phone=PHONE).count() == 4
    assert len(set(Feedback.objects.values_list("code_hash", flat=True))) == 5
    # And no code's status mentions the others.
    status = client.post("/p/track/", {"code": code_on(again)}).content.decode()
    assert PHONE not in status and "王先生" not in status
    assert status.count("已提交，等待受理") == 1


# Fuzzing the public form ----------------------------------------------------------------

TEXT = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=80
) | st.sampled_from(["", " ", "\x00", "<script>", "1" * 3000, "%00", "../../etc/passwd"])
KINDS = st.sampled_from(["consult", "help", "complaint", "suggestion", "report"]) | TEXT
FIELDS = st.fixed_dictionaries(
    {},
    optional={
        "kind": KINDS,
        "category": st.sampled_from(["infrastructure", "other", "x"]) | TEXT,
        "content": TEXT,
        "name": TEXT,
        "phone": TEXT | st.from_regex(r"\A1[3-9]\d{9}\Z"),
        "accused": TEXT,
        "anonymous": TEXT,
        "website": st.just("") | TEXT,
    },
)


@pytest.fixture
def generous_limits(settings):
    settings.PUBLIC_SUBMIT_LIMIT = "100000/h"
    settings.PUBLIC_LOOKUP_LIMIT = "100000/m"
    settings.PUBLIC_WRONG_CODE_LIMIT = "100000/m"


@given(data=FIELDS, repeat=st.booleans())
@hypothesis_settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_the_public_form_answers_any_input_without_a_server_error(
    client, world, generous_limits, data, repeat
):
    # Repeated fields (a=1&a=2) are what a hand-made request may send.
    body = {k: [v, v] for k, v in data.items()} if repeat else data
    response = client.post(f"/p/{world.a.zone.code}/", body)
    assert response.status_code in (200, 422), (data, response.status_code)


@given(code=TEXT, rating=TEXT | st.sampled_from(["satisfied", "unsatisfied"]), comment=TEXT)
@hypothesis_settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_tracking_and_rating_answer_any_input_without_a_server_error(
    client, world, generous_limits, code, rating, comment
):
    track = client.post("/p/track/", {"code": code})
    assert track.status_code in (200, 404)
    rate = client.post("/p/track/rate/", {"code": code, "rating": rating, "comment": comment})
    assert rate.status_code in (404, 409, 422)
    zones = client.get("/p/", {"q": code})
    assert zones.status_code == 200


_PHOTO = photo_with_gps()
_HEADS = [
    b"",
    b"\xff\xd8\xff\xe0",
    b"\x89PNG\r\n\x1a\n",
    b"%PDF-1.4\n",
    b"RIFF\x00\x00\x00\x00WEBPVP8 ",
]
FILE_BODIES = (
    st.tuples(st.sampled_from(_HEADS), st.binary(max_size=600)).map(lambda t: t[0] + t[1])
    | st.integers(min_value=0, max_value=len(_PHOTO)).map(lambda n: _PHOTO[:n])
    | st.tuples(st.integers(0, len(_PHOTO) - 1), st.binary(min_size=1, max_size=8)).map(
        lambda t: _PHOTO[: t[0]] + t[1] + _PHOTO[t[0] + len(t[1]) :]
    )
)


# Pillow warns about the EXIF of a photo cut short ("Truncated File Read").
@pytest.mark.filterwarnings("ignore::UserWarning")
@given(
    bodies=st.lists(FILE_BODIES, min_size=1, max_size=3),
    name=st.sampled_from(["a.jpg", "b.png", "c.pdf", "d.webp", "e", "../f.jpg"]),
)
@hypothesis_settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_broken_truncated_and_disguised_files_never_cause_a_server_error(
    client, world, generous_limits, settings, tmp_path, bodies, name
):
    settings.MEDIA_ROOT = tmp_path
    files = [SimpleUploadedFile(name, body) for body in bodies]
    page = client.post(f"/p/{world.a.zone.code}/", form(world.a.zone, files=files))
    assert page.status_code in (200, 422), page.status_code
    body = {"zone": world.a.zone.code, "kind": "help", "content": "积水"}
    api = client.post(API, body | {"files": [SimpleUploadedFile(name, b) for b in bodies]})
    assert api.status_code in (201, 422), api.status_code


def _png_claiming(width: int, height: int) -> bytes:
    """A PNG whose header claims ``width``×``height`` (a decompression bomb's
    first bytes) with one tiny compressed row after it."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    rows = zlib.compress(b"\x00" * 64)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")
    )


# core.uploads' sniffing opens the image before core.images refuses it, and
# Pillow warns there for sizes between its limit and twice that.
@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
@pytest.mark.parametrize("size", [(30000, 30000), (12000, 12000)], ids=["bomb", "huge"])
def test_a_photo_claiming_enormous_dimensions_is_refused_not_decoded(
    client, world, settings, tmp_path, size
):
    settings.MEDIA_ROOT = tmp_path
    bomb = SimpleUploadedFile("p.png", _png_claiming(*size), content_type="image/png")
    page = post_form(client, world.a.zone, files=[bomb])
    assert page.status_code == 422
    nothing_written()


def test_a_code_reaches_only_its_own_item(client, world):
    mine = code_on(post_form(client, world.a.zone, content="东门路灯坏了", name="甲", phone=PHONE))
    post_form(client, world.a.zone, content="西门积水严重", name="乙", phone="13800000002")
    first, second = Feedback.objects.order_by("pk")
    admin = world["zone_admin"]
    feedback_act(actor=admin, feedback=second, action="accept")
    feedback_act(actor=admin, feedback=second, action="reply", reply="西门已疏通")
    feedback_act(actor=admin, feedback=second, action="publish_reply")
    page = client.post("/p/track/", {"code": mine}).content.decode()
    api = client.get(f"{API}/{mine}").content.decode()
    for text in (page, api):
        assert "西门" not in text and "13800000002" not in text
    # Its rating cannot land on the other item either.
    refused = client.post(
        f"{API}/{mine}/rating", {"rating": "unsatisfied"}, content_type="application/json"
    )
    assert refused.status_code == 409
    assert not FeedbackRating.objects.exists()
    second.refresh_from_db()
    assert second.status == Status.ANSWERED and first.status == Status.RECEIVED
