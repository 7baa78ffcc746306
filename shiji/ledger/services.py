"""Writes to the ledger. The HTML views, the API, the Excel import and the
demo loader all call these; each runs in one transaction with its audit event."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from shiji.audit.kinds import PROBLEM_MOVES, PROBLEM_REVIEWS, EventKind
from shiji.audit.services import audit_record, created, diff, snapshot
from shiji.campaigns.models import ProblemCategory
from shiji.core.errors import Conflict, invalid
from shiji.core.i18n import recorded
from shiji.core.uploads import check_upload, stored_upload, upload_name
from shiji.core.validation import clean_choice, clean_date, clean_text, parse_id
from shiji.core.workflow import move_named, require_source
from shiji.ledger import selectors, workflow
from shiji.ledger.models import (
    CodeCounter,
    DeadlineExtension,
    Evidence,
    Kind,
    Problem,
    ProgressNote,
    Review,
    ReviewState,
    Source,
    Stage,
)
from shiji.orgs import policy
from shiji.orgs.models import Organization, User, Zone
from shiji.orgs.selectors import org_in_zone, person_reference

PROBLEM_FIELDS = [
    "source",
    "category",
    "description",
    "measures",
    "goal",
    "org",
    "leader",
    "owner",
    "kind",
    "found_on",
    "deadline",
    "needs_rule_change",
]
TEXT_LIMIT = 4000
# The fields' names in messages, translated only when a message is made:
# ``_clean_fields`` runs for every row of an import, twice (the check, then
# the write), and translating them on each call was a tenth of a 100k-row
# import's time.
_LABELS = {
    "source": gettext_lazy("问题来源"),
    "kind": gettext_lazy("整改类型"),
    "description": gettext_lazy("问题描述"),
    "measures": gettext_lazy("整改措施"),
    "goal": gettext_lazy("整改目标"),
    "org": gettext_lazy("责任单位"),
    "leader": gettext_lazy("责任领导"),
    "owner": gettext_lazy("责任人"),
    "found_on": gettext_lazy("发现日期"),
    "deadline": gettext_lazy("整改时限"),
}
EVIDENCE_KINDS = {"jpeg", "png", "gif", "webp", "pdf", "docx", "xlsx", "pptx", "doc", "xls"}


def _require_org(actor: policy.Actor, action: str, org: Organization) -> None:
    """The responsible org a problem is given: one the actor can see (else it
    is "not there", 422 like any bad reference) and may take ``action`` in."""
    if not policy.can(actor, "org.view", org):
        raise invalid(org=gettext("责任单位不存在"))
    policy.require(actor, action, org)


def _locked(problem: Problem) -> Problem:
    """Re-read the row under a lock: two people acting at once queue up, and
    the second sees the first one's result."""
    # of=("self",): PostgreSQL refuses FOR UPDATE on the nullable side of the
    # outer join that select_related("owner") makes; only the problem row
    # needs the lock anyway.
    return (
        Problem.objects.select_for_update(of=("self",))
        .select_related("org", "zone", "owner")
        .get(pk=problem.pk)
    )


def _next_code(zone: Zone, year: int) -> str:
    counter, _ = CodeCounter.objects.select_for_update().get_or_create(zone=zone, year=year)
    counter.value += 1
    counter.save(update_fields=["value"])
    return f"{zone.code.upper()}-{year}-{counter.value:04d}"


def _category(zone: Zone, value: Any, current_id: int | None) -> ProblemCategory:
    """One of the zone's categories in use, given as a record or an id; a
    problem keeps a category the zone has since retired, but none is newly
    given one."""
    if value is None or value == "":
        raise invalid(category=gettext("请选择问题类别"))
    if isinstance(value, ProblemCategory):
        category = value if value.zone_id == zone.pk else None
    else:
        category = ProblemCategory.objects.filter(zone=zone, pk=parse_id(value)).first()
    if category is None:
        raise invalid(category=gettext("问题类别不存在"))
    if not category.is_active and category.pk != current_id:
        raise invalid(
            category=gettext("问题类别“%(name)s”已停用，请选用本区在用的问题类别")
            % {"name": category.name}
        )
    return category


def _clean_fields(zone: Zone, data: dict[str, Any], current: Problem | None) -> dict[str, Any]:
    """Validate problem fields given as model objects, ids or raw values:
    every reference is resolved here (the zone's categories in use, its
    orgs, its active roster), whichever way the caller names it."""
    out: dict[str, Any] = {}
    if "source" in data:
        out["source"] = clean_choice(
            data["source"], field="source", label=_LABELS["source"], choices=Source
        )
    if "kind" in data:
        out["kind"] = clean_choice(data["kind"], field="kind", label=_LABELS["kind"], choices=Kind)
    for name, required in (("description", True), ("measures", False), ("goal", False)):
        if name in data:
            out[name] = clean_text(
                data[name],
                field=name,
                label=_LABELS[name],
                max_length=TEXT_LIMIT,
                required=required,
            )
    if "category" in data:
        out["category"] = _category(
            zone, data["category"], current.category_id if current else None
        )
    if "org" in data:
        out["org"] = org_in_zone(zone=zone, value=data["org"], field="org", label=_LABELS["org"])
    for name in ("leader", "owner"):
        if name in data:
            out[name] = person_reference(
                zone=zone,
                value=data[name],
                field=name,
                label=_LABELS[name],
                current_id=getattr(current, f"{name}_id", None),
            )
    if "found_on" in data:
        out["found_on"] = clean_date(data["found_on"], field="found_on", label=_LABELS["found_on"])
        if out["found_on"] > timezone.localdate():
            raise invalid(found_on=gettext("发现日期不能晚于今天"))
    if "deadline" in data:
        out["deadline"] = clean_date(
            data["deadline"], field="deadline", label=_LABELS["deadline"], required=False
        )
    if "needs_rule_change" in data:
        out["needs_rule_change"] = bool(data["needs_rule_change"])
    kind = out.get("kind", current.kind if current else None)
    deadline = out.get("deadline", current.deadline if current else None)
    found_on = out.get("found_on", current.found_on if current else None)
    if kind in (Kind.IMMEDIATE, Kind.DEADLINE) and deadline is None:
        raise invalid(deadline=gettext("立行立改和限期整改的问题须填写整改时限"))
    if deadline and found_on and deadline < found_on:
        raise invalid(deadline=gettext("整改时限不能早于发现日期"))
    return out


def problem_clean(
    *, zone: Zone, fields: dict[str, Any], current: Problem | None = None
) -> dict[str, Any]:
    """Check ``fields`` the way ``problem_create`` (``current`` None) or
    ``problem_update`` (only the changed fields) would, without writing.

    Returns the cleaned values or raises ``Invalid`` naming the field. For
    bulk imports, which report every row's mistakes before the first write;
    the write itself still goes through the services, which check again.
    """
    return _clean_fields(zone, fields, current)


@transaction.atomic
def problem_create(
    *,
    actor: policy.Actor,
    zone: Zone,
    source: Any,
    category: Any,
    description: Any,
    org: Any,
    kind: Any,
    found_on: Any,
    deadline: Any = None,
    measures: Any = "",
    goal: Any = "",
    leader: Any = None,
    owner: Any = None,
    needs_rule_change: bool = False,
    is_sample: bool = False,
) -> Problem:
    values = _clean_fields(
        zone,
        {
            "source": source,
            "category": category,
            "description": description,
            "org": org,
            "kind": kind,
            "found_on": found_on,
            "deadline": deadline,
            "measures": measures,
            "goal": goal,
            "leader": leader,
            "owner": owner,
            "needs_rule_change": needs_rule_change,
        },
        None,
    )
    _require_org(actor, "problem.create", values["org"])
    problem = Problem(
        zone=zone,
        campaign_id=values["category"].campaign_id,
        code=_next_code(zone, values["found_on"].year),
        created_by=policy.user_of(actor),
        is_sample=is_sample,
        **values,
    )
    problem.save()
    audit_record(
        actor=actor,
        action=EventKind.PROBLEM_CREATE,
        obj=problem,
        changes=created(problem, ["code", *PROBLEM_FIELDS]),
    )
    return problem


def _to_millisecond(moment: dt.datetime) -> dt.datetime:
    # The API's JSON gives times to the millisecond (DjangoJSONEncoder); the
    # form gives them to the microsecond. Two saves of one problem in one
    # millisecond are no edit anyone could have read in between.
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def _unchanged_since(problem: Problem, read_at: dt.datetime | str | None) -> None:
    """Optimistic concurrency: ``read_at`` is the ``updated_at`` the editor
    was shown (the edit form's hidden field, the API's ``updated_at``). If the
    problem has been saved since, saving now would silently overwrite the
    other person's change (a lost update), so it is refused. ``None`` skips
    the check (the Excel import, whose rows carry no version)."""
    if read_at is None or read_at == "":
        return
    if isinstance(read_at, str):
        try:
            read_at = dt.datetime.fromisoformat(read_at)
        except ValueError:
            raise invalid(updated_at=gettext("页面版本无效，请刷新后重新修改")) from None
    if timezone.is_naive(read_at):
        raise invalid(updated_at=gettext("页面版本无效，请刷新后重新修改"))
    if _to_millisecond(read_at) != _to_millisecond(problem.updated_at):
        saved = timezone.localtime(problem.updated_at).strftime("%Y-%m-%d %H:%M:%S")
        raise Conflict(
            gettext(
                "此问题在您打开编辑页面后已被他人修改（%(saved)s 保存）。"
                "为免覆盖他人的修改，本次未保存：请重新打开问题，核对最新内容后再修改。"
            )
            % {"saved": saved}
        )


@transaction.atomic
def problem_update(
    *,
    actor: policy.Actor,
    problem: Problem,
    expected_updated_at: dt.datetime | str | None = None,
    **fields: Any,
) -> Problem:
    """Change the given fields. ``expected_updated_at``: the version the
    editor read; a problem saved since then is a 409 Conflict, not an
    overwrite."""
    problem = _locked(problem)
    policy.require(actor, "problem.edit", problem)
    workflow.check("edit", problem)
    _unchanged_since(problem, expected_updated_at)
    unknown = set(fields) - set(PROBLEM_FIELDS)
    if unknown:
        raise invalid(**dict.fromkeys(unknown, gettext("不能修改此字段")))
    if "deadline" in fields and fields["deadline"] != problem.deadline and problem.deadline:
        # Moving a deadline is an extension, which needs a reason and is counted.
        new = clean_date(
            fields["deadline"], field="deadline", label=gettext("整改时限"), required=False
        )
        if new != problem.deadline:
            raise invalid(deadline=gettext("修改整改时限请使用“申请延期”，并说明理由"))
    values = _clean_fields(problem.zone, fields, problem)
    if "org" in values and values["org"].pk != problem.org_id:
        _require_org(actor, "problem.edit", values["org"])
    before = snapshot(problem, PROBLEM_FIELDS)
    for key, value in values.items():
        setattr(problem, key, value)
    changes = diff(before, snapshot(problem, PROBLEM_FIELDS))
    if not changes:
        return problem
    update_fields = list(changes)
    review_state = workflow.review_state_after_edit(problem.review_state, set(changes))
    if review_state != problem.review_state:
        changes["review_state"] = [problem.review_state, review_state]
        problem.review_state = review_state
        update_fields.append("review_state")
    problem.save(update_fields=[*update_fields, "updated_at"])
    audit_record(actor=actor, action=EventKind.PROBLEM_UPDATE, obj=problem, changes=changes)
    return problem


@transaction.atomic
def problem_review(
    *, actor: policy.Actor, problem: Problem, decision: str, note: str = ""
) -> Problem:
    """Review a problem list entry before rectification starts: approve it, or
    send it back because it is vague (查摆不深不准)."""
    problem = _locked(problem)
    policy.require(actor, "problem.review", problem)
    if decision not in ("approve", "send_back"):
        raise invalid(decision=gettext("审核结论应为 approve 或 send_back"))
    workflow.check("review", problem)
    note = clean_text(
        note,
        field="note",
        label=gettext("退回理由"),
        max_length=TEXT_LIMIT,
        required=decision == "send_back",
    )
    new_state = ReviewState.APPROVED if decision == "approve" else ReviewState.REWORK
    changes = {"review_state": [problem.review_state, new_state]}
    problem.review_state, problem.review_note = new_state, note
    problem.save(update_fields=["review_state", "review_note", "updated_at"])
    Review.objects.create(
        problem=problem,
        action=decision,
        from_status=problem.status,
        to_status=problem.status,
        note=note,
        actor=policy.user_of(actor),
    )
    audit_record(
        actor=actor, action=PROBLEM_REVIEWS[decision], obj=problem, changes=changes, note=note
    )
    return problem


@transaction.atomic
def problem_transition(
    *, actor: policy.Actor, problem: Problem, action: str, note: str = ""
) -> Problem:
    """Make one lifecycle move (see ledger/workflow.py)."""
    move = move_named(workflow.MOVES, action)
    problem = _locked(problem)
    policy.require(actor, move.permission, problem)
    require_source(move, problem, gettext("问题当前为“%(status)s”，不能%(move)s"))
    note = clean_text(
        note, field="note", label=str(move.note_label), max_length=TEXT_LIMIT, required=False
    )
    fields = ["status", "updated_at"]
    if action == "start":
        blocked = workflow.start_blocked(
            problem, review_required=selectors.list_review_required(problem)
        )
        if blocked:
            raise Conflict(blocked)
    if action == "submit":
        note = note or problem.completion_note
        if not note:
            raise invalid(note=gettext("提交销号须填写完成情况"))
        if not problem.evidence.exists():
            raise Conflict(gettext("提交销号须至少上传一份整改凭证"))
        problem.completion_note, problem.submitted_by = note, policy.user_of(actor)
        fields += ["completion_note", "submitted_by"]
    elif move.needs_note and not note:
        raise invalid(note=gettext("请填写%(label)s") % {"label": move.note_label})
    flag = ""
    if action == "verify":
        independence = selectors.verify_independence(user=actor, problem=problem)
        if independence.refusal:
            raise Conflict(independence.refusal)
        if independence.needs_reason:
            flag = _sponsorship_note(independence.sponsored)
            if not note:
                raise invalid(
                    note=gettext(
                        "%(flag)s。如仍由您审核销号，请写明理由；本次审核将标记供督导组关注"
                    )
                    % {"flag": flag}
                )
        problem.verified_by, problem.closed_on = policy.user_of(actor), timezone.localdate()
        fields += ["verified_by", "closed_on"]
    if action == "reopen":
        problem.closed_on, problem.verified_by = None, None
        fields += ["closed_on", "verified_by"]
    old = problem.status
    problem.status = move.target
    problem.save(update_fields=fields)
    Review.objects.create(
        problem=problem,
        action=action,
        from_status=old,
        to_status=move.target,
        note=note,
        actor=policy.user_of(actor),
        flagged=bool(flag),
        independence_note=flag,
    )
    audit_record(
        actor=actor,
        action=PROBLEM_MOVES[action],
        obj=problem,
        changes={"status": [old, move.target], **({"independence": [None, flag]} if flag else {})},
        note=note,
    )
    return problem


def _sponsorship_note(user_ids: tuple[int, ...]) -> str:
    # Recorded with the review (independence_note) and in its audit event.
    names = recorded("、").join(
        recorded("%(name)s（%(username)s）", name=u.display_name, username=u.username)
        for u in User.objects.filter(pk__in=user_ids)
    )
    return recorded("参与整改的账号 %(names)s 由您创建或授权，独立性存疑", names=names)


@transaction.atomic
def problem_add_progress(*, actor: policy.Actor, problem: Problem, text: Any) -> ProgressNote:
    problem = _locked(problem)
    policy.require(actor, "problem.progress", problem)
    workflow.check("progress", problem)
    text = clean_text(text, field="text", label=gettext("整改进展"), max_length=TEXT_LIMIT)
    note = ProgressNote.objects.create(problem=problem, author=policy.user_of(actor), text=text)
    changes = {"progress_summary": [problem.progress_summary, text]}
    problem.progress_summary = text
    problem.save(update_fields=["progress_summary", "updated_at"])
    audit_record(actor=actor, action=EventKind.PROBLEM_PROGRESS, obj=problem, changes=changes)
    return note


@transaction.atomic
def problem_add_evidence(
    *, actor: policy.Actor, problem: Problem, file: Any, stage: Any = Stage.AFTER, note: Any = ""
) -> Evidence:
    problem = _locked(problem)
    policy.require(actor, "problem.evidence", problem)
    workflow.check("evidence", problem)
    stage = clean_choice(stage, field="stage", label=gettext("凭证阶段"), choices=Stage)
    note = clean_text(note, field="note", label=gettext("说明"), max_length=200, required=False)
    info = check_upload(
        file, allowed=EVIDENCE_KINDS, max_bytes=settings.MAX_UPLOAD_MB * 1024 * 1024
    )
    name = upload_name(file, default=recorded("凭证"))
    evidence = Evidence(
        problem=problem,
        original_name=name,
        content_kind=info.kind,
        size=info.size,
        sha256=info.sha256,
        stage=stage,
        note=note,
        uploaded_by=policy.user_of(actor),
    )
    with stored_upload(evidence.file, file, name=name):
        evidence.save()
        audit_record(
            actor=actor,
            action=EventKind.PROBLEM_EVIDENCE,
            obj=problem,
            changes={"evidence": [None, {"name": name, "sha256": info.sha256, "stage": stage}]},
        )
    return evidence


@transaction.atomic
def problem_extend_deadline(
    *, actor: policy.Actor, problem: Problem, new_deadline: Any, reason: Any
) -> DeadlineExtension:
    problem = _locked(problem)
    policy.require(actor, "problem.extend", problem)
    workflow.check("extend", problem)
    new = clean_date(new_deadline, field="new_deadline", label=gettext("新的整改时限"))
    reason = clean_text(reason, field="reason", label=gettext("延期理由"), max_length=TEXT_LIMIT)
    if problem.deadline and new <= problem.deadline:
        raise invalid(new_deadline=gettext("新的整改时限应晚于原时限"))
    if new < problem.found_on:
        raise invalid(new_deadline=gettext("整改时限不能早于发现日期"))
    ext = DeadlineExtension.objects.create(
        problem=problem,
        old_deadline=problem.deadline,
        new_deadline=new,
        reason=reason,
        actor=policy.user_of(actor),
    )
    changes = {
        "deadline": [problem.deadline, new],
        "extension_count": [problem.extension_count, problem.extension_count + 1],
    }
    problem.deadline = new
    problem.extension_count += 1
    problem.save(update_fields=["deadline", "extension_count", "updated_at"])
    audit_record(
        actor=actor, action=EventKind.PROBLEM_EXTEND, obj=problem, changes=changes, note=reason
    )
    return ext
