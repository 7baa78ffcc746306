"""Writes to the rule-making register (建章立制). The HTML views, the API and
the demo loader call these; each runs in one transaction with its audit event."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from shiji.audit.kinds import REGULATION_MOVES, EventKind
from shiji.audit.services import audit_record, created, diff, snapshot
from shiji.core.errors import Conflict, NotFound, invalid
from shiji.core.i18n import recorded
from shiji.core.uploads import MB, OFFICE, check_upload, stored_upload, upload_name
from shiji.core.validation import clean_choice, clean_date, clean_text, parse_id
from shiji.core.workflow import move_named, require_source
from shiji.ledger.models import Problem
from shiji.ledger.selectors import problems_visible_to
from shiji.orgs import policy
from shiji.orgs.models import Zone
from shiji.orgs.selectors import org_reference
from shiji.regulations import workflow
from shiji.regulations.models import Action, Regulation, Status

REGULATION_FIELDS = ["zone", "org", "title", "doc_number", "action", "summary", "issued_on"]
EDIT_FIELDS = ["org", "title", "doc_number", "action", "summary", "issued_on"]
FILE_KINDS = OFFICE | {"pdf"}
TEXT_LIMIT = 4000


def _locked(regulation: Regulation) -> Regulation:
    return (
        Regulation.objects.select_for_update().select_related("zone", "org").get(pk=regulation.pk)
    )


def _clean_issued_on(value: Any, *, required: bool) -> dt.date | None:
    day = clean_date(value, field="issued_on", label=gettext("印发日期"), required=required)
    if day is not None and day > timezone.localdate():
        raise invalid(issued_on=gettext("印发日期不能晚于今天"))
    return day


def _clean(actor: policy.Actor, zone: Zone, data: dict[str, Any], status: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "org" in data:
        out["org"] = org_reference(
            actor=actor, zone=zone, value=data["org"], field="org", label=gettext("制定单位")
        )
    if "title" in data:
        out["title"] = clean_text(
            data["title"], field="title", label=gettext("制度名称"), max_length=200
        )
    if "doc_number" in data:
        out["doc_number"] = clean_text(
            data["doc_number"],
            field="doc_number",
            label=gettext("文号"),
            max_length=100,
            required=False,
        )
    if "action" in data:
        out["action"] = clean_choice(
            data["action"], field="action", label=gettext("类型"), choices=Action
        )
    if "summary" in data:
        out["summary"] = clean_text(
            data["summary"],
            field="summary",
            label=gettext("主要内容"),
            max_length=TEXT_LIMIT,
            required=False,
        )
    if "issued_on" in data:
        out["issued_on"] = _clean_issued_on(data["issued_on"], required=status == Status.ISSUED)
    return out


def _problems_of(actor: policy.Actor, zone: Zone, problems: Iterable[Any]) -> list[Problem]:
    """The problems to link, given as records or ids: each must be one of the
    zone's problems that ``actor`` can see; any other refuses the whole
    request before anything is written (the same answer for another zone's
    problem and for one that does not exist)."""
    wanted = [p.pk if isinstance(p, Problem) else parse_id(p) for p in problems]
    found = problems_visible_to(user=actor).filter(zone=zone, pk__in=wanted).in_bulk()
    if any(pk not in found for pk in wanted):
        raise invalid(problems=gettext("所选问题不存在或不属于本高新区，不能关联"))
    return [found[pk] for pk in dict.fromkeys(wanted)]


@transaction.atomic
def regulation_create(
    *,
    actor: policy.Actor,
    zone: Zone,
    org: Any,
    title: Any,
    action: Any,
    doc_number: Any = "",
    summary: Any = "",
    issued_on: Any = None,
    problems: Iterable[Any] = (),
    file: Any = None,
    is_sample: bool = False,
) -> Regulation:
    """A new entry of the register, in status 起草."""
    values = _clean(
        actor,
        zone,
        {
            "org": org, "title": title, "action": action, "doc_number": doc_number,
            "summary": summary, "issued_on": issued_on,
        },
        Status.DRAFT,
    )  # fmt: skip
    policy.require(actor, "regulation.edit", values["org"])
    linked = _problems_of(actor, zone, problems)
    regulation = Regulation.objects.create(
        zone=zone,
        created_by=policy.user_of(actor),
        is_sample=is_sample,
        **values,
    )
    audit_record(
        actor=actor,
        action=EventKind.REGULATION_CREATE,
        obj=regulation,
        changes=created(regulation, REGULATION_FIELDS),
    )
    if linked:
        _link(actor, regulation, linked)
    if file is not None:
        _store_file(actor, regulation, file)
    return regulation


@transaction.atomic
def regulation_update(*, actor: policy.Actor, regulation: Regulation, **fields: Any) -> Regulation:
    regulation = _locked(regulation)
    policy.require(actor, "regulation.edit", regulation)
    unknown = set(fields) - set(EDIT_FIELDS)
    if unknown:
        raise invalid(**dict.fromkeys(unknown, gettext("不能修改此字段")))
    workflow.check("edit", regulation)
    values = _clean(actor, regulation.zone, fields, regulation.status)
    if "org" in values and values["org"].pk != regulation.org_id:
        policy.require(actor, "regulation.edit", values["org"])
    before = snapshot(regulation, EDIT_FIELDS)
    for key, value in values.items():
        setattr(regulation, key, value)
    changes = diff(before, snapshot(regulation, EDIT_FIELDS))
    if changes:
        regulation.save(update_fields=[*changes, "updated_at"])
        audit_record(
            actor=actor, action=EventKind.REGULATION_UPDATE, obj=regulation, changes=changes
        )
    return regulation


@transaction.atomic
def regulation_transition(
    *,
    actor: policy.Actor,
    regulation: Regulation,
    action: str,
    issued_on: Any = None,
    note: Any = "",
) -> Regulation:
    """One move of regulations/workflow.py. 印发 takes the issued date (or the
    one already entered), which must be given and not in the future."""
    move = move_named(workflow.MOVES, action)
    regulation = _locked(regulation)
    policy.require(actor, move.permission, regulation)
    require_source(move, regulation, gettext("制度当前为“%(status)s”，不能%(move)s"))
    note = clean_text(
        note,
        field="note",
        label=gettext("退回理由"),
        max_length=TEXT_LIMIT,
        required=move.needs_note,
    )
    changes: dict[str, Any] = {"status": [regulation.status, move.target]}
    fields = ["status", "updated_at"]
    if action == "submit":
        regulation.submitted_by = policy.user_of(actor)
        fields.append("submitted_by")
    if action == "issue":
        did = policy.did_steps(
            [(regulation.created_by_id, "drafter"), (regulation.submitted_by_id, "submitter")]
        )
        refusal = policy.four_eyes_refusal(actor, did, policy.ISSUE_REGULATION)
        if refusal:
            raise Conflict(refusal)
        given = issued_on if issued_on not in (None, "") else regulation.issued_on
        day = _clean_issued_on(given, required=True)
        if day != regulation.issued_on:
            changes["issued_on"] = [regulation.issued_on, day]
            regulation.issued_on = day
            fields.append("issued_on")
    regulation.status = move.target
    regulation.save(update_fields=fields)
    audit_record(
        actor=actor,
        action=REGULATION_MOVES[action],
        obj=regulation,
        changes=changes,
        note=note,
    )
    return regulation


def _link(actor: policy.Actor, regulation: Regulation, problems: list[Problem]) -> list[int]:
    have = set(regulation.problems.values_list("pk", flat=True))
    new = [p for p in problems if p.pk not in have]
    if new:
        regulation.problems.add(*new)
        audit_record(
            actor=actor,
            action=EventKind.REGULATION_LINK,
            obj=regulation,
            changes={"problems": [None, [p.code for p in new]]},
        )
    return [p.pk for p in new]


@transaction.atomic
def regulation_link_problems(
    *, actor: policy.Actor, regulation: Regulation, problems: Iterable[Any]
) -> list[int]:
    """Link problems of the regulation's zone; returns the ids newly linked.
    A problem of another zone refuses the whole request."""
    regulation = _locked(regulation)
    policy.require(actor, "regulation.edit", regulation)
    workflow.check("link", regulation)
    linked = _problems_of(actor, regulation.zone, problems)
    if not linked:
        raise invalid(problems=gettext("请选择要关联的问题"))
    return _link(actor, regulation, linked)


@transaction.atomic
def regulation_unlink_problem(*, actor: policy.Actor, regulation: Regulation, problem: Any) -> None:
    regulation = _locked(regulation)
    policy.require(actor, "regulation.edit", regulation)
    workflow.check("link", regulation)
    if not isinstance(problem, Problem) or not regulation.problems.filter(pk=problem.pk).exists():
        raise NotFound(gettext("该问题未关联此制度"))
    regulation.problems.remove(problem)
    audit_record(
        actor=actor,
        action=EventKind.REGULATION_UNLINK,
        obj=regulation,
        changes={"problems": [[problem.code], None]},
    )


@transaction.atomic
def regulation_attach_file(*, actor: policy.Actor, regulation: Regulation, file: Any) -> Regulation:
    """Attach (or replace) the regulation's document: PDF or Office, checked by content."""
    regulation = _locked(regulation)
    policy.require(actor, "regulation.edit", regulation)
    workflow.check("file", regulation)
    _store_file(actor, regulation, file)
    return regulation


def _store_file(actor: policy.Actor, regulation: Regulation, file: Any) -> None:
    info = check_upload(file, allowed=FILE_KINDS, max_bytes=settings.MAX_UPLOAD_MB * MB)
    name = upload_name(file, default=recorded("制度文件"))
    before = {"name": regulation.file_name or None, "sha256": regulation.file_sha256 or None}
    regulation.file_sha256 = info.sha256
    regulation.file_name, regulation.file_kind, regulation.file_size = name, info.kind, info.size
    with stored_upload(regulation.file, file, name=name):
        regulation.save(
            update_fields=["file", "file_name", "file_kind", "file_size", "file_sha256",
                           "updated_at"]
        )  # fmt: skip
        audit_record(
            actor=actor,
            action=EventKind.REGULATION_FILE,
            obj=regulation,
            changes={"file": [before if before["sha256"] else None,
                              {"name": name, "sha256": info.sha256}]},
        )  # fmt: skip
