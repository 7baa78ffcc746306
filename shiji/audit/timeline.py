"""Audit events as people read them: one builder for every record timeline
and the audit page.

An event's kind gives its label and the label of its note (kinds.py); its
fields read as the labels the pages use (the model's verbose names, choice
labels for codes); ids of people, orgs, zones and categories become names,
looked up through the scoped selectors so nobody learns a name they could
not see anyway (what stays hidden reads as "编号 7"); the actor reads as a
person's name with their organization, not a login name.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils.text import Truncator
from django.utils.translation import gettext
from django.utils.translation import gettext as _

from shiji.audit.kinds import FIELD_LABELS, EventKind, FieldLabel, kind_of
from shiji.audit.models import AuditEvent
from shiji.audit.selectors import timeline_for

TEXT_LIMIT = 80
# Fields whose new value replaces a running summary: the old one is noise.
SUMMARY_FIELDS = frozenset({"progress_summary"})


@dataclass
class Change:
    label: str
    old: str
    new: str
    created: bool  # nothing before (or a summary that simply moved on)


@dataclass
class Row:
    event: AuditEvent
    kind: EventKind | None
    label: str
    actor: str
    object_label: str
    changes: list[Change] = field(default_factory=list)
    note_label: str = ""

    @property
    def verb(self) -> str:
        """The last part of the kind's code (``verify``), for styling."""
        return self.event.action.rsplit(".", 1)[-1]

    @property
    def is_creation(self) -> bool:
        """The record was entered here: its changes are the whole entry."""
        return self.verb == "create"


def timeline(obj: models.Model, user: Any, *, newest_first: bool = False, limit: int | None = None):
    """The readable history of ``obj`` (the caller has checked that ``user``
    may see it), oldest first unless ``newest_first``."""
    events = timeline_for(obj).select_related("actor__person__org", "actor__zone")
    if newest_first:
        events = events.reverse()
    if limit:
        events = events[:limit]
    return describe(list(events), user=user)


def describe(events: list[AuditEvent], *, user: Any) -> list[Row]:
    """Readable rows for ``events``; the names they refer to are looked up
    in one query per kind of record, whatever the number of events."""
    names = _Names(user)
    for event in events:
        model = _model(event.object_type)
        for name, (old, new) in _pairs(event):
            target = _related_model(model, name)
            if target is not None:
                names.want(target, (old, new))
    names.resolve()
    rows = []
    for event in events:
        kind = kind_of(event.action)
        model = _model(event.object_type)
        shown = kind.fields if kind else None
        rows.append(
            Row(
                event=event,
                kind=kind,
                label=kind.label if kind else _("其他操作"),
                actor=actor_display(event),
                object_label=_object_label(model, event),
                changes=[
                    Change(
                        label=field_label(model, name),
                        old=_value(model, name, old, names),
                        new=_value(model, name, new, names),
                        created=old in (None, "") or name in SUMMARY_FIELDS,
                    )
                    for name, (old, new) in _pairs(event)
                    if shown is None or name in shown
                ],
                note_label=kind.note_label if kind else _("说明"),
            )
        )
    return rows


def actor_display(event: AuditEvent) -> str:
    """``张三（经济发展局党支部）`` from the account's roster entry, or its
    zone; the label stored with the event when there is no account (the
    system)."""
    user = event.actor
    if user is None:
        return event.actor_label
    person = getattr(user, "person", None)
    where = person.org.name if person else (user.zone.short_name if user.zone is not None else "")
    if not where:
        return user.display_name
    return _("%(name)s（%(text)s）") % {"name": user.display_name, "text": where}


def field_label(model: type[models.Model] | None, name: str) -> str:
    if model is not None:
        special = FIELD_LABELS.get(f"{model._meta.label_lower}.{name}")
        if special:
            return special.label
    if name in FIELD_LABELS:
        return FIELD_LABELS[name].label
    model_field = _field(model, name)
    if model_field is not None:
        return _(str(model_field.verbose_name))
    return name  # a key recorded in words already (the roster's 组织类型, …)


# Values ------------------------------------------------------------------------


def _value(model: type[models.Model] | None, name: str, value: Any, names: _Names) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if isinstance(value, list):
        sep = FIELD_LABELS[name].sep if name in FIELD_LABELS else gettext("、")
        return _(sep).join(_value(model, name, v, names) for v in value)
    if isinstance(value, dict):
        return _compound(name, value)
    target = _related_model(model, name)
    if target is not None and isinstance(value, int):
        return names.name(target, value)
    choices = _choices(_field(model, name))
    if choices and value in choices:
        return choices[value]
    return Truncator(str(value)).chars(TEXT_LIMIT)


def _compound(name: str, value: dict[str, Any]) -> str:
    """A snapshot of a row (a file, a speech) or an attendance summary."""
    if "present" in value and "absent" in value:
        absent = value["absent"] or []
        text = _("出席 %(p)d 人，缺席 %(a)d 人") % {"p": value["present"], "a": len(absent)}
        text += _("（%(text)s）") % {"text": _("；").join(absent)} if absent else ""
        if value.get("pending"):
            text += _("，待补录 %(n)d 人") % {"n": value["pending"]}
        return text
    spec = FIELD_LABELS.get(name, FieldLabel("", ""))
    row_model = _model(spec.row) if spec.row else None
    title = value.get("name") or value.get("title") or ""
    if value.get("person"):
        title = _("%(label)s：") % {"label": value["person"]} + title if title else value["person"]
    extra = []
    for key, item in value.items():
        if key in ("name", "title", "person", "sha256") or item in (None, ""):
            continue
        choices = _choices(_field(row_model, key))
        extra.append(choices.get(item, str(item)) if choices else str(item))
    text = str(title) if title else _("，").join(extra)
    if title and extra:
        return _("%(name)s（%(text)s）") % {"name": text, "text": _("，").join(extra)}
    return text


def _choices(model_field: Any) -> dict[Any, str]:
    if model_field is None or not getattr(model_field, "choices", None):
        return {}
    return {code: _(str(label)) for code, label in model_field.flatchoices}


# Names behind ids, through the scoped selectors ----------------------------------


class _Names:
    def __init__(self, user: Any):
        self.user = user
        self.wanted: dict[type[models.Model], set[int]] = {}
        self.found: dict[type[models.Model], dict[int, str]] = {}

    def want(self, model: type[models.Model], values: Iterable[Any]) -> None:
        ids = self.wanted.setdefault(model, set())
        for value in values:
            for v in value if isinstance(value, list) else [value]:
                if isinstance(v, int) and not isinstance(v, bool):
                    ids.add(v)

    def resolve(self) -> None:
        for model, ids in self.wanted.items():
            if ids:
                self.found[model] = _names_of(model, ids, self.user)

    def name(self, model: type[models.Model], value: Any) -> str:
        try:
            return self.found.get(model, {})[int(value)]
        except (KeyError, TypeError, ValueError):
            return _("编号 %(id)s") % {"id": value}


def _names_of(model: type[models.Model], ids: set[int], user: Any) -> dict[int, str]:
    from shiji.orgs import selectors as orgs

    label = model._meta.label_lower
    if label == "orgs.person":
        people = orgs.people_visible_to(user=user).filter(pk__in=ids)
        return {
            p.pk: _("%(name)s（%(text)s）") % {"name": p.name, "text": p.org.name} for p in people
        }
    if label == "orgs.organization":
        return dict(orgs.orgs_visible_to(user=user).filter(pk__in=ids).values_list("pk", "name"))
    if label == "orgs.zone":
        return dict(orgs.zones_visible_to(user=user).filter(pk__in=ids).values_list("pk", "name"))
    if label == "orgs.user":
        return {u.pk: u.display_name for u in orgs.users_visible_to(user=user).filter(pk__in=ids)}
    rows = model._default_manager.filter(pk__in=ids)
    if any(f.name == "zone" for f in model._meta.get_fields()):
        # Zone reference data (categories, tasks): readable in the zones one sees.
        rows = rows.filter(zone__in=orgs.zones_visible_to(user=user))
    return {row.pk: str(row) for row in rows}


# Models and fields behind an event ------------------------------------------------

_MODELS: dict[str, type[models.Model] | None] = {}


def _model(object_type: str) -> type[models.Model] | None:
    if object_type not in _MODELS:
        try:
            _MODELS[object_type] = apps.get_model(object_type)
        except (LookupError, ValueError):
            _MODELS[object_type] = None
    return _MODELS[object_type]


def _field(model: type[models.Model] | None, name: str) -> models.Field | None:
    """The model's own field ``name`` (not a reverse relation), if any."""
    if model is None:
        return None
    try:
        found = model._meta.get_field(name)
    except FieldDoesNotExist:
        return None
    return found if isinstance(found, models.Field) else None


def _related_model(model: type[models.Model] | None, name: str) -> type[models.Model] | None:
    model_field = _field(model, name)
    if model_field is not None and (model_field.many_to_one or model_field.one_to_one):
        return model_field.related_model
    return None


def _pairs(event: AuditEvent) -> list[tuple[str, tuple[Any, Any]]]:
    changes = event.changes if isinstance(event.changes, dict) else {}
    out = []
    for name, pair in changes.items():
        old, new = pair if isinstance(pair, list) and len(pair) == 2 else (None, pair)
        out.append((name, (old, new)))
    return out


def _object_label(model: type[models.Model] | None, event: AuditEvent) -> str:
    if model is None:
        return event.object_repr
    return f"{_(str(model._meta.verbose_name))} · {event.object_repr}"
