"""A real worker killed in the middle of an import (``kill -9``): the job
does not stay "running" forever, nothing half-done is written, and the user
retries it to the end. The worker is ``manage.py db_worker`` in a process of
its own, on the test database (a file on SQLite, see tests/conftest.py)."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from shiji.core.models import StagedUpload
from shiji.ledger import excel, tasks
from shiji.ledger.models import JobKind, JobState, LedgerJob, Problem
from tests.ledger.test_excel import append_row, export_bytes, new_row_values, open_xlsx, save

ROOT = Path(__file__).resolve().parent.parent.parent
ROWS = 1000  # 5 to 20 ms each to write: the write phase lasts seconds


def database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def start_worker(media_root: Path, log: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "MEDIA_ROOT": str(media_root),
        "DJANGO_SETTINGS_MODULE": "shiji.settings",
    }
    return subprocess.Popen(
        [
            sys.executable,
            "manage.py",
            "db_worker",
            "--no-reload",
            "--no-startup-delay",
            "--interval",
            "0.1",
        ],
        cwd=ROOT,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )


def wait_for(condition, *, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail("timed out waiting for the worker; its output:\n" + log.read_text()[-3000:])
        time.sleep(0.05)


# real_clock: the worker/server is a process of its own, which --today cannot move.
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_import_leaves_a_failed_job_that_a_retry_completes(
    real_clock, world, categories, login, monkeypatch, settings, tmp_path
):
    monkeypatch.setattr(tasks, "IMPORT_SYNC_MAX_ROWS", 0)  # every upload goes to a job
    client = login(world["zone_admin"])
    wb = open_xlsx(export_bytes(world["zone_admin"]))
    for n in range(ROWS):
        append_row(wb["整改台账"], **new_row_values(world, 问题描述=f"新增问题 {n + 1}"))
    upload = SimpleUploadedFile("台账.xlsx", save(wb), content_type="application/octet-stream")
    client.post(reverse("ledger:import"), {"zone": world.a.zone.pk, "file": upload})
    check = LedgerJob.objects.get(kind=JobKind.IMPORT_CHECK)
    assert tasks.job_run(job_id=check.pk) == JobState.DONE
    staged = StagedUpload.objects.get()
    client.post(reverse("ledger:import_confirm"), {"staged": staged.pk})
    job = LedgerJob.objects.get(kind=JobKind.IMPORT)

    log = tmp_path / "worker.log"
    worker = start_worker(Path(settings.MEDIA_ROOT), log)
    try:
        # Let it get into the write phase (one transaction), then kill it.
        wait_for(
            lambda: LedgerJob.objects.filter(pk=job.pk, phase=excel.PHASE_WRITE).exists(), log=log
        )
        time.sleep(0.3)
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
    finally:
        if worker.poll() is None:
            worker.kill()

    job.refresh_from_db()
    assert job.state == JobState.RUNNING  # what it said forever before
    assert Problem.objects.count() == 0  # its transaction died with it
    assert StagedUpload.objects.filter(pk=staged.pk).exists()

    # Time passes beyond the lease (the write phase had its length up front).
    LedgerJob.objects.filter(pk=job.pk).update(lease_until=timezone.now() - dt.timedelta(seconds=1))
    page = client.get(reverse("ledger:job", args=[job.pk])).content.decode()

    job.refresh_from_db()
    assert job.state == JobState.FAILED and job.error == tasks.INTERRUPTED
    assert "后台处理程序在任务进行中停止了" in page and 'id="sj-job-retry"' in page

    client.post(reverse("ledger:job_retry", args=[job.pk]))
    call_command("db_worker", "--batch", "--no-reload", "--no-startup-delay", "--interval", "0")

    job.refresh_from_db()
    assert job.state == JobState.DONE and job.attempts == 2
    assert job.result == {"created": ROWS, "updated": 0, "errors": []}
    assert Problem.objects.count() == ROWS
    assert not StagedUpload.objects.exists()
