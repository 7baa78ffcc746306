"""Writes for campaigns: loading a preset file, and a zone adopting a campaign.

Both run in one transaction with their audit events. Loading is idempotent:
rows are matched by code, so a second load of the same file changes nothing
and records nothing, and an edited file updates the campaign in place.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import models, transaction
from django.db.models import ProtectedError, RestrictedError

from shiji.audit.services import audit_record, created, diff, snapshot
from shiji.campaigns.models import (
    Campaign,
    CategoryTemplate,
    ProblemCategory,
    StudyKind,
    TaskTemplate,
    WorkArrangement,
    ZoneCampaign,
)
from shiji.campaigns.presets import Preset, preset_path, read_preset
from shiji.core.errors import Forbidden, NotFound, invalid
from shiji.core.validation import clean_date, clean_text
from shiji.orgs import policy
from shiji.orgs.models import Zone

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


def _require(actor: Any, action: str, obj: Any) -> None:
    if not policy.can(actor, action, obj):
        raise Forbidden("您没有权限执行此操作")


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
def campaign_load(*, actor: Any, path: str | Path) -> LoadResult:
    """Load a preset file (or a built-in preset by code) into the database.

    The file is checked completely before the first write; ``PresetInvalid``
    names the file, line and field of the first mistake. ``actor`` None is the
    system (management commands, the demo loader).
    """
    if actor is not None:
        _require(actor, "campaign.manage", None)
    preset = read_preset(preset_path(path))
    return _apply_preset(actor, preset)


def _apply_preset(actor: Any, preset: Preset) -> LoadResult:
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
            action="campaign.create",
            obj=campaign,
            changes=created(campaign, CAMPAIGN_FIELDS),
            note=note,
        )
    else:
        _update(actor, campaign, values, CAMPAIGN_FIELDS, "campaign.update", note, result)

    arrangements = _sync(
        actor,
        result,
        note,
        model=WorkArrangement,
        campaign=campaign,
        action="arrangement",
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
        action="task_template",
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
        actor, result, note, WorkArrangement, campaign, "arrangement", ARRANGEMENT_FIELDS,
        keep={a.code for a in preset.arrangements},
    )  # fmt: skip
    _sync(
        actor,
        result,
        note,
        model=CategoryTemplate,
        campaign=campaign,
        action="category_template",
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
        action="study_kind",
        fields=STUDY_KIND_FIELDS,
        unique=("code", "name"),
        specs=[
            (k.code, {"name": k.name, "description": k.description, "order": k.order})
            for k in preset.study_kinds
        ],
    )
    return result


def _update(
    actor: Any,
    obj: models.Model,
    values: dict[str, Any],
    fields: list[str],
    action: str,
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
    actor: Any,
    result: LoadResult,
    note: str,
    *,
    model: type[models.Model],
    campaign: Campaign,
    action: str,
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
        _delete_missing(actor, result, note, model, campaign, action, fields, keep=set(wanted))
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
                action=f"{action}.create",
                obj=row,
                changes=created(row, fields),
                note=note,
            )
        else:
            # A parked row still holds its old name in memory, so the diff
            # below includes the name and the save writes the real one.
            _update(actor, row, values, fields, f"{action}.update", note, result)
        out[code] = row
    return out


def _delete_missing(
    actor: Any,
    result: LoadResult,
    note: str,
    model: type[models.Model],
    campaign: Campaign,
    action: str,
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
                **{action: f"“{row}”已被使用，不能从预设中删除；请保留它并改为调整措辞"}
            ) from None
        result.deleted += 1
        row.pk = pk  # delete() clears it; the audit event names the row that was
        audit_record(actor=actor, action=f"{action}.delete", obj=row, changes=changes, note=note)


# Adoption by a zone ---------------------------------------------------------------


@transaction.atomic
def zone_adopt_campaign(
    *,
    actor: Any,
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
    if actor is not None:
        if not policy.can(actor, "zone.view", zone):
            raise NotFound("高新区不存在")
        _require(actor, "campaign.adopt", zone)
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
            action="zone_campaign.adopt",
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
            audit_record(actor=actor, action="zone_campaign.update", obj=adoption, changes=changes)
    _copy_categories(actor, zone, campaign)
    return adoption


def _copy_categories(actor: Any, zone: Zone, campaign: Campaign) -> None:
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
            action="category.create",
            obj=category,
            changes=created(category, CATEGORY_FIELDS),
            note=f"自“{campaign.name}”预设复制",
        )
