"""Long ledger exports and imports, run by the background worker
(django-tasks with the database backend; the worker is ``manage.py db_worker``).

The pages hand over work above the thresholds in ``ledger/excel.py``: a
``LedgerJob`` row records who asked for what, and ``run_ledger_job`` does it
in the worker, writing its progress (rows done of the total) to that row,
which the job page polls. A job belongs to the user who started it; anyone
else gets 404. Exports are kept as files under ``ledger-jobs/`` (served only
through the job's download view) until ``job_purge`` removes old jobs.

Progress is committed as it goes while rows are read and checked. The
import's writes are one transaction, which other connections cannot see
into, so that last phase shows as "正在写入" until it commits.
"""

from __future__ import annotations

import datetime as dt
import logging
import tempfile
from collections.abc import Mapping
from typing import Any

from django.core.files import File
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django_tasks import task

from shiji.core.errors import AppError, NotFound
from shiji.core.models import StagedUpload
from shiji.core.validation import parse_id
from shiji.ledger import excel
from shiji.ledger.models import JobKind, JobState, LedgerJob

logger = logging.getLogger(__name__)

# A queued job nobody has picked up after this long means no worker is running.
WORKER_GRACE = dt.timedelta(seconds=10)
JOB_MAX_AGE = dt.timedelta(days=7)
ACTIVE = (JobState.QUEUED, JobState.RUNNING)


@task()
def run_ledger_job(job_id: int) -> str:
    return job_run(job_id=job_id)


# Starting jobs ----------------------------------------------------------------------


def job_start_export(*, user: Any, params: Mapping[str, Any]) -> LedgerJob:
    """Queue an export of what ``user`` may export, filtered by ``params``."""
    params = {key: str(value) for key, value in params.items() if value not in (None, "")}
    zone = excel.export_zone(user=user, params=params)  # NotFound for a zone out of scope
    job = LedgerJob.objects.create(
        kind=JobKind.EXPORT,
        user=user,
        zone=zone,
        params=params,
        file_name=excel.export_filename(zone),
        phase="等待开始",
    )
    _enqueue(job)
    return job


def job_start_import(*, actor: Any, staged: StagedUpload, dry_run: bool) -> LedgerJob:
    """Queue the check (``dry_run``) or the import of a staged upload. A
    second confirmation of the same upload returns the job already under way."""
    excel.import_require(actor=actor, zone=staged.zone)
    kind = JobKind.IMPORT_CHECK if dry_run else JobKind.IMPORT
    running = LedgerJob.objects.filter(kind=kind, staged=staged, state__in=ACTIVE).first()
    if running is not None:
        return running
    job = LedgerJob.objects.create(
        kind=kind,
        user=actor,
        zone=staged.zone,
        staged=staged,
        file_name=staged.original_name[:200],
        phase="等待开始",
    )
    _enqueue(job)
    return job


def _enqueue(job: LedgerJob) -> None:
    # After commit: a worker must never look for a job row it cannot see yet.
    transaction.on_commit(lambda: run_ledger_job.enqueue(job.pk))


# Reading jobs -----------------------------------------------------------------------


def job_get_for_user(*, user: Any, pk: Any) -> LedgerJob:
    job = (
        LedgerJob.objects.select_related("zone")
        .filter(pk=parse_id(pk), user_id=getattr(user, "pk", None))
        .first()
    )
    if job is None:
        raise NotFound("任务不存在")
    return job


def job_waiting_for_worker(job: LedgerJob, *, now: dt.datetime | None = None) -> bool:
    """True when the job has sat in the queue longer than a running worker
    would leave it: the page then says that no worker seems to be running."""
    return job.state == JobState.QUEUED and job.created_at < (now or timezone.now()) - WORKER_GRACE


# Running jobs -----------------------------------------------------------------------


def job_run(*, job_id: int) -> str:
    """Run one job; returns its final state. Claimed by an update on its
    state, so two workers given the same job never both run it."""
    claimed = LedgerJob.objects.filter(pk=job_id, state=JobState.QUEUED).update(
        state=JobState.RUNNING, started_at=timezone.now(), phase="开始处理"
    )
    if not claimed:
        return "skipped"
    job = LedgerJob.objects.select_related("user", "zone", "staged", "staged__zone").get(pk=job_id)
    try:
        result = _run_export(job) if job.kind == JobKind.EXPORT else _run_import(job)
    except AppError as exc:
        message = "；".join(exc.fields.values()) if exc.fields else exc.message
        _finish(job, JobState.FAILED, error=message)
        return JobState.FAILED
    except Exception:
        logger.exception("ledger job %s failed", job_id)
        _finish(job, JobState.FAILED, error="任务执行出错，请重试；如仍失败请联系系统管理员")
        raise
    _finish(job, JobState.DONE, result=result)
    return JobState.DONE


def _progress(job: LedgerJob) -> excel.Progress:
    def report(phase: str, done: int, total: int | None) -> None:
        LedgerJob.objects.filter(pk=job.pk).update(phase=phase, done=done, total=total)

    return report


def _run_export(job: LedgerJob) -> dict[str, Any]:
    with tempfile.TemporaryFile() as out:
        rows = excel.export_workbook(
            user=job.user, params=job.params, out=out, progress=_progress(job)
        )
        out.seek(0)
        job.file.save(job.file_name or excel.export_filename(None), File(out), save=False)
    LedgerJob.objects.filter(pk=job.pk).update(file=job.file.name)
    return {"rows": rows}


def _run_import(job: LedgerJob) -> dict[str, Any]:
    staged = job.staged
    if staged is None:
        raise NotFound("上传的文件已导入或已过期，请重新上传")
    dry_run = job.kind == JobKind.IMPORT_CHECK
    result = excel.import_staged(
        actor=job.user, staged=staged, dry_run=dry_run, progress=_progress(job)
    )
    out = result.as_dict()
    if dry_run:
        out["staged_id"] = staged.pk
    return out


def _finish(
    job: LedgerJob, state: str, *, result: dict[str, Any] | None = None, error: str = ""
) -> None:
    LedgerJob.objects.filter(pk=job.pk).update(
        state=state,
        result=result or {},
        error=error,
        phase="已完成" if state == JobState.DONE else "失败",
        finished_at=timezone.now(),
    )


# Housekeeping -----------------------------------------------------------------------


def job_purge(*, now: dt.datetime | None = None, max_age: dt.timedelta = JOB_MAX_AGE) -> int:
    """Delete finished jobs older than ``max_age`` with their export files,
    and jobs stuck that long (a worker that died mid-job); returns how many."""
    cutoff = (now or timezone.now()) - max_age
    old = LedgerJob.objects.filter(created_at__lt=cutoff).filter(
        Q(state__in=(JobState.DONE, JobState.FAILED))
        | Q(started_at__lt=cutoff)
        | Q(state=JobState.QUEUED)
    )
    count = 0
    for job in old.iterator():
        if job.file:
            job.file.delete(save=False)
        job.delete()
        count += 1
    return count
