"""The task list (任务清单): tasks from the campaign's templates or added by
the zone, their assignment to organizations (分类指导), and the reports
that organizations make and the task force accepts or returns.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from shiji.audit.kinds import ASSIGNMENT_MOVES, EventKind
from shiji.audit.services import audit_record, created
from shiji.campaigns import workflow
from shiji.campaigns.models import (
    AssignmentEvidence,
    Campaign,
    Task,
    TaskAssignment,
    TaskTemplate,
    WorkArrangement,
    ZoneCampaign,
)
from shiji.core.errors import Conflict, invalid
from shiji.core.i18n import recorded
from shiji.core.uploads import EVIDENCE, MB, check_upload, stored_upload, upload_name
from shiji.core.validation import clean_date, clean_text, parse_id
from shiji.core.workflow import move_named, require_source
from shiji.orgs import policy
from shiji.orgs.models import Organization, OrgKind, Sector, Zone

# The task list (任务清单) ---------------------------------------------------------

# 分类指导 reaches the party organisations that own work — 党委, 党总支,
# 党支部 — and enterprise nodes. The 党工委 (the zone's root) sets the tasks
# rather than doing them, and a 部门 works through its own 党支部, so
# neither gets an assignment.
ASSIGNABLE_KINDS = frozenset(
    {OrgKind.COMMITTEE, OrgKind.GENERAL_BRANCH, OrgKind.BRANCH, OrgKind.ENTERPRISE}
)
TASK_FIELDS = [
    "zone",
    "campaign",
    "arrangement",
    "template",
    "title",
    "description",
    "deadline",
    "sectors",
]
ASSIGNMENT_FIELDS = ["task", "org", "status"]
TASK_TEXT_LIMIT = 4000


def clean_sectors(value: Any) -> list[str]:
    """Sector codes or Chinese labels (机关, 国企, …) → codes in ``Sector`` order."""
    if isinstance(value, str):
        value = value.replace("，", ",").replace("、", ",")  # zh-only: separators people type
        value = [p for p in value.split(",") if p.strip()]
    if not isinstance(value, (list, tuple, set)) or not value:
        raise invalid(sectors=gettext("请至少选择一个适用领域"))
    known = {code: code for code in Sector.values} | {
        str(label): code for code, label in Sector.choices
    }
    wanted = set()
    for item in value:
        text = str(item).strip()
        if "\x00" in text or text not in known:
            allowed = gettext("、").join(str(label) for label in Sector.labels)
            raise invalid(
                sectors=gettext("未知领域“%(text)s”，应为：%(allowed)s")
                % {"text": text[:20], "allowed": allowed}
            )
        wanted.add(known[text])
    return [code for code in Sector.values if code in wanted]


def _matching_orgs(task: Task) -> Any:
    return Organization.objects.filter(
        zone_id=task.zone_id, kind__in=ASSIGNABLE_KINDS, sector__in=task.sectors
    ).order_by("path")


def _assign(actor: policy.Actor, task: Task, note: str = "") -> int:
    """Give every matching organization without one an assignment. Returns
    how many were made; each is audited."""
    have = set(TaskAssignment.objects.filter(task=task).values_list("org_id", flat=True))
    made = 0
    for org in _matching_orgs(task).exclude(pk__in=have):
        assignment = TaskAssignment.objects.create(task=task, org=org)
        assignment.org = org
        audit_record(
            actor=actor,
            action=EventKind.TASK_ASSIGNMENT_CREATE,
            obj=assignment,
            changes=created(assignment, ASSIGNMENT_FIELDS),
            note=note,
            zone_id=task.zone_id,
        )
        made += 1
    return made


def _arrangement(zone: Zone, value: Any, campaign: Campaign | None) -> WorkArrangement:
    """A work arrangement of a campaign ``zone`` has adopted, given as a record
    or an id (and of ``campaign`` when one is named)."""
    if value is None or value == "":
        raise invalid(arrangement=gettext("请选择工作安排"))
    pk = value.pk if isinstance(value, WorkArrangement) else parse_id(value)
    found = WorkArrangement.objects.filter(pk=pk, campaign__adoptions__zone=zone)
    if campaign is not None:
        found = found.filter(campaign=campaign)
    arrangement = found.select_related("campaign").first()
    if arrangement is None:
        raise invalid(arrangement=gettext("工作安排不存在"))
    return arrangement


def _adoption(zone: Zone, campaign: Campaign) -> ZoneCampaign:
    adoption = ZoneCampaign.objects.filter(zone=zone, campaign=campaign).first()
    if adoption is None:
        raise invalid(campaign=gettext("本区尚未启用该学习教育，请先在活动设置中启用"))
    return adoption


@transaction.atomic
def task_create(
    *,
    actor: policy.Actor,
    zone: Zone,
    arrangement: Any,
    title: Any,
    sectors: Any,
    campaign: Campaign | None = None,
    deadline: Any = None,
    description: Any = "",
    is_sample: bool = False,
) -> Task:
    """A task added by hand under ``arrangement`` (a record or an id) of a
    campaign the zone has adopted (``campaign`` when given, else the
    arrangement's); it is assigned at once to every matching org."""
    policy.require(actor, "task.manage", zone, view="zone.view", missing=gettext("高新区不存在"))
    arrangement = _arrangement(zone, arrangement, campaign)
    campaign = arrangement.campaign
    _adoption(zone, campaign)
    title_text = clean_text(title, field="title", label=gettext("任务"), max_length=200)
    description_text = clean_text(
        description,
        field="description",
        label=gettext("说明"),
        max_length=TASK_TEXT_LIMIT,
        required=False,
    )
    due = clean_date(deadline, field="deadline", label=gettext("完成时限"), required=False)
    sector_codes = clean_sectors(sectors)
    if due and due < campaign.starts_on:
        raise invalid(
            deadline=gettext("完成时限不能早于活动开始日期（%(date)s）")
            % {"date": campaign.starts_on}
        )
    Zone.objects.select_for_update().filter(pk=zone.pk).first()  # serialize assignment
    task = Task.objects.create(
        zone=zone,
        campaign=campaign,
        arrangement=arrangement,
        created_by=policy.user_of(actor),
        is_sample=is_sample,
        title=title_text,
        description=description_text,
        deadline=due,
        sectors=sector_codes,
    )
    audit_record(
        actor=actor, action=EventKind.TASK_CREATE, obj=task, changes=created(task, TASK_FIELDS)
    )
    _assign(actor, task)
    return task


@dataclass
class AdoptResult:
    tasks: int = 0
    assignments: int = 0


@transaction.atomic
def tasks_adopt_templates(
    *, actor: policy.Actor, zone: Zone, campaign: Campaign, is_sample: bool = False
) -> AdoptResult:
    """Put the campaign's task templates on the zone's task list (those not
    there yet) and assign each to the matching orgs. Safe to repeat."""
    policy.require(actor, "task.manage", zone, view="zone.view", missing=gettext("高新区不存在"))
    _adoption(zone, campaign)
    zone = Zone.objects.select_for_update().get(pk=zone.pk)
    have = set(Task.objects.filter(zone=zone).values_list("template_id", flat=True))
    result = AdoptResult()
    templates = TaskTemplate.objects.filter(campaign=campaign).select_related(
        "campaign", "arrangement"
    )
    for template in templates.order_by("order", "pk"):
        if template.pk in have:
            continue
        task = Task.objects.create(
            zone=zone,
            campaign=campaign,
            arrangement=template.arrangement,
            template=template,
            title=template.title,
            description=template.description,
            deadline=template.due_date,
            sectors=list(template.sectors),
            created_by=policy.user_of(actor),
            is_sample=is_sample,
        )
        audit_record(
            actor=actor,
            action=EventKind.TASK_CREATE,
            obj=task,
            changes=created(task, TASK_FIELDS),
            note=recorded("自“%(campaign)s”任务模板", campaign=campaign.name),
        )
        result.tasks += 1
        result.assignments += _assign(actor, task)
    return result


@transaction.atomic
def tasks_assign_missing(*, actor: policy.Actor, zone: Zone) -> int:
    """补充分派: organizations added since a task was assigned get it now.
    Returns the number of new assignments."""
    policy.require(actor, "task.manage", zone, view="zone.view", missing=gettext("高新区不存在"))
    zone = Zone.objects.select_for_update().get(pk=zone.pk)
    made = 0
    for task in Task.objects.filter(zone=zone).order_by("pk"):
        made += _assign(actor, task, note=recorded("补充分派"))
    return made


def _locked_assignment(assignment: TaskAssignment) -> TaskAssignment:
    return (
        TaskAssignment.objects.select_for_update()
        .select_related("task__zone", "org__zone")
        .get(pk=assignment.pk)
    )


@contextlib.contextmanager
def _evidence_stored(
    actor: policy.Actor, assignment: TaskAssignment, file: Any
) -> Iterator[AssignmentEvidence]:
    """Check, store and record one evidence file for the block that follows:
    if it fails (a later file of the same report, the move itself), the bytes
    written here are deleted with the rolled-back row (see stored_upload)."""
    info = check_upload(file, allowed=EVIDENCE, max_bytes=settings.MAX_UPLOAD_MB * MB)
    name = upload_name(file, default=recorded("凭证"))
    evidence = AssignmentEvidence(
        assignment=assignment,
        original_name=name,
        content_kind=info.kind,
        size=info.size,
        sha256=info.sha256,
        uploaded_by=policy.user_of(actor),
    )
    with stored_upload(evidence.file, file, name=name):
        evidence.save()
        audit_record(
            actor=actor,
            action=EventKind.TASK_ASSIGNMENT_EVIDENCE,
            obj=assignment,
            changes={"evidence": [None, {"name": name, "sha256": info.sha256}]},
        )
        yield evidence


@transaction.atomic
def assignment_transition(
    *,
    actor: policy.Actor,
    assignment: TaskAssignment,
    action: str,
    note: Any = "",
    files: Sequence[Any] = (),
) -> TaskAssignment:
    """Make one move of campaigns/workflow.py: report (with a note and at least
    one evidence file, new ``files`` included), accept, or return (with a reason)."""
    move = move_named(workflow.MOVES, action)
    assignment = _locked_assignment(assignment)
    policy.require(actor, move.permission, assignment)
    require_source(move, assignment, gettext("任务当前为“%(status)s”，不能%(action)s"))
    note = clean_text(
        note,
        field="note",
        label=move.note_label,
        max_length=TASK_TEXT_LIMIT,
        required=move.needs_note,
    )
    now = timezone.now()
    user = policy.user_of(actor)
    fields = ["status", "updated_at"]
    # Files of a report stay stored only if the whole move is saved.
    with contextlib.ExitStack() as stored:
        if action == "report":
            for file in files:
                stored.enter_context(_evidence_stored(actor, assignment, file))
            if not assignment.evidence.exists():
                raise invalid(file=gettext("报送完成情况须至少上传一份凭证"))
            assignment.report_note, assignment.reported_by, assignment.reported_at = note, user, now
            fields += ["report_note", "reported_by", "reported_at"]
        else:
            did = policy.did_steps([(assignment.reported_by_id, "reporter")])
            refusal = policy.four_eyes_refusal(actor, did, policy.ACCEPT_TASK_REPORT)
            if refusal:
                raise Conflict(refusal)
            assignment.reviewed_by, assignment.reviewed_at = user, now
            assignment.return_reason = note if action == "return" else ""
            fields += ["reviewed_by", "reviewed_at", "return_reason"]
        old = assignment.status
        assignment.status = move.target
        assignment.save(update_fields=fields)
        audit_record(
            actor=actor,
            action=ASSIGNMENT_MOVES[action],
            obj=assignment,
            changes={"status": [old, move.target]},
            note=note,
        )
    return assignment
