"""Loading a campaign preset file into the database.

Loading runs in one transaction with its audit events and is idempotent:
rows are matched by code, so a second load of the same file changes nothing
and records nothing, and an edited file updates the campaign in place.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from django.db import models, transaction
from django.db.models import ProtectedError, RestrictedError
from django.utils.translation import gettext

from shiji.audit import kinds
from shiji.audit.kinds import EventKind
from shiji.audit.services import audit_record, created, diff, snapshot
from shiji.campaigns.models import (
    Campaign,
    CategoryTemplate,
    StudyKind,
    TaskTemplate,
    WorkArrangement,
)
from shiji.campaigns.presets import Preset, preset_path, read_preset
from shiji.core.errors import invalid
from shiji.core.i18n import recorded
from shiji.orgs import policy

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
            return gettext("%(name)s（%(code)s）：无变化") % {
                "name": self.campaign.name,
                "code": self.campaign.code,
            }
        return gettext(
            "%(name)s（%(code)s）：新增 %(created)s 项，更新 %(updated)s 项，删除 %(deleted)s 项"
        ) % {
            "name": self.campaign.name,
            "code": self.campaign.code,
            "created": self.created,
            "updated": self.updated,
            "deleted": self.deleted,
        }


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
    note = recorded("预设文件 %(file)s", file=preset.filename)
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


# The models a preset file fills in: each has a campaign and a code, and the
# type checker checks _sync and _delete_missing for each of them.
PresetRow = TypeVar("PresetRow", WorkArrangement, TaskTemplate, CategoryTemplate, StudyKind)


def _sync(
    actor: policy.Actor,
    result: LoadResult,
    note: str,
    *,
    model: type[PresetRow],
    campaign: Campaign,
    family: kinds.Family,
    fields: list[str],
    unique: Sequence[str],
    specs: list[tuple[str, dict[str, Any]]],
    delete: bool = True,
) -> dict[str, PresetRow]:
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
    for parked in moving:
        temp = {f: f"~{parked.pk}" for f in unique if f != "code"}
        model.objects.filter(pk=parked.pk).update(**temp)
    out: dict[str, PresetRow] = {}
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
    model: type[PresetRow],
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
                **{
                    family.name: gettext(
                        "“%(row)s”已被使用，不能从预设中删除；请保留它并改为调整措辞"
                    )
                    % {"row": row}
                }
            ) from None
        result.deleted += 1
        row.pk = pk  # delete() clears it; the audit event names the row that was
        audit_record(actor=actor, action=family.delete, obj=row, changes=changes, note=note)
