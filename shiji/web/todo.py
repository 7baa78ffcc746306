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

from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
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


def problems_to_work_on(user: Any) -> QuerySet:
    qs = _rectify_base(user).exclude(_sent_back_q())
    if policy.can(user, "problem.submit"):
        qs = qs.exclude(_ready_filter())
    return _ordered(qs)


def problems_sent_back(user: Any) -> QuerySet:
    return _ordered(_rectify_base(user).filter(_sent_back_q()))


def problems_ready_to_submit(user: Any) -> QuerySet:
    from shiji.ledger import selectors

    # 提交销号 is for the secretary or leader of the org, in their scope.
    submit_scope = selectors.problems_visible_to(user=user, action="problem.submit")
    qs = _rectify_base(user).filter(_ready_filter()).exclude(_sent_back_q())
    return _ordered(qs.filter(pk__in=submit_scope.values("pk")))


def problems_to_verify(user: Any) -> QuerySet:
    from shiji.ledger import selectors

    return selectors.inbox_for(user=user)["verify"]


def problem_lists_to_review(user: Any) -> QuerySet:
    from shiji.ledger import selectors

    return selectors.inbox_for(user=user)["review"]


def flagged_verifications(user: Any) -> QuerySet:
    from shiji.ledger import selectors

    return selectors.flagged_verifications(user=user).order_by("-closed_on", "code")


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

    pending = Attendance.objects.filter(session=OuterRef("pk"), present__isnull=True)
    return selectors.with_counts(
        selectors.sessions_visible_to(user=user, action="study.manage")
        .filter(Exists(pending))
        .select_related("org", "kind")
        .order_by("date", "pk")
    )


# Feedback (群众反映) --------------------------------------------------------


def _feedback(user: Any) -> QuerySet:
    from shiji.outreach.selectors.feedback import URGENCY, feedback_visible_to

    return feedback_visible_to(user=user).order_by(URGENCY, "due_on", "pk")


def _handled_zones_q(user: Any, action: str = "feedback.handle") -> Q:
    from shiji.outreach import access

    zone_ids = policy.zone_ids_for(user, action)
    if zone_ids is None:
        return Q()
    if action == "feedback.handle":
        zone_ids |= access.named_zone_ids(user)
    return Q(zone_id__in=zone_ids)


def feedback_to_accept(user: Any) -> QuerySet:
    from shiji.outreach.models import Status

    return _feedback(user).filter(_handled_zones_q(user), status=Status.RECEIVED)


def feedback_replies_to_publish(user: Any) -> QuerySet:
    from shiji.outreach.models import Status

    return _feedback(user).filter(
        _handled_zones_q(user, "feedback.publish"), status=Status.REPLY_PENDING
    )


def feedback_escalated(user: Any) -> QuerySet:
    from shiji.outreach.workflow import PENDING

    return _feedback(user).filter(_handled_zones_q(user), escalated=True, status__in=PENDING)


def feedback_forwarded_to_me(user: Any) -> QuerySet:
    """Forwarded to an organization in the user's subtree, to answer."""
    from shiji.outreach.models import Status

    scope = policy.scope_q(user, "feedback.answer", zone="zone", org_path="org__path")
    if scope is None:
        return _feedback(user).none()
    return _feedback(user).filter(scope, status=Status.FORWARDED, org__isnull=False)


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
    ),
    Group(
        "sent_back",
        PROBLEM,
        "problem.rectify",
        _("被退回的问题"),
        _("没有被退回的问题。"),
        problems_sent_back,
    ),
    Group(
        "submit",
        PROBLEM,
        "problem.submit",
        _("待我提交销号"),
        _("暂无可提交销号的问题：写好完成情况并上传整改后凭证后会出现在这里。"),
        problems_ready_to_submit,
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
    ),
    Group(
        "feedback_escalated",
        FEEDBACK,
        "feedback.view",
        _("提级督办的群众反映"),
        _("没有提级督办的群众反映。反映人三次评价不满意的会出现在这里。"),
        feedback_escalated,
        _handles_feedback,
    ),
    Group(
        "feedback_accept",
        FEEDBACK,
        "feedback.view",
        _("待受理的群众反映"),
        _("没有待受理的群众反映。电话、来信、来访收到的，可在群众反映中“代录反映”。"),
        feedback_to_accept,
        _handles_feedback,
    ),
    Group(
        "feedback_publish",
        FEEDBACK,
        "feedback.publish",
        _("待审核发布的答复"),
        _("没有待审核的答复。承办单位拟写答复后会出现在这里。"),
        feedback_replies_to_publish,
    ),
    Group(
        "feedback_answer",
        FEEDBACK,
        "feedback.answer",
        _("转办给本单位的群众反映"),
        _("没有转办给本单位的群众反映。"),
        feedback_forwarded_to_me,
        _answers_for_an_org,
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
    """Each applicable group with its count, for the home page (one query
    per group)."""
    return [
        {"key": g.key, "title": g.title, "count": g.rows(user).count()} for g in groups_for(user)
    ]
