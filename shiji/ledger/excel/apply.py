"""Applying a checked import: one transaction writes the planned rows
through ``problem_create``, ``problem_update`` and ``problem_add_progress``
(each with its audit event) plus one ``ledger.import`` summary event; a
refusal from a service rolls everything back and is reported by row."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import IO, TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from shiji.audit.kinds import EventKind
from shiji.audit.services import audit_record
from shiji.core import staging
from shiji.core.errors import AppError, Conflict
from shiji.core.i18n import recorded
from shiji.core.models import StagedUpload
from shiji.core.xlsx import ErrorList
from shiji.ledger import services
from shiji.ledger.excel.layout import FIELD_COLUMNS, PHASE_WRITE, SHEET, Col, Progress
from shiji.ledger.excel.plan import ImportResult, Plan, import_plan, result_errors
from shiji.ledger.models import Problem
from shiji.orgs.models import Zone

if TYPE_CHECKING:
    from shiji.orgs.policy import Actor


def import_workbook(
    *,
    actor: Actor,
    zone: Zone,
    file: IO[bytes] | Any,
    dry_run: bool,
    progress: Progress | None = None,
    claim: Callable[[], None] | None = None,
    written: Callable[[ImportResult], None] | None = None,
) -> ImportResult:
    """Import a ledger workbook into ``zone``, all or nothing.

    Raises ``NotFound``/``Forbidden`` (see ``import_require``) and
    ``Invalid`` (field ``file``) for an upload that is not a readable .xlsx
    within the size limit. Everything wrong inside the workbook comes back
    in ``errors``, and then nothing is written. A dry run only checks.
    ``claim`` runs first inside the import's transaction (e.g. to take the
    staged upload, so that a second confirmation of the same file fails
    before writing anything); it commits or rolls back with the import, and
    so does ``written(result)``, called last inside the transaction (a job
    records that it is done there).
    """
    today = timezone.localdate()
    checked = import_plan(actor=actor, zone=zone, file=file, today=today, progress=progress)
    result = checked.result()
    plans, info = checked.plans, checked.info
    if dry_run or not result.ok or not plans:
        return result
    errors = ErrorList()
    if progress:
        progress(PHASE_WRITE, 0, len(plans))
    with transaction.atomic():
        # One import at a time per zone: the second waits for the first.
        Zone.objects.select_for_update().filter(pk=zone.pk).first()
        if claim is not None:
            claim()
        _apply(actor, zone, plans, today, errors)
        if errors:
            transaction.set_rollback(True)
            return ImportResult(errors=result_errors(errors))
        name = str(getattr(file, "name", "") or "").rsplit("/", 1)[-1][:200]
        audit_record(
            actor=actor,
            action=EventKind.LEDGER_IMPORT,
            obj=zone,
            changes={
                "created": [None, result.created],
                "updated": [None, result.updated],
                "file": [None, name],
                "sha256": [None, info.sha256],
            },
            note=recorded(
                "导入整改台账：新增 %(created)s 条、更新 %(updated)s 条",
                created=result.created,
                updated=result.updated,
            ),
        )
        if progress:
            progress(PHASE_WRITE, len(plans), len(plans))
        if written is not None:
            written(result)
    return result


def import_staged(
    *,
    actor: Actor,
    staged: StagedUpload,
    dry_run: bool,
    progress: Progress | None = None,
    written: Callable[[ImportResult], None] | None = None,
) -> ImportResult:
    """Check or import an upload parked after its dry run. A real import
    discards the parked copy in its own transaction, so the same bytes are
    never imported twice (a second attempt is a ``Conflict``)."""

    def consume() -> None:
        _, deleted = StagedUpload.objects.filter(pk=staged.pk).delete()
        if not deleted.get(StagedUpload._meta.label):
            raise Conflict(gettext("这份文件已经导入过了"))

    return import_workbook(
        actor=actor,
        zone=staged.zone,
        file=staging.staged_file(staged),
        dry_run=dry_run,
        progress=progress,
        claim=None if dry_run else consume,
        written=written,
    )


def _apply(actor: Actor, zone: Zone, plans: list[Plan], today: dt.date, errors: ErrorList) -> None:
    """Write the plans through the services; collect every refusal. Each
    service runs in a savepoint, so a refused row leaves the others usable
    and the caller rolls the whole import back."""
    for start in range(0, len(plans), 500):
        batch = plans[start : start + 500]
        problems = Problem.objects.in_bulk([p.problem_id for p in batch if p.problem_id])
        for plan in batch:
            column = plan.columns[0] if plan.columns else ""
            try:
                if plan.problem_id is None:
                    problem = services.problem_create(actor=actor, zone=zone, **plan.fields)
                else:
                    problem = problems[plan.problem_id]
                    if plan.fields:
                        problem = services.problem_update(
                            actor=actor, problem=problem, **plan.fields
                        )
                if plan.progress:
                    column = Col.PROGRESS
                    services.problem_add_progress(actor=actor, problem=problem, text=plan.progress)
            except AppError as exc:
                for name, message in (exc.fields or {"": exc.message}).items():
                    errors.add(SHEET, plan.row, FIELD_COLUMNS.get(name, column), message)
