"""The Excel pages: the export download, the upload → check → confirm
import, the background jobs with their progress page (run by the real
django-tasks worker), and the management commands."""

from __future__ import annotations

import datetime as dt
import io
import os

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from shiji.audit.models import AuditEvent
from shiji.core.models import StagedUpload
from shiji.ledger import excel, tasks
from shiji.ledger.excel import HEADERS
from shiji.ledger.models import JobKind, JobState, LedgerJob, Problem, Status
from tests.ledger.test_excel import (
    COL,
    append_row,
    export_bytes,
    new_row_values,
    open_xlsx,
    row_of,
    save,
)


def body(response) -> bytes:
    return b"".join(response.streaming_content)


def xlsx_upload(data: bytes, name: str = "整改台账.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


def edited_workbook(world, problems) -> bytes:
    """The zone A export with one changed 整改措施 and one new row."""
    wb = open_xlsx(export_bytes(world["zone_admin"]))
    ws = wb["整改台账"]
    ws.cell(row_of(ws, problems[0].code), COL["整改措施"], "建立月度通报制度")
    append_row(ws, **new_row_values(world))
    return save(wb)


def run_worker() -> None:
    call_command("db_worker", "--batch", "--no-reload", "--no-startup-delay", "--interval", "0")


@pytest.fixture
def problems(world, make_problem):
    return [make_problem(world), make_problem(world, status=Status.IN_PROGRESS)]


# Export ------------------------------------------------------------------------------------


def test_export_downloads_the_filtered_workbook(world, problems, make_problem, login):
    make_problem(world, zone="b")
    client = login(world["zone_admin"])

    response = client.get(reverse("ledger:export"), {"status": "in_progress", "page": "3"})

    assert response.status_code == 200
    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert "attachment" in response["Content-Disposition"]
    assert "filename*=utf-8''" in response["Content-Disposition"]  # the Chinese name
    ws = load_workbook(io.BytesIO(body(response)))["整改台账"]
    assert [c.value for c in ws[2]] == HEADERS
    assert ws.max_row == 3
    assert ws.cell(3, COL["台账编号"]).value == problems[1].code


def test_export_of_another_zone_is_not_found(world, problems, login):
    response = login(world["zone_admin"]).get(reverse("ledger:export"), {"zone": world.b.zone.pk})
    assert response.status_code == 404


def test_export_requires_login(client):
    response = client.get(reverse("ledger:export"))
    assert response.status_code == 302 and "login" in response["Location"]


def test_export_refuses_other_methods(world, login):
    assert login(world["zone_admin"]).put(reverse("ledger:export")).status_code == 405


def test_export_needs_the_export_permission(world, problems, login):
    """The API refused it; the page used to hand over an (empty) workbook."""
    response = login(world["nobody"]).get(reverse("ledger:export"))
    assert response.status_code == 403
    assert login(world["nobody"]).post(reverse("ledger:export")).status_code == 403
    assert not LedgerJob.objects.exists()


def test_export_download_is_never_cached(world, problems, login):
    response = login(world["zone_admin"]).get(reverse("ledger:export"))
    assert response["Cache-Control"] == "private, no-store"


def test_a_large_export_is_started_by_post_only(world, problems, login, monkeypatch):
    """A GET (a link followed, a prefetch) only asks; it never queues work."""
    monkeypatch.setattr(tasks, "EXPORT_SYNC_MAX_ROWS", 1)
    client = login(world["zone_admin"])

    for _ in range(3):
        asked = client.get(reverse("ledger:export"), {"kind": "deadline"})
    assert asked.status_code == 200
    html = asked.content.decode()
    assert "要导出 2 个问题" in html and 'name="csrfmiddlewaretoken"' in html
    assert 'name="kind" value="deadline"' in html
    assert not LedgerJob.objects.exists()

    client.post(reverse("ledger:export"), {"kind": "deadline"})
    client.post(reverse("ledger:export"), {"kind": "deadline"})  # the same export again

    job = LedgerJob.objects.get()
    assert job.params == {"kind": "deadline"} and job.state == JobState.QUEUED


def test_each_user_may_have_only_a_few_jobs_waiting(world, problems, login, monkeypatch):
    monkeypatch.setattr(tasks, "EXPORT_SYNC_MAX_ROWS", 0)
    client = login(world["zone_admin"])
    for status in ("open", "in_progress", "submitted"):
        client.post(reverse("ledger:export"), {"status": status})

    refused = client.post(reverse("ledger:export"), {"status": "closed"})

    assert refused.status_code == 409
    assert "您已有 3 个任务在排队或进行中，请等它们完成后再开始新的任务" in refused.content.decode()
    assert LedgerJob.objects.count() == 3
    # Someone else is not held up by them.
    login(world["sysadmin"]).post(reverse("ledger:export"), {"status": "closed"})
    assert LedgerJob.objects.filter(user=world["sysadmin"]).count() == 1


def test_large_export_becomes_a_job_and_says_when_no_worker_runs(
    world, problems, login, monkeypatch
):
    monkeypatch.setattr(tasks, "EXPORT_SYNC_MAX_ROWS", 1)
    client = login(world["zone_admin"])

    response = client.post(reverse("ledger:export"))

    job = LedgerJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("ledger:job", args=[job.pk])
    assert (job.kind, job.state, job.user) == (JobKind.EXPORT, JobState.QUEUED, world["zone_admin"])
    page = client.get(response["Location"])
    html = page.content.decode()
    assert 'hx-trigger="every 1s"' in html and "排队中" in html
    assert "没有后台任务处理程序在运行" not in html

    LedgerJob.objects.filter(pk=job.pk).update(created_at=timezone.now() - dt.timedelta(minutes=1))
    fragment = client.get(response["Location"], headers={"HX-Request": "true"})
    html = fragment.content.decode()
    assert "<html" not in html and 'id="sj-ledger-job"' in html
    assert "没有后台任务处理程序在运行" in html and "db_worker" in html
    assert fragment["Vary"].count("HX-Request") == 1


@pytest.mark.django_db(transaction=True)
def test_large_export_runs_in_the_worker_with_progress_and_download(
    world, problems, login, monkeypatch
):
    monkeypatch.setattr(tasks, "EXPORT_SYNC_MAX_ROWS", 1)
    client = login(world["zone_admin"])
    location = client.post(reverse("ledger:export"), {"kind": "deadline"})["Location"]

    run_worker()

    job = LedgerJob.objects.get()
    assert job.state == JobState.DONE
    assert (job.done, job.total, job.result) == (2, 2, {"rows": 2})
    assert job.params == {"kind": "deadline"}
    html = client.get(location, headers={"HX-Request": "true"}).content.decode()
    assert "hx-trigger" not in html  # finished: the polling stops
    assert "已导出 2 个问题" in html
    download = client.get(reverse("ledger:job_download", args=[job.pk]))
    assert download.status_code == 200
    assert download["Cache-Control"] == "private, no-store"
    ws = load_workbook(io.BytesIO(body(download)))["整改台账"]
    assert {ws.cell(r, COL["台账编号"]).value for r in (3, 4)} == {p.code for p in problems}
    # Another user sees neither the job nor its file.
    other = login(world["supervisor"])
    assert other.get(location).status_code == 404
    assert other.get(reverse("ledger:job_download", args=[job.pk])).status_code == 404


def finished_export(world, client) -> LedgerJob:
    client.post(reverse("ledger:export"))
    job = LedgerJob.objects.get()
    tasks.job_run(job_id=job.pk)  # what the worker does
    job.refresh_from_db()
    assert job.state == JobState.DONE
    return job


def test_a_finished_export_checks_the_right_to_export_again(world, problems, login, monkeypatch):
    monkeypatch.setattr(tasks, "EXPORT_SYNC_MAX_ROWS", 0)
    admin = world["zone_admin"]
    client = login(admin)
    job = finished_export(world, client)
    download = reverse("ledger:job_download", args=[job.pk])
    assert client.get(download).status_code == 200

    # Moved to another zone: the file holds zone A's records.
    admin.grants.update(zone=world.b.zone)
    assert client.get(download).status_code == 404
    # No grant left at all.
    admin.grants.all().delete()
    assert client.get(download).status_code == 403


def test_a_job_whose_worker_died_is_failed_with_a_message_and_can_be_retried(
    world, problems, login, monkeypatch
):
    monkeypatch.setattr(tasks, "EXPORT_SYNC_MAX_ROWS", 0)
    client = login(world["zone_admin"])
    client.post(reverse("ledger:export"))
    job = LedgerJob.objects.get()
    # A worker claimed it, then died: its lease runs out.
    LedgerJob.objects.filter(pk=job.pk).update(
        state=JobState.RUNNING,
        started_at=timezone.now() - dt.timedelta(minutes=5),
        lease_until=timezone.now() - dt.timedelta(seconds=1),
        attempts=1,
    )

    html = client.get(reverse("ledger:job", args=[job.pk])).content.decode()

    job.refresh_from_db()
    assert job.state == JobState.FAILED and job.error == tasks.INTERRUPTED
    assert "后台处理程序在任务进行中停止了" in html and 'id="sj-job-retry"' in html
    assert "hx-trigger" not in html

    retried = client.post(reverse("ledger:job_retry", args=[job.pk]))

    assert retried["Location"] == reverse("ledger:job", args=[job.pk])
    job.refresh_from_db()
    assert (job.state, job.error) == (JobState.QUEUED, "")
    assert tasks.job_run(job_id=job.pk) == JobState.DONE
    job.refresh_from_db()
    assert job.attempts == 2 and job.result == {"rows": 2}
    # Only a failed job is retried; another user's is not there at all.
    assert (
        login(world["supervisor"]).post(reverse("ledger:job_retry", args=[job.pk])).status_code
        == 404
    )


def test_a_worker_that_lost_its_lease_records_nothing(world, problems, login, monkeypatch):
    monkeypatch.setattr(tasks, "EXPORT_SYNC_MAX_ROWS", 0)
    client = login(world["zone_admin"])
    client.post(reverse("ledger:export"))
    job = LedgerJob.objects.get()

    def stalled(*args, **kwargs):
        # Meanwhile the lease ran out and the job was failed by someone else.
        LedgerJob.objects.filter(pk=job.pk).update(state=JobState.FAILED, error="中断")
        return real(*args, **kwargs)

    real = excel.export_workbook
    monkeypatch.setattr(excel, "export_workbook", stalled)

    assert tasks.job_run(job_id=job.pk) == "lost"
    job.refresh_from_db()
    assert (job.state, job.error, job.file.name) == (JobState.FAILED, "中断", "")


# Import ------------------------------------------------------------------------------------


def test_import_page_offers_the_upload_form(world, login):
    response = login(world["zone_admin"]).get(reverse("ledger:import"))
    html = response.content.decode()
    assert response.status_code == 200
    assert 'enctype="multipart/form-data"' in html and 'name="file"' in html
    assert f'value="{world.a.zone.pk}"' in html


@pytest.mark.parametrize("role", ["liaison", "secretary", "supervisor", "nobody"])
def test_import_page_is_refused_to_roles_that_may_not_import(world, login, role):
    client = login(world[role])
    assert client.get(reverse("ledger:import")).status_code == 403
    response = client.post(
        reverse("ledger:import"), {"zone": world.a.zone.pk, "file": xlsx_upload(b"x")}
    )
    assert response.status_code == 403


def test_importing_into_another_zone_is_not_found(world, problems, login):
    data = export_bytes(world["zone_admin"])
    response = login(world["zone_admin"]).post(
        reverse("ledger:import"), {"zone": world.b.zone.pk, "file": xlsx_upload(data)}
    )
    assert response.status_code == 404
    assert not StagedUpload.objects.exists()


def test_check_then_confirm_imports_the_same_bytes(world, problems, login):
    client = login(world["zone_admin"])
    data = edited_workbook(world, problems)
    count, events = Problem.objects.count(), AuditEvent.objects.count()

    check = client.post(
        reverse("ledger:import"), {"zone": world.a.zone.pk, "file": xlsx_upload(data)}
    )

    html = check.content.decode()
    assert check.status_code == 200
    assert "将新增 1 条、更新 1 条" in html and "确认导入" in html
    staged = StagedUpload.objects.get()
    assert bytes(staged.content) == data and staged.purpose == "ledger"
    assert (Problem.objects.count(), AuditEvent.objects.count()) == (count, events)

    done = client.post(reverse("ledger:import_confirm"), {"staged": staged.pk}, follow=True)

    assert done.redirect_chain[0][0] == f"{reverse('ledger:list')}?zone={world.a.zone.pk}"
    assert "整改台账已导入：新增 1 条、更新 1 条" in done.content.decode()
    problems[0].refresh_from_db()
    assert problems[0].measures == "建立月度通报制度"
    assert Problem.objects.count() == count + 1
    assert not StagedUpload.objects.exists()
    assert AuditEvent.objects.filter(action="ledger.import").count() == 1

    again = client.post(reverse("ledger:import_confirm"), {"staged": staged.pk}, follow=True)
    assert "上传的文件已导入或已过期" in again.content.decode()
    assert Problem.objects.count() == count + 1


def test_unchanged_workbook_needs_no_confirmation(world, problems, login):
    data = export_bytes(world["zone_admin"])
    response = login(world["zone_admin"]).post(
        reverse("ledger:import"), {"zone": world.a.zone.pk, "file": xlsx_upload(data)}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "没有需要导入的变更" in html and "确认导入" not in html
    assert not StagedUpload.objects.exists()


def test_check_lists_the_errors_by_row_and_column(world, problems, login):
    wb = open_xlsx(export_bytes(world["zone_admin"]))
    r = append_row(wb["整改台账"], **new_row_values(world, 责任单位="不存在的委员会"))
    response = login(world["zone_admin"]).post(
        reverse("ledger:import"), {"zone": world.a.zone.pk, "file": xlsx_upload(save(wb))}
    )
    html = response.content.decode()
    assert response.status_code == 422
    assert "发现 1 处问题，未导入任何数据" in html
    assert f"第 {r} 行" in html and "责任单位“不存在的委员会”不在本区的组织中" in html
    assert "确认导入" not in html
    assert not StagedUpload.objects.exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"MZ\x90\x00" + os.urandom(2048), "文件不是有效的 Excel（.xlsx）文件"),
        (b"", "文件是空的，请检查后重新上传"),
        (None, "请选择要上传的文件"),
    ],
)
def test_bad_uploads_are_refused_next_to_the_file_field(world, login, content, message):
    data = {"zone": world.a.zone.pk}
    if content is not None:
        data["file"] = xlsx_upload(content, name="台账.xlsx")
    response = login(world["zone_admin"]).post(reverse("ledger:import"), data)
    assert response.status_code == 422
    assert message in response.content.decode()
    assert not StagedUpload.objects.exists()


def test_confirming_someone_elses_upload_is_refused(world, problems, login):
    client = login(world["zone_admin"])
    client.post(
        reverse("ledger:import"),
        {"zone": world.a.zone.pk, "file": xlsx_upload(edited_workbook(world, problems))},
    )
    staged = StagedUpload.objects.get()
    count = Problem.objects.count()
    other = login(world["sysadmin"])
    response = other.post(reverse("ledger:import_confirm"), {"staged": staged.pk}, follow=True)
    assert "上传的文件已导入或已过期" in response.content.decode()
    assert Problem.objects.count() == count
    assert StagedUpload.objects.filter(pk=staged.pk).exists()


@pytest.mark.django_db(transaction=True)
def test_large_import_is_checked_and_imported_by_the_worker(world, problems, login, monkeypatch):
    monkeypatch.setattr(tasks, "IMPORT_SYNC_MAX_ROWS", 0)
    client = login(world["zone_admin"])
    data = edited_workbook(world, problems)

    check = client.post(
        reverse("ledger:import"), {"zone": world.a.zone.pk, "file": xlsx_upload(data)}
    )

    job = LedgerJob.objects.get()
    assert check["Location"] == reverse("ledger:job", args=[job.pk])
    assert job.kind == JobKind.IMPORT_CHECK and job.state == JobState.QUEUED
    run_worker()
    job.refresh_from_db()
    assert job.state == JobState.DONE
    assert (job.phase, job.done, job.total) == ("已完成", 3, 3)
    staged = StagedUpload.objects.get()
    assert job.result == {"created": 1, "updated": 1, "errors": [], "staged_id": staged.pk}
    html = client.get(check["Location"]).content.decode()
    assert "将新增 1 条、更新 1 条" in html and f'value="{staged.pk}"' in html
    assert Problem.objects.count() == 2

    confirm = client.post(reverse("ledger:import_confirm"), {"staged": staged.pk})
    again = client.post(reverse("ledger:import_confirm"), {"staged": staged.pk})

    job = LedgerJob.objects.get(kind=JobKind.IMPORT)
    assert confirm["Location"] == again["Location"] == reverse("ledger:job", args=[job.pk])
    run_worker()
    job.refresh_from_db()
    assert job.state == JobState.DONE
    assert job.result == {"created": 1, "updated": 1, "errors": []}
    assert Problem.objects.count() == 3
    assert not StagedUpload.objects.exists()
    html = client.get(confirm["Location"]).content.decode()
    assert "整改台账已导入：新增 1 条、更新 1 条" in html


def test_job_that_fails_says_why(world, problems, login, monkeypatch):

    monkeypatch.setattr(tasks, "IMPORT_SYNC_MAX_ROWS", 0)
    client = login(world["zone_admin"])
    client.post(
        reverse("ledger:import"),
        {"zone": world.a.zone.pk, "file": xlsx_upload(edited_workbook(world, problems))},
    )
    job = LedgerJob.objects.get()
    StagedUpload.objects.all().delete()  # expired before the worker got to it

    assert tasks.job_run(job_id=job.pk) == JobState.FAILED
    assert tasks.job_run(job_id=job.pk) == "skipped"  # claimed once only
    html = client.get(reverse("ledger:job", args=[job.pk])).content.decode()
    assert "上传的文件已导入或已过期，请重新上传" in html and "hx-trigger" not in html


def test_old_jobs_and_their_files_are_purged(world, problems, monkeypatch, tmp_path):

    monkeypatch.setattr(tasks, "EXPORT_SYNC_MAX_ROWS", 0)
    job = tasks.job_start_export(user=world["zone_admin"], params={})
    tasks.job_run(job_id=job.pk)
    job.refresh_from_db()
    path = job.file.path
    assert os.path.exists(path)
    assert tasks.job_purge() == 0
    LedgerJob.objects.update(created_at=timezone.now() - dt.timedelta(days=8))
    out = io.StringIO()
    call_command("ledger_purge_jobs", stdout=out)
    assert "已删除 1 个" in out.getvalue()
    assert not LedgerJob.objects.exists() and not os.path.exists(path)


# Management commands ---------------------------------------------------------------------


def test_export_command_writes_the_workbook_with_progress(world, problems, tmp_path):
    path = tmp_path / "台账.xlsx"
    out = io.StringIO()
    call_command("ledger_export", "--user", "zone_admin", "-o", str(path), stdout=out)
    text = out.getvalue()
    assert "导出：2 / 2 行（100%）" in text and "已导出 2 个问题" in text
    ws = load_workbook(path)["整改台账"]
    assert ws.max_row == 4


def test_import_command_checks_then_imports(world, problems, tmp_path):
    path = tmp_path / "台账.xlsx"
    path.write_bytes(edited_workbook(world, problems))
    out = io.StringIO()
    call_command(
        "ledger_import", str(path), "--user", "zone_admin", "--zone", "za", "--dry-run", stdout=out
    )
    assert "检查通过，将新增 1 条、更新 1 条" in out.getvalue()
    assert Problem.objects.count() == 2
    call_command("ledger_import", str(path), "--user", "zone_admin", "--zone", "za", stdout=out)
    assert "已导入：新增 1 条、更新 1 条" in out.getvalue()
    assert Problem.objects.count() == 3


def test_import_command_reports_errors_and_fails(world, problems, tmp_path):
    from django.core.management.base import CommandError

    wb = open_xlsx(export_bytes(world["zone_admin"]))
    r = append_row(wb["整改台账"], **new_row_values(world, 问题类别="文山会海"))
    path = tmp_path / "台账.xlsx"
    path.write_bytes(save(wb))
    err = io.StringIO()
    with pytest.raises(CommandError, match="发现 1 处问题"):
        call_command("ledger_import", str(path), "--user", "zone_admin", "--zone", "za", stderr=err)
    assert f"第 {r} 行 [问题类别]" in err.getvalue()
    assert Problem.objects.count() == 2


# In a real browser ---------------------------------------------------------------------------


@pytest.fixture
def signed_in(browser, browser_context_args, live_server, world, settings, tmp_path):
    """A Chromium page signed in as zone A's admin, failing on any JS error."""
    from playwright.sync_api import expect

    from tests.conftest import PASSWORD

    settings.MEDIA_ROOT = tmp_path / "media"
    context = browser.new_context(**browser_context_args)
    page = context.new_page()
    page.js_errors = []
    page.on("pageerror", lambda exc: page.js_errors.append(str(exc)))
    page.goto(f"{live_server.url}{reverse('login')}")
    page.fill("#id_username", "zone_admin")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator(".sj-brand")).to_be_visible()
    yield page
    context.close()


@pytest.mark.browser
def test_round_trip_in_the_browser(signed_in, live_server, world, problems, artifacts):
    """Export from the list, edit the file, upload it, read the preview,
    confirm, and land on the list with the message."""
    from playwright.sync_api import expect

    page = signed_in
    page.goto(f"{live_server.url}{reverse('ledger:list')}")
    with page.expect_download() as download:
        page.get_by_role("link", name="导出 Excel").click()
    assert download.value.suggested_filename.startswith("甲高新区-问题整改台账-")
    wb = load_workbook(io.BytesIO(download.value.path().read_bytes()))
    ws = wb["整改台账"]
    ws.cell(row_of(ws, problems[0].code), COL["整改措施"], "建立月度通报制度")
    append_row(ws, **new_row_values(world))
    edited = artifacts / "ledger-import.xlsx"
    wb.save(edited)

    page.get_by_role("link", name="导入 Excel").click()
    page.set_input_files("#id_file", str(edited))
    page.get_by_role("button", name="上传并检查").click()
    expect(page.get_by_text("检查通过：将新增 1 条、更新 1 条")).to_be_visible()
    page.screenshot(path=str(artifacts / "ledger-import-preview.png"), full_page=True)
    page.get_by_role("button", name="确认导入").click()

    expect(page.get_by_text("整改台账已导入：新增 1 条、更新 1 条")).to_be_visible()
    assert reverse("ledger:list") in page.url
    problems[0].refresh_from_db()
    assert problems[0].measures == "建立月度通报制度"
    assert page.js_errors == []


@pytest.mark.browser
def test_job_page_follows_the_worker_without_reloading(
    signed_in, live_server, world, problems, artifacts, monkeypatch
):
    from playwright.sync_api import expect

    monkeypatch.setattr(tasks, "EXPORT_SYNC_MAX_ROWS", 1)
    page = signed_in
    page.goto(f"{live_server.url}{reverse('ledger:export')}")
    page.locator("#sj-export-start").click()
    expect(page.locator("[data-state=queued]")).to_be_visible()
    job = LedgerJob.objects.get()
    LedgerJob.objects.filter(pk=job.pk).update(created_at=timezone.now() - dt.timedelta(minutes=1))
    expect(page.locator("#sj-no-worker")).to_be_visible()  # the next poll says so
    page.screenshot(path=str(artifacts / "ledger-job-no-worker.png"), full_page=True)

    tasks.job_run(job_id=job.pk)  # what the worker does

    expect(page.locator("#sj-job-download")).to_be_visible()  # htmx polled it in
    page.screenshot(path=str(artifacts / "ledger-job-done.png"), full_page=True)
    with page.expect_download() as download:
        page.locator("#sj-job-download").click()
    ws = load_workbook(io.BytesIO(download.value.path().read_bytes()))["整改台账"]
    assert ws.max_row == 4
    assert page.js_errors == []
