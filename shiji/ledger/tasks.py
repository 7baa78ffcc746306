"""Long ledger exports and imports, run by the background worker
(django-tasks with the database backend; the worker is ``manage.py db_worker``).

The pages and the API hand over work above the thresholds below: a
``LedgerJob`` row records who asked for what, and ``run_ledger_job`` does it
in the worker, writing its progress (rows done of the total) to that row,
which the job page polls. A job belongs to the user who started it; anyone
else gets 404. Exports are kept as files under ``ledger-jobs/`` (served only
through the job's download view, which checks the right to export again)
until ``job_purge`` removes old jobs.

Progress is committed as it goes while rows are read and checked. The
import's writes are one transaction, which other connections cannot see
into, so that last phase shows as "正在写入" until it commits; the job is
marked done inside that same transaction.

A worker can die mid-job (killed, restarted). So a running job is leased:
the claim takes a lease of ``LEASE``, every progress report renews it, and
a job whose lease ran out is failed with a message saying so
(``job_recover``: run by every worker before a job, by the job page and by
``manage.py ledger_purge_jobs``); its owner may retry it (``job_retry``).
A worker that finds its lease gone stops without recording anything more.

Each user has at most ``MAX_ACTIVE_JOBS_PER_USER`` jobs queued or running,
and an identical export asked for again soon is the same job.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import tempfile
from collections.abc import Mapping
from typing import Any

from django.core.files import File
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop
from django_tasks import task

from shiji.core import staging
from shiji.core.errors import AppError, Conflict, NotFound
from shiji.core.i18n import in_chinese
from shiji.core.models import StagedUpload
from shiji.core.uploads import MB, UploadInfo
from shiji.core.validation import parse_id
from shiji.ledger import excel
from shiji.ledger.models import JobKind, JobState, LedgerJob
from shiji.orgs import policy
from shiji.orgs.models import User, Zone

logger = logging.getLogger(__name__)

# Above these sizes the web pages and the API hand the work to the
# background worker; smaller files are done within the request, so the
# pages work without a worker. A fresh import row costs about 20 ms (a
# problem, its code and its audit event).
EXPORT_SYNC_MAX_ROWS = 5000
IMPORT_SYNC_MAX_ROWS = 500
IMPORT_SYNC_MAX_BYTES = 1 * MB  # bigger files are not even opened in the request

# A queued job nobody has picked up after this long means no worker is running.
WORKER_GRACE = dt.timedelta(seconds=10)
JOB_MAX_AGE = dt.timedelta(days=7)
ACTIVE = (JobState.QUEUED, JobState.RUNNING)
# Progress is reported every few hundred rows, far more often than this.
LEASE = dt.timedelta(seconds=60)
# The import's write phase cannot renew its lease (one transaction), so it
# gets this much per row up front: five times the usual cost of a row.
WRITE_ROW_ALLOWANCE = dt.timedelta(milliseconds=100)
EXPORT_REUSE_AGE = dt.timedelta(minutes=10)
MAX_ACTIVE_JOBS_PER_USER = 3
# A job's phase and error are stored in Chinese, like every stored text; the
# job page shows them translated (core.i18n.stored_text), hence gettext_noop.
INTERRUPTED = gettext_noop(
    "后台处理程序在任务进行中停止了（例如服务器重启），任务没有完成，也没有写入任何数据。"
    "请点击“重试”重新执行"
)
FAILED = gettext_noop("任务执行出错，请重试；如仍失败请联系系统管理员")
PHASE_WAITING = gettext_noop("等待开始")
PHASE_STARTED = gettext_noop("开始处理")
PHASE_INTERRUPTED = gettext_noop("中断")
PHASE_DONE = gettext_noop("已完成")
PHASE_FAILED = gettext_noop("失败")


@task()
def run_ledger_job(job_id: int) -> str:
    return job_run(job_id=job_id)


# Work in the request, or a job? -----------------------------------------------------


def import_is_large(file: Any) -> bool:
    """Whether this upload is imported by the worker rather than within the
    request (the pages and the API alike). Its rows are counted, never taken
    from the sheet's ``<dimension>``; a workbook past the import's limits is
    refused here already (``WorkbookTooLarge``)."""
    size = getattr(file, "size", None)
    if size is None:
        file.seek(0, 2)
        size = file.tell()
        file.seek(0)
    if size > IMPORT_SYNC_MAX_BYTES:
        return True
    rows = excel.import_row_count(file, stop_after=IMPORT_SYNC_MAX_ROWS)
    return rows is None or rows > IMPORT_SYNC_MAX_ROWS


# Starting jobs ----------------------------------------------------------------------


def job_start_export(*, user: User, params: Mapping[str, Any]) -> LedgerJob:
    """Queue an export of what ``user`` may export, filtered by ``params``;
    or return the same user's identical export that is under way or that
    finished within ``EXPORT_REUSE_AGE``."""
    excel.require_export(user)
    params = {key: str(value) for key, value in params.items() if value not in (None, "")}
    zone = excel.export_zone(user=user, params=params)  # NotFound for a zone out of scope
    fingerprint = hashlib.sha256(
        json.dumps(params, sort_keys=True, ensure_ascii=False).encode()
    ).hexdigest()
    with transaction.atomic():
        _lock_user(user)
        recent = timezone.now() - EXPORT_REUSE_AGE
        reusable = (
            LedgerJob.objects.filter(kind=JobKind.EXPORT, user=user, fingerprint=fingerprint)
            .filter(Q(state__in=ACTIVE) | Q(state=JobState.DONE, finished_at__gte=recent))
            .exclude(state=JobState.DONE, file="")
            .order_by("-created_at")
            .first()
        )
        if reusable is not None:
            return reusable
        _check_active_bound(user)
        zone_ids = policy.zone_ids_for(user, "ledger.export")
        job = LedgerJob.objects.create(
            kind=JobKind.EXPORT,
            user=user,
            zone=zone,
            params=params,
            fingerprint=fingerprint,
            scope=None if zone_ids is None else sorted(zone_ids),
            file_name=excel.export_filename(zone, params),
            phase=PHASE_WAITING,
        )
        _enqueue(job)
    return job


def job_start_import(*, actor: User, staged: StagedUpload, dry_run: bool) -> LedgerJob:
    """Queue the check (``dry_run``) or the import of a staged upload. A
    second confirmation of the same upload returns the job already under way."""
    excel.import_require(actor=actor, zone=staged.zone)
    kind = JobKind.IMPORT_CHECK if dry_run else JobKind.IMPORT
    with transaction.atomic():
        _lock_user(actor)
        running = LedgerJob.objects.filter(kind=kind, staged=staged, state__in=ACTIVE).first()
        if running is not None:
            return running
        _check_active_bound(actor)
        job = LedgerJob.objects.create(
            kind=kind,
            user=actor,
            zone=staged.zone,
            staged=staged,
            file_name=staged.original_name[:200],
            phase=PHASE_WAITING,
        )
        _enqueue(job)
    return job


def job_start_import_upload(
    *, actor: User, zone: Zone, file: Any, info: UploadInfo, dry_run: bool
) -> LedgerJob:
    """Park an upload that ``check_upload`` accepted (``info``) and queue
    its check or its import."""
    excel.import_require(actor=actor, zone=zone)
    with transaction.atomic():
        staged = staging.staged_create(
            actor=actor, zone=zone, purpose=StagedUpload.Purpose.LEDGER, file=file, info=info
        )
        return job_start_import(actor=actor, staged=staged, dry_run=dry_run)


def job_retry(*, user: User, job: LedgerJob) -> LedgerJob:
    """Queue a failed job of the user's again. An import needs its upload
    still parked; an export checks the right to export again."""
    if job.state != JobState.FAILED:
        raise Conflict(gettext("只有失败的任务可以重试"))
    if job.kind == JobKind.EXPORT:
        excel.require_export(user)
        excel.export_zone(user=user, params=job.params)  # NotFound when out of scope now
    elif job.staged_id is None or job.zone is None:  # an import's zone is its upload's
        raise NotFound(gettext("上传的文件已导入或已过期，请重新上传"))
    else:
        excel.import_require(actor=user, zone=job.zone)
    with transaction.atomic():
        _lock_user(user)
        _check_active_bound(user)
        retried = LedgerJob.objects.filter(pk=job.pk, state=JobState.FAILED).update(
            state=JobState.QUEUED,
            phase=PHASE_WAITING,
            error="",
            done=0,
            total=None,
            result={},
            created_at=timezone.now(),
            started_at=None,
            finished_at=None,
            lease_until=None,
        )
        if not retried:
            raise Conflict(gettext("任务已在重试"))
        _enqueue(job)
    job.refresh_from_db()
    return job


def _lock_user(user: User) -> None:
    # Serialises one user's job starts, so two at once cannot both pass the
    # bound below (a short lock on the user's own row).
    User.objects.select_for_update().filter(pk=user.pk).first()


def _check_active_bound(user: User) -> None:
    active = LedgerJob.objects.filter(user=user, state__in=ACTIVE).count()
    if active >= MAX_ACTIVE_JOBS_PER_USER:
        raise Conflict(
            gettext("您已有 %(count)s 个任务在排队或进行中，请等它们完成后再开始新的任务")
            % {"count": active}
        )


def _enqueue(job: LedgerJob) -> None:
    # After commit: a worker must never look for a job row it cannot see yet.
    transaction.on_commit(lambda: run_ledger_job.enqueue(job.pk))


# Reading jobs -----------------------------------------------------------------------


def job_get_for_user(*, user: policy.Actor, pk: Any) -> LedgerJob:
    """The user's own job (anyone else's is NotFound). A running job whose
    worker has died is failed first, so the page says so and offers a retry."""
    job = (
        LedgerJob.objects.select_related("zone")
        .filter(pk=parse_id(pk), user=policy.user_of(user))  # None: nobody's job
        .first()
    )
    if job is None:
        raise NotFound(gettext("任务不存在"))
    if job.state == JobState.RUNNING and job_recover(pk=job.pk):
        job.refresh_from_db()
    return job


def job_download_check(*, user: Any, job: LedgerJob) -> None:
    """The right to a finished export is checked again at download: a user
    who lost ``ledger.export`` is Forbidden; one who no longer sees every
    zone the file covers (moved zone, narrower grant) gets NotFound."""
    if job.kind != JobKind.EXPORT or job.state != JobState.DONE or not job.file:
        raise NotFound(gettext("文件不存在"))
    excel.require_export(user)
    now_ids = policy.zone_ids_for(user, "ledger.export")
    covered = job.scope
    if now_ids is not None and (covered is None or not set(covered) <= set(now_ids)):
        raise NotFound(gettext("文件不存在"))


def job_waiting_for_worker(job: LedgerJob, *, now: dt.datetime | None = None) -> bool:
    """True when the job has sat in the queue longer than a running worker
    would leave it: the page then says that no worker seems to be running."""
    return job.state == JobState.QUEUED and job.created_at < (now or timezone.now()) - WORKER_GRACE


# Running jobs -----------------------------------------------------------------------


class LeaseLost(Exception):
    """This worker's lease on its job ran out and the job was failed or
    retried meanwhile: the work stops, and nothing more is recorded."""


@in_chinese  # what it stores (phase, error) is Chinese, shown translated
def job_run(*, job_id: int) -> str:
    """Run one job; returns its final state. Claimed by an update on its
    state, so two workers given the same job never both run it; the claim
    takes a lease that progress reports renew."""
    job_recover()  # whatever a worker that died left running
    now = timezone.now()
    claimed = LedgerJob.objects.filter(pk=job_id, state=JobState.QUEUED).update(
        state=JobState.RUNNING,
        started_at=now,
        lease_until=now + LEASE,
        attempts=F("attempts") + 1,
        phase=PHASE_STARTED,
    )
    if not claimed:
        return "skipped"
    job = LedgerJob.objects.select_related("user", "zone", "staged", "staged__zone").get(pk=job_id)
    try:
        result = _run_export(job) if job.kind == JobKind.EXPORT else _run_import(job)
    except LeaseLost:
        return "lost"
    except AppError as exc:
        message = gettext("；").join(exc.fields.values()) if exc.fields else exc.message
        _finish(job, JobState.FAILED, error=message)
        return JobState.FAILED
    except Exception:
        logger.exception("ledger job %s failed", job_id)
        _finish(job, JobState.FAILED, error=FAILED)
        raise
    _finish(job, JobState.DONE, result=result)
    return JobState.DONE


def job_recover(*, pk: int | None = None, now: dt.datetime | None = None) -> int:
    """Fail the running jobs whose lease has run out: their worker stopped
    (killed, restarted) mid-job. An import's writes are one transaction that
    also marks its job done, so such a job wrote nothing; its owner may
    retry it. Returns how many jobs were failed."""
    now = now or timezone.now()
    expired = LedgerJob.objects.filter(state=JobState.RUNNING).filter(
        Q(lease_until__lt=now) | Q(lease_until__isnull=True, started_at__lt=now - LEASE)
    )
    if pk is not None:
        expired = expired.filter(pk=pk)
    return expired.update(
        state=JobState.FAILED,
        error=INTERRUPTED,
        phase=PHASE_INTERRUPTED,
        finished_at=now,
        lease_until=None,
    )


def _held(job: LedgerJob) -> QuerySet[LedgerJob]:
    """The job's row while this worker still holds it (its own attempt)."""
    return LedgerJob.objects.filter(pk=job.pk, state=JobState.RUNNING, attempts=job.attempts)


def _progress(job: LedgerJob) -> excel.Progress:
    def report(phase: str, done: int, total: int | None) -> None:
        lease = LEASE
        if phase == excel.PHASE_WRITE and done == 0 and total:
            # The writes are one transaction that cannot report as it goes:
            # the lease covers them up front.
            lease += WRITE_ROW_ALLOWANCE * total
        renewed = _held(job).update(
            phase=phase, done=done, total=total, lease_until=timezone.now() + lease
        )
        if not renewed:
            raise LeaseLost

    return report


def _run_export(job: LedgerJob) -> dict[str, Any]:
    with tempfile.TemporaryFile() as out:
        rows = excel.export_workbook(
            user=job.user, params=job.params, out=out, progress=_progress(job)
        )
        out.seek(0)
        job.file.save(
            job.file_name or excel.export_filename(None, job.params), File(out), save=False
        )
    if not _held(job).update(file=job.file.name):
        job.file.delete(save=False)
        raise LeaseLost
    return {"rows": rows}


def _run_import(job: LedgerJob) -> dict[str, Any]:
    staged = job.staged
    if staged is None:
        raise NotFound(gettext("上传的文件已导入或已过期，请重新上传"))
    dry_run = job.kind == JobKind.IMPORT_CHECK

    def written(result: excel.ImportResult) -> None:
        # Inside the import's transaction: the job is done exactly when its
        # rows are, even if the worker dies right after the commit.
        if not _finish(job, JobState.DONE, result=result.as_dict()):
            raise LeaseLost

    result = excel.import_staged(
        actor=job.user,
        staged=staged,
        dry_run=dry_run,
        progress=_progress(job),
        written=None if dry_run else written,
    )
    out = result.as_dict()
    if dry_run:
        out["staged_id"] = staged.pk
    return out


def _finish(
    job: LedgerJob, state: str, *, result: dict[str, Any] | None = None, error: str = ""
) -> bool:
    return bool(
        _held(job).update(
            state=state,
            result=result or {},
            error=error,
            phase=PHASE_DONE if state == JobState.DONE else PHASE_FAILED,
            finished_at=timezone.now(),
            lease_until=None,
        )
    )


# Housekeeping -----------------------------------------------------------------------


def job_purge(*, now: dt.datetime | None = None, max_age: dt.timedelta = JOB_MAX_AGE) -> int:
    """Fail running jobs whose lease ran out (``job_recover``), then delete
    jobs older than ``max_age`` with their export files; returns how many
    were deleted."""
    job_recover(now=now)
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
