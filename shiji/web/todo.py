"""What waits for a user across the app (我的待办): one registry, each group
declared once. The home page shows each group's count and links to the
filtered 我的待办; the page itself lists the groups' rows.

A group applies to a user who holds its ``permission`` (orgs/policy.py);
``rows(user)`` returns the scoped queryset (the apps' selectors do the
scoping: another zone's items never show). Groups do not overlap: a problem
sent back is not also "to work on", one ready to submit is not either (for
those who may submit it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.utils.translation import gettext_lazy as _

from shiji.orgs import policy

PROBLEM, TASK, STUDY, FEEDBACK = "problem", "task", "study", "feedback"


@dataclass(frozen=True)
class Group:
    key: str
    kind: str  # which row template shows it: problem, task or study
    permission: str
    title: Any
    empty: Any
    rows: Callable[[Any], QuerySet]
    # Besides the permission: does the group apply to this user (None: yes)?
    applies: Callable[[Any], bool] | None = None
    # What the listed rows need besides ``rows`` (the study sessions'
    # attendance counts): applied to the page's rows, not to the count.
    decorate: Callable[[QuerySet], QuerySet] | None = None
    # Groups of one batch are ``batch.base`` narrowed by ``where``: the home
    # page counts them together (see counts_for).
    batch: Batch | None = None
    where: Callable[[Any], Q | None] | None = None


@dataclass(frozen=True)
class Batch:
    """Groups whose rows are one base queryset narrowed by a condition each
    (``where``; None: nothing). The home page counts a batch's groups in one
    query: building each group's queryset with the ORM cost more than
    running it (three rectification querysets with four subqueries each)."""

    base: Callable[[Any], QuerySet]
    order: Callable[[QuerySet], QuerySet]
    # The base is empty for users without this permission: no query then.
    permission: str

    def rows(self, user: Any, q: Q | None) -> QuerySet:
        qs = self.base(user)
        return self.order(qs.none() if q is None else qs.filter(q))

    def counts(self, user: Any, wheres: dict[str, Q | None]) -> dict[str, int]:
        counts = dict.fromkeys(wheres, 0)
        filters = {k: q for k, q in wheres.items() if q is not None}
        if filters and policy.can(user, self.permission):
            found = self.base(user).aggregate(
                **{f"n_{k}": Count("pk", filter=q) for k, q in filters.items()}
            )
            counts.update({k: found[f"n_{k}"] for k in filters})
        return counts


# Problems -------------------------------------------------------------------


def _last_review(field: str) -> Subquery:
    from shiji.ledger.models import Review

    latest = Review.objects.filter(problem=OuterRef("pk")).order_by("-created_at", "-pk")
    return Subquery(latest.values(field)[:1])


def _sent_back_q() -> Q:
    """Sent back to the owner: the list review asked for rework (退回重查), or
    the verifier returned it / 回头看 reopened it and nobody has resubmitted."""
    from shiji.ledger.models import ReviewState, Status

    return Q(review_state=ReviewState.REWORK, status=Status.OPEN) | Q(
        status=Status.IN_PROGRESS, last_action__in=["return", "reopen"]
    )


def _rectify_base(user: Any) -> QuerySet:
    from shiji.ledger import selectors
    from shiji.ledger.models import Evidence, ProgressNote, Stage, Status

    after = Evidence.objects.filter(problem=OuterRef("pk"), stage=Stage.AFTER)
    return (
        selectors.problems_visible_to(user=user, action="problem.rectify")
        .filter(status__in=[Status.OPEN, Status.IN_PROGRESS])
        .annotate(
            last_action=_last_review("action"),
            last_note=_last_review("note"),
            has_after=Exists(after),
            has_progress=Exists(ProgressNote.objects.filter(problem=OuterRef("pk"))),
        )
    )


def _ordered(qs: QuerySet) -> QuerySet:
    from shiji.ledger.selectors import LIGHT_ORDER

    return qs.annotate(light_order=LIGHT_ORDER).order_by("light_order", "deadline", "code")


def _ready_filter() -> Q:
    """Ready to submit for 销号: an after-photo or document (整改后) and a
    written account of the work — the completion note of an earlier
    submission or the liaison's progress notes, from which the secretary
    writes the 完成情况 when submitting."""
    from shiji.ledger.models import Status

    return Q(status=Status.IN_PROGRESS, has_after=True) & (
        ~Q(completion_note="") | Q(has_progress=True)
    )


# The rectification groups split _rectify_base's rows by these conditions;
# the rows and the home page's one counting query read the same ones.


def _work_on_q(user: Any) -> Q:
    q = ~_sent_back_q()
    if policy.can(user, "problem.submit"):
        q &= ~_ready_filter()
    return q


def _submit_q(user: Any) -> Q | None:
    """Ready, not sent back, and in the user's 提交销号 scope (the secretary
    or leader of the org); None when the user may submit nothing."""
    scope = policy.scope_q(user, "problem.submit")
    return None if scope is None else scope & _ready_filter() & ~_sent_back_q()


RECTIFY = Batch(_rectify_base, _ordered, "problem.rectify")


def _sent_back_where(user: Any) -> Q:
    return _sent_back_q()


def problems_to_work_on(user: Any) -> QuerySet:
    return RECTIFY.rows(user, _work_on_q(user))


def problems_sent_back(user: Any) -> QuerySet:
    return RECTIFY.rows(user, _sent_back_where(user))


def problems_ready_to_submit(user: Any) -> QuerySet:
    return RECTIFY.rows(user, _submit_q(user))


def _inbox(user: Any) -> dict[str, QuerySet]:
    """The ledger's inbox querysets, built once per user object (i.e. per
    request): the verify and review groups each read one of them."""
    from shiji.ledger import selectors

    memo = getattr(user, "_shiji_inbox", None)
    if memo is None:
        memo = user._shiji_inbox = selectors.inbox_for(user=user)
    return memo


def problems_to_verify(user: Any) -> QuerySet:
    return _inbox(user)["verify"]


def problem_lists_to_review(user: Any) -> QuerySet:
    return _inbox(user)["review"]


def flagged_verifications(user: Any) -> QuerySet:
    from shiji.ledger.models import Review

    # Redundant with the selector's EXISTS, and there for the plan: the ids
    # come from the few rows of the flagged-review index, where SQLite would
    # otherwise probe the reviews of all ~40k closed problems (118 ms).
    flagged_ids = Review.objects.filter(action="verify", flagged=True).values("problem_id")
    return _inbox(user)["flagged"].filter(pk__in=flagged_ids)


# Tasks and study ------------------------------------------------------------


def task_reports_to_make(user: Any) -> QuerySet:
    from shiji.campaigns import selectors, workflow

    return (
        selectors.assignments_visible_to(user=user, action="task.report")
        .filter(status__in=workflow.OPEN)
        .select_related("task", "org")
        .order_by("task__deadline", "task__pk", "org__path")
    )


def task_reports_to_accept(user: Any) -> QuerySet:
    from shiji.campaigns import selectors
    from shiji.campaigns.models import AssignmentStatus

    return (
        selectors.assignments_visible_to(user=user, action="task.review")
        .filter(status=AssignmentStatus.REPORTED)
        .select_related("task", "org")
        .order_by("task__deadline", "task__pk", "org__path")
    )


def sessions_missing_records(user: Any) -> QuerySet:
    """Sessions with expected attendees not yet marked present or absent
    (出勤待补录): coverage counts only those recorded present."""
    from shiji.study import selectors
    from shiji.study.models import Attendance

    # From the pending rows' index (attendance_pending_idx): a few thousand
    # of ~1M attendance rows. The attendance counts shown with each session
    # are the group's ``decorate`` (grouping them here made the count a
    # GROUP BY over every session's attendance: 305 ms for a system admin).
    pending = Attendance.objects.filter(present__isnull=True).values("session_id")
    return (
        selectors.sessions_visible_to(user=user, action="study.manage")
        .filter(pk__in=pending)
        .select_related("org", "kind")
        .order_by("date", "pk")
    )


def _with_attendance_counts(qs: QuerySet) -> QuerySet:
    from shiji.study import selectors

    return selectors.with_counts(qs)


# Feedback (群众反映) --------------------------------------------------------


def _feedback_base(user: Any) -> QuerySet:
    from shiji.outreach.selectors.feedback import feedback_visible_to

    return feedback_visible_to(user=user)


def _feedback_order(qs: QuerySet) -> QuerySet:
    from shiji.outreach.selectors.feedback import URGENCY

    return qs.order_by(URGENCY, "due_on", "pk")


FEEDBACK_BATCH = Batch(_feedback_base, _feedback_order, "feedback.view")


def _handled_zones_q(user: Any, action: str = "feedback.handle") -> Q:
    from shiji.outreach import access

    zone_ids = policy.zone_ids_for(user, action)
    if zone_ids is None:
        return Q()
    if action == "feedback.handle":
        zone_ids |= access.named_zone_ids(user)
    return Q(zone_id__in=zone_ids)


def _to_accept_q(user: Any) -> Q:
    from shiji.outreach.models import Status

    return _handled_zones_q(user) & Q(status=Status.RECEIVED)


def _to_publish_q(user: Any) -> Q:
    from shiji.outreach.models import Status

    return _handled_zones_q(user, "feedback.publish") & Q(status=Status.REPLY_PENDING)


def _escalated_q(user: Any) -> Q:
    from shiji.outreach.workflow import PENDING

    return _handled_zones_q(user) & Q(escalated=True, status__in=PENDING)


def _forwarded_q(user: Any) -> Q | None:
    """Forwarded to an organization in the user's subtree, to answer."""
    from shiji.outreach.models import Status

    scope = policy.scope_q(user, "feedback.answer", zone="zone", org_path="org__path")
    if scope is None:
        return None
    return scope & Q(status=Status.FORWARDED, org__isnull=False)


def feedback_to_accept(user: Any) -> QuerySet:
    return FEEDBACK_BATCH.rows(user, _to_accept_q(user))


def feedback_replies_to_publish(user: Any) -> QuerySet:
    return FEEDBACK_BATCH.rows(user, _to_publish_q(user))


def feedback_escalated(user: Any) -> QuerySet:
    return FEEDBACK_BATCH.rows(user, _escalated_q(user))


def feedback_forwarded_to_me(user: Any) -> QuerySet:
    return FEEDBACK_BATCH.rows(user, _forwarded_q(user))


def _answers_for_an_org(user: Any) -> bool:
    return any(
        g.org_id and g.role in policy.TABLE["feedback.answer"] for g in policy.grants_of(user)
    )


def _handles_feedback(user: Any) -> bool:
    from shiji.outreach import access

    return access.handles_anywhere(user)


GROUPS: list[Group] = [
    Group(
        "rectify",
        PROBLEM,
        "problem.rectify",
        _("待我整改"),
        _("本单位暂无待整改的问题。新发现的问题可在台账中“新增问题”。"),
        problems_to_work_on,
        batch=RECTIFY,
        where=_work_on_q,
    ),
    Group(
        "sent_back",
        PROBLEM,
        "problem.rectify",
        _("被退回的问题"),
        _("没有被退回的问题。"),
        problems_sent_back,
        batch=RECTIFY,
        where=_sent_back_where,
    ),
    Group(
        "submit",
        PROBLEM,
        "problem.submit",
        _("待我提交销号"),
        _("暂无可提交销号的问题：写好完成情况并上传整改后凭证后会出现在这里。"),
        problems_ready_to_submit,
        batch=RECTIFY,
        where=_submit_q,
    ),
    Group(
        "verify",
        PROBLEM,
        "problem.verify",
        _("待我销号审核"),
        _("暂无提交销号的问题。整改单位提交后会出现在这里。"),
        problems_to_verify,
    ),
    Group(
        "review",
        PROBLEM,
        "problem.review",
        _("待我问题清单审核"),
        _("暂无待审核的问题清单。新增的问题会先出现在这里，请审核查摆是否深、准。"),
        problem_lists_to_review,
    ),
    Group(
        "flagged",
        PROBLEM,
        "problem.reopen",
        _("独立性存疑的销号"),
        _("暂无独立性存疑的销号。审核人创建或授权了参与整改的账号时，销号会出现在这里。"),
        flagged_verifications,
    ),
    Group(
        "task_report",
        TASK,
        "task.report",
        _("待我报送的任务"),
        _("本单位的任务都已报送。"),
        task_reports_to_make,
    ),
    Group(
        "task_accept",
        TASK,
        "task.review",
        _("待我验收的任务报送"),
        _("暂无待验收的任务报送。"),
        task_reports_to_accept,
    ),
    Group(
        "study_pending",
        STUDY,
        "study.manage",
        _("出勤待补录"),
        _("学习研讨的出勤都已录入。"),
        sessions_missing_records,
        decorate=_with_attendance_counts,
    ),
    Group(
        "feedback_escalated",
        FEEDBACK,
        "feedback.view",
        _("提级督办的群众反映"),
        _("没有提级督办的群众反映。反映人三次评价不满意的会出现在这里。"),
        feedback_escalated,
        _handles_feedback,
        batch=FEEDBACK_BATCH,
        where=_escalated_q,
    ),
    Group(
        "feedback_accept",
        FEEDBACK,
        "feedback.view",
        _("待受理的群众反映"),
        _("没有待受理的群众反映。电话、来信、来访收到的，可在群众反映中“代录反映”。"),
        feedback_to_accept,
        _handles_feedback,
        batch=FEEDBACK_BATCH,
        where=_to_accept_q,
    ),
    Group(
        "feedback_publish",
        FEEDBACK,
        "feedback.publish",
        _("待审核发布的答复"),
        _("没有待审核的答复。承办单位拟写答复后会出现在这里。"),
        feedback_replies_to_publish,
        batch=FEEDBACK_BATCH,
        where=_to_publish_q,
    ),
    Group(
        "feedback_answer",
        FEEDBACK,
        "feedback.answer",
        _("转办给本单位的群众反映"),
        _("没有转办给本单位的群众反映。"),
        feedback_forwarded_to_me,
        _answers_for_an_org,
        batch=FEEDBACK_BATCH,
        where=_forwarded_q,
    ),
]
BY_KEY = {g.key: g for g in GROUPS}


def groups_for(user: Any) -> list[Group]:
    """The groups that apply to the user's roles, in display order."""
    return [
        g
        for g in GROUPS
        if policy.can(user, g.permission) and (g.applies is None or g.applies(user))
    ]


def counts_for(user: Any) -> list[dict[str, Any]]:
    """Each applicable group with its count, for the home page."""
    groups = groups_for(user)
    counts = count_by_key(user, groups)
    return [{"key": g.key, "title": g.title, "count": counts[g.key]} for g in groups]


def count_by_key(user: Any, groups: list[Group]) -> dict[str, int]:
    """``{group key: count}`` for ``groups`` (those of ``groups_for``): one
    query per batch of groups, one for each other group. Plain numbers, so
    the home page can keep them in the cache (web/summaries.py)."""
    batches: dict[Batch, dict[str, Q | None]] = {}
    for g in groups:
        if g.batch is not None and g.where is not None:
            batches.setdefault(g.batch, {})[g.key] = g.where(user)
    counts: dict[str, int] = {}
    for batch, wheres in batches.items():
        counts.update(batch.counts(user, wheres))
    for g in groups:
        if g.key not in counts:
            counts[g.key] = g.rows(user).count()
    return counts
