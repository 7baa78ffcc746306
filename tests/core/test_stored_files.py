"""Every place that keeps an uploaded file (problem evidence, regulation files,
study materials and speeches, task report evidence) stores it under the
extension of what its bytes are, downloads it under that extension, and,
when the storage refuses the bytes, says so clearly and writes nothing."""

from __future__ import annotations

import errno
import os
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from shiji.audit.models import AuditEvent
from shiji.campaigns import services as campaigns
from shiji.campaigns.models import AssignmentEvidence, StudyKind, TaskAssignment, WorkArrangement
from shiji.core.errors import Invalid
from shiji.core.thumbnails import thumbnail_name
from shiji.core.uploads import STORAGE_MESSAGE, StorageUnavailable
from shiji.ledger import services as ledger
from shiji.ledger.models import Evidence, Problem
from shiji.orgs.services import token_issue
from shiji.regulations import services as regulations
from shiji.regulations.models import Regulation
from shiji.study import services as study
from shiji.study.models import Material, Speech, StudySession
from tests.conftest import SYSTEM, relative_day
from tests.ledger.conftest import create_categories, problem_maker
from tests.samples import image_bytes, pdf_bytes

JPEG_AS_HTML = "jh.html"


def stored_files(settings) -> list[str]:
    root = settings.MEDIA_ROOT
    return sorted(
        os.path.relpath(os.path.join(folder, name), root)
        for folder, _, names in os.walk(root)
        for name in names
    )


@dataclass
class Place:
    """One place that stores files: how to upload to it, as whom, and where
    the upload and its download end up."""

    upload: Any  # (file) -> the row that keeps the file
    rows: Any  # () -> queryset of such rows
    download_url: Any  # (row) -> URL of the download view
    reader: Any  # who may download it
    field: str = "file"


@pytest.fixture
def places(world) -> dict[str, Place]:
    make_problem = problem_maker(create_categories(world))
    problem = make_problem(world, status="in_progress")
    secretary, admin = world["secretary"], world["zone_admin"]

    regulation = regulations.regulation_create(
        actor=admin, zone=world.a.zone, org=world.a.organ, title="审批时限管理办法", action="new"
    )

    campaign = campaigns.campaign_load(actor=SYSTEM, path="zhengjiguan-2026").campaign
    campaigns.zone_adopt_campaign(actor=SYSTEM, zone=world.a.zone, campaign=campaign)
    task = campaigns.task_create(
        actor=admin,
        zone=world.a.zone,
        campaign=campaign,
        arrangement=WorkArrangement.objects.get(campaign=campaign, code="study"),
        title="召开专题学习会",
        sectors=["organ"],
        deadline=None,
    )
    assignment = task.assignments.get(org=world.a.dept)
    session = study.session_create(
        actor=admin,
        zone=world.a.zone,
        org=world.a.dept,
        kind=StudyKind.objects.filter(campaign=campaign).first(),
        date=relative_day(-7),
        topic="学习正确政绩观重要论述",
        duration_hours=Decimal("2"),
    )
    speaker = world.a.dept.people.first()

    def regulation_upload(file):
        regulations.regulation_attach_file(actor=admin, regulation=regulation, file=file)
        return Regulation.objects.get(pk=regulation.pk)

    return {
        "problem evidence": Place(
            upload=lambda f: ledger.problem_add_evidence(actor=secretary, problem=problem, file=f),
            rows=lambda: Evidence.objects.filter(problem=problem),
            download_url=lambda e: reverse("ledger:evidence_download", args=[problem.pk, e.pk]),
            reader=admin,
        ),
        "regulation file": Place(
            upload=regulation_upload,
            rows=lambda: Regulation.objects.filter(pk=regulation.pk).exclude(file=""),
            download_url=lambda r: reverse("regulations:file", args=[r.pk]),
            reader=admin,
        ),
        "task report evidence": Place(
            upload=lambda f: campaigns.assignment_transition(
                actor=secretary, assignment=assignment, action="report", note="已完成", files=[f]
            ).evidence.latest("pk"),
            rows=lambda: AssignmentEvidence.objects.filter(assignment=assignment),
            download_url=lambda e: reverse(
                "campaigns:evidence_download", args=[assignment.pk, e.pk]
            ),
            reader=admin,
        ),
        "study material": Place(
            upload=lambda f: study.material_add(actor=admin, session=session, file=f),
            rows=lambda: Material.objects.filter(session=session),
            download_url=lambda m: reverse("study:material_download", args=[session.pk, m.pk]),
            reader=admin,
        ),
        "study speech": Place(
            upload=lambda f: study.speech_add(
                actor=admin, session=session, person=speaker, title="研讨发言", file=f
            ),
            rows=lambda: Speech.objects.filter(session=session).exclude(file=""),
            download_url=lambda s: reverse("study:speech_download", args=[session.pk, s.pk]),
            reader=admin,
        ),
    }


PLACES = [
    "problem evidence",
    "regulation file",
    "task report evidence",
    "study material",
    "study speech",
]


def _name_of(row) -> str:
    return getattr(row, "original_name", None) or row.file_name


# (Regulation files are PDF or Office only: see the PDF case below.)
@pytest.mark.parametrize("place", [p for p in PLACES if p != "regulation file"])
def test_a_jpeg_named_html_is_stored_and_downloaded_as_a_jpg(place, places, login, settings):
    where = places[place]
    row = where.upload(SimpleUploadedFile(JPEG_AS_HTML, image_bytes("jpeg", place)))

    assert _name_of(row) == JPEG_AS_HTML  # shown to users as uploaded
    assert row.file.name.endswith(".jpg")
    assert not [f for f in stored_files(settings) if not f.endswith(".jpg")]

    response = login(where.reader).get(where.download_url(row))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert 'filename="jh.jpg"' in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == image_bytes("jpeg", place)


def test_a_pdf_named_html_is_stored_and_downloaded_as_a_pdf(places, login, settings):
    where = places["regulation file"]
    row = where.upload(SimpleUploadedFile("办法.html", pdf_bytes("办法")))

    assert row.file_name == "办法.html" and row.file.name.endswith(".pdf")
    response = login(where.reader).get(where.download_url(row))
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        "attachment; filename*=utf-8''%E5%8A%9E%E6%B3%95.pdf"  # 办法.pdf
    )
    assert stored_files(settings) == [row.file.name]


# Seen in the browser: inline, thumbnails, always in a sandbox ------------------------


@pytest.mark.parametrize("place", [p for p in PLACES if p != "regulation file"])
def test_an_image_opens_inline_and_has_a_thumbnail_wherever_it_is_kept(
    place, places, login, settings
):
    where = places[place]
    row = where.upload(SimpleUploadedFile("现场.jpg", image_bytes("jpeg", place)))
    client = login(where.reader)

    shown = client.get(where.download_url(row) + "?inline=1")
    assert shown["Content-Type"] == "image/jpeg"
    assert shown["Content-Disposition"].startswith("inline;")
    assert shown["Content-Security-Policy"] == "sandbox"
    assert shown["X-Content-Type-Options"] == "nosniff"

    thumb = client.get(where.download_url(row) + "?size=thumb")
    assert thumb.status_code == 200 and thumb["Content-Type"] == "image/jpeg"
    assert thumb["Content-Security-Policy"] == "sandbox"
    assert stored_files(settings) == sorted([row.file.name, thumbnail_name(row.file.name)])


@pytest.mark.parametrize("place", PLACES)
def test_a_pdf_opens_inline_in_a_sandbox_wherever_it_is_kept(place, places, login):
    where = places[place]
    row = where.upload(SimpleUploadedFile("报告.pdf", pdf_bytes(place)))
    client = login(where.reader)

    shown = client.get(where.download_url(row) + "?inline=1")
    assert shown["Content-Type"] == "application/pdf"
    assert shown["Content-Disposition"].startswith("inline;")
    assert shown["Content-Security-Policy"] == "sandbox"
    assert shown["X-Content-Type-Options"] == "nosniff"
    assert client.get(where.download_url(row) + "?size=thumb").status_code == 404
    saved = client.get(where.download_url(row))
    assert saved["Content-Disposition"].startswith("attachment;")


# When the storage refuses the bytes ------------------------------------------------


@pytest.fixture
def full_disk(monkeypatch):
    """Storage that starts writing, then fails as a full disk does, leaving
    the truncated file behind (FileSystemStorage does not clean it up)."""

    def save(self, name, content):
        path = self.path(name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as out:
            out.write(b"\xff\xd8\xff")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(FileSystemStorage, "_save", save)


def _content(place: str) -> bytes:
    return pdf_bytes(place) if place == "regulation file" else image_bytes("png", place)


@pytest.mark.parametrize("place", PLACES)
def test_a_storage_failure_is_a_clear_error_and_writes_nothing(place, places, full_disk, settings):
    where = places[place]
    events = AuditEvent.objects.count()

    with pytest.raises(StorageUnavailable) as exc:
        where.upload(SimpleUploadedFile("现场.png", _content(place)))

    assert exc.value.status == 503
    assert exc.value.fields == {"file": STORAGE_MESSAGE}
    assert not where.rows().exists()
    assert AuditEvent.objects.count() == events
    assert stored_files(settings) == []  # the truncated file is gone too


def test_a_storage_failure_in_the_api_answers_503_with_a_json_message(world, full_disk, api):
    problem = problem_maker(create_categories(world))(world, status="in_progress")
    secretary = api(world["secretary"])  # issuing the token is an event of its own
    events = AuditEvent.objects.count()

    response = secretary.post(
        f"/api/v1/problems/{problem.pk}/evidence",
        {"file": SimpleUploadedFile("现场.png", image_bytes("png"))},
        format="multipart",
    )

    assert response.status_code == 503
    assert response.json()["code"] == "storage_unavailable"
    assert response.json()["detail"] == STORAGE_MESSAGE
    assert not problem.evidence.exists() and AuditEvent.objects.count() == events


@pytest.mark.parametrize("place", ["problem evidence", "study material"])
def test_a_storage_failure_on_a_page_shows_the_message_in_chinese(
    place, places, full_disk, login, world, settings
):
    where = places[place]
    if place == "problem evidence":
        user, url = (
            world["secretary"],
            reverse("ledger:evidence_upload", args=[Problem.objects.get().pk]),
        )
    else:
        user, url = (
            world["zone_admin"],
            reverse("study:material_upload", args=[StudySession.objects.get().pk]),
        )

    response = login(user).post(url, {"file": SimpleUploadedFile("现场.png", image_bytes("png"))})

    assert response.status_code == 503
    assert STORAGE_MESSAGE in response.content.decode()
    assert not where.rows().exists()
    assert stored_files(settings) == []


# A multipart body the server cannot parse ------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/problems/{problem}/evidence",
        "/api/v1/ledger/import",
        "/api/v1/assignments/{assignment}/report",
    ],
    ids=["evidence", "ledger-import", "task-report"],
)
def test_a_multipart_body_without_a_boundary_is_a_400_in_json(path, places, world, client):
    url = path.format(
        problem=Problem.objects.get().pk,
        assignment=TaskAssignment.objects.get(org=world.a.dept).pk,
    )
    token = token_issue(user=world["secretary"])
    events = AuditEvent.objects.count()
    body = b'--x\r\nContent-Disposition: form-data; name="note"\r\n\r\nok\r\n--x--\r\n'

    response = client.generic(
        "POST",
        url,
        body,
        content_type="multipart/form-data",  # no boundary=
        headers={"Authorization": "Bearer " + token},
    )

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response.json()["code"] == "bad_request"
    assert "boundary" in response.json()["detail"]
    assert AuditEvent.objects.count() == events


def test_a_report_whose_second_file_is_refused_keeps_none_of_its_files(places, world, settings):
    assignment = TaskAssignment.objects.get(org=world.a.dept)
    events = AuditEvent.objects.count()
    files = [
        SimpleUploadedFile("现场.jpg", image_bytes("jpeg", "first")),
        SimpleUploadedFile("说明.pdf", b"%PDF-1.7 but not really"),
    ]

    with pytest.raises(Invalid):
        campaigns.assignment_transition(
            actor=world["secretary"],
            assignment=assignment,
            action="report",
            note="已完成",
            files=files,
        )

    assert not assignment.evidence.exists() and AuditEvent.objects.count() == events
    assert stored_files(settings) == []


def test_a_report_whose_second_file_the_storage_refuses_keeps_none_of_its_files(
    places, world, settings, monkeypatch
):
    assignment = TaskAssignment.objects.get(org=world.a.dept)
    real_save = FileSystemStorage._save
    calls = []

    def second_fails(self, name, content):
        calls.append(name)
        if len(calls) == 2:
            raise OSError(errno.EROFS, "Read-only file system")
        return real_save(self, name, content)

    monkeypatch.setattr(FileSystemStorage, "_save", second_fails)
    files = [
        SimpleUploadedFile("现场.jpg", image_bytes("jpeg", "first")),
        SimpleUploadedFile("现场2.jpg", image_bytes("jpeg", "second")),
    ]

    with pytest.raises(StorageUnavailable):
        campaigns.assignment_transition(
            actor=world["secretary"],
            assignment=assignment,
            action="report",
            note="已完成",
            files=files,
        )

    assert len(calls) == 2
    assert not assignment.evidence.exists()
    assert stored_files(settings) == []
