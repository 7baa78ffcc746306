"""What a tracking code may show (DESIGN.md §6, ``GET /api/v1/public/feedback/{code}``).

The code is the only key: there is no account, so whoever holds it sees the
item's status, its public steps, the published reply and whether its result
may be rated, and nothing else: never the name or phone, the official a 举报
names, the organization's internal notes, drafts or the problem's own record.

Finding an item by code costs the same for a right code, a wrong one and a
malformed one (one indexed query by hash every time), so neither the answer
nor its timing tells a guesser anything.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Q

from shiji.core.validation import clean_search, parse_id
from shiji.ledger.models import Review
from shiji.orgs.models import Zone
from shiji.outreach import codes
from shiji.outreach.models import Feedback, FeedbackStep, Kind, Status
from shiji.outreach.services.rating import feedback_can_rate, feedback_latest_rating
from shiji.outreach.workflow import PUBLIC_LABELS

# Longer than any code anyone types, dashes and spaces included.
CODE_INPUT_MAX = 64
# Merges form a chain at most this long (an item merged into one merged later).
_MERGE_HOPS = 10
# A hash no code has: what a malformed code is looked up by.
_NO_CODE = "0" * 64


def feedback_by_code(code: Any) -> Feedback | None:
    """The item ``code`` tracks, or None (malformed or unknown alike)."""
    text = code[:CODE_INPUT_MAX] if isinstance(code, str) else ""
    good = codes.well_formed(text)
    digest = codes.code_hash(text) if good else _NO_CODE
    item = (
        Feedback.objects.select_related("zone", "merged_into", "problem")
        .filter(code_hash=digest)
        .first()
    )
    return item if good else None


def feedback_primary(item: Feedback) -> Feedback:
    """The item whose handling ``item``'s submitter follows: itself, or the
    one it was merged into (following a chain of merges)."""
    current = item
    for _hop in range(_MERGE_HOPS):
        if current.status != Status.MERGED or current.merged_into_id is None:
            return current
        current = Feedback.objects.select_related("zone", "merged_into", "problem").get(
            pk=current.merged_into_id
        )
    return current


def _label(action: str) -> str | None:
    """The fixed text the submitter sees for a move (workflow.PUBLIC_LABELS,
    in the page's language), or None for a move that has none. Derived from
    the move, never read from the step row: whatever a step stores (a label
    written in the language of the staff member's page, or anything else)
    cannot reach the public page; a step's note is internal and never shown."""
    label = PUBLIC_LABELS.get(action)
    return str(label) if label is not None else None


@dataclass(frozen=True)
class _Step:
    at: dt.datetime
    label: str
    action: str


def _public_steps(item: Feedback, **filters: Any) -> list[_Step]:
    # A non-empty public_label marks the step as public; its text is not used.
    rows = (
        FeedbackStep.objects.filter(feedback=item, **filters)
        .exclude(public_label="")
        .values_list("at", "action")
    )
    return [_Step(at, label, action) for at, action in rows if (label := _label(action))]


def _steps(item: Feedback, primary: Feedback) -> list[_Step]:
    steps = _public_steps(item)
    if primary.pk != item.pk:
        merged_at = max((s.at for s in steps if s.action == "merge"), default=item.updated_at)
        steps += [
            s
            for s in _public_steps(primary, at__gte=merged_at)
            if s.action not in ("submit", "merge")
        ]
    if primary.problem_id is not None:
        # The ledger knows nothing of feedback: each verification of the
        # linked problem is a result the submitter sees here.
        verified = Review.objects.filter(problem_id=primary.problem_id, action="verify")
        since = min((s.at for s in steps if s.action == "to_problem"), default=None)
        if since is not None:
            verified = verified.filter(created_at__gte=since)
        label = str(PUBLIC_LABELS["problem_closed"])
        steps += [
            _Step(at, label, "problem_closed")
            for at in verified.values_list("created_at", flat=True)
        ]
    steps.sort(key=lambda s: s.at)
    return steps


def public_status(item: Feedback) -> dict[str, Any]:
    """What the holder of ``item``'s code sees. A merged item shows the
    progress of the item it went into (its status, steps, reply and result),
    which is also where its rating goes."""
    primary = feedback_primary(item)
    rating = feedback_latest_rating(primary)
    status = Status(primary.status)
    return {
        "status": status.value,
        "status_label": str(status.label),
        "kind": item.kind,
        "kind_label": str(Kind(item.kind).label),
        "zone": item.zone_id,
        "zone_name": item.zone.name,
        "created_at": item.received_at,
        "steps": [{"at": s.at, "label": s.label} for s in _steps(item, primary)],
        "reply": primary.reply or None,
        "decline_reason": primary.decline_reason
        if primary.status == Status.DECLINED and primary.decline_reason
        else None,
        "merged": primary.pk != item.pk,
        "can_rate": feedback_can_rate(primary),
        "rating": rating.rating if rating is not None else None,
        "rating_label": str(rating.get_rating_display()) if rating is not None else None,
    }


def public_zone(value: Any) -> Zone | None:
    """The zone a member of the public names: by its code (as in the QR
    code's link, any case) or by its id; None for anything else."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return Zone.objects.filter(pk=parse_id(value)).first()
    text = str(value).replace("\x00", "").strip()[:32]
    if not text:
        return None
    if text.isdigit():
        return Zone.objects.filter(pk=parse_id(text)).first()
    return Zone.objects.filter(code__iexact=text).first()


def public_zone_by_code(code: str) -> Zone | None:
    """The zone of a portal link (``/p/<code>/``)."""
    return Zone.objects.filter(code__iexact=str(code)[:32]).first()


def public_zones(q: Any = "") -> list[Zone]:
    """The zones a member of the public picks from, searched by name."""
    term = clean_search(q, max_length=50)
    zones = Zone.objects.order_by("province", "name")
    if term:
        zones = zones.filter(
            Q(name__icontains=term) | Q(short_name__icontains=term) | Q(city__icontains=term)
        )
    return list(zones.only("pk", "code", "name", "short_name", "province", "city")[:200])
