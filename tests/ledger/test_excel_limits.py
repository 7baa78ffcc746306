"""Crafted and oversized ledger workbooks against every ledger import entry
point (the page, the API, the background job), the API's hand-over of large
imports to the worker, and rows past an under-stated ``<dimension>``."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from shiji.core.models import StagedUpload
from shiji.ledger import tasks
from shiji.ledger.excel import HEADERS
from shiji.ledger.models import JobKind, JobState, LedgerJob, Problem
from tests import xlsx_attacks
from tests.ledger.test_excel import (
    Snapshot,
    append_row,
    export_bytes,
    new_row_values,
    open_xlsx,
    run_import,
    save,
)

IMPORT = "/api/v1/ledger/import"
EMPTY_CELLS = "含有大量空白单元格"


def upload(data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile("台账.xlsx", data, content_type="application/octet-stream")


@pytest.fixture
def bomb() -> bytes:
    return xlsx_attacks.empty_cells_bomb(HEADERS, sheet="整改台账")


def five_new_rows(world, *, dimension: str | None = None) -> bytes:
    wb = open_xlsx(export_bytes(world["zone_admin"]))
    ws = wb["整改台账"]
    for n in range(5):
        append_row(ws, **new_row_values(world, 问题描述=f"新增问题第 {n + 1} 条"))
    data = save(wb)
    return xlsx_attacks.with_dimension(data, dimension) if dimension else data


# The crafted workbook of 5 million empty cells ------------------------------------------


def test_the_api_refuses_the_empty_cells_workbook_quickly_in_bounded_memory(
    world, categories, api, bomb
):
    client = api(world["zone_admin"])
    before = Snapshot()

    response, seconds, peak_mb = xlsx_attacks.measured(
        lambda: client.post(
            IMPORT, {"file": upload(bomb), "zone": world.a.zone.pk}, format="multipart"
        )
    )

    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert error["field"] == "file" and EMPTY_CELLS in error["message"]
    assert seconds < 30 and peak_mb < 50  # traced: several times slower
    assert before.unchanged() and not LedgerJob.objects.exists()


def test_the_import_page_refuses_the_empty_cells_workbook_quickly_in_bounded_memory(
    world, categories, login, bomb
):
    client = login(world["zone_admin"])
    before = Snapshot()

    response, seconds, peak_mb = xlsx_attacks.measured(
        lambda: client.post(
            reverse("ledger:import"), {"zone": world.a.zone.pk, "file": upload(bomb)}
        )
    )

    assert response.status_code == 422
    assert EMPTY_CELLS in response.content.decode()
    assert seconds < 30 and peak_mb < 50  # traced: several times slower
    assert before.unchanged()
    assert not LedgerJob.objects.exists() and not StagedUpload.objects.exists()


def test_a_job_given_the_empty_cells_workbook_fails_with_the_message(
    world, categories, login, bomb, monkeypatch
):
    """Past the page's threshold the file goes to the worker unread (here:
    by size), so the job meets the limits itself."""
    monkeypatch.setattr(tasks, "IMPORT_SYNC_MAX_BYTES", 0)
    client = login(world["zone_admin"])
    client.post(reverse("ledger:import"), {"zone": world.a.zone.pk, "file": upload(bomb)})
    job = LedgerJob.objects.get()
    before = Snapshot()

    state, seconds, peak_mb = xlsx_attacks.measured(lambda: tasks.job_run(job_id=job.pk))

    job.refresh_from_db()
    assert state == JobState.FAILED and EMPTY_CELLS in job.error
    assert seconds < 30 and peak_mb < 50  # traced: several times slower
    assert before.unchanged()
    html = client.get(reverse("ledger:job", args=[job.pk])).content.decode()
    assert EMPTY_CELLS in html


# Rows past an under-stated <dimension> ---------------------------------------------------


def test_every_row_past_an_under_stated_dimension_is_imported(world, categories):
    """The report's file: a <dimension> of three rows over five new ones
    imported one and said nothing of the other four."""
    data = five_new_rows(world, dimension="A1:P3")

    result = run_import(world, data)

    assert result.as_dict() == {"created": 5, "updated": 0, "errors": []}
    assert sorted(Problem.objects.values_list("description", flat=True)) == [
        f"新增问题第 {n} 条" for n in range(1, 6)
    ]


def test_an_under_stated_dimension_cannot_sneak_a_large_file_into_the_request(
    world, categories, api, monkeypatch
):
    monkeypatch.setattr(tasks, "IMPORT_SYNC_MAX_ROWS", 3)
    data = five_new_rows(world, dimension="A1:P3")
    response = api(world["zone_admin"]).post(
        IMPORT, {"file": upload(data), "zone": world.a.zone.pk}, format="multipart"
    )
    assert response.status_code == 202


# Large imports through the API become jobs --------------------------------------------------


def test_a_large_api_import_answers_202_with_its_job_and_the_job_gives_the_result(
    world, categories, api, monkeypatch
):
    monkeypatch.setattr(tasks, "IMPORT_SYNC_MAX_ROWS", 3)
    client = api(world["zone_admin"])

    response = client.post(
        IMPORT, {"file": upload(five_new_rows(world)), "zone": world.a.zone.pk}, format="multipart"
    )

    assert response.status_code == 202, response.content
    job = LedgerJob.objects.get()
    assert response.json() == {"job": job.pk, "url": f"/api/v1/jobs/{job.pk}", "status": "queued"}
    assert job.kind == JobKind.IMPORT and Problem.objects.count() == 0  # nothing in the request
    assert client.get(f"/api/v1/jobs/{job.pk}").json() == {
        "id": job.pk,
        "kind": "import",
        "status": "queued",
        "phase": "等待开始",
        "done": 0,
        "total": None,
        "error": "",
        "result": None,
    }

    assert tasks.job_run(job_id=job.pk) == JobState.DONE

    body = client.get(f"/api/v1/jobs/{job.pk}").json()
    assert body["status"] == "done"
    assert body["result"] == {"created": 5, "updated": 0, "errors": []}
    assert Problem.objects.count() == 5
    assert not StagedUpload.objects.exists()
    # Someone else's job is not there.
    assert api(world["supervisor"]).get(f"/api/v1/jobs/{job.pk}").status_code == 404


def test_a_large_api_dry_run_is_a_check_job_that_writes_nothing(
    world, categories, api, monkeypatch
):
    monkeypatch.setattr(tasks, "IMPORT_SYNC_MAX_ROWS", 3)
    client = api(world["zone_admin"])
    form = {"file": upload(five_new_rows(world)), "zone": world.a.zone.pk, "dry_run": True}

    job_id = client.post(IMPORT, form, format="multipart").json()["job"]
    tasks.job_run(job_id=job_id)

    body = client.get(f"/api/v1/jobs/{job_id}").json()
    assert (body["kind"], body["status"]) == ("import_check", "done")
    assert body["result"] == {"created": 5, "updated": 0, "errors": []}
    assert Problem.objects.count() == 0


def test_a_small_api_import_keeps_the_synchronous_contract(world, categories, api):
    response = api(world["zone_admin"]).post(
        IMPORT, {"file": upload(five_new_rows(world)), "zone": world.a.zone.pk}, format="multipart"
    )
    assert response.status_code == 200
    assert response.json() == {"created": 5, "updated": 0, "errors": []}
    assert not LedgerJob.objects.exists()
