"""A zone's problem categories (突出问题类别): its copies of the campaign's
list, renamed, described, added to and deactivated by its task force.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils.translation import gettext

from shiji.audit.kinds import EventKind
from shiji.audit.services import audit_record, created, diff, snapshot
from shiji.campaigns.models import (
    Campaign,
    ProblemCategory,
    ZoneCampaign,
)
from shiji.core.errors import Invalid, NotFound, invalid
from shiji.core.validation import clean_text, parse_id
from shiji.orgs import policy
from shiji.orgs.models import Zone

if TYPE_CHECKING:
    from django_stubs_ext import StrPromise

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


def _clean_category(name: Any, description: Any) -> dict[str, str]:
    return {
        "name": clean_text(name, field="name", label=gettext("类别名称"), max_length=50),
        "description": clean_text(
            description, field="description", label=gettext("说明"), max_length=2000, required=False
        ),
    }


@transaction.atomic
def category_create(
    *, actor: policy.Actor, zone: Zone, campaign: Campaign, name: Any, description: Any = ""
) -> ProblemCategory:
    """A category the zone adds itself (its wording is its own: not a placeholder)."""
    policy.require(
        actor, "category.manage", zone, view="zone.view", missing=gettext("高新区不存在")
    )
    if not ZoneCampaign.objects.filter(zone=zone, campaign=campaign).exists():
        raise NotFound(gettext("本区尚未启用该学习教育"))
    values = _clean_category(name, description)
    existing = ProblemCategory.objects.select_for_update().filter(zone=zone, campaign=campaign)
    if existing.filter(name=values["name"]).exists():
        raise invalid(name=gettext("已有名为“%(name)s”的问题类别") % {"name": values["name"]})
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
    policy.require(
        actor, "category.manage", category, view="zone.view", missing=gettext("问题类别不存在")
    )
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
            raise invalid(name=gettext("已有名为“%(name)s”的问题类别") % {"name": values["name"]})
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


@dataclass(frozen=True)
class CategoryEdit:
    """One row of the settings page's category table, as submitted."""

    pk: Any
    name: Any
    description: Any
    is_active: bool
    is_placeholder: bool


@transaction.atomic
def categories_update(
    *, actor: policy.Actor, zone: Zone, campaign: Campaign, rows: Sequence[CategoryEdit]
) -> int:
    """Save the whole category table of a zone's campaign at once: every row
    is checked, and if any is refused nothing is written. Field errors come
    back keyed ``<field>-<pk>``, so the page shows each under its own row.
    Returns how many categories changed."""
    policy.require(
        actor, "category.manage", zone, view="zone.view", missing=gettext("高新区不存在")
    )
    mine = {c.pk: c for c in ProblemCategory.objects.filter(zone=zone, campaign=campaign)}
    errors: dict[str, str | StrPromise] = {}
    changed = 0
    # First every row on its own and the names against each other, so the
    # page can show all mistakes at once; then the saves, each checked again.
    wanted: dict[str, list[int]] = {}
    for row in rows:
        category = mine.get(parse_id(row.pk))
        if category is None:
            raise NotFound(gettext("问题类别不存在"))
        try:
            values = _clean_category(row.name, row.description)
        except Invalid as exc:
            errors.update({f"{k}-{category.pk}": v for k, v in exc.fields.items()})
            continue
        wanted.setdefault(values["name"], []).append(category.pk)
    for name, pks in wanted.items():
        if len(pks) > 1:
            for pk in pks:
                errors[f"name-{pk}"] = gettext("类别名称“%(name)s”重复") % {"name": name}
    if errors:
        raise Invalid(gettext("；").join(dict.fromkeys(map(str, errors.values()))), fields=errors)
    for row in rows:
        category = mine[parse_id(row.pk)]
        try:
            with transaction.atomic():
                before = snapshot(category, CATEGORY_FIELDS)
                # A renamed placeholder whose mark was left as it was is
                # confirmed by the new name (category_update's rule).
                renamed = str(row.name).strip() != category.name
                kept_mark = bool(row.is_placeholder) == category.is_placeholder
                updated = category_update(
                    actor=actor,
                    category=category,
                    name=row.name,
                    description=row.description,
                    is_active=row.is_active,
                    is_placeholder=None if renamed and kept_mark else row.is_placeholder,
                )
                changed += before != snapshot(updated, CATEGORY_FIELDS)
        except Invalid as exc:
            errors.update({f"{k}-{category.pk}": v for k, v in exc.fields.items()})
    if errors:
        # Raised inside the outer transaction: the rows saved above roll back.
        raise Invalid(gettext("；").join(dict.fromkeys(map(str, errors.values()))), fields=errors)
    return changed
