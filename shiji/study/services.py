"""Writes to study and discussion (学习研讨). The pages, the API, the sign-in
sheet import and the demo loader all call these; each runs in one
transaction with its audit event."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone

from shiji.audit.services import audit_record, created, diff, snapshot
from shiji.campaigns.models import StudyKind, ZoneCampaign
from shiji.core.errors import Conflict, invalid
from shiji.core.uploads import EVIDENCE, check_upload, stored_upload
from shiji.core.validation import clean_date, clean_text, parse_id
from shiji.orgs import policy
from shiji.orgs.models import Organization, Person, Zone
from shiji.orgs.selectors import org_reference
from shiji.study.models import Attendance, Material, Speech, StudySession, stored_path

SESSION_FIELDS = ["org", "kind", "date", "topic", "duration_hours", "place", "minutes"]
TEXT_LIMIT = 20000
REASON_LIMIT = 200
MAX_HOURS = Decimal(24)
FILE_KINDS = EVIDENCE  # images, PDF and Office files, judged by their bytes


REFUSED = "您没有权限记录本单位的学习研讨"


def _locked(session: StudySession) -> StudySession:
    return (
        StudySession.objects.select_for_update(of=("self",))
        .select_related("org", "zone", "kind")
        .get(pk=session.pk)
    )


def zone_study_kinds(zone: Zone):
    """The study kinds of the campaigns the zone has adopted."""
    campaign_ids = ZoneCampaign.objects.filter(zone=zone).values("campaign_id")
    return StudyKind.objects.filter(campaign_id__in=campaign_ids).select_related("campaign")


def clean_hours(value: Any) -> Decimal:
    text = "" if value is None else str(value).strip()
    if not text:
        raise invalid(duration_hours="请填写时长（小时）")
    try:
        hours = Decimal(text)
    except InvalidOperation:
        raise invalid(duration_hours="时长应为数字，如 1.5") from None
    if not hours.is_finite() or hours <= 0:
        raise invalid(duration_hours="时长应大于 0")
    if hours > MAX_HOURS:
        raise invalid(duration_hours="时长不能超过 24 小时")
    if hours != hours.quantize(Decimal("0.1")):
        raise invalid(duration_hours="时长最多保留一位小数，如 1.5")
    return hours.quantize(Decimal("0.1"))


def _clean(actor: Any, zone: Zone, data: Mapping[str, Any]) -> dict[str, Any]:
    """Validate session fields; the org and the kind may be records or ids
    (the pages and the API send ids) and are resolved here."""
    out: dict[str, Any] = {}
    if "org" in data:
        out["org"] = org_reference(
            actor=actor, zone=zone, value=data["org"], field="org", label="组织单位"
        )
    if "kind" in data:
        kind = data["kind"]
        if kind is None or kind == "":
            raise invalid(kind="请选择学习形式")
        pk = kind.pk if isinstance(kind, StudyKind) else parse_id(kind)
        found = zone_study_kinds(zone).filter(pk=pk).first()
        if found is None:
            raise invalid(kind="学习形式不存在，请从本区启用的学习教育活动中选择")
        out["kind"] = found
    if "date" in data:
        day = clean_date(data["date"], field="date", label="日期")
        if day > timezone.localdate():
            raise invalid(date="日期不能晚于今天：学习研讨应在开展后记录")
        out["date"] = day
    if "topic" in data:
        out["topic"] = clean_text(data["topic"], field="topic", label="主题", max_length=200)
    if "duration_hours" in data:
        out["duration_hours"] = clean_hours(data["duration_hours"])
    if "place" in data:
        out["place"] = clean_text(
            data["place"], field="place", label="地点", max_length=200, required=False
        )
    if "minutes" in data:
        out["minutes"] = clean_text(
            data["minutes"], field="minutes", label="纪要", max_length=TEXT_LIMIT, required=False
        )
    return out


# Attendance ----------------------------------------------------------------------


@dataclass(frozen=True)
class Mark:
    person: Person
    present: bool
    reason: str


def _person_label(person: Person) -> str:
    return f"{person.name}（{person.org.name}）"


def attendance_clean(*, org: Organization, entries: Iterable[Mapping[str, Any]]) -> list[Mark]:
    """Check attendance entries ``{person, present, reason}`` against the
    roster of ``org``'s subtree; ``person`` is a Person or an id. Raises
    ``Invalid`` naming the entry (``attendance[3].reason``) for the first
    mistake; nothing is written here."""
    entries = list(entries)
    ids = set()
    for entry in entries:
        person = entry.get("person")
        if isinstance(person, Person):
            ids.add(person.pk)
        elif isinstance(person, int) and parse_id(person) > 0:
            ids.add(person)
    people = {
        p.pk: p
        for p in Person.objects.filter(pk__in=ids, zone_id=org.zone_id).select_related("org")
    }
    marks: list[Mark] = []
    seen: dict[int, int] = {}
    for index, entry in enumerate(entries):
        field = f"attendance[{index}]"
        raw = entry.get("person")
        pk = raw.pk if isinstance(raw, Person) else raw
        person = people.get(pk) if isinstance(pk, int) else None
        if person is None:
            raise invalid(**{f"{field}.person": "人员不在本区花名册中"})
        if not person.org.path.startswith(org.path):
            raise invalid(
                **{
                    f"{field}.person": f"{_person_label(person)}不属于{org.name}及其下级组织，"
                    "不能记入本次学习的出勤"
                }
            )
        if not person.is_active:
            raise invalid(**{f"{field}.person": f"{_person_label(person)}已不在册"})
        if person.pk in seen:
            raise invalid(
                **{
                    f"{field}.person": f"{_person_label(person)}重复出现"
                    f"（第 {seen[person.pk] + 1} 条已有）"
                }
            )
        seen[person.pk] = index
        present = entry.get("present")
        if not isinstance(present, bool):
            raise invalid(**{f"{field}.present": "请注明是否出席"})
        reason = clean_text(
            entry.get("reason") or "",
            field=f"{field}.reason",
            label="缺席原因",
            max_length=REASON_LIMIT,
            required=False,
        )
        if not present and not reason:
            raise invalid(**{f"{field}.reason": f"{person.name}缺席，请填写缺席原因"})
        marks.append(Mark(person=person, present=present, reason="" if present else reason))
    return marks


def _attendance_summary(rows: Iterable[tuple[str, bool, str]]) -> dict[str, Any]:
    rows = list(rows)
    return {
        "present": sum(1 for _, present, _ in rows if present),
        "absent": [f"{name}：{reason}" for name, present, reason in rows if not present],
    }


def _current_summary(session: StudySession) -> dict[str, Any]:
    return _attendance_summary(
        session.attendance.order_by("person__org__path", "person__name").values_list(
            "person__name", "present", "reason"
        )
    )


def _write_attendance(session: StudySession, marks: list[Mark]) -> None:
    """Make the session's attendance exactly ``marks`` (rows for people not
    listed are removed): three statements whatever the size of the branch."""
    wanted = {m.person.pk: m for m in marks}
    existing = {a.person_id: a for a in session.attendance.all()}
    session.attendance.exclude(person_id__in=wanted).delete()
    changed = []
    for pk, mark in wanted.items():
        row = existing.get(pk)
        if row is not None and (row.present, row.reason) != (mark.present, mark.reason):
            row.present, row.reason = mark.present, mark.reason
            changed.append(row)
    if changed:
        Attendance.objects.bulk_update(changed, ["present", "reason"])
    Attendance.objects.bulk_create(
        [
            Attendance(session=session, person=m.person, present=m.present, reason=m.reason)
            for pk, m in wanted.items()
            if pk not in existing
        ]
    )


def _attendance_changes(session: StudySession, before: dict[str, Any]) -> dict[str, Any]:
    after = _current_summary(session)
    return {} if after == before else {"attendance": [before, after]}


# Sessions ------------------------------------------------------------------------


@transaction.atomic
def session_create(
    *,
    actor: Any,
    zone: Zone,
    org: Any,
    kind: Any,
    date: Any,
    topic: Any,
    duration_hours: Any,
    place: Any = "",
    minutes: Any = "",
    attendance: Iterable[Mapping[str, Any]] | None = None,
    is_sample: bool = False,
) -> StudySession:
    """Record a session and, when given, its whole attendance list."""
    values = _clean(
        actor,
        zone,
        {
            "org": org,
            "kind": kind,
            "date": date,
            "topic": topic,
            "duration_hours": duration_hours,
            "place": place,
            "minutes": minutes,
        },
    )
    policy.require(actor, "study.manage", values["org"], message=REFUSED)
    marks = attendance_clean(org=values["org"], entries=attendance) if attendance else []
    session = StudySession(
        zone=zone,
        is_sample=is_sample,
        created_by=policy.user_of(actor),
        **values,
    )
    session.save()
    _write_attendance(session, marks)
    changes = created(session, SESSION_FIELDS)
    if marks:
        changes["attendance"] = [
            None,
            _attendance_summary((m.person.name, m.present, m.reason) for m in marks),
        ]
    audit_record(actor=actor, action="study.create", obj=session, changes=changes)
    return session


@transaction.atomic
def session_update(
    *,
    actor: Any,
    session: StudySession,
    attendance: Iterable[Mapping[str, Any]] | None = None,
    **fields: Any,
) -> StudySession:
    """Change the fields given and, when ``attendance`` is given, replace the
    attendance list with it; one transaction, one audit event."""
    session = _locked(session)
    policy.require(actor, "study.manage", session, message=REFUSED)
    unknown = set(fields) - set(SESSION_FIELDS)
    if unknown:
        raise invalid(**dict.fromkeys(sorted(unknown), "不能修改此字段"))
    values = _clean(actor, session.zone, fields)
    if "org" in values and values["org"].pk != session.org_id:
        policy.require(actor, "study.manage", values["org"], message=REFUSED)
        if attendance is None:
            outside = session.attendance.exclude(
                person__org__path__startswith=values["org"].path
            ).select_related("person")[:3]
            if outside:
                names = "、".join(a.person.name for a in outside)
                raise Conflict(f"{names}等人不属于新的组织单位，请先调整出勤名单")
    before = snapshot(session, SESSION_FIELDS)
    for key, value in values.items():
        setattr(session, key, value)
    changes = diff(before, snapshot(session, SESSION_FIELDS))
    attendance_before = _current_summary(session) if attendance is not None else None
    if attendance is not None:
        marks = attendance_clean(org=session.org, entries=attendance)
        _write_attendance(session, marks)
        changes.update(_attendance_changes(session, attendance_before))
    if not changes:
        return session
    session.save(update_fields=[*[k for k in changes if k in SESSION_FIELDS], "updated_at"])
    audit_record(actor=actor, action="study.update", obj=session, changes=changes)
    return session


@transaction.atomic
def session_set_attendance(
    *, actor: Any, session: StudySession, entries: Iterable[Mapping[str, Any]], note: str = ""
) -> StudySession:
    """Replace the session's attendance with ``entries`` (all or nothing)."""
    session = _locked(session)
    policy.require(actor, "study.manage", session, message=REFUSED)
    marks = attendance_clean(org=session.org, entries=entries)
    before = _current_summary(session)
    _write_attendance(session, marks)
    changes = _attendance_changes(session, before)
    if changes:
        session.save(update_fields=["updated_at"])
        audit_record(
            actor=actor, action="study.attendance", obj=session, changes=changes, note=note
        )
    return session


# Files ---------------------------------------------------------------------------


def _file_name(file: Any, field: str) -> str:
    return (
        clean_text(getattr(file, "name", "") or "文件", field=field, label="文件名", max_length=200)
        .replace("\\", "/")
        .rsplit("/", 1)[-1]
    )


@transaction.atomic
def material_add(*, actor: Any, session: StudySession, file: Any) -> Material:
    session = _locked(session)
    policy.require(actor, "study.manage", session, message=REFUSED)
    info = check_upload(file, allowed=FILE_KINDS)
    name = _file_name(file, "file")
    material = Material(
        session=session,
        original_name=name,
        content_kind=info.kind,
        size=info.size,
        sha256=info.sha256,
        uploaded_by=policy.user_of(actor),
    )
    path = stored_path(session.zone_id, info.sha256)
    with stored_upload(material.file, file, path=path, name=name):
        material.save()
        session.save(update_fields=["updated_at"])
        audit_record(
            actor=actor,
            action="study.material",
            obj=session,
            changes={"material": [None, {"name": name, "sha256": info.sha256}]},
        )
    return material


@transaction.atomic
def speech_add(
    *,
    actor: Any,
    session: StudySession,
    person: Any,
    title: Any,
    text: Any = "",
    file: Any = None,
) -> Speech:
    """A speech or written reflection (研讨发言) by someone of the session's
    org subtree: a text, a file, or both."""
    session = _locked(session)
    policy.require(actor, "study.manage", session, message=REFUSED)
    if (
        not isinstance(person, Person)
        or person.zone_id != session.zone_id
        or not person.org.path.startswith(session.org.path)
    ):
        raise invalid(person=f"发言人应为{session.org.name}及其下级组织的人员")
    title = clean_text(title, field="title", label="发言题目", max_length=200)
    text = clean_text(text, field="text", label="发言内容", max_length=TEXT_LIMIT, required=False)
    if not text and file is None:
        raise invalid(text="请填写发言内容或上传发言材料")
    speech = Speech(
        session=session,
        person=person,
        title=title,
        text=text,
        created_by=policy.user_of(actor),
    )
    # A speech without a file stores nothing, so there is nothing to undo.
    stored: contextlib.AbstractContextManager[None] = contextlib.nullcontext()
    if file is not None:
        info = check_upload(file, allowed=FILE_KINDS)
        speech.original_name = _file_name(file, "file")
        speech.content_kind, speech.size, speech.sha256 = info.kind, info.size, info.sha256
        path = stored_path(session.zone_id, info.sha256)
        stored = stored_upload(speech.file, file, path=path, name=speech.original_name)
    with stored:
        speech.save()
        session.save(update_fields=["updated_at"])
        audit_record(
            actor=actor,
            action="study.speech",
            obj=session,
            changes={
                "speech": [
                    None,
                    {"person": person.name, "title": title, "sha256": speech.sha256 or None},
                ]
            },
        )
    return speech


def today() -> dt.date:
    return timezone.localdate()
