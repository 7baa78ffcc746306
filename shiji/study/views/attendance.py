"""The session form's attendee list, read and written: the attendee select
(an org's own people, its subtree, a saved group), who the form lists for a
choice, and the ticked list posted back as the service's entries.

Nobody starts ticked: presence is recorded, never assumed (issue 9).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from shiji.core.errors import AppError, Invalid
from shiji.core.validation import parse_id
from shiji.orgs.models import Organization
from shiji.study import selectors, services
from shiji.study.models import AttendeeScope, StudySession

# The quick choices for one absence reason given to several people at once.
# They are recorded as data (like a reason typed by hand), in Chinese; the
# form shows them translated (gettext_noop only marks them for the catalogue).
COMMON_REASONS = (gettext_noop("请假"), gettext_noop("因公外出"), gettext_noop("病假"))
OTHER_REASON = "other"


def choice_from(raw: Any) -> tuple[str, int | None]:
    """The attendee select's value ("org", "subtree" or "group-<id>") as the
    service's (scope, group id)."""
    raw = str(raw or "").strip()
    if raw.startswith("group-"):
        return AttendeeScope.GROUP, parse_id(raw.removeprefix("group-"))
    return raw, None


def choice_value(scope: str, group_id: int | None) -> str:
    return f"group-{group_id}" if scope == AttendeeScope.GROUP else scope


def stored_choice(session: StudySession) -> str:
    """The attendee select's value a session was recorded with."""
    return choice_value(session.attendee_scope, session.attendee_group_id)


def attendee_options(org: Organization, session: StudySession | None) -> list[tuple[str, str]]:
    """The attendee select for a session of ``org``: its own people, its
    subtree (when that is more people), the groups it may use, and the
    group a session was recorded with even if stopped since."""
    counts = selectors.roster_of(org).aggregate(own=Count("pk", filter=Q(org=org)), all=Count("pk"))
    options = [(AttendeeScope.ORG.value, _("本单位人员（%(n)d 人）") % {"n": counts["own"]})]
    if counts["all"] != counts["own"]:
        options.append(
            (
                AttendeeScope.SUBTREE.value,
                _("本单位及下级组织人员（%(n)d 人）") % {"n": counts["all"]},
            )
        )
    for group in selectors.groups_usable_for(org):
        where = "" if group.org_id == org.pk else f" · {group.org.name}"
        label = _("名单：%(name)s（%(n)d 人）") % {"name": group.name, "n": group.member_count}
        options.append((f"group-{group.pk}", label + where))
    stored = stored_choice(session) if session else ""
    if session is not None and all(value != stored for value, _label in options):
        # What the session was recorded with stays offered (a group stopped
        # since, a subtree that has shrunk to the org alone): its list is kept.
        if session.attendee_group_id:
            label = _("名单：%(name)s（已停用，保留记录时的人员）") % {
                "name": session.attendee_group.name
            }
        else:
            label = _("%(scope)s（保留记录时的人员）") % {
                "scope": session.get_attendee_scope_display()
            }
        options.append((stored, label))
    return options


def form_people(
    org: Organization, choice: str, session: StudySession | None
) -> tuple[str, list[Any], AppError | None]:
    """Who the form lists for ``choice``: a session's recorded list while
    its choice is unchanged, else the choice resolved now. A choice that no
    longer resolves (a stopped group) falls back to the org's own people,
    with the reason."""
    if session is not None and choice == stored_choice(session):
        marks = list(selectors.attendance_of(session))
        if marks:
            people = []
            for mark in marks:
                mark.person.recorded = mark
                people.append(mark.person)
            return choice, people, None
    scope, group = choice_from(choice)
    try:
        return choice, services.attendees_resolve(org=org, scope=scope, group=group).people, None
    except Invalid as exc:
        fallback = services.attendees_resolve(org=org, scope=AttendeeScope.ORG)
        return AttendeeScope.ORG.value, fallback.people, exc


def _common_reason(post: Any) -> str:
    """The one reason given to every unticked person without their own."""
    choice = post.get("common_reason", "").strip()
    if choice in COMMON_REASONS:
        return choice
    if choice in ("", OTHER_REASON):
        return post.get("common_reason_other", "").strip()
    return ""


def attendance_input(request: HttpRequest) -> list[dict[str, Any]]:
    """The ticked list as service entries: ``roster`` lists every person
    shown, ``present`` the ticked ones, ``reason_<id>`` a person's own
    absence reason and ``common_reason`` the one for every other unticked
    person. A form with nothing ticked and no reason at all records nobody:
    the session's attendance is 待补录."""
    post = request.POST
    ids = [parse_id(v) for v in post.getlist("roster")]
    ticked = {parse_id(v) for v in post.getlist("present")}
    common = _common_reason(post)
    entries = [
        {
            "person": pk,
            "present": pk in ticked,
            "reason": "" if pk in ticked else (post.get(f"reason_{pk}", "").strip() or common),
        }
        for pk in ids
    ]
    if not ticked and not any(e["reason"] for e in entries):
        return []
    return entries


def person_errors(error: AppError | None, ids: list[int]) -> dict[int, str]:
    """Attendance field errors (``attendance[3].reason``) by person id, to
    show each one on its row."""
    out: dict[int, str] = {}
    for key, message in (error.fields if error else {}).items():
        if key.startswith("attendance[") and "]" in key:
            index = key[len("attendance[") : key.index("]")]
            if index.isdigit() and int(index) < len(ids):
                out[ids[int(index)]] = message
    return out


def mark_roster(
    request: HttpRequest, roster: list[Any], *, all_present: bool, error: AppError | None
) -> dict[int, str]:
    """Set each listed person's ``ticked``, ``reason`` and ``error`` for the
    form: as posted, or ticked by 全部出席, or as recorded. Returns the
    attendance errors by person id."""
    posted = request.method == "POST"
    ids = [parse_id(v) for v in request.POST.getlist("roster")] if posted else []
    ticked = {parse_id(v) for v in request.POST.getlist("present")} if posted else set()
    errors = person_errors(error, ids)
    for person in roster:
        recorded = getattr(person, "recorded", None)
        if all_present:
            person.ticked = True
        elif posted:
            person.ticked = person.pk in ticked
        else:
            # Nobody starts ticked: presence is recorded, never assumed.
            person.ticked = bool(recorded and recorded.present)
        if posted:
            person.reason = "" if person.ticked else request.POST.get(f"reason_{person.pk}", "")
        else:
            person.reason = recorded.reason if recorded else ""
        person.error = errors.get(person.pk, "")
    return errors
