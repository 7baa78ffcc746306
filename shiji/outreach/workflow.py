"""The moves a feedback item may make, in one table (DESIGN.md §6 names the
actions of ``POST /api/v1/feedback/{id}/actions``).

```
received ──accept──▶ accepted ──forward──▶ forwarded
   │                    │  ▲                  │
   │ decline            │  └─(unsatisfied)─┐  │ reply (draft, by the org)
   ▼                    ├──reply──▶ reply_pending ──publish_reply──▶ answered
declined                │                                           │
                        └──to_problem──▶ in_ledger ◀────────────────┘ (to_problem)
received/accepted/forwarded ──merge──▶ merged (into another item)
```

A reply is drafted (by the zone's handlers or the organization it was
forwarded to) and published only after the zone admin's review. 不满意 with
an answered item sends it back to ``accepted`` for another round; with an
item in the ledger it reopens the problem (the item stays ``in_ledger``).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy, override, pgettext_lazy

from shiji.core.i18n import CHINESE
from shiji.core.workflow import Move
from shiji.outreach.models import Status as S

OPEN = frozenset({S.RECEIVED, S.ACCEPTED, S.FORWARDED})
HANDLING = frozenset({S.ACCEPTED, S.FORWARDED})

MOVES: dict[str, Move] = {
    m.action: m
    for m in (
        Move(
            "accept", gettext_lazy("受理"), frozenset({S.RECEIVED}), S.ACCEPTED, "feedback.handle"
        ),
        Move(
            "decline",
            # The button; the status of the same words is "Declined".
            pgettext_lazy("feedback action", "不予受理"),
            frozenset({S.RECEIVED}),
            S.DECLINED,
            "feedback.handle",
            needs_note=True,
            note_label=gettext_lazy("不予受理理由"),
        ),
        Move(
            "forward",
            gettext_lazy("转办"),
            HANDLING,
            S.FORWARDED,
            "feedback.handle",
        ),
        Move(
            "reply",
            gettext_lazy("拟写答复"),
            HANDLING | {S.REPLY_PENDING},
            S.REPLY_PENDING,
            "feedback.answer",
        ),
        Move(
            "publish_reply",
            gettext_lazy("审核并发布答复"),
            frozenset({S.REPLY_PENDING}),
            S.ANSWERED,
            "feedback.publish",
        ),
        Move(
            "to_problem",
            gettext_lazy("转入整改台账"),
            HANDLING | {S.ANSWERED},
            S.IN_LEDGER,
            "feedback.handle",
        ),
        Move("merge", gettext_lazy("合并"), OPEN, S.MERGED, "feedback.handle"),
    )
}

# The statuses in which an item still waits on the zone (its time limit runs).
PENDING = frozenset({S.RECEIVED, S.ACCEPTED, S.FORWARDED, S.REPLY_PENDING})

# What the submitter sees for each move on the tracking page.
PUBLIC_LABELS = {
    "submit": gettext_lazy("已提交，等待受理"),
    "accept": gettext_lazy("已受理"),
    "decline": gettext_lazy("不予受理"),
    "forward": gettext_lazy("已转交承办单位办理"),
    "publish_reply": gettext_lazy("已答复"),
    "to_problem": gettext_lazy("已列入问题整改台账"),
    "merge": gettext_lazy("已与同类反映合并办理"),
    "problem_closed": gettext_lazy("整改完成，请评价"),
    "rate": gettext_lazy("已评价"),
    "reopen": gettext_lazy("评价不满意，重新整改"),
    "escalate": gettext_lazy("提级督办"),
}


def stored_label(action: str) -> str:
    """The public label stored with a step of ``action`` ("" for an internal
    step): Chinese like everything the database holds, whatever the language
    of the request that made the move; pages translate it when they show it."""
    label = PUBLIC_LABELS.get(action)
    if label is None:
        return ""
    with override(CHINESE):
        return str(label)
