"""Writes for campaigns: loading a preset file, and a zone adopting a campaign.

Both run in one transaction with their audit events. Loading is idempotent:
rows are matched by code, so a second load of the same file changes nothing
and records nothing, and an edited file updates the campaign in place.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.db.models import ProtectedError, RestrictedError
from django.utils import timezone

from shiji.audit import kinds
from shiji.audit.kinds import ASSIGNMENT_MOVES, EventKind
from shiji.audit.services import audit_record, created, diff, snapshot
from shiji.campaigns import workflow
from shiji.campaigns.models import (
    AssignmentEvidence,
    Campaign,
    CategoryTemplate,
    ProblemCategory,
    StudyKind,
    Task,
    TaskAssignment,
    TaskTemplate,
    WorkArrangement,
    ZoneCampaign,
)
from shiji.campaigns.presets import Preset, preset_path, read_preset
from shiji.core.errors import Conflict, NotFound, invalid
from shiji.core.uploads import EVIDENCE, MB, check_upload, stored_upload, upload_name
from shiji.core.validation import clean_date, clean_text, parse_id
from shiji.orgs import policy
from shiji.orgs.models import Organization, OrgKind, Sector, Zone

CAMPAIGN_FIELDS = [
    "code",
    "name",
    "year",
    "general_requirement",
    "starts_on",
    "ends_on",
    "description",
    "source",
]
ARRANGEMENT_FIELDS = ["code", "name", "requirement", "is_placeholder", "order"]
CATEGORY_TEMPLATE_FIELDS = ["code", "name", "description", "is_placeholder", "order"]
TASK_TEMPLATE_FIELDS = [
    "code",
    "title",
    "arrangement",
    "sectors",
    "due_on",
    "due_offset_days",
    "description",
    "order",
]
STUDY_KIND_FIELDS = ["code", "name", "description", "order"]
ZONE_CAMPAIGN_FIELDS = [
    "zone",
    "campaign",
    "meeting_date",
    "meeting_name",
    "meeting_requirements",
    "meeting_source",
]
CATEGORY_FIELDS = [
    "zone",
    "campaign",
    "code",
    "name",
    "description",
    "is_placeholder",
    "order",
    "is_active",
]


# Loading presets -----------------------------------------------------------------


@dataclass
class LoadResult:
    campaign: Campaign
    created: int = 0
    updated: int = 0
    deleted: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.deleted)

    def summary(self) -> str:
        if not self.changed:
            return f"{self.campaign.name}（{self.campaign.code}）：无变化"
        return (
            f"{self.campaign.name}（{self.campaign.code}）：新增 {self.created} 项，"
            f"更新 {self.updated} 项，删除 {self.deleted} 项"
        )


@transaction.atomic
def campaign_load(*, actor: policy.Actor, path: str | Path) -> LoadResult:
    """Load a preset file (or a built-in preset by code) into the database.

    The file is checked completely before the first write; ``PresetInvalid``
    names the file, line and field of the first mistake. Management commands
    and the demo loader act as ``policy.system(...)``.
    """
    policy.require(actor, "campaign.manage")
    preset = read_preset(preset_path(path))
    return _apply_preset(actor, preset)


def _apply_preset(actor: policy.Actor, preset: Preset) -> LoadResult:
    note = f"预设文件 {preset.filename}"
    values = {
        "name": preset.name,
        "year": preset.year,
        "general_requirement": preset.general_requirement,
        "starts_on": preset.starts_on,
        "ends_on": preset.ends_on,
        "description": preset.description,
        "source": preset.filename,
    }
    campaign = Campaign.objects.select_for_update().filter(code=preset.code).first()
    result = LoadResult(campaign=campaign)  # type: ignore[arg-type]
    if campaign is None:
        campaign = Campaign.objects.create(code=preset.code, **values)
        result.campaign = campaign
        result.created += 1
        audit_record(
            actor=actor,
            action=EventKind.CAMPAIGN_CREATE,
            obj=campaign,
            changes=created(campaign, CAMPAIGN_FIELDS),
            note=note,
        )
    else:
        _update(actor, campaign, values, CAMPAIGN_FIELDS, EventKind.CAMPAIGN_UPDATE, note, result)

    arrangements = _sync(
        actor,
        result,
        note,
        model=WorkArrangement,
        campaign=campaign,
        family=kinds.ARRANGEMENT,
        fields=ARRANGEMENT_FIELDS,
        unique=("code",),
        specs=[
            (
                a.code,
                {
                    "name": a.name,
                    "requirement": a.requirement,
                    "is_placeholder": a.is_placeholder,
                    "order": a.order,
                },
            )
            for a in preset.arrangements
        ],
        delete=False,  # after the tasks that may point at them
    )
    _sync(
        actor,
        result,
        note,
        model=TaskTemplate,
        campaign=campaign,
        family=kinds.TASK_TEMPLATE,
        fields=TASK_TEMPLATE_FIELDS,
        unique=("code",),
        specs=[
            (
                t.code,
                {
                    "title": t.title,
                    "arrangement": arrangements[t.arrangement],
                    "sectors": list(t.sectors),
                    "due_on": t.due_on,
                    "due_offset_days": t.due_offset_days,
                    "description": t.description,
                    "order": t.order,
                },
            )
            for t in preset.tasks
        ],
    )
    _delete_missing(
        actor, result, note, WorkArrangement, campaign, kinds.ARRANGEMENT, ARRANGEMENT_FIELDS,
        keep={a.code for a in preset.arrangements},
    )  # fmt: skip
    _sync(
        actor,
        result,
        note,
        model=CategoryTemplate,
        campaign=campaign,
        family=kinds.CATEGORY_TEMPLATE,
        fields=CATEGORY_TEMPLATE_FIELDS,
        unique=("code", "name"),
        specs=[
            (
                c.code,
                {
                    "name": c.name,
                    "description": c.description,
                    "is_placeholder": c.is_placeholder,
                    "order": c.order,
                },
            )
            for c in preset.categories
        ],
    )
    _sync(
        actor,
        result,
        note,
        model=StudyKind,
        campaign=campaign,
        family=kinds.STUDY_KIND,
        fields=STUDY_KIND_FIELDS,
        unique=("code", "name"),
        specs=[
            (k.code, {"name": k.name, "description": k.description, "order": k.order})
            for k in preset.study_kinds
        ],
    )
    return result


def _update(
    actor: policy.Actor,
    obj: models.Model,
    values: dict[str, Any],
    fields: list[str],
    action: EventKind,
    note: str,
    result: LoadResult,
) -> None:
    before = snapshot(obj, fields)
    for key, value in values.items():
        setattr(obj, key, value)
    changes = diff(before, snapshot(obj, fields))
    if changes:
        obj.save(update_fields=[obj._meta.get_field(f).name for f in changes])
        result.updated += 1
        audit_record(actor=actor, action=action, obj=obj, changes=changes, note=note)


def _sync(
    actor: policy.Actor,
    result: LoadResult,
    note: str,
    *,
    model: type[models.Model],
    campaign: Campaign,
    family: kinds.Family,
    fields: list[str],
    unique: Sequence[str],
    specs: list[tuple[str, dict[str, Any]]],
    delete: bool = True,
) -> dict[str, Any]:
    """Make the campaign's ``model`` rows match ``specs`` (code → values).

    Returns the rows by code. A unique field (a name) may move from one row to
    another within one file, e.g. when two categories swap names; the rows
    that change such a field first get a temporary value so that no moment of
    the update breaks the unique constraint.
    """
    existing = {
        row.code: row for row in model.objects.select_for_update().filter(campaign=campaign)
    }
    wanted = dict(specs)
    if delete:
        _delete_missing(actor, result, note, model, campaign, family, fields, keep=set(wanted))
    moving = [
        row
        for code, row in existing.items()
        if code in wanted
        and any(f != "code" and getattr(row, f) != wanted[code].get(f) for f in unique)
    ]
    for row in moving:
        temp = {f: f"~{row.pk}" for f in unique if f != "code"}
        model.objects.filter(pk=row.pk).update(**temp)
    out: dict[str, Any] = {}
    for code, values in specs:
        row = existing.get(code)
        if row is None:
            row = model.objects.create(campaign=campaign, code=code, **values)
            result.created += 1
            audit_record(
                actor=actor,
                action=family.create,
                obj=row,
                changes=created(row, fields),
                note=note,
            )
        else:
            # A parked row still holds its old name in memory, so the diff
            # below includes the name and the save writes the real one.
            _update(actor, row, values, fields, family.update, note, result)
        out[code] = row
    return out


def _delete_missing(
    actor: policy.Actor,
    result: LoadResult,
    note: str,
    model: type[models.Model],
    campaign: Campaign,
    family: kinds.Family,
    fields: list[str],
    *,
    keep: set[str],
) -> None:
    for row in model.objects.filter(campaign=campaign).exclude(code__in=keep).order_by("order"):
        changes = {k: [v, None] for k, v in snapshot(row, fields).items() if v not in (None, "")}
        pk = row.pk
        try:
            row.delete()
        except (ProtectedError, RestrictedError):
            raise invalid(
                **{family.name: f"“{row}”已被使用，不能从预设中删除；请保留它并改为调整措辞"}
            ) from None
        result.deleted += 1
        row.pk = pk  # delete() clears it; the audit event names the row that was
        audit_record(actor=actor, action=family.delete, obj=row, changes=changes, note=note)


# Adoption by a zone ---------------------------------------------------------------


@transaction.atomic
def zone_adopt_campaign(
    *,
    actor: policy.Actor,
    zone: Zone,
    campaign: Campaign,
    meeting_date: dt.date | str | None = None,
    meeting_name: str = "",
    meeting_requirements: str = "",
    meeting_source: str = "",
) -> ZoneCampaign:
    """The zone takes part in ``campaign``, with its deployment meeting.

    The campaign's problem categories are copied into the zone as its own
    ``ProblemCategory`` rows, which the zone admin may then rename or extend.
    Adopting again updates the meeting and adds categories the preset gained
    since, without touching the zone's copies.
    """
    policy.require(actor, "campaign.adopt", zone, view="zone.view", missing="高新区不存在")
    # Serializes two admins adopting at once (the category copy reads, then writes).
    zone = Zone.objects.select_for_update().get(pk=zone.pk)
    values = {
        "meeting_date": clean_date(
            meeting_date, field="meeting_date", label="部署会议日期", required=False
        ),
        "meeting_name": clean_text(
            meeting_name, field="meeting_name", label="部署会议", max_length=200, required=False
        ),
        "meeting_requirements": clean_text(
            meeting_requirements,
            field="meeting_requirements",
            label="会议要求",
            max_length=5000,
            required=False,
        ),
        "meeting_source": clean_text(
            meeting_source, field="meeting_source", label="信息来源", max_length=200, required=False
        ),
    }
    day = values["meeting_date"]
    if day is not None and not campaign.starts_on <= day <= campaign.ends_on:
        raise invalid(
            meeting_date=f"部署会议日期应在活动期间（{campaign.starts_on} 至 {campaign.ends_on}）内"
        )
    adoption = ZoneCampaign.objects.filter(zone=zone, campaign=campaign).first()
    if adoption is None:
        adoption = ZoneCampaign.objects.create(zone=zone, campaign=campaign, **values)
        audit_record(
            actor=actor,
            action=EventKind.ZONE_CAMPAIGN_ADOPT,
            obj=adoption,
            changes=created(adoption, ZONE_CAMPAIGN_FIELDS),
        )
    else:
        before = snapshot(adoption, ZONE_CAMPAIGN_FIELDS)
        for key, value in values.items():
            setattr(adoption, key, value)
        changes = diff(before, snapshot(adoption, ZONE_CAMPAIGN_FIELDS))
        if changes:
            adoption.save(update_fields=list(changes))
            audit_record(
                actor=actor, action=EventKind.ZONE_CAMPAIGN_UPDATE, obj=adoption, changes=changes
            )
    _copy_categories(actor, zone, campaign)
    return adoption


def _copy_categories(actor: policy.Actor, zone: Zone, campaign: Campaign) -> None:
    have = ProblemCategory.objects.filter(zone=zone, campaign=campaign)
    codes = set(have.values_list("code", flat=True))
    names = set(have.values_list("name", flat=True))
    for template in CategoryTemplate.objects.filter(campaign=campaign).order_by("order"):
        # A zone that already has the code, or made its own category of that
        # name, keeps what it has.
        if template.code in codes or template.name in names:
            continue
        category = ProblemCategory.objects.create(
            zone=zone,
            campaign=campaign,
            code=template.code,
            name=template.name,
            description=template.description,
            is_placeholder=template.is_placeholder,
            order=template.order,
        )
        audit_record(
            actor=actor,
            action=EventKind.CATEGORY_CREATE,
            obj=category,
            changes=created(category, CATEGORY_FIELDS),
            note=f"自“{campaign.name}”预设复制",
        )


# Deployment meeting and problem categories ----------------------------------------


@transaction.atomic
def zone_campaign_update_meeting(
    *,
    actor: policy.Actor,
    adoption: ZoneCampaign,
    meeting_date: dt.date | str | None = None,
    meeting_name: str = "",
    meeting_requirements: str = "",
    meeting_source: str = "",
) -> ZoneCampaign:
    """Edit the deployment meeting of an adopted campaign. Adoption already
    validates and audits the meeting, so this is adoption again."""
    return zone_adopt_campaign(
        actor=actor,
        zone=adoption.zone,
        campaign=adoption.campaign,
        meeting_date=meeting_date,
        meeting_name=meeting_name,
        meeting_requirements=meeting_requirements,
        meeting_source=meeting_source,
    )


@transaction.atomic
def zone_campaign_set_list_review(
    *, actor: policy.Actor, adoption: ZoneCampaign, required: bool
) -> ZoneCampaign:
    """Whether the zone's problems of this campaign start rectification only
    after their list entry passed review (问题清单审核)."""
    adoption = ZoneCampaign.objects.select_for_update().select_related("zone").get(pk=adoption.pk)
    policy.require(actor, "campaign.adopt", adoption.zone, view="zone.view", missing="高新区不存在")
    required = bool(required)
    if adoption.requires_list_review != required:
        changes = {"requires_list_review": [adoption.requires_list_review, required]}
        adoption.requires_list_review = required
        adoption.save(update_fields=["requires_list_review"])
        audit_record(
            actor=actor, action=EventKind.ZONE_CAMPAIGN_UPDATE, obj=adoption, changes=changes
        )
    return adoption


def _clean_category(name: Any, description: Any) -> dict[str, str]:
    return {
        "name": clean_text(name, field="name", label="类别名称", max_length=50),
        "description": clean_text(
            description, field="description", label="说明", max_length=2000, required=False
        ),
    }


@transaction.atomic
def category_create(
    *, actor: policy.Actor, zone: Zone, campaign: Campaign, name: Any, description: Any = ""
) -> ProblemCategory:
    """A category the zone adds itself (its wording is its own: not a placeholder)."""
    policy.require(actor, "category.manage", zone, view="zone.view", missing="高新区不存在")
    if not ZoneCampaign.objects.filter(zone=zone, campaign=campaign).exists():
        raise NotFound("本区尚未启用该学习教育")
    values = _clean_category(name, description)
    existing = ProblemCategory.objects.select_for_update().filter(zone=zone, campaign=campaign)
    if existing.filter(name=values["name"]).exists():
        raise invalid(name=f"已有名为“{values['name']}”的问题类别")
    number = existing.count() + 1
    codes = set(existing.values_list("code", flat=True))
    while f"zone-{number}" in codes:
        number += 1
    order = max(existing.values_list("order", flat=True), default=0) + 1
    category = ProblemCategory.objects.create(
        zone=zone, campaign=campaign, code=f"zone-{number}", order=order, **values
    )
    audit_record(
        actor=actor,
        action=EventKind.CATEGORY_CREATE,
        obj=category,
        changes=created(category, CATEGORY_FIELDS),
    )
    return category


@transaction.atomic
def category_update(
    *,
    actor: policy.Actor,
    category: ProblemCategory,
    name: Any = None,
    description: Any = None,
    is_active: bool | None = None,
    is_placeholder: bool | None = None,
) -> ProblemCategory:
    """Rename, re-describe, deactivate or reactivate a zone's category.

    Renaming a placeholder confirms its wording (the zone now uses the official
    term), so it stops being flagged 待确认措辞 unless the caller says otherwise.
    Deactivated categories stay on the problems that use them; new problems
    cannot pick them.
    """
    category = ProblemCategory.objects.select_for_update().get(pk=category.pk)
    policy.require(actor, "category.manage", category, view="zone.view", missing="问题类别不存在")
    before = snapshot(category, CATEGORY_FIELDS)
    values = _clean_category(
        category.name if name is None else name,
        category.description if description is None else description,
    )
    if values["name"] != category.name:
        clash = ProblemCategory.objects.filter(
            zone_id=category.zone_id, campaign_id=category.campaign_id, name=values["name"]
        ).exclude(pk=category.pk)
        if clash.exists():
            raise invalid(name=f"已有名为“{values['name']}”的问题类别")
        if is_placeholder is None:
            is_placeholder = False
    category.name, category.description = values["name"], values["description"]
    if is_active is not None:
        category.is_active = bool(is_active)
    if is_placeholder is not None:
        category.is_placeholder = bool(is_placeholder)
    changes = diff(before, snapshot(category, CATEGORY_FIELDS))
    if changes:
        category.save(update_fields=list(changes))
        audit_record(actor=actor, action=EventKind.CATEGORY_UPDATE, obj=category, changes=changes)
    return category


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
        value = [p for p in value.replace("，", ",").replace("、", ",").split(",") if p.strip()]
    if not isinstance(value, (list, tuple, set)) or not value:
        raise invalid(sectors="请至少选择一个适用领域")
    known = {code: code for code in Sector.values} | {
        str(label): code for code, label in Sector.choices
    }
    wanted = set()
    for item in value:
        text = str(item).strip()
        if "\x00" in text or text not in known:
            allowed = "、".join(str(label) for label in Sector.labels)
            raise invalid(sectors=f"未知领域“{text[:20]}”，应为：{allowed}")
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
        raise invalid(arrangement="请选择工作安排")
    pk = value.pk if isinstance(value, WorkArrangement) else parse_id(value)
    found = WorkArrangement.objects.filter(pk=pk, campaign__adoptions__zone=zone)
    if campaign is not None:
        found = found.filter(campaign=campaign)
    arrangement = found.select_related("campaign").first()
    if arrangement is None:
        raise invalid(arrangement="工作安排不存在")
    return arrangement


def _adoption(zone: Zone, campaign: Campaign) -> ZoneCampaign:
    adoption = ZoneCampaign.objects.filter(zone=zone, campaign=campaign).first()
    if adoption is None:
        raise invalid(campaign="本区尚未启用该学习教育，请先在活动设置中启用")
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
    policy.require(actor, "task.manage", zone, view="zone.view", missing="高新区不存在")
    arrangement = _arrangement(zone, arrangement, campaign)
    campaign = arrangement.campaign
    _adoption(zone, campaign)
    values = {
        "title": clean_text(title, field="title", label="任务", max_length=200),
        "description": clean_text(
            description,
            field="description",
            label="说明",
            max_length=TASK_TEXT_LIMIT,
            required=False,
        ),
        "deadline": clean_date(deadline, field="deadline", label="完成时限", required=False),
        "sectors": clean_sectors(sectors),
    }
    if values["deadline"] and values["deadline"] < campaign.starts_on:
        raise invalid(deadline=f"完成时限不能早于活动开始日期（{campaign.starts_on}）")
    Zone.objects.select_for_update().filter(pk=zone.pk).first()  # serialize assignment
    task = Task.objects.create(
        zone=zone,
        campaign=campaign,
        arrangement=arrangement,
        created_by=policy.user_of(actor),
        is_sample=is_sample,
        **values,
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
    policy.require(actor, "task.manage", zone, view="zone.view", missing="高新区不存在")
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
            note=f"自“{campaign.name}”任务模板",
        )
        result.tasks += 1
        result.assignments += _assign(actor, task)
    return result


@transaction.atomic
def tasks_assign_missing(*, actor: policy.Actor, zone: Zone) -> int:
    """补充分派: organizations added since a task was assigned get it now.
    Returns the number of new assignments."""
    policy.require(actor, "task.manage", zone, view="zone.view", missing="高新区不存在")
    zone = Zone.objects.select_for_update().get(pk=zone.pk)
    made = 0
    for task in Task.objects.filter(zone=zone).order_by("pk"):
        made += _assign(actor, task, note="补充分派")
    return made


def _locked_assignment(assignment: TaskAssignment) -> TaskAssignment:
    return (
        TaskAssignment.objects.select_for_update()
        .select_related("task__zone", "org__zone")
        .get(pk=assignment.pk)
    )


@transaction.atomic
def assignment_add_evidence(
    *, actor: policy.Actor, assignment: TaskAssignment, file: Any
) -> AssignmentEvidence:
    """Attach a file to an assignment the org still owes (pending or returned)."""
    assignment = _locked_assignment(assignment)
    policy.require(actor, "task.report", assignment)
    workflow.check("evidence", assignment)
    with _evidence_stored(actor, assignment, file) as evidence:
        return evidence


@contextlib.contextmanager
def _evidence_stored(
    actor: policy.Actor, assignment: TaskAssignment, file: Any
) -> Iterator[AssignmentEvidence]:
    """Check, store and record one evidence file for the block that follows:
    if it fails (a later file of the same report, the move itself), the bytes
    written here are deleted with the rolled-back row (see stored_upload)."""
    info = check_upload(file, allowed=EVIDENCE, max_bytes=settings.MAX_UPLOAD_MB * MB)
    name = upload_name(file, default="凭证")
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
    move = workflow.MOVES.get(action)
    if move is None:
        raise invalid(action=f"未知操作：{action}")
    assignment = _locked_assignment(assignment)
    policy.require(actor, move.permission, assignment)
    if assignment.status not in move.sources:
        raise Conflict(f"任务当前为“{assignment.get_status_display()}”，不能{move.label}")
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
                raise invalid(file="报送完成情况须至少上传一份凭证")
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
