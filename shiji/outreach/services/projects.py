"""Writes of 为民实事 (practical projects): the project itself and its
progress notes. Progress never goes backwards silently: a lower percentage
than the last needs a reason, which is kept with the note and in the audit
trail. 100% marks the project done (with the date); a later lower figure
reopens it."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from shiji.audit.kinds import EventKind
from shiji.audit.services import audit_record, created, diff, snapshot
from shiji.core.errors import Invalid, invalid
from shiji.core.i18n import recorded
from shiji.core.uploads import EVIDENCE, MB, check_upload, stored_upload, upload_name
from shiji.core.validation import clean_date, clean_text
from shiji.orgs import policy
from shiji.orgs.models import Zone
from shiji.orgs.selectors import org_reference, person_reference
from shiji.outreach.models import PracticalProject, ProjectProgress, ProjectStatus

FIELDS = ["title", "org", "leader", "target", "deadline", "public"]
TEXT_LIMIT = 4000
FILE_KINDS = EVIDENCE


def _bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "on", "yes")
    return bool(value)


def _clean(
    actor: policy.Actor, zone: Zone, data: dict[str, Any], current: PracticalProject | None
) -> dict[str, Any]:
    checks = {
        "title": lambda v: clean_text(v, field="title", label=gettext("实事名称"), max_length=200),
        "org": lambda v: org_reference(
            actor=actor, zone=zone, value=v, field="org", label=gettext("责任单位")
        ),
        "leader": lambda v: person_reference(
            zone=zone,
            value=v,
            field="leader",
            label=gettext("责任领导"),
            current_id=current.leader_id if current else None,
        ),
        "target": lambda v: clean_text(
            v, field="target", label=gettext("目标"), max_length=TEXT_LIMIT
        ),
        "deadline": lambda v: clean_date(v, field="deadline", label=gettext("完成时限")),
        "public": _bool,
    }
    out: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for key, check in checks.items():
        if key in data:
            try:
                out[key] = check(data[key])
            except Invalid as exc:
                errors.update(exc.fields)
    if errors:
        raise Invalid(None, fields=errors)
    return out


@transaction.atomic
def project_create(
    *,
    actor: policy.Actor,
    zone: Zone,
    title: Any,
    org: Any,
    target: Any,
    deadline: Any,
    leader: Any = None,
    public: Any = True,
) -> PracticalProject:
    policy.require(actor, "project.manage", zone)
    values = _clean(
        actor,
        zone,
        {
            "title": title,
            "org": org,
            "leader": leader,
            "target": target,
            "deadline": deadline,
            "public": public,
        },
        None,
    )
    policy.require(actor, "project.manage", values["org"])
    project = PracticalProject.objects.create(zone=zone, created_by=policy.user_of(actor), **values)
    audit_record(
        actor=actor,
        action=EventKind.PROJECT_CREATE,
        obj=project,
        changes=created(project, FIELDS),
    )
    return project


def _locked(project: PracticalProject) -> PracticalProject:
    return (
        PracticalProject.objects.select_for_update(of=("self",))
        .select_related("zone", "org")
        .get(pk=project.pk)
    )


@transaction.atomic
def project_update(
    *, actor: policy.Actor, project: PracticalProject, **fields: Any
) -> PracticalProject:
    project = _locked(project)
    policy.require(actor, "project.manage", project)
    unknown = set(fields) - set(FIELDS)
    if unknown:
        raise invalid(**dict.fromkeys(sorted(unknown), gettext("不能修改此字段")))
    values = _clean(actor, project.zone, fields, project)
    if "org" in values and values["org"].pk != project.org_id:
        policy.require(actor, "project.manage", values["org"])
    before = snapshot(project, FIELDS)
    for key, value in values.items():
        setattr(project, key, value)
    changes = diff(before, snapshot(project, FIELDS))
    if changes:
        project.save(update_fields=[*changes, "updated_at"])
        audit_record(actor=actor, action=EventKind.PROJECT_UPDATE, obj=project, changes=changes)
    return project


def clean_percent(value: Any) -> int:
    message = gettext("完成进度应为 0 到 100 之间的整数")
    if isinstance(value, bool) or value in (None, ""):
        raise invalid(percent=gettext("请填写完成进度") if value in (None, "") else message)
    if isinstance(value, float) and not value.is_integer():
        raise invalid(percent=message)
    try:
        number = (
            int(str(value).strip().removesuffix("%").strip())
            if not isinstance(value, int | float)
            else int(value)
        )
    except ValueError:
        raise invalid(percent=message) from None
    if not 0 <= number <= 100:
        raise invalid(percent=message)
    return number


@transaction.atomic
def project_progress_add(
    *,
    actor: policy.Actor,
    project: PracticalProject,
    text: Any,
    percent: Any,
    reason: Any = "",
    file: Any = None,
) -> ProjectProgress:
    """One progress note. ``reason`` is required when ``percent`` is below
    the project's current figure; ``file`` is optional evidence (PDF, Office
    or an image, checked by content; its SHA-256 is kept)."""
    project = _locked(project)
    policy.require(actor, "project.progress", project)
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    checks = {
        "text": lambda: clean_text(
            text, field="text", label=gettext("进展情况"), max_length=TEXT_LIMIT
        ),
        "percent": lambda: clean_percent(percent),
        "reason": lambda: clean_text(
            reason, field="reason", label=gettext("进度回退原因"), max_length=500, required=False
        ),
    }
    for key, check in checks.items():
        try:
            values[key] = check()
        except Invalid as exc:
            errors.update(exc.fields)
    if "percent" in values and values["percent"] < project.percent and not values.get("reason"):
        errors["reason"] = gettext("完成进度低于上次的 %(old)d%%，请说明进度回退的原因") % {
            "old": project.percent
        }
    if errors:
        raise Invalid(None, fields=errors)
    new = values["percent"]
    body = values["text"]
    if new < project.percent:
        body = recorded(
            "%(text)s\n（进度由 %(old)d%% 调整为 %(new)d%%，原因：%(reason)s）",
            text=body,
            old=project.percent,
            new=new,
            reason=values["reason"],
        )
    info = (
        check_upload(file, allowed=FILE_KINDS, max_bytes=settings.MAX_UPLOAD_MB * MB)
        if (file is not None)
        else None
    )
    note = ProjectProgress(project=project, text=body, percent=new, author=policy.user_of(actor))
    changes: dict[str, Any] = {}
    if new != project.percent:
        changes["percent"] = [project.percent, new]
    status = ProjectStatus.DONE if new == 100 else ProjectStatus.IN_PROGRESS
    fields = ["percent", "status", "updated_at"]
    if status != project.status:
        changes["status"] = [project.status, status]
    if status == ProjectStatus.DONE and project.done_on is None:
        project.done_on = timezone.localdate()
        changes["done_on"] = [None, project.done_on.isoformat()]
        fields.append("done_on")
    elif status != ProjectStatus.DONE and project.done_on is not None:
        changes["done_on"] = [project.done_on.isoformat(), None]
        project.done_on = None
        fields.append("done_on")
    project.percent, project.status = new, status
    project.save(update_fields=fields)

    def write() -> None:
        note.save()
        audit_record(
            actor=actor,
            action=EventKind.PROJECT_PROGRESS,
            obj=project,
            changes=changes,
            note=values.get("reason", ""),
        )

    if info is None:
        write()
        return note
    name = upload_name(file, default=recorded("进展凭证"))
    note.name, note.kind, note.size, note.sha256 = name, info.kind, info.size, info.sha256
    changes["file"] = [None, {"name": name, "sha256": info.sha256}]
    with stored_upload(note.file, file, name=name):
        write()
    return note
