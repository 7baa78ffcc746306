"""Loading the indicator library file into the database.

One transaction with its audit events, and idempotent: indicators are
matched by code and relations by their two ends, so a second load of the
same file changes and records nothing, and an edited file updates rows in
place. An indicator missing from the file is retired, not deleted:
measurements and targets keep pointing at it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from django.db import transaction
from django.utils.translation import gettext

from shiji.assessment.library import LIBRARY_PATH, Library, read_library
from shiji.assessment.models import Indicator, IndicatorRelation
from shiji.audit.kinds import EventKind
from shiji.audit.services import audit_record, created, diff, snapshot
from shiji.core.i18n import recorded
from shiji.orgs import policy

INDICATOR_FIELDS = [
    "code", "name", "kind", "dimension", "unit", "higher_is_better", "weight",
    "weight_is_placeholder", "period_kind", "min_value", "max_value", "usual_change",
    "computed_from", "description", "order", "source", "is_active",
]  # fmt: skip
RELATION_FIELDS = ["left", "op", "right", "description"]


@dataclass
class LoadResult:
    library: Library
    created: int = 0
    updated: int = 0
    retired: int = 0
    deleted: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.retired or self.deleted)

    def summary(self) -> str:
        if not self.changed:
            return gettext("%(name)s：无变化") % {"name": self.library.name}
        return gettext(
            "%(name)s：新增 %(created)s 项，更新 %(updated)s 项，停用 %(retired)s 项，"
            "删除 %(deleted)s 项"
        ) % {
            "name": self.library.name,
            "created": self.created,
            "updated": self.updated,
            "retired": self.retired,
            "deleted": self.deleted,
        }


@transaction.atomic
def indicators_load(*, actor: policy.Actor, path: str | Path = LIBRARY_PATH) -> LoadResult:
    """Load the indicator library (the built-in file by default).

    The file is checked completely before the first write; ``LibraryInvalid``
    names the file, line and field of the first mistake.
    """
    policy.require(actor, "indicator.manage")
    library = read_library(path)
    result = LoadResult(library=library)
    note = recorded("指标库文件 %(file)s", file=library.filename)
    existing = {i.code: i for i in Indicator.objects.select_for_update()}
    by_code: dict[str, Indicator] = {}
    for spec in library.indicators:
        values = {
            "name": spec.name,
            "kind": spec.kind,
            "dimension": spec.dimension,
            "unit": spec.unit,
            "higher_is_better": spec.higher_is_better,
            "weight": spec.weight,
            "weight_is_placeholder": spec.weight_is_placeholder,
            "period_kind": spec.period_kind,
            "min_value": spec.min_value,
            "max_value": spec.max_value,
            "usual_change": spec.usual_change,
            "computed_from": spec.computed_from,
            "description": spec.description,
            "order": spec.order,
            "source": library.filename,
            "is_active": True,
        }
        found = existing.get(spec.code)
        if found is None:
            found = Indicator.objects.create(code=spec.code, **values)
            result.created += 1
            audit_record(
                actor=actor,
                action=EventKind.INDICATOR_CREATE,
                obj=found,
                changes=created(found, INDICATOR_FIELDS),
                note=note,
            )
        else:
            before = snapshot(found, INDICATOR_FIELDS)
            for key, value in values.items():
                setattr(found, key, value)
            changes = diff(before, snapshot(found, INDICATOR_FIELDS))
            if changes:
                found.save(update_fields=list(changes))
                result.updated += 1
                audit_record(
                    actor=actor,
                    action=EventKind.INDICATOR_UPDATE,
                    obj=found,
                    changes=changes,
                    note=note,
                )
        by_code[spec.code] = found
    for code, indicator in existing.items():
        if code not in by_code and indicator.is_active:
            indicator.is_active = False
            indicator.save(update_fields=["is_active"])
            result.retired += 1
            audit_record(
                actor=actor,
                action=EventKind.INDICATOR_RETIRE,
                obj=indicator,
                changes={"is_active": [True, False]},
                note=note,
            )
    _sync_relations(actor, library, by_code, result, note)
    return result


def _sync_relations(
    actor: policy.Actor,
    library: Library,
    by_code: dict[str, Indicator],
    result: LoadResult,
    note: str,
) -> None:
    existing = {(r.left_id, r.right_id): r for r in IndicatorRelation.objects.select_for_update()}
    keep = set()
    for spec in library.relations:
        left, right = by_code[spec.left], by_code[spec.right]
        keep.add((left.pk, right.pk))
        found = existing.get((left.pk, right.pk))
        if found is None:
            found = IndicatorRelation.objects.create(
                left=left, op=spec.op, right=right, description=spec.description
            )
            result.created += 1
            audit_record(
                actor=actor,
                action=EventKind.INDICATOR_RELATION_CREATE,
                obj=found,
                changes=created(found, RELATION_FIELDS),
                note=note,
            )
            continue
        before = snapshot(found, RELATION_FIELDS)
        found.op, found.description = spec.op, spec.description
        changes = diff(before, snapshot(found, RELATION_FIELDS))
        if changes:
            found.save(update_fields=list(changes))
            result.updated += 1
            audit_record(
                actor=actor,
                action=EventKind.INDICATOR_RELATION_UPDATE,
                obj=found,
                changes=changes,
                note=note,
            )
    for key, relation in existing.items():
        if key not in keep:
            changes = {k: [v, None] for k, v in snapshot(relation, RELATION_FIELDS).items()}
            audit_record(
                actor=actor,
                action=EventKind.INDICATOR_RELATION_DELETE,
                obj=relation,
                changes=changes,
                note=note,
            )
            relation.delete()
            result.deleted += 1
