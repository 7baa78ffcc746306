"""Roster writes: the dry run that parks a clean file, the all-or-nothing
import through the org and person services, and the confirmation of a
parked file."""

from __future__ import annotations

from typing import IO, Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext, gettext_lazy

from shiji.audit.kinds import EventKind
from shiji.audit.services import audit_record
from shiji.core import staging
from shiji.core.errors import Conflict
from shiji.core.i18n import recorded
from shiji.core.models import StagedUpload
from shiji.core.uploads import UploadInfo
from shiji.orgs import policy, services
from shiji.orgs.models import Organization, Zone
from shiji.orgs.roster.plan import RosterErrors, RosterPlan, roster_parse

# Writes ------------------------------------------------------------------------------------


def _require_import(actor: policy.Actor, zone: Zone) -> None:
    # A zone the actor cannot see is a 404, one they see but may not import
    # into is a 403: the same for the check, the import and the confirmation.
    policy.require(
        actor,
        "roster.import",
        zone,
        view="zone.view",
        missing=gettext_lazy("高新区不存在"),
        message=gettext_lazy("您没有权限导入本区花名册"),
    )


@transaction.atomic
def roster_dry_run(*, actor: policy.Actor, zone: Zone, file: IO[bytes] | Any) -> RosterPlan:
    """Check an uploaded roster. A clean file with something to import is
    parked for ``roster_confirm`` (``plan.staged_id``); nothing else is written."""
    _require_import(actor, zone)
    staging.staged_purge()
    plan = roster_parse(file, zone)
    if plan.ok and plan.has_changes:
        info = UploadInfo(kind="xlsx", size=plan.size, sha256=plan.sha256)
        staged = staging.staged_create(
            actor=actor, zone=zone, purpose=StagedUpload.Purpose.ROSTER, file=file, info=info
        )
        plan.staged_id = staged.pk
    return plan


@transaction.atomic
def roster_import(*, actor: policy.Actor, zone: Zone, file: IO[bytes] | Any) -> RosterPlan:
    """Import a roster file, all or nothing. Raises ``RosterErrors`` listing
    every problem when the file is not clean; returns the applied plan."""
    _require_import(actor, zone)
    # One import at a time per zone: the plan is made and applied under the lock.
    zone = Zone.objects.select_for_update().get(pk=zone.pk)
    plan = roster_parse(file, zone)
    if not plan.ok:
        raise RosterErrors(plan.errors)
    try:
        with transaction.atomic():
            _apply(actor, zone, plan)
    except IntegrityError:
        # Someone added the same org or person between our checks and our insert.
        raise Conflict(gettext("导入时本区数据正被他人修改，请稍后重新上传")) from None
    counts = plan.counts
    audit_record(
        actor=actor,
        action=EventKind.ROSTER_IMPORT,
        obj=zone,
        changes={
            **{k: [None, v] for k, v in counts.items() if not k.endswith("unchanged")},
            "file": [None, plan.file_name],
            "sha256": [None, plan.sha256],
        },
        note=recorded(
            "导入花名册：新建组织 %(orgs_created)s 个、更新 %(orgs_updated)s 个，"
            "新建人员 %(people_created)s 名、更新 %(people_updated)s 名",
            **counts,
        ),
    )
    return plan


def _apply(actor: policy.Actor, zone: Zone, plan: RosterPlan) -> None:
    def fresh(name: str) -> Organization | None:
        # Moving an org rewrites its subtree's paths in the database, so
        # parents are read afresh rather than from objects held since parsing.
        return Organization.objects.get(zone=zone, name=name) if name else None

    for op in plan.orgs:  # parents first (see _order_by_dependency)
        parent = fresh(op.parent)
        if op.existing is None:
            services.org_create(
                actor=actor,
                zone=zone,
                parent=parent,
                name=op.name,
                kind=op.kind,
                sector=op.sector,
            )
        elif op.changes:
            services.org_update(
                actor=actor, org=op.existing, kind=op.kind, sector=op.sector, parent=parent
            )
    orgs = {o.name: o for o in Organization.objects.filter(zone=zone)}  # paths now final
    for person_op in plan.people:
        if person_op.existing is None:
            services.person_create(
                actor=actor,
                org=orgs[person_op.org],
                name=person_op.name,
                position=person_op.position,
                is_party_member=person_op.is_party_member,
                phone=person_op.phone,
            )
        elif person_op.changes:
            services.person_update(
                actor=actor,
                person=person_op.existing,
                position=person_op.position,
                is_party_member=person_op.is_party_member,
                phone=person_op.phone,
                is_active=True,
            )


@transaction.atomic
def roster_confirm(*, actor: policy.Actor, staged_id: Any) -> tuple[Zone, RosterPlan]:
    """Import the actor's own parked dry-run file, then discard it. Another
    user's, a consumed or an expired one is NotFound."""
    staged = staging.staged_get_for_user(
        user=actor, pk=staged_id, purpose=StagedUpload.Purpose.ROSTER, lock=True
    )
    zone = staged.zone
    plan = roster_import(actor=actor, zone=zone, file=staging.staged_file(staged))
    staged.delete()
    return zone, plan
