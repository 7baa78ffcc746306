"""Study sessions (学习研讨) and their attendance: who is expected (this org,
with its sub-orgs, or a saved attendee group), who was there, and why the
others were not."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from shiji.audit.kinds import EventKind
from shiji.audit.services import audit_record, created, diff, snapshot
from shiji.campaigns.models import StudyKind, ZoneCampaign
from shiji.core.errors import Conflict, Invalid, invalid
from shiji.core.i18n import in_chinese, recorded
from shiji.core.uploads import EVIDENCE
from shiji.core.validation import clean_date, clean_text, parse_id
from shiji.orgs import policy
from shiji.orgs.models import Organization, Person, Zone
from shiji.orgs.selectors import org_reference
from shiji.study import selectors
from shiji.study.models import (
    Attendance,
    AttendeeGroup,
    AttendeeScope,
    StudySession,
)

SESSION_FIELDS = ["org", "kind", "date", "topic", "duration_hours", "place", "minutes"]
TEXT_LIMIT = 20000
REASON_LIMIT = 200
MAX_HOURS = Decimal(24)
FILE_KINDS = EVIDENCE  # images, PDF and Office files, judged by their bytes


REFUSED = gettext_lazy("您没有权限记录本单位的学习研讨")


def record_id(value: Any) -> int | None:
    """A record id (core.validation.parse_id), or None for anything else."""
    pk = parse_id(value)
    return pk if pk > 0 else None


def locked_session(session: StudySession) -> StudySession:
    return (
        StudySession.objects.select_for_update(of=("self",))
        .select_related("org", "zone", "kind")
        .get(pk=session.pk)
    )


def zone_study_kinds(zone: Zone) -> QuerySet[StudyKind]:
    """The study kinds of the campaigns the zone has adopted."""
    campaign_ids = ZoneCampaign.objects.filter(zone=zone).values("campaign_id")
    return StudyKind.objects.filter(campaign_id__in=campaign_ids).select_related("campaign")


def clean_hours(value: Any) -> Decimal:
    text = "" if value is None else str(value).strip()
    if not text:
        raise invalid(duration_hours=gettext("请填写时长（小时）"))
    try:
        hours = Decimal(text)
    except InvalidOperation:
        raise invalid(duration_hours=gettext("时长应为数字，如 1.5")) from None
    if not hours.is_finite() or hours <= 0:
        raise invalid(duration_hours=gettext("时长应大于 0"))
    if hours > MAX_HOURS:
        raise invalid(duration_hours=gettext("时长不能超过 24 小时"))
    if hours != hours.quantize(Decimal("0.1")):
        raise invalid(duration_hours=gettext("时长最多保留一位小数，如 1.5"))
    return hours.quantize(Decimal("0.1"))


def _clean(actor: policy.Actor, zone: Zone, data: Mapping[str, Any]) -> dict[str, Any]:
    """Validate session fields; the org and the kind may be records or ids
    (the pages and the API send ids) and are resolved here."""
    out: dict[str, Any] = {}
    if "org" in data:
        out["org"] = org_reference(
            actor=actor, zone=zone, value=data["org"], field="org", label=gettext("组织单位")
        )
    if "kind" in data:
        kind = data["kind"]
        if kind is None or kind == "":
            raise invalid(kind=gettext("请选择学习形式"))
        pk = kind.pk if isinstance(kind, StudyKind) else parse_id(kind)
        found = zone_study_kinds(zone).filter(pk=pk).first()
        if found is None:
            raise invalid(kind=gettext("学习形式不存在，请从本区启用的学习教育活动中选择"))
        out["kind"] = found
    if "date" in data:
        day = clean_date(data["date"], field="date", label=gettext("日期"))
        if day > timezone.localdate():
            raise invalid(date=gettext("日期不能晚于今天：学习研讨应在开展后记录"))
        out["date"] = day
    if "topic" in data:
        out["topic"] = clean_text(
            data["topic"], field="topic", label=gettext("主题"), max_length=200
        )
    if "duration_hours" in data:
        out["duration_hours"] = clean_hours(data["duration_hours"])
    if "place" in data:
        out["place"] = clean_text(
            data["place"], field="place", label=gettext("地点"), max_length=200, required=False
        )
    if "minutes" in data:
        out["minutes"] = clean_text(
            data["minutes"],
            field="minutes",
            label=gettext("纪要"),
            max_length=TEXT_LIMIT,
            required=False,
        )
    return out


# Expected attendees ------------------------------------------------------------

ATTENDEE_LABELS = dict(AttendeeScope.choices)


@dataclass(frozen=True)
class Attendees:
    """An attendee choice resolved: the scope, its group, and who it expects."""

    scope: str
    group: AttendeeGroup | None
    people: list[Person]

    @in_chinese  # recorded in the audit trail
    def label(self) -> str:
        name = self.group.name if self.group else ATTENDEE_LABELS[self.scope]
        return recorded("%(name)s（%(count)s 人）", name=name, count=len(self.people))


def _group_ref(zone: Zone, group: Any) -> AttendeeGroup | None:
    # Read afresh even when given a group: it may have been stopped since.
    pk = group.pk if isinstance(group, AttendeeGroup) else record_id(group)
    if pk is None:
        return None
    return AttendeeGroup.objects.filter(pk=pk, zone=zone).select_related("org").first()


def attendees_resolve(*, org: Organization, scope: Any, group: Any = None) -> Attendees:
    """Who a session of ``org`` expects: its own people (``org``), its whole
    subtree (``subtree``) or an active group (``group``, a group or its id)
    of ``org`` or a sub-org. Raises ``Invalid`` under ``attendees`` or
    ``group``. The list may be empty: callers decide what that means."""
    if not isinstance(scope, str) or scope not in ATTENDEE_LABELS:
        raise invalid(
            attendees=gettext("请选择应到人员：本单位人员、本单位及下级组织人员或常用参会名单")
        )
    found = None
    if scope == AttendeeScope.GROUP:
        found = _group_ref(org.zone, group)
        if found is None or not found.org.path.startswith(org.path):
            raise invalid(
                group=gettext("参会名单不存在，或不属于%(org)s及其下级组织") % {"org": org.name}
            )
        if not found.is_active:
            raise invalid(
                group=gettext("参会名单“%(name)s”已停用，请选择其他名单") % {"name": found.name}
            )
    elif group not in (None, ""):
        raise invalid(group=gettext("只有应到人员选择“常用参会名单”时才能指定名单"))
    people = list(selectors.expected_people(org=org, scope=scope, group=found))
    return Attendees(scope=scope, group=found, people=people)


# Attendance ----------------------------------------------------------------------


@dataclass(frozen=True)
class Mark:
    """One expected attendee: present, absent with a reason, or not recorded
    yet (``present`` None)."""

    person: Person
    present: bool | None
    reason: str

    @property
    def recorded(self) -> bool:
        return self.present is not None

    def label(self) -> str:
        """The mark as the audit trail records it (in Chinese)."""
        if self.present is None:
            return recorded("待补录")
        return (
            recorded("出席") if self.present else recorded("缺席（%(reason)s）", reason=self.reason)
        )


def person_label(person: Person) -> str:
    return gettext("%(name)s（%(org)s）") % {"name": person.name, "org": person.org.name}


def attendance_clean(
    *, org: Organization, expected: Mapping[int, Person], entries: Iterable[Mapping[str, Any]]
) -> dict[int, Mark]:
    """Check attendance entries ``{person, present, reason}`` against the
    session's expected attendees; ``person`` is a Person or an id, ``present``
    True, False (a reason is then required) or None (not recorded yet).
    Returns the marks by person id; raises ``Invalid`` naming the entry
    (``attendance[3].reason``) for the first mistake; nothing is written."""
    entries = list(entries)
    ids: set[int] = set()
    for entry in entries:
        person = entry.get("person")
        pk = person.pk if isinstance(person, Person) else record_id(person)
        if pk is not None:
            ids.add(pk)
    unknown = ids - set(expected)
    people = dict(expected)
    if unknown:
        people.update(
            (p.pk, p)
            for p in Person.objects.filter(pk__in=unknown, zone_id=org.zone_id).select_related(
                "org"
            )
        )
    marks: dict[int, Mark] = {}
    seen: dict[int, int] = {}
    for index, entry in enumerate(entries):
        field = f"attendance[{index}]"
        raw = entry.get("person")
        pk = raw.pk if isinstance(raw, Person) else record_id(raw)
        person = people.get(pk) if pk is not None else None
        if person is None:
            raise invalid(**{f"{field}.person": gettext("人员不在本区花名册中")})
        if not person.org.path.startswith(org.path):
            raise invalid(
                **{
                    f"{field}.person": gettext(
                        "%(person)s不属于%(org)s及其下级组织，不能记入本次学习的出勤"
                    )
                    % {"person": person_label(person), "org": org.name}
                }
            )
        if person.pk not in expected:
            raise invalid(
                **{
                    f"{field}.person": gettext(
                        "%(person)s不在本次学习的应到人员中；如确应参加，请先调整应到人员"
                    )
                    % {"person": person_label(person)}
                }
            )
        if person.pk in seen:
            raise invalid(
                **{
                    f"{field}.person": gettext("%(person)s重复出现（第 %(n)s 条已有）")
                    % {"person": person_label(person), "n": seen[person.pk] + 1}
                }
            )
        seen[person.pk] = index
        present = entry.get("present")
        if present is not None and not isinstance(present, bool):
            raise invalid(**{f"{field}.present": gettext("请注明是否出席")})
        reason = clean_text(
            entry.get("reason") or "",
            field=f"{field}.reason",
            label=gettext("缺席原因"),
            max_length=REASON_LIMIT,
            required=False,
        )
        if present is False and not reason:
            raise invalid(
                **{
                    f"{field}.reason": gettext("%(name)s缺席，请填写缺席原因")
                    % {"name": person.name}
                }
            )
        marks[person.pk] = Mark(
            person=person, present=present, reason=reason if present is False else ""
        )
    return marks


def _full_list(expected: Mapping[int, Person], marks: Mapping[int, Mark]) -> dict[int, Mark]:
    """Every expected attendee with their mark; the unmarked are 待补录."""
    return {
        pk: marks.get(pk) or Mark(person=p, present=None, reason="") for pk, p in expected.items()
    }


def _require_someone_present(marks: Mapping[int, Mark], confirmed: bool) -> None:
    """Recording that nobody came is almost always a slip (a common absence
    reason given before anyone was ticked), so it needs saying twice. Not
    recording at all (everyone 待补录) is fine: it counts nobody."""
    recorded = [m for m in marks.values() if m.present is not None]
    if recorded and not any(m.present for m in recorded) and not confirmed:
        raise invalid(
            confirm_none_present=gettext(
                "没有勾选任何出席人员。如确实无人出席，请勾选“确认本次无人出席”后保存；"
                "如出勤尚未统计，请清空缺席原因，保存为“出勤待补录”"
            )
        )


def _attendance_summary(marks: Iterable[Mark]) -> dict[str, Any]:
    marks = sorted(marks, key=lambda m: (m.person.org.path, m.person.name, m.person.pk))
    return {
        "expected": len(marks),
        "present": sum(1 for m in marks if m.present),
        "absent": [
            recorded("%(name)s：%(reason)s", name=m.person.name, reason=m.reason)
            for m in marks
            if m.present is False
        ],
        "pending": sum(1 for m in marks if m.present is None),
    }


def _attendance_changes(before: Mapping[int, Mark], after: Mapping[int, Mark]) -> dict[str, Any]:
    """The audit trail of an attendance write: the figures before and after,
    and who changed (``marks``: "张三：待补录 → 出席"; a new session lists
    only the recorded marks, 待补录 being where everyone starts)."""
    if dict(before) == dict(after):
        return {}
    people = sorted(
        {**before, **after}.items(),
        key=lambda item: (item[1].person.org.path, item[1].person.name, item[0]),
    )
    moves = []
    for pk, mark in people:
        old, new = before.get(pk), after.get(pk)
        if old == new:
            continue
        name = mark.person.name
        if old is None:  # only in ``after``, so ``mark`` is the new mark
            if before:
                moves.append(
                    recorded("%(name)s：加入应到人员（%(new)s）", name=name, new=mark.label())
                )
            elif mark.recorded:  # a new list: only what was recorded is news
                moves.append(recorded("%(name)s：%(new)s", name=name, new=mark.label()))
        elif new is None:
            moves.append(
                recorded("%(name)s：移出应到人员（原为%(old)s）", name=name, old=old.label())
            )
        else:
            moves.append(
                recorded("%(name)s：%(old)s → %(new)s", name=name, old=old.label(), new=new.label())
            )
    summary_before = _attendance_summary(before.values()) if before else None
    changes: dict[str, Any] = {"attendance": [summary_before, _attendance_summary(after.values())]}
    if moves:
        changes["marks"] = [None, moves]
    return changes


def _current_marks(session: StudySession) -> dict[int, Mark]:
    return {
        a.person_id: Mark(person=a.person, present=a.present, reason=a.reason)
        for a in selectors.attendance_of(session)
    }


def _write_attendance(
    session: StudySession, before: Mapping[int, Mark], after: Mapping[int, Mark]
) -> None:
    """Make the session's attendance rows exactly ``after`` (rows of people
    not listed are removed): four statements whatever the size of the list."""
    session.attendance.exclude(person_id__in=after).delete()
    changed = [pk for pk, m in after.items() if pk in before and before[pk] != m]
    if changed:
        rows = list(session.attendance.filter(person_id__in=changed))
        for row in rows:
            row.present, row.reason = after[row.person_id].present, after[row.person_id].reason
        Attendance.objects.bulk_update(rows, ["present", "reason"])
    Attendance.objects.bulk_create(
        [
            Attendance(session=session, person=m.person, present=m.present, reason=m.reason)
            for pk, m in after.items()
            if pk not in before
        ]
    )


def _no_one_expected(attendees: Attendees, org: Organization) -> Invalid:
    if attendees.group is not None:
        return invalid(
            group=gettext("参会名单“%(name)s”中没有%(org)s及其下级组织的在册人员")
            % {"name": attendees.group.name, "org": org.name}
        )
    return invalid(
        attendees=gettext("%(scope)s中没有在册人员，请选择其他应到人员或先维护花名册")
        % {"scope": ATTENDEE_LABELS[attendees.scope]}
    )


# Sessions ------------------------------------------------------------------------


@transaction.atomic
def session_create(
    *,
    actor: policy.Actor,
    zone: Zone,
    org: Any,
    kind: Any,
    date: Any,
    topic: Any,
    duration_hours: Any,
    place: Any = "",
    minutes: Any = "",
    attendees: Any = AttendeeScope.ORG,
    group: Any = None,
    attendance: Iterable[Mapping[str, Any]] | None = None,
    confirm_none_present: bool = False,
    is_sample: bool = False,
) -> StudySession:
    """Record a session with its expected attendees (``attendees`` and
    ``group``, see ``attendees_resolve``) and, when given, their marks;
    whoever is not marked is 待补录 and counts nowhere."""
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
    chosen = attendees_resolve(org=values["org"], scope=attendees, group=group)
    expected = {p.pk: p for p in chosen.people}
    if not expected:
        raise _no_one_expected(chosen, values["org"])
    marks = attendance_clean(org=values["org"], expected=expected, entries=attendance or [])
    _require_someone_present(marks, confirm_none_present)
    rows = _full_list(expected, marks)
    session = StudySession(
        zone=zone,
        is_sample=is_sample,
        attendee_scope=chosen.scope,
        attendee_group=chosen.group,
        created_by=policy.user_of(actor),
        **values,
    )
    session.save()
    _write_attendance(session, {}, rows)
    changes = created(session, SESSION_FIELDS)
    changes["attendees"] = [None, chosen.label()]
    changes.update(_attendance_changes({}, rows))
    audit_record(actor=actor, action=EventKind.STUDY_CREATE, obj=session, changes=changes)
    return session


def _same_choice(session: StudySession, org: Organization, scope: Any, group: Any) -> bool:
    """Does (``org``, ``scope``, ``group``) name the choice the session was
    recorded with? Then its list stays as recorded, even if the group has
    changed or been stopped since."""
    if org.pk != session.org_id or scope != session.attendee_scope:
        return False
    if scope != AttendeeScope.GROUP:
        return True
    pick = group.pk if isinstance(group, AttendeeGroup) else record_id(group)
    return pick == session.attendee_group_id


@in_chinese  # recorded in the audit trail
def _choice_label(session: StudySession, count: int) -> str:
    group = session.attendee_group
    name = group.name if group else ATTENDEE_LABELS.get(session.attendee_scope, "")
    return recorded("%(name)s（%(count)s 人）", name=name, count=count)


@transaction.atomic
def session_update(
    *,
    actor: policy.Actor,
    session: StudySession,
    attendees: Any = None,
    group: Any = None,
    attendance: Iterable[Mapping[str, Any]] | None = None,
    confirm_none_present: bool = False,
    **fields: Any,
) -> StudySession:
    """Change the fields given. When ``attendees`` (with ``group``) names
    another choice, or the org changes, the expected attendees are chosen
    again (the marks of people who stay are kept; dropping a recorded mark
    needs ``attendance`` saying so, else ``Conflict``). ``attendance``, when
    given, replaces the marks. One transaction, one audit event."""
    session = locked_session(session)
    policy.require(actor, "study.manage", session, message=REFUSED)
    unknown = set(fields) - set(SESSION_FIELDS)
    if unknown:
        raise invalid(**dict.fromkeys(sorted(unknown), gettext("不能修改此字段")))
    values = _clean(actor, session.zone, fields)
    org = values.get("org", session.org)
    if org.pk != session.org_id:
        policy.require(actor, "study.manage", org, message=REFUSED)
    before = _current_marks(session)
    expected = {pk: m.person for pk, m in before.items()}
    scope = attendees if attendees is not None else session.attendee_scope
    pick = group if attendees is not None else session.attendee_group
    chosen: Attendees | None = None
    # A session recorded with nobody expected (before lists were kept) gets
    # its list from the choice as soon as anything asks for one.
    if not _same_choice(session, org, scope, pick) or (not before and attendees is not None):
        chosen = attendees_resolve(org=org, scope=scope, group=pick)
        expected = {p.pk: p for p in chosen.people}
    if attendance is None:
        dropped = [m.person for pk, m in before.items() if pk not in expected and m.recorded]
        if dropped:
            names = gettext("、").join(p.name for p in dropped[:3])
            raise Conflict(
                gettext("%(names)s等人已记录出勤，但不在新的应到人员中，请先调整出勤名单")
                % {"names": names}
            )
    if chosen is not None and not expected:
        raise _no_one_expected(chosen, org)
    if attendance is not None:
        marks = attendance_clean(org=org, expected=expected, entries=attendance)
        _require_someone_present(marks, confirm_none_present)
    else:
        marks = {pk: m for pk, m in before.items() if pk in expected}
    rows = _full_list(expected, marks)
    snap = snapshot(session, SESSION_FIELDS)
    for key, value in values.items():
        setattr(session, key, value)
    changes = diff(snap, snapshot(session, SESSION_FIELDS))
    update_fields = list(changes)
    if chosen is not None:
        old = (
            session.attendee_scope,
            session.attendee_group_id,
            _choice_label(session, len(before)),
        )
        session.attendee_scope, session.attendee_group = chosen.scope, chosen.group
        if old != (session.attendee_scope, session.attendee_group_id, chosen.label()):
            changes["attendees"] = [old[2], chosen.label()]
            update_fields += ["attendee_scope", "attendee_group"]
    changes.update(_attendance_changes(before, rows))
    if not changes:
        return session
    _write_attendance(session, before, rows)
    session.save(update_fields=[*update_fields, "updated_at"])
    audit_record(actor=actor, action=EventKind.STUDY_UPDATE, obj=session, changes=changes)
    return session


@transaction.atomic
def session_set_attendance(
    *,
    actor: policy.Actor,
    session: StudySession,
    entries: Iterable[Mapping[str, Any]],
    note: str = "",
    confirm_none_present: bool = False,
) -> StudySession:
    """Set the marks of the session's expected attendees to ``entries`` (all
    or nothing); expected attendees not listed become 待补录."""
    session = locked_session(session)
    policy.require(actor, "study.manage", session, message=REFUSED)
    before = _current_marks(session)
    expected = {pk: m.person for pk, m in before.items()}
    marks = attendance_clean(org=session.org, expected=expected, entries=entries)
    _require_someone_present(marks, confirm_none_present)
    rows = _full_list(expected, marks)
    changes = _attendance_changes(before, rows)
    if changes:
        _write_attendance(session, before, rows)
        session.save(update_fields=["updated_at"])
        audit_record(
            actor=actor, action=EventKind.STUDY_ATTENDANCE, obj=session, changes=changes, note=note
        )
    return session
