"""Writes of 政企圆桌会 (roundtables) and 三员入企 (enterprise visits), and the
demands raised at them.

Every demand becomes a tracked item, one of two ways:

- ``route="feedback"``: a feedback item through ``intake.feedback_create``
  (channel 政企圆桌会 or 入企走访, the enterprise and the roundtable or visit
  set). It lands in the zone's inbox and is handled like any other item; no
  personal contact is stored, the enterprise's contact is in the register.
- ``route="problem"``: straight into the ledger (``ledger.services.
  problem_create``, source 政企圆桌会, or 调查研究 for a visit). The item is
  still created, already 转入整改台账 and linked to the problem, so that the
  roundtable or visit lists all its demands with their state in one place and
  the ledger's closing reaches the enterprise like any item's.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from shiji.audit.kinds import EventKind
from shiji.audit.services import audit_record, created, diff, snapshot
from shiji.core.errors import Forbidden, Invalid, invalid
from shiji.core.i18n import recorded
from shiji.core.uploads import EVIDENCE, MB, check_upload, stored_upload, upload_name
from shiji.core.validation import clean_choice, clean_date, clean_text, parse_id
from shiji.ledger.models import Source
from shiji.ledger.services import problem_create
from shiji.orgs import policy
from shiji.orgs.models import Organization, Zone
from shiji.orgs.selectors import org_reference
from shiji.outreach.models import (
    Category,
    Channel,
    Enterprise,
    EnterpriseVisit,
    Feedback,
    FeedbackStep,
    Kind,
    Roundtable,
    RoundtableFile,
    Satisfaction,
    Status,
)
from shiji.outreach.services.intake import CONTENT_MAX, feedback_create
from shiji.outreach.workflow import stored_label

ROUNDTABLE_FIELDS = ["title", "held_on", "hosts", "minutes", "satisfaction"]
VISIT_FIELDS = ["enterprise", "visited_on", "visitors", "org", "summary", "satisfaction"]
TEXT_LIMIT = 10000
FILE_KINDS = EVIDENCE
MAX_FILES = 10
ROUTES = ("feedback", "problem")


def _collect(data: dict[str, Any], checks: dict[str, Any]) -> dict[str, Any]:
    """Run ``checks`` over the keys of ``data`` they name and raise every
    field's mistake at once."""
    out: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for key, check in checks.items():
        if key in data:
            try:
                out[key] = check(data[key])
            except Invalid as exc:
                errors.update(exc.fields or {key: exc.message})
    if errors:
        raise Invalid(None, fields=errors)
    return out


def _past_date(value: Any, *, field: str, label: str) -> dt.date:
    day = clean_date(value, field=field, label=label)
    if day > timezone.localdate():
        raise invalid(**{field: gettext("%(label)s不能晚于今天") % {"label": label}})
    return day


def _satisfaction(value: Any) -> str:
    if value in (None, ""):
        return ""
    return clean_choice(
        value, field="satisfaction", label=gettext("企业满意度"), choices=Satisfaction
    )


def _enterprise(zone: Zone, value: Any, *, field: str = "enterprise") -> Enterprise:
    if value in (None, ""):
        raise invalid(**{field: gettext("请选择企业")})
    if isinstance(value, Enterprise):
        found = value if value.zone_id == zone.pk else None
    else:
        found = Enterprise.objects.filter(zone=zone, pk=parse_id(value)).first()
    if found is None:
        raise invalid(**{field: gettext("企业不在本区企业名录中")})
    return found


def _enterprises(zone: Zone, values: Iterable[Any]) -> list[Enterprise]:
    """Enterprises of ``zone``'s register, given as records or ids; one of
    another zone (or none at all) refuses the whole list."""
    values = list(values or [])
    if len(values) > 500:
        raise invalid(enterprises=gettext("参会企业过多"))
    wanted = [e.pk if isinstance(e, Enterprise) else parse_id(e) for e in values]
    found = Enterprise.objects.filter(zone=zone, pk__in=wanted).in_bulk()
    if any(pk not in found for pk in wanted):
        raise invalid(enterprises=gettext("所选企业不在本区企业名录中"))
    return [found[pk] for pk in dict.fromkeys(wanted)]


def _roundtable_checks(zone: Zone) -> dict[str, Any]:
    return {
        "title": lambda v: clean_text(v, field="title", label=gettext("会议名称"), max_length=200),
        "held_on": lambda v: _past_date(v, field="held_on", label=gettext("召开日期")),
        "hosts": lambda v: clean_text(
            v, field="hosts", label=gettext("主持/参会领导"), max_length=300
        ),
        "minutes": lambda v: clean_text(
            v, field="minutes", label=gettext("会议纪要"), max_length=TEXT_LIMIT, required=False
        ),
        "satisfaction": _satisfaction,
        "enterprises": lambda v: _enterprises(zone, v),
    }


def _files(files: Iterable[Any] | None) -> list[Any]:
    chosen = [f for f in (files or []) if f is not None]
    if len(chosen) > MAX_FILES:
        raise invalid(file=gettext("一次最多上传 %(n)d 个文件") % {"n": MAX_FILES})
    return chosen


@transaction.atomic
def roundtable_create(
    *,
    actor: policy.Actor,
    zone: Zone,
    title: Any,
    held_on: Any,
    hosts: Any,
    enterprises: Iterable[Any] = (),
    minutes: Any = "",
    satisfaction: Any = "",
    files: Iterable[Any] | None = None,
) -> Roundtable:
    policy.require(actor, "roundtable.manage", zone)
    values = _collect(
        {
            "title": title,
            "held_on": held_on,
            "hosts": hosts,
            "minutes": minutes,
            "satisfaction": satisfaction,
            "enterprises": enterprises,
        },
        _roundtable_checks(zone),
    )
    uploads = _files(files)
    present = values.pop("enterprises")
    roundtable = Roundtable.objects.create(zone=zone, created_by=policy.user_of(actor), **values)
    if present:
        roundtable.enterprises.set(present)
    changes = created(roundtable, ROUNDTABLE_FIELDS)
    if present:
        changes["enterprises"] = [None, [e.name for e in present]]
    audit_record(actor=actor, action=EventKind.ROUNDTABLE_CREATE, obj=roundtable, changes=changes)
    for upload in uploads:
        _store_file(actor, roundtable, upload)
    return roundtable


@transaction.atomic
def roundtable_update(*, actor: policy.Actor, roundtable: Roundtable, **fields: Any) -> Roundtable:
    roundtable = Roundtable.objects.select_for_update().select_related("zone").get(pk=roundtable.pk)
    policy.require(actor, "roundtable.manage", roundtable)
    unknown = set(fields) - {*ROUNDTABLE_FIELDS, "enterprises"}
    if unknown:
        raise invalid(**dict.fromkeys(sorted(unknown), gettext("不能修改此字段")))
    values = _collect(fields, _roundtable_checks(roundtable.zone))
    present = values.pop("enterprises", None)
    before = snapshot(roundtable, ROUNDTABLE_FIELDS)
    for key, value in values.items():
        setattr(roundtable, key, value)
    changes = diff(before, snapshot(roundtable, ROUNDTABLE_FIELDS))
    if changes:
        roundtable.save(update_fields=[*changes, "updated_at"])
    if present is not None:
        had = list(roundtable.enterprises.order_by("pk"))
        if {e.pk for e in had} != {e.pk for e in present}:
            roundtable.enterprises.set(present)
            changes["enterprises"] = [[e.name for e in had], [e.name for e in present]]
    if changes:
        audit_record(
            actor=actor, action=EventKind.ROUNDTABLE_UPDATE, obj=roundtable, changes=changes
        )
    return roundtable


@transaction.atomic
def roundtable_add_files(
    *, actor: policy.Actor, roundtable: Roundtable, files: Iterable[Any]
) -> list[RoundtableFile]:
    """Attach minutes, photos or sign-in sheets (PDF, Office or images,
    checked by content)."""
    roundtable = Roundtable.objects.select_for_update().select_related("zone").get(pk=roundtable.pk)
    policy.require(actor, "roundtable.manage", roundtable)
    uploads = _files(files)
    if not uploads:
        raise invalid(file=gettext("请选择要上传的文件"))
    return [_store_file(actor, roundtable, upload) for upload in uploads]


def _store_file(actor: policy.Actor, roundtable: Roundtable, upload: Any) -> RoundtableFile:
    info = check_upload(upload, allowed=FILE_KINDS, max_bytes=settings.MAX_UPLOAD_MB * MB)
    name = upload_name(upload, default=recorded("会议材料"))
    row = RoundtableFile(
        roundtable=roundtable,
        name=name,
        kind=info.kind,
        size=info.size,
        sha256=info.sha256,
        uploaded_by=policy.user_of(actor),
    )
    with stored_upload(row.file, upload, name=name):
        row.save()
        audit_record(
            actor=actor,
            action=EventKind.ROUNDTABLE_FILE,
            obj=roundtable,
            changes={"file": [None, {"name": name, "sha256": info.sha256}]},
        )
    return row


# Enterprise visits (三员入企) ------------------------------------------------------


def _visit_checks(actor: policy.Actor, zone: Zone) -> dict[str, Any]:
    def org(value: Any) -> Organization | None:
        if value in (None, ""):
            return None
        return org_reference(
            actor=actor, zone=zone, value=value, field="org", label=gettext("走访单位")
        )

    return {
        "enterprise": lambda v: _enterprise(zone, v),
        "visited_on": lambda v: _past_date(v, field="visited_on", label=gettext("走访日期")),
        "visitors": lambda v: clean_text(
            v, field="visitors", label=gettext("走访人员"), max_length=300
        ),
        "org": org,
        "summary": lambda v: clean_text(
            v, field="summary", label=gettext("走访情况"), max_length=TEXT_LIMIT, required=False
        ),
        "satisfaction": _satisfaction,
    }


@transaction.atomic
def visit_create(
    *,
    actor: policy.Actor,
    zone: Zone,
    enterprise: Any,
    visited_on: Any,
    visitors: Any,
    org: Any = None,
    summary: Any = "",
    satisfaction: Any = "",
) -> EnterpriseVisit:
    policy.require(actor, "roundtable.manage", zone)
    values = _collect(
        {
            "enterprise": enterprise,
            "visited_on": visited_on,
            "visitors": visitors,
            "org": org,
            "summary": summary,
            "satisfaction": satisfaction,
        },
        _visit_checks(actor, zone),
    )
    visit = EnterpriseVisit.objects.create(zone=zone, created_by=policy.user_of(actor), **values)
    audit_record(
        actor=actor,
        action=EventKind.VISIT_CREATE,
        obj=visit,
        changes=created(visit, VISIT_FIELDS),
    )
    return visit


@transaction.atomic
def visit_update(*, actor: policy.Actor, visit: EnterpriseVisit, **fields: Any) -> EnterpriseVisit:
    visit = EnterpriseVisit.objects.select_for_update().select_related("zone").get(pk=visit.pk)
    policy.require(actor, "roundtable.manage", visit)
    unknown = set(fields) - set(VISIT_FIELDS)
    if unknown:
        raise invalid(**dict.fromkeys(sorted(unknown), gettext("不能修改此字段")))
    values = _collect(fields, _visit_checks(actor, visit.zone))
    moved = "enterprise" in values and values["enterprise"].pk != visit.enterprise_id
    if moved and visit.demands.exists():
        raise invalid(enterprise=gettext("走访已登记诉求，不能再更换企业"))
    before = snapshot(visit, VISIT_FIELDS)
    for key, value in values.items():
        setattr(visit, key, value)
    changes = diff(before, snapshot(visit, VISIT_FIELDS))
    if changes:
        visit.save(update_fields=[*changes, "updated_at"])
        audit_record(actor=actor, action=EventKind.VISIT_UPDATE, obj=visit, changes=changes)
    return visit


# Demands ---------------------------------------------------------------------------


def _route(route: Any) -> str:
    if route not in ROUTES:
        raise invalid(route=gettext("请选择诉求的办理方式"))
    return str(route)


def _demand(
    *,
    actor: policy.Actor,
    zone: Zone,
    channel: str,
    source: str,
    found_on: dt.date,
    enterprise: Enterprise | None,
    roundtable: Roundtable | None,
    visit: EnterpriseVisit | None,
    content: Any,
    kind: Any,
    category: Any,
    route: Any,
    problem: dict[str, Any] | None,
) -> Feedback:
    route = _route(route)
    # Check the item's own fields first, so an empty form names them all.
    errors: dict[str, str] = {}
    try:
        clean_text(content, field="content", label=gettext("诉求内容"), max_length=CONTENT_MAX)
    except Invalid as exc:
        errors.update(exc.fields)
    if route == "problem":
        p = problem or {}
        for key, label in (
            ("org", gettext("责任单位")),
            ("category", gettext("问题类别")),
            ("kind", gettext("整改类型")),
        ):
            if p.get(key) in (None, ""):
                errors[f"problem_{key}"] = gettext("请选择%(label)s") % {"label": label}
    if errors:
        raise Invalid(None, fields=errors)
    item = feedback_create(
        actor=actor,
        zone=zone,
        kind=kind or Kind.HELP,
        category=category or Category.BUSINESS,
        content=content,
        channel=channel,
        enterprise=enterprise,
        roundtable=roundtable,
        visit=visit,
    ).feedback
    if route == "problem":
        p = problem or {}
        try:
            made = problem_create(
                actor=actor,
                zone=zone,
                source=source,
                category=p.get("category"),
                description=item.content,
                org=p.get("org"),
                kind=p.get("kind"),
                found_on=found_on,
                deadline=p.get("deadline") or None,
                measures=p.get("measures", ""),
            )
        except Invalid as exc:
            # The ledger's field names, as the demand form calls them.
            raise Invalid(
                None if exc.fields else exc.message,
                fields={
                    ("content" if k == "description" else f"problem_{k}"): v
                    for k, v in exc.fields.items()
                },
            ) from None
        except Forbidden as exc:
            # May not add problems for that org: said next to the org's select.
            raise Forbidden(exc.message, fields={"problem_org": exc.message}) from None
        before = item.status
        item.problem = made
        item.status = Status.IN_LEDGER
        item.save(update_fields=["problem", "status", "updated_at"])
        FeedbackStep.objects.create(
            feedback=item,
            action="to_problem",
            public_label=stored_label("to_problem"),
            actor=policy.user_of(actor),
        )
        audit_record(
            actor=actor,
            action=EventKind.FEEDBACK_TO_PROBLEM,
            obj=item,
            changes={"status": [before, item.status], "problem": [None, made.code]},
        )
    return item


@transaction.atomic
def roundtable_demand_add(
    *,
    actor: policy.Actor,
    roundtable: Roundtable,
    content: Any,
    enterprise: Any = None,
    kind: Any = Kind.HELP,
    category: Any = Category.BUSINESS,
    route: Any = "feedback",
    problem: dict[str, Any] | None = None,
) -> Feedback:
    """A demand raised at ``roundtable``, by one of the enterprises present
    (or by none in particular); ``problem``: the ledger fields for
    ``route="problem"`` (org, category, kind, deadline, measures)."""
    roundtable = Roundtable.objects.select_related("zone").get(pk=roundtable.pk)
    policy.require(actor, "roundtable.manage", roundtable)
    who = None
    if enterprise not in (None, ""):
        who = _enterprise(roundtable.zone, enterprise)
        if not roundtable.enterprises.filter(pk=who.pk).exists():
            raise invalid(enterprise=gettext("该企业未登记为本次会议的参会企业"))
    return _demand(
        actor=actor,
        zone=roundtable.zone,
        channel=Channel.ROUNDTABLE,
        source=Source.ROUNDTABLE,
        found_on=roundtable.held_on,
        enterprise=who,
        roundtable=roundtable,
        visit=None,
        content=content,
        kind=kind,
        category=category,
        route=route,
        problem=problem,
    )


@transaction.atomic
def visit_demand_add(
    *,
    actor: policy.Actor,
    visit: EnterpriseVisit,
    content: Any,
    kind: Any = Kind.HELP,
    category: Any = Category.BUSINESS,
    route: Any = "feedback",
    problem: dict[str, Any] | None = None,
) -> Feedback:
    """A demand the visited enterprise raised; into the ledger it goes with
    source 调查研究 (a visit is field research; 政企圆桌会 is the meeting)."""
    visit = EnterpriseVisit.objects.select_related("zone", "enterprise").get(pk=visit.pk)
    policy.require(actor, "roundtable.manage", visit)
    return _demand(
        actor=actor,
        zone=visit.zone,
        channel=Channel.ENTERPRISE_VISIT,
        source=Source.RESEARCH,
        found_on=visit.visited_on,
        enterprise=visit.enterprise,
        roundtable=None,
        visit=visit,
        content=content,
        kind=kind,
        category=category,
        route=route,
        problem=problem,
    )
