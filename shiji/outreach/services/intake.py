"""Creating a feedback item: the one path shared by the public portal,
staff entering an item received by phone, letter, mailbox or visit (代录),
and the demands raised at roundtables and enterprise visits."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from shiji.audit.kinds import EventKind
from shiji.audit.services import audit_record
from shiji.core.errors import Invalid, invalid
from shiji.core.validation import clean_choice, clean_text
from shiji.orgs import policy
from shiji.orgs.models import Zone
from shiji.outreach import codes
from shiji.outreach.limits import due_on, settings_for
from shiji.outreach.models import (
    Category,
    Channel,
    Enterprise,
    EnterpriseVisit,
    Feedback,
    FeedbackContact,
    FeedbackStep,
    Kind,
    OutreachSettings,
    Roundtable,
)
from shiji.outreach.workflow import stored_label

CONTENT_MAX = 2000
NAME_MAX = 50
PHONE_MAX = 20
ACCUSED_MAX = 100


@dataclass(frozen=True)
class Created:
    """The new item and its tracking code, which exists only here: it is
    stored as a hash and shown once."""

    feedback: Feedback
    tracking_code: str


def clean_phone(value: Any) -> str:
    text = clean_text(
        value, field="phone", label=_("联系电话"), max_length=PHONE_MAX, required=False
    )
    digits = text.replace("-", "").replace(" ", "").removeprefix("+86")
    if text and not (digits.isdigit() and 7 <= len(digits) <= 12):
        raise invalid(phone=_("联系电话应为 7 至 12 位数字（手机或带区号的固定电话）"))
    return text


def _clean_kind(value: Any) -> str:
    if value is None or not str(value).strip():
        raise invalid(kind=_("请选择反映类型"))
    return clean_choice(value, field="kind", label=_("反映类型"), choices=Kind)


def _cleaned(**values: Any) -> dict[str, Any]:
    """Every field checked, and every mistake reported at once: on a phone,
    without JavaScript, one round trip per mistake would be one too many."""
    checks = {
        "kind": _clean_kind,
        "category": lambda v: (
            Category.OTHER
            if v in (None, "")
            else clean_choice(v, field="category", label=_("类别"), choices=Category)
        ),
        "content": lambda v: clean_text(
            v, field="content", label=_("反映内容"), max_length=CONTENT_MAX
        ),
        "name": lambda v: clean_text(
            v, field="name", label=_("姓名"), max_length=NAME_MAX, required=False
        ),
        "phone": clean_phone,
        "accused": lambda v: clean_text(
            v, field="accused", label=_("被举报人"), max_length=ACCUSED_MAX, required=False
        ),
    }
    out: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for key, check in checks.items():
        try:
            out[key] = check(values[key])
        except Invalid as exc:
            errors.update(exc.fields)
    if errors:
        raise Invalid(None, fields=errors)
    return out


def _number(zone: Zone) -> str:
    # The zone's settings row is the lock that keeps two parallel submissions
    # from taking the same number.
    settings_for(zone.pk)
    OutreachSettings.objects.select_for_update().get(zone_id=zone.pk)
    year = timezone.localdate().year
    prefix = f"{zone.code.upper()}-FK-{year}-"
    taken = Feedback.objects.filter(zone=zone, number__startswith=prefix).count()
    return f"{prefix}{taken + 1:04d}"


def feedback_create(
    *,
    actor: policy.Actor,
    zone: Zone,
    kind: Any,
    content: Any,
    category: Any = None,
    channel: str = Channel.PORTAL,
    name: Any = "",
    phone: Any = "",
    accused: Any = "",
    enterprise: Enterprise | None = None,
    roundtable: Roundtable | None = None,
    visit: EnterpriseVisit | None = None,
) -> Created:
    """Validate and store one item with its first public step. The caller
    checks who may create it (anyone through the portal; staff for 代录 and
    demands) and stores any files inside the same transaction."""
    clean = _cleaned(
        kind=kind, category=category, content=content, name=name, phone=phone, accused=accused
    )
    kind, category, content = clean["kind"], clean["category"], clean["content"]
    name, phone, accused = clean["name"], clean["phone"], clean["accused"]
    if accused and kind != Kind.REPORT:
        accused = ""
    received = timezone.now()
    with transaction.atomic():
        code = codes.new_code()
        item = Feedback.objects.create(
            zone=zone,
            number=_number(zone),
            code_hash=codes.code_hash(code),
            kind=kind,
            category=category,
            channel=channel,
            content=content,
            accused=accused,
            restricted=bool(accused),
            anonymous=not (name or phone),
            received_at=received,
            due_on=due_on(zone_id=zone.pk, kind=kind, received=timezone.localdate(received)),
            enterprise=enterprise,
            roundtable=roundtable,
            visit=visit,
            entered_by=policy.user_of(actor),
        )
        if name or phone:
            FeedbackContact.objects.create(feedback=item, name=name, phone=phone)
        FeedbackStep.objects.create(
            feedback=item,
            action="submit",
            public_label=stored_label("submit"),
            actor=policy.user_of(actor),
            at=received,
        )
        # The trail names the item, never the person: contact stays out of it.
        audit_record(
            actor=actor,
            action=EventKind.FEEDBACK_SUBMIT
            if channel == Channel.PORTAL
            else EventKind.FEEDBACK_ENTER,
            obj=item,
            changes={
                "kind": [None, kind],
                "channel": [None, channel],
                "status": [None, item.status],
            },
        )
    return Created(item, code)
