"""Handling feedback in the back office: the seven moves of
``outreach/workflow.py``, entering an item on someone's behalf (代录), the
zone's feedback settings and the choice of what is disclosed.

Every function is keyword-only with the actor first, runs in one
transaction, locks the item it moves, saves with ``update_fields`` and
writes its audit event in the same transaction. The HTML pages and the API
call the same functions. None of them writes the submitter's name or phone
anywhere (the trail names the item, never the person).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from shiji.audit.kinds import FEEDBACK_MOVES, EventKind
from shiji.audit.services import audit_record
from shiji.core.errors import Conflict, Forbidden, NotFound, invalid
from shiji.core.validation import clean_choice, clean_text, parse_id
from shiji.core.workflow import move_named, require_source
from shiji.ledger.models import Problem
from shiji.ledger.models import Source as ProblemSource
from shiji.ledger.models import Status as ProblemStatus
from shiji.orgs import policy
from shiji.orgs.models import RoleGrant, User, Zone
from shiji.orgs.selectors import org_in_zone
from shiji.outreach import access, workflow
from shiji.outreach.limits import settings_for
from shiji.outreach.models import (
    Channel,
    Feedback,
    FeedbackContact,
    FeedbackRating,
    FeedbackStep,
    Kind,
    OutreachSettings,
    RatingVia,
    Status,
)
from shiji.outreach.services.intake import Created, feedback_create

TEXT_LIMIT = 4000
SUMMARY_LIMIT = 1000
LIMIT_MIN, LIMIT_MAX = 1, 60
# 代录: what staff may enter on someone's behalf (the portal is the public's
# own channel; roundtables and visits have their own pages).
ENTRY_CHANNELS = (Channel.PHONE, Channel.LETTER, Channel.MAILBOX, Channel.VISIT)
# A ledger problem made from an item, unless the page or the API says
# otherwise: 限期整改 within this many days.
PROBLEM_DAYS = 30
FIELDS_OF_MOVE = {
    "forward": ["org"],
    "decline": ["decline_reason"],
    "reply": ["reply_draft"],
    "publish_reply": ["reply", "reply_draft", "replied_at"],
    "to_problem": ["problem", "org"],
    "merge": ["merged_into", "problem"],
}


def _locked(item: Feedback) -> Feedback:
    # of=("self",): PostgreSQL refuses FOR UPDATE on the nullable side of an
    # outer join; only the item's row needs the lock.
    return (
        Feedback.objects.select_for_update(of=("self",))
        .select_related("zone", "org", "problem")
        .get(pk=item.pk)
    )


def _require_visible(actor: policy.Actor, item: Feedback) -> None:
    from shiji.outreach.selectors.feedback import feedback_visible_to

    if not feedback_visible_to(user=actor).filter(pk=item.pk).exists():
        raise NotFound(gettext("群众反映不存在"))


def _step(item: Feedback, action: str, actor: policy.Actor, note: str = "") -> None:
    FeedbackStep.objects.create(
        feedback=item,
        action=action,
        public_label=workflow.stored_label(action),
        note=note,
        actor=policy.user_of(actor),
    )


def problem_source(item: Feedback) -> str:
    """群众反映, or 政企圆桌会 for what an enterprise raised at a roundtable
    or a visit."""
    if item.channel in (Channel.ROUNDTABLE, Channel.ENTERPRISE_VISIT):
        return ProblemSource.ROUNDTABLE
    return ProblemSource.PUBLIC


def default_category(zone: Zone) -> Any:
    """The category a problem made through the API gets unless it names one:
    the zone's first category in use."""
    from shiji.ledger.selectors import problem_categories

    return problem_categories(zone=zone).first()


@transaction.atomic
def feedback_act(
    *,
    actor: policy.Actor,
    feedback: Feedback,
    action: str,
    note: Any = "",
    org: Any = None,
    reply: Any = "",
    into: Any = None,
    category: Any = None,
    problem_kind: Any = None,
    deadline: Any = None,
    description: Any = None,
) -> Feedback:
    """Make one move of ``workflow.MOVES``.

    accept; decline (``note``: the reason, shown to the submitter); forward
    (``org``: an organization of the item's zone, whose secretary and
    liaison then see it and draft the answer); reply (``reply``: the draft,
    by the handlers or the forwarded organization); publish_reply (the zone
    admin, who may edit ``reply``); to_problem (a ledger problem from the
    item: ``org`` when the item has none, ``category`` — default the zone's
    first in use —, ``problem_kind`` and ``deadline`` — default 限期整改 in
    30 days —, ``description`` — default the item's content; merged items
    point at the same problem); merge (``into``: another open item of the
    same zone).

    NotFound for an item out of the actor's sight, Forbidden for a move the
    actor may not make, Conflict for one the item's state does not allow,
    Invalid for a missing or wrong field.
    """
    move = move_named(workflow.MOVES, action)
    item = _locked(feedback)
    _require_visible(actor, item)
    if not access.may_move(actor, item, move.permission):
        raise Forbidden(gettext("您没有权限对此反映执行“%(move)s”") % {"move": move.label})
    require_source(move, item, gettext("该反映当前为“%(status)s”，不能%(move)s"))
    note = clean_text(
        note, field="note", label=gettext("说明"), max_length=TEXT_LIMIT, required=False
    )
    old = item.status
    changes: dict[str, Any] = {"status": [old, move.target]}
    public_note = ""
    if action == "decline":
        if not note:
            raise invalid(note=gettext("请填写不予受理理由（将告知反映人）"))
        changes["decline_reason"] = [item.decline_reason, note]
        item.decline_reason = note
        public_note = note
    elif action == "forward":
        target = org_in_zone(zone=item.zone, value=org, field="org", label=gettext("承办单位"))
        changes["org"] = [item.org_id, target.pk]
        item.org = target
    elif action == "reply":
        text = clean_text(reply, field="reply", label=gettext("答复"), max_length=TEXT_LIMIT)
        changes["reply_draft"] = [item.reply_draft, text]
        item.reply_draft = text
    elif action == "publish_reply":
        edited = clean_text(
            reply, field="reply", label=gettext("答复"), max_length=TEXT_LIMIT, required=False
        )
        text = edited or item.reply_draft
        if not text:
            raise invalid(reply=gettext("请填写答复"))
        changes["reply"] = [item.reply, text]
        item.reply, item.reply_draft, item.replied_at = text, text, timezone.now()
        public_note = text
    elif action == "to_problem":
        problem = _make_problem(
            actor,
            item,
            org=org,
            category=category,
            kind=problem_kind,
            deadline=deadline,
            description=description,
        )
        changes["problem"] = [None, problem.pk]
        item.problem = problem
        if item.org_id is None:
            # The organization that rectifies sees the item it came from.
            changes["org"] = [None, problem.org_id]
            item.org = problem.org
        _children(item).update(problem=problem)
    elif action == "merge":
        target_item = _merge_target(actor, item, into)
        changes["merged_into"] = [None, target_item.pk]
        item.merged_into = target_item
        # What was merged into this one follows it to the new item.
        _children(item).update(merged_into=target_item)
    item.status = move.target
    item.save(update_fields=["status", "updated_at", *FIELDS_OF_MOVE.get(action, [])])
    _step(item, action, actor, public_note or note)
    audit_record(actor=actor, action=FEEDBACK_MOVES[action], obj=item, changes=changes, note=note)
    return item


def _children(item: Feedback) -> Any:
    return Feedback.objects.filter(merged_into=item)


def _merge_target(actor: policy.Actor, item: Feedback, into: Any) -> Feedback:
    from shiji.outreach.selectors.feedback import feedback_visible_to

    if into in (None, ""):
        raise invalid(into=gettext("请选择合并到的反映"))
    pk = into.pk if isinstance(into, Feedback) else parse_id(into)
    if pk == item.pk:
        raise invalid(into=gettext("不能合并到自身"))
    target = (
        feedback_visible_to(user=actor)
        .select_for_update(of=("self",))
        .filter(pk=pk, zone_id=item.zone_id)
        .first()
    )
    if target is None:
        raise invalid(into=gettext("合并到的反映不存在"))
    if target.status not in workflow.OPEN:
        raise invalid(
            into=gettext("%(number)s 当前为“%(status)s”，只能合并到待受理、已受理或已转办的反映")
            % {"number": target.number, "status": target.get_status_display()}
        )
    return target


def _make_problem(
    actor: policy.Actor,
    item: Feedback,
    *,
    org: Any,
    category: Any,
    kind: Any,
    deadline: Any,
    description: Any,
) -> Problem:
    from shiji.ledger.services import problem_create

    if org in (None, ""):
        org = item.org
    if org is None:
        raise invalid(org=gettext("请选择责任单位"))
    if category in (None, ""):
        category = default_category(item.zone)
    if kind in (None, ""):
        kind = "deadline"
    if deadline in (None, "") and kind != "long_term":
        deadline = timezone.localdate() + dt.timedelta(days=PROBLEM_DAYS)
    text = item.content if description in (None, "") else description
    return problem_create(
        actor=actor,
        zone=item.zone,
        source=problem_source(item),
        category=category,
        description=text,
        org=org,
        kind=kind,
        found_on=min(timezone.localdate(item.received_at), timezone.localdate()),
        deadline=deadline if kind != "long_term" else None,
    )


@transaction.atomic
def feedback_merge_many(
    *, actor: policy.Actor, items: Iterable[Feedback], into: Any, note: Any = ""
) -> list[Feedback]:
    """合并: several items of the inbox into one, all or none."""
    done = [
        feedback_act(actor=actor, feedback=item, action="merge", into=into, note=note)
        for item in items
    ]
    if not done:
        raise invalid(items=gettext("请勾选要合并的反映"))
    return done


def feedback_enter(
    *,
    actor: policy.Actor,
    zone: Zone,
    channel: Any,
    kind: Any,
    content: Any,
    category: Any = None,
    name: Any = "",
    phone: Any = "",
    accused: Any = "",
) -> Created:
    """代录: an item received by phone, letter, mailbox or visit, entered by
    the zone's handlers on the person's behalf, with its channel. Returns the
    tracking code, which exists only here: the page shows it once so that
    staff can tell the person."""
    if not access.may_handle(actor, zone):
        raise Forbidden(gettext("您没有代录群众反映的权限"))
    channel = clean_choice(
        channel,
        field="channel",
        label=gettext("渠道"),
        choices=_EntryChannel,
    )
    return feedback_create(
        actor=actor,
        zone=zone,
        kind=kind,
        content=content,
        category=category,
        channel=channel,
        name=name,
        phone=phone,
        accused=accused,
    )


class _EntryChannel:
    """The channels of ``ENTRY_CHANNELS`` in ``clean_choice``'s shape."""

    choices = [(c.value, c.label) for c in ENTRY_CHANNELS]


@transaction.atomic
def outreach_settings_update(
    *,
    actor: policy.Actor,
    zone: Zone,
    limits: dict[str, Any] | None = None,
    handlers: Iterable[Any] | None = None,
    contact_viewers: Iterable[Any] | None = None,
) -> OutreachSettings:
    """The zone's time limits per kind (1–60 working days) and the staff it
    names to handle items and to see contact details. A new limit applies to
    items received from now on."""
    if not access.may_configure(actor, zone):
        raise Forbidden(gettext("您没有修改群众反映设置的权限"))
    settings_for(zone.pk)
    row = OutreachSettings.objects.select_for_update().get(zone_id=zone.pk)
    changes: dict[str, Any] = {}
    fields: list[str] = []
    for kind, value in (limits or {}).items():
        if kind not in Kind.values:
            raise invalid(**{f"limit_{kind}": gettext("未知的反映类型")})
        days = _limit(kind, value)
        name = f"limit_{kind}"
        if getattr(row, name) != days:
            changes[name] = [getattr(row, name), days]
            setattr(row, name, days)
            fields.append(name)
    people: dict[str, list[User]] = {}
    for name, given in (("handlers", handlers), ("contact_viewers", contact_viewers)):
        if given is not None:
            people[name] = _zone_staff(zone, given, field=name)
    if fields:
        row.save(update_fields=[*fields, "updated_at"])
    for name, users in people.items():
        relation = getattr(row, name)
        before = sorted(relation.values_list("pk", flat=True))
        after = sorted(u.pk for u in users)
        if before != after:
            relation.set(users)
            changes[name] = [before, after]
    if changes:
        audit_record(actor=actor, action=EventKind.OUTREACH_SETTINGS, obj=zone, changes=changes)
    return row


def _limit(kind: str, value: Any) -> int:
    field = f"limit_{kind}"
    try:
        days = int(str(value).strip())
    except (TypeError, ValueError):
        raise invalid(**{field: gettext("办理时限应为整数（工作日）")}) from None
    if not LIMIT_MIN <= days <= LIMIT_MAX:
        raise invalid(
            **{
                field: gettext("办理时限应在 %(min)s 至 %(max)s 个工作日之间")
                % {"min": LIMIT_MIN, "max": LIMIT_MAX}
            }
        )
    return days


def _zone_staff(zone: Zone, given: Iterable[Any], *, field: str) -> list[User]:
    """Accounts with a role in ``zone`` (named by id or as users)."""
    ids = {u.pk if isinstance(u, User) else parse_id(u) for u in given}
    staff = set(
        RoleGrant.objects.filter(zone=zone, user__is_active=True).values_list("user_id", flat=True)
    )
    if ids - staff:
        raise invalid(**{field: gettext("只能选择本高新区有角色的账号")})
    return list(User.objects.filter(pk__in=ids))


def resolved(item: Feedback) -> bool:
    """Answered, or turned into a problem that has been closed."""
    if item.status == Status.ANSWERED:
        return True
    return (
        item.status == Status.IN_LEDGER
        and item.problem is not None
        and item.problem.status == ProblemStatus.CLOSED
    )


@transaction.atomic
def feedback_disclose(
    *, actor: policy.Actor, feedback: Feedback, disclosed: bool, summary: Any = ""
) -> Feedback:
    """公开: staff choose which resolved items the zone's disclosure page
    shows, with a summary written for the public (no personal data: the
    submitter's name or phone in it is refused)."""
    item = _locked(feedback)
    _require_visible(actor, item)
    if not access.may_handle(actor, item.zone_id):
        raise Forbidden(gettext("您没有设置公开的权限"))
    summary = clean_text(
        summary,
        field="summary",
        label=gettext("公开摘要"),
        max_length=SUMMARY_LIMIT,
        required=bool(disclosed),
    )
    if disclosed:
        if item.restricted:
            raise Conflict(gettext("举报具体人员的反映不向社会公开"))
        if not resolved(item):
            raise Conflict(gettext("只有已答复或已整改销号的反映可以公开"))
        contact = FeedbackContact.objects.filter(feedback=item).first()
        private = [v for v in (contact.name, contact.phone) if v] if contact else []
        if any(v in summary for v in private):
            raise invalid(summary=gettext("公开摘要不能包含反映人的姓名或联系电话"))
    changes: dict[str, list[Any]] = {}
    if item.disclosed != bool(disclosed):
        changes["disclosed"] = [item.disclosed, bool(disclosed)]
    if item.public_summary != summary:
        changes["public_summary"] = [item.public_summary, summary]
    if not changes:
        return item
    item.disclosed, item.public_summary = bool(disclosed), summary
    item.save(update_fields=["disclosed", "public_summary", "updated_at"])
    audit_record(actor=actor, action=EventKind.FEEDBACK_DISCLOSE, obj=item, changes=changes)
    return item


def feedback_return_call(
    *, actor: policy.Actor, feedback: Feedback, rating: Any, comment: Any = ""
) -> FeedbackRating:
    """回访: a handler records the rating of someone who does not use the
    portal, as they gave it on the phone (through the portal's own rating
    service, so 不满意 reopens and the third escalates just the same)."""
    from shiji.outreach.services.rating import feedback_rate

    _require_visible(actor, feedback)
    if not access.may_handle(actor, feedback.zone_id):
        raise Forbidden(gettext("您没有记录回访评价的权限"))
    return feedback_rate(
        actor=actor, feedback=feedback, rating=rating, comment=comment, via=RatingVia.RETURN_CALL
    )
