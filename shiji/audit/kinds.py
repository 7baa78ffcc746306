"""Every kind of audit event, in one registry (Zulip's ``AuditLogEventType``
is the model).

A service passes its kind to ``audit_record`` (``action=EventKind.PROBLEM_START``);
the stored ``AuditEvent.action`` is the kind's code, so rows written before
this registry existed read back unchanged. Each kind carries its Chinese and
English label, the label of its note (a reason, an opinion) and, where some
recorded fields are bookkeeping rather than news, the fields a timeline shows.
The record timelines and the audit page read only this registry.

Labels are written here in both languages rather than through the message
catalogue: this module is the one place a reader looks for what an event is
called, and a new kind cannot be added with one of its names missing.
"""

from __future__ import annotations

from enum import StrEnum
from typing import NamedTuple

from django.utils.translation import get_language

NOTE = ("说明", "Note")
REASON = ("理由", "Reason")
OPINION = ("审核意见", "Review opinion")
RETURN_REASON = ("退回理由", "Reason for returning")
COMPLETION = ("完成情况", "Completion")


def english() -> bool:
    return (get_language() or "").startswith("en")


class EventKind(StrEnum):
    """``code, 中文, English[, (note label zh, en)[, fields shown]]``."""

    zh: str
    en: str
    note: tuple[str, str]
    fields: tuple[str, ...] | None

    def __new__(
        cls,
        code: str,
        zh: str,
        en: str,
        note: tuple[str, str] = NOTE,
        fields: tuple[str, ...] | None = None,
    ) -> EventKind:
        member = str.__new__(cls, code)
        member._value_ = code
        member.zh, member.en, member.note, member.fields = zh, en, note, fields
        return member

    @property
    def label(self) -> str:
        return self.en if english() else self.zh

    @property
    def note_label(self) -> str:
        return self.note[1] if english() else self.note[0]

    # The audit trail itself
    AUDIT_RECHAIN = (
        "audit.rechain",
        "审计链升级为分区、带密钥的链",
        "Audit trail re-chained per zone with a keyed hash",
    )
    AUDIT_HEAD_REPAIR = "audit.head_repair", "修复审计链头", "Audit chain head repaired"

    # Zones, organizations, people, accounts
    ZONE_CREATE = "zone.create", "新建高新区", "Zone created"
    ORG_CREATE = "org.create", "新建组织", "Organization created"
    ORG_UPDATE = "org.update", "修改组织", "Organization changed"
    PERSON_CREATE = "person.create", "新增人员", "Person added"
    PERSON_UPDATE = "person.update", "修改人员", "Person changed"
    ROSTER_IMPORT = (
        "roster.import",
        "导入花名册",
        "Roster imported",
        NOTE,
        ("orgs_created", "orgs_updated", "people_created", "people_updated", "file"),
    )
    USER_CREATE = "user.create", "新建账号", "Account created"
    USER_UPDATE = "user.update", "修改账号", "Account changed"
    USER_PASSWORD_CHANGE = "user.password_change", "本人修改密码", "Password changed by its owner"
    USER_LOCKED = (
        "user.locked",
        "登录失败次数过多，该地址的登录被锁定",
        "Sign-ins from one address locked after failures",
    )
    USER_TOKEN_ISSUE = "user.token_issue", "签发 API 令牌", "API token issued"
    USER_TOKEN_REVOKE = "user.token_revoke", "注销 API 令牌", "API token revoked"

    # The problem list and rectification ledger
    PROBLEM_CREATE = "problem.create", "新增问题", "Problem added"
    PROBLEM_UPDATE = "problem.update", "修改问题", "Problem edited"
    PROBLEM_REVIEW_APPROVE = (
        "problem.review.approve",
        "问题清单审核通过",
        "Problem list entry approved",
        OPINION,
    )
    PROBLEM_REVIEW_SEND_BACK = (
        "problem.review.send_back",
        "问题清单退回重查",
        "Problem list entry sent back",
        RETURN_REASON,
    )
    PROBLEM_START = "problem.start", "开始整改", "Rectification started"
    PROBLEM_SUBMIT = "problem.submit", "提交销号", "Submitted for closing", COMPLETION
    PROBLEM_VERIFY = "problem.verify", "审核销号", "Verified and closed", OPINION
    PROBLEM_RETURN = "problem.return", "退回整改", "Returned for rework", RETURN_REASON
    PROBLEM_REOPEN = (
        "problem.reopen",
        "回头看重新整改",
        "Reopened after a follow-up check",
        ("重新整改理由", "Reason for reopening"),
    )
    PROBLEM_CANCEL = "problem.cancel", "撤销", "Cancelled", ("撤销理由", "Reason for cancelling")
    PROBLEM_PROGRESS = "problem.progress", "记录整改进展", "Progress recorded"
    PROBLEM_EVIDENCE = "problem.evidence", "上传整改凭证", "Evidence uploaded"
    PROBLEM_EXTEND = (
        "problem.extend",
        "延期",
        "Deadline extended",
        ("延期理由", "Reason for the extension"),
    )
    LEDGER_IMPORT = (
        "ledger.import",
        "导入整改台账",
        "Ledger imported",
        NOTE,
        ("created", "updated", "file"),
    )

    # Rule-making (建章立制)
    REGULATION_CREATE = "regulation.create", "登记制度", "Regulation registered"
    REGULATION_UPDATE = "regulation.update", "修改制度", "Regulation edited"
    REGULATION_SUBMIT = "regulation.submit", "提交审议", "Submitted for review"
    REGULATION_ISSUE = "regulation.issue", "印发", "Issued"
    REGULATION_RETURN = "regulation.return", "退回修改", "Returned for revision", RETURN_REASON
    REGULATION_LINK = "regulation.link", "关联问题", "Problems linked"
    REGULATION_UNLINK = "regulation.unlink", "取消关联问题", "Problem unlinked"
    REGULATION_FILE = "regulation.file", "上传制度文件", "Document uploaded"

    # Work updates (工作动态) and bulletins (工作简报)
    UPDATE_SUBMIT = "update.submit", "报送工作动态", "Work update submitted"
    UPDATE_EDIT = "update.edit", "修改工作动态", "Work update edited"
    UPDATE_PHOTO = "update.photo", "上传动态图片", "Photo uploaded"
    UPDATE_PHOTO_REMOVE = "update.photo_remove", "删除动态图片", "Photo removed"
    UPDATE_APPROVE = "update.approve", "采用工作动态", "Work update approved", OPINION
    UPDATE_RETURN = "update.return", "退回工作动态", "Work update returned", RETURN_REASON
    BULLETIN_SERIES_CREATE = "bulletin_series.create", "新建简报系列", "Bulletin series created"
    BULLETIN_CREATE = "bulletin.create", "新建简报", "Bulletin drafted"
    BULLETIN_EDIT = "bulletin.edit", "修改简报", "Bulletin edited"
    BULLETIN_ITEM_ADD = "bulletin.item_add", "编入工作动态", "Update added to the bulletin"
    BULLETIN_ITEM_EDIT = "bulletin.item_edit", "修改简报条目", "Bulletin entry edited"
    BULLETIN_ITEM_REMOVE = "bulletin.item_remove", "移出简报条目", "Entry removed"
    BULLETIN_ITEM_MOVE = "bulletin.item_move", "调整条目顺序", "Entries reordered"
    BULLETIN_ISSUE = "bulletin.issue", "印发简报", "Bulletin issued"
    BULLETIN_DELETE = "bulletin.delete", "删除简报草稿", "Bulletin draft deleted"

    # Campaign presets (national) and their adoption by a zone
    CAMPAIGN_CREATE = "campaign.create", "载入学习教育预设", "Campaign loaded from its preset"
    CAMPAIGN_UPDATE = "campaign.update", "更新学习教育预设", "Campaign updated from its preset"
    ARRANGEMENT_CREATE = "arrangement.create", "新增工作安排", "Work arrangement added"
    ARRANGEMENT_UPDATE = "arrangement.update", "修改工作安排", "Work arrangement changed"
    ARRANGEMENT_DELETE = "arrangement.delete", "删除工作安排", "Work arrangement removed"
    TASK_TEMPLATE_CREATE = "task_template.create", "新增任务模板", "Task template added"
    TASK_TEMPLATE_UPDATE = "task_template.update", "修改任务模板", "Task template changed"
    TASK_TEMPLATE_DELETE = "task_template.delete", "删除任务模板", "Task template removed"
    CATEGORY_TEMPLATE_CREATE = (
        "category_template.create",
        "新增问题类别模板",
        "Category template added",
    )
    CATEGORY_TEMPLATE_UPDATE = (
        "category_template.update",
        "修改问题类别模板",
        "Category template changed",
    )
    CATEGORY_TEMPLATE_DELETE = (
        "category_template.delete",
        "删除问题类别模板",
        "Category template removed",
    )
    STUDY_KIND_CREATE = "study_kind.create", "新增学习形式", "Kind of study added"
    STUDY_KIND_UPDATE = "study_kind.update", "修改学习形式", "Kind of study changed"
    STUDY_KIND_DELETE = "study_kind.delete", "删除学习形式", "Kind of study removed"
    ZONE_CAMPAIGN_ADOPT = "zone_campaign.adopt", "启用学习教育", "Campaign adopted"
    ZONE_CAMPAIGN_UPDATE = "zone_campaign.update", "修改学习教育设置", "Campaign settings changed"
    CATEGORY_CREATE = "category.create", "新增问题类别", "Problem category added"
    CATEGORY_UPDATE = "category.update", "修改问题类别", "Problem category changed"
    TASK_CREATE = "task.create", "新增任务", "Task added"
    TASK_ASSIGNMENT_CREATE = "task_assignment.create", "分派任务", "Task assigned"
    TASK_ASSIGNMENT_EVIDENCE = "task_assignment.evidence", "上传凭证", "Evidence uploaded"
    TASK_ASSIGNMENT_REPORT = (
        "task_assignment.report",
        "报送完成情况",
        "Completion reported",
        COMPLETION,
    )
    TASK_ASSIGNMENT_ACCEPT = "task_assignment.accept", "审核通过", "Report accepted", OPINION
    TASK_ASSIGNMENT_RETURN = "task_assignment.return", "退回", "Report returned", RETURN_REASON

    # Study and discussion (学习研讨)
    STUDY_CREATE = "study.create", "记录学习研讨", "Study session recorded"
    STUDY_UPDATE = "study.update", "修改学习研讨", "Study session edited"
    STUDY_ATTENDANCE = "study.attendance", "更新出勤", "Attendance updated"
    STUDY_MATERIAL = "study.material", "上传学习材料", "Material uploaded"
    STUDY_SPEECH = "study.speech", "添加研讨发言", "Speech added"
    STUDY_GROUP_CREATE = "study.group.create", "新建参会名单", "Attendee group created"
    STUDY_GROUP_UPDATE = "study.group.update", "修改参会名单", "Attendee group changed"
    STUDY_GROUP_DEACTIVATE = "study.group.deactivate", "停用参会名单", "Attendee group retired"
    STUDY_GROUP_REACTIVATE = (
        "study.group.reactivate",
        "启用参会名单",
        "Attendee group offered again",
    )

    # Open-door education (开门教育)
    FEEDBACK_SUBMIT = "feedback.submit", "收到群众反映", "Feedback received"
    FEEDBACK_ENTER = "feedback.enter", "代录群众反映", "Feedback entered on someone's behalf"
    FEEDBACK_ACCEPT = "feedback.accept", "受理", "Accepted"
    FEEDBACK_DECLINE = (
        "feedback.decline",
        "不予受理",
        "Declined",
        ("不予受理理由", "Reason for declining"),
    )
    FEEDBACK_FORWARD = "feedback.forward", "转办", "Forwarded"
    FEEDBACK_REPLY = "feedback.reply", "拟写答复", "Reply drafted"
    FEEDBACK_PUBLISH_REPLY = (
        "feedback.publish_reply",
        "审核发布答复",
        "Reply reviewed and published",
    )
    FEEDBACK_TO_PROBLEM = "feedback.to_problem", "转入整改台账", "Turned into a ledger problem"
    FEEDBACK_MERGE = "feedback.merge", "合并", "Merged"
    FEEDBACK_RATE = "feedback.rate", "群众评价", "Rated by the submitter", ("评价意见", "Comment")
    FEEDBACK_RETURN_CALL = "feedback.return_call", "回访评价", "Rating recorded on a return call"
    FEEDBACK_REOPEN = (
        "feedback.reopen",
        "评价不满意，重新办理",
        "Rated unsatisfied: handled again",
        ("评价意见", "Comment"),
    )
    FEEDBACK_ESCALATE = "feedback.escalate", "提级督办", "Escalated to the zone admin"
    FEEDBACK_DISCLOSE = "feedback.disclose", "设置公开", "Disclosure changed"
    FEEDBACK_CONTACT_VIEW = (
        "feedback.contact_view",
        "查看反映人联系方式",
        "Submitter's contact details viewed",
    )
    OUTREACH_SETTINGS = "outreach.settings", "修改群众反映设置", "Feedback settings changed"
    ENTERPRISE_CREATE = "enterprise.create", "登记企业", "Enterprise registered"
    ENTERPRISE_UPDATE = "enterprise.update", "修改企业信息", "Enterprise changed"
    ROUNDTABLE_CREATE = "roundtable.create", "记录政企圆桌会", "Roundtable recorded"
    ROUNDTABLE_UPDATE = "roundtable.update", "修改政企圆桌会", "Roundtable changed"
    ROUNDTABLE_FILE = "roundtable.file", "上传会议材料", "Roundtable file uploaded"
    VISIT_CREATE = "visit.create", "记录入企走访", "Enterprise visit recorded"
    VISIT_UPDATE = "visit.update", "修改入企走访", "Enterprise visit changed"
    PROJECT_CREATE = "project.create", "新增为民实事", "Practical project added"
    PROJECT_UPDATE = "project.update", "修改为民实事", "Practical project changed"
    PROJECT_PROGRESS = "project.progress", "记录实事进展", "Project progress recorded"

    # Assessment (政绩考核)
    INDICATOR_CREATE = "indicator.create", "新增考核指标", "Indicator added"
    INDICATOR_UPDATE = "indicator.update", "修改考核指标", "Indicator changed"
    INDICATOR_RETIRE = "indicator.retire", "停用考核指标", "Indicator retired"
    INDICATOR_RELATION_CREATE = (
        "indicator_relation.create",
        "新增指标关系",
        "Indicator relation added",
    )
    INDICATOR_RELATION_UPDATE = (
        "indicator_relation.update",
        "修改指标关系",
        "Indicator relation changed",
    )
    INDICATOR_RELATION_DELETE = (
        "indicator_relation.delete",
        "删除指标关系",
        "Indicator relation removed",
    )
    MEASUREMENT_ENTER = "measurement.enter", "填报指标数据", "Measurement entered"
    MEASUREMENT_CONFIRM = (
        "measurement.confirm",
        "确认指标数据",
        "Measurement confirmed",
        ("确认说明", "Confirmation note"),
    )
    MEASUREMENT_CORRECT = (
        "measurement.correct",
        "更正指标数据",
        "Measurement corrected",
        ("更正理由", "Reason for the correction"),
    )
    MEASUREMENT_PERIOD_LOCK = (
        "measurement.period_lock",
        "锁定考核期间",
        "Assessment period locked",
        ("锁定说明", "Note on the lock"),
    )
    TARGET_CREATE = "target.create", "设定目标值", "Target set"
    TARGET_UPDATE = "target.update", "修改目标值", "Target changed"


class Family(NamedTuple):
    """The kinds of one preset-synchronised record type (created, changed or
    removed when a campaign preset is loaded again). ``name`` names the
    record type in error messages."""

    name: str
    create: EventKind
    update: EventKind
    delete: EventKind


E = EventKind
ARRANGEMENT = Family(
    "arrangement", E.ARRANGEMENT_CREATE, E.ARRANGEMENT_UPDATE, E.ARRANGEMENT_DELETE
)
TASK_TEMPLATE = Family(
    "task_template", E.TASK_TEMPLATE_CREATE, E.TASK_TEMPLATE_UPDATE, E.TASK_TEMPLATE_DELETE
)
CATEGORY_TEMPLATE = Family(
    "category_template",
    E.CATEGORY_TEMPLATE_CREATE,
    E.CATEGORY_TEMPLATE_UPDATE,
    E.CATEGORY_TEMPLATE_DELETE,
)
STUDY_KIND = Family("study_kind", E.STUDY_KIND_CREATE, E.STUDY_KIND_UPDATE, E.STUDY_KIND_DELETE)

# The kind each state-machine move records, by the move's action code (see
# each app's workflow.py). A move without a kind here is a KeyError: a bug.
PROBLEM_MOVES: dict[str, EventKind] = {
    "start": E.PROBLEM_START,
    "submit": E.PROBLEM_SUBMIT,
    "verify": E.PROBLEM_VERIFY,
    "return": E.PROBLEM_RETURN,
    "reopen": E.PROBLEM_REOPEN,
    "cancel": E.PROBLEM_CANCEL,
}
PROBLEM_REVIEWS: dict[str, EventKind] = {
    "approve": E.PROBLEM_REVIEW_APPROVE,
    "send_back": E.PROBLEM_REVIEW_SEND_BACK,
}
REGULATION_MOVES: dict[str, EventKind] = {
    "submit": E.REGULATION_SUBMIT,
    "issue": E.REGULATION_ISSUE,
    "return": E.REGULATION_RETURN,
}
FEEDBACK_MOVES: dict[str, EventKind] = {
    "accept": E.FEEDBACK_ACCEPT,
    "decline": E.FEEDBACK_DECLINE,
    "forward": E.FEEDBACK_FORWARD,
    "reply": E.FEEDBACK_REPLY,
    "publish_reply": E.FEEDBACK_PUBLISH_REPLY,
    "to_problem": E.FEEDBACK_TO_PROBLEM,
    "merge": E.FEEDBACK_MERGE,
}
ASSIGNMENT_MOVES: dict[str, EventKind] = {
    "report": E.TASK_ASSIGNMENT_REPORT,
    "accept": E.TASK_ASSIGNMENT_ACCEPT,
    "return": E.TASK_ASSIGNMENT_RETURN,
}


def kind_of(code: str) -> EventKind | None:
    """The kind of a stored ``action`` code; None for a code no kind has
    (a row written by a version that had a kind this one dropped)."""
    try:
        return EventKind(code)  # type: ignore[call-arg]  # a lookup by value, not __init__
    except ValueError:
        return None


def kinds_matching(term: str) -> list[EventKind]:
    """Kinds whose code or label (in either language) contains ``term``,
    so the audit page can be searched by what users read."""
    needle = term.casefold()
    return [
        k for k in EventKind if needle in k.value or needle in k.zh or needle in k.en.casefold()
    ]


class FieldLabel(NamedTuple):
    """How a recorded field reads. ``row`` names the model whose fields
    describe a compound value (an uploaded file's stage, say)."""

    zh: str
    en: str
    row: str = ""
    sep: str = "、"  # between the items of a list value

    @property
    def label(self) -> str:
        return self.en if english() else self.zh


# Recorded fields that are not model fields, and model fields whose own
# verbose name reads badly in a history. ``app.model.field`` keys win over
# plain ``field`` keys; any other model field reads as its verbose name.
FIELD_LABELS: dict[str, FieldLabel] = {
    "evidence": FieldLabel("整改凭证", "Evidence", "ledger.evidence"),
    # A verification by someone who created or granted a worker's account.
    "independence": FieldLabel("独立性存疑", "Independence in doubt"),
    "code": FieldLabel("编号", "Code"),
    "ledger.problem.code": FieldLabel("台账编号", "Ledger code"),
    "material": FieldLabel("学习材料", "Material", "study.material"),
    "speech": FieldLabel("研讨发言", "Speech", "study.speech"),
    "attendance": FieldLabel("出勤", "Attendance"),
    "attendees": FieldLabel("应到人员", "Expected attendees"),
    "marks": FieldLabel("出勤明细", "Attendance in detail", sep="；"),
    "members": FieldLabel("成员", "Members"),
    "file": FieldLabel("文件", "File"),
    "sha256": FieldLabel("文件指纹（SHA-256）", "File fingerprint (SHA-256)"),
    "problems": FieldLabel("关联问题", "Linked problems"),
    "created": FieldLabel("新增", "Added"),
    "updated": FieldLabel("更新", "Updated"),
    "orgs_created": FieldLabel("新建组织", "Organizations added"),
    "orgs_updated": FieldLabel("更新组织", "Organizations updated"),
    "people_created": FieldLabel("新建人员", "People added"),
    "people_updated": FieldLabel("更新人员", "People updated"),
    "zone": FieldLabel("所属高新区", "Zone"),
    "orgs.user.is_active": FieldLabel("启用", "Active"),
    "orgs.user.email": FieldLabel("邮箱", "Email"),
    "grants": FieldLabel("角色", "Roles"),
    "password": FieldLabel("密码", "Password"),
    "locked_until": FieldLabel("锁定至", "Locked until"),
    "failed_logins": FieldLabel("连续登录失败次数", "Failed sign-ins in a row"),
    "api_tokens": FieldLabel("API 令牌数", "API tokens"),
    "api_token": FieldLabel("API 令牌", "API token"),
    "head": FieldLabel("链头", "Chain head"),
    "events": FieldLabel("事件数", "Events"),
    "chains": FieldLabel("链数", "Chains"),
    "legacy_breaks": FieldLabel("原链断裂数", "Breaks in the old chain"),
    "legacy_last_hash": FieldLabel("原链末尾哈希", "Last hash of the old chain"),
    "reports.bulletin.number": FieldLabel("期号", "Number"),
    "items": FieldLabel("条目", "Entries"),
    "photo": FieldLabel("图片", "Photo"),
    "assessment.periodlock.figures": FieldLabel("锁定的数据项数", "Figures locked"),
}
