"""What a member of the public does without an account: submit an item (with
up to three photos or a PDF) and rate its result by tracking code. Shared by
the portal pages and the public API, each request counted against its
client address's limits (``core.ratelimit``).
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext as _

from shiji.core import ratelimit
from shiji.core.errors import AppError, Conflict, NotFound, invalid
from shiji.core.i18n import recorded
from shiji.core.images import CLEANABLE, image_without_metadata
from shiji.core.uploads import EXTENSIONS, check_upload, stored_upload
from shiji.orgs import policy
from shiji.orgs.models import Zone
from shiji.outreach import codes
from shiji.outreach.models import Feedback, FeedbackFile, RatingVia
from shiji.outreach.selectors.public import feedback_by_code, feedback_primary
from shiji.outreach.services.intake import feedback_create
from shiji.outreach.services.rating import feedback_rate

PORTAL = policy.system("portal")
MAX_FILES = 3
FILE_KINDS = frozenset({"jpeg", "png", "webp", "pdf"})
# The hidden field a person never sees and a form-filling robot fills in.
HONEYPOT = "website"


@dataclass(frozen=True)
class Submitted:
    """The tracking code to show once; ``feedback`` is None when the
    honeypot caught a robot (the code then tracks nothing)."""

    tracking_code: str
    feedback: Feedback | None


@dataclass(frozen=True)
class _Clean:
    kind: str
    data: bytes
    sha256: str


def _truthy(value: Any) -> bool:
    return str(value).strip().lower() in ("1", "true", "on", "yes")


def _clean_files(files: Sequence[Any]) -> list[_Clean]:
    """Check each file by its content and size; photos lose their metadata
    here, before anything is stored."""
    files = [f for f in files if f is not None]
    if len(files) > MAX_FILES:
        raise invalid(files=_("最多上传 %(n)s 个文件") % {"n": MAX_FILES})
    out = []
    for file in files:
        info = check_upload(file, allowed=FILE_KINDS, field="files")
        if info.kind in CLEANABLE:
            data = image_without_metadata(file, kind=info.kind, field="files")
        else:
            file.seek(0)
            data = file.read()
        out.append(_Clean(info.kind, data, hashlib.sha256(data).hexdigest()))
    if sum(1 for c in out if c.kind == "pdf") > 1:
        raise invalid(files=_("只能上传 1 个 PDF 文件"))
    return out


def feedback_submit(
    *, zone: Zone, data: Mapping[str, Any], files: Sequence[Any] = (), client: str
) -> Submitted:
    """One submission from the public, counted against ``client``'s limit
    (RateLimited, 429, past it; a submission refused for its mistakes is
    not counted). The item, its files and its audit event are written in one
    transaction; the code exists only in the return value."""
    ratelimit.rate_claim(bucket=ratelimit.SUBMIT, client=client)
    try:
        if str(data.get(HONEYPOT) or "").strip():
            # A robot: it is told what a person would be, and nothing is kept.
            return Submitted(codes.new_code(), None)
        cleaned = _clean_files(files)
        anonymous = _truthy(data.get("anonymous", ""))
        with contextlib.ExitStack() as stack, transaction.atomic():
            created = feedback_create(
                actor=PORTAL,
                zone=zone,
                kind=data.get("kind"),
                category=data.get("category"),
                content=data.get("content"),
                name="" if anonymous else data.get("name", ""),
                phone="" if anonymous else data.get("phone", ""),
                accused=data.get("accused", ""),
            )
            for number, clean in enumerate(cleaned, 1):
                # Not the uploaded name: a phone's file name may say whose it is.
                name = recorded("附件%(n)s", n=number) + EXTENSIONS[clean.kind]
                row = FeedbackFile(
                    feedback=created.feedback,
                    name=name,
                    kind=clean.kind,
                    size=len(clean.data),
                    sha256=clean.sha256,
                )
                stack.enter_context(stored_upload(row.file, ContentFile(clean.data), name=name))
                row.save()
    except AppError as exc:
        if exc.status in (400, 422):
            ratelimit.rate_release(bucket=ratelimit.SUBMIT, client=client)
        raise
    return Submitted(created.tracking_code, created.feedback)


def feedback_for_code(*, code: Any, client: str) -> Feedback:
    """The item ``code`` tracks, counted against ``client``'s look-up limit
    and, when the code is wrong, its wrong-code limit (RateLimited once
    either is reached). NotFound for a wrong or malformed code alike."""
    ratelimit.rate_claim(bucket=ratelimit.LOOKUP, client=client)
    # Every attempt counts as wrong until it proves right, so parallel
    # guesses cannot all slip in under the limit.
    ratelimit.rate_claim(bucket=ratelimit.WRONG_CODE, client=client)
    item = feedback_by_code(code)
    if item is None:
        raise NotFound(_("查询码不正确，请核对后重新输入"))
    ratelimit.rate_release(bucket=ratelimit.WRONG_CODE, client=client)
    return item


def feedback_rate_by_code(*, code: Any, rating: Any, comment: Any = "", client: str) -> Feedback:
    """Rate the result the holder of ``code`` follows: the item's own, or,
    for an item merged into another, that one's (one result, one rating).
    Returns the item ``code`` tracks."""
    item = feedback_for_code(code=code, client=client)
    primary = feedback_primary(item)
    try:
        feedback_rate(
            actor=PORTAL, feedback=primary, rating=rating, comment=comment, via=RatingVia.PORTAL
        )
    except Conflict as exc:
        if primary.pk != item.pk:
            raise Conflict(
                _("您的反映已与同类反映合并办理。%(reason)s") % {"reason": exc.message}
            ) from exc
        raise
    return item
