"""Time limits of feedback (办理时限) in working days, and its traffic light.

Defaults are those of the issue (咨询 1, 求助 5, 投诉/建议/举报 10 working
days); a zone changes them in its feedback settings (``OutreachSettings``).
The light follows the ledger's meaning (red: past the limit and still
waiting on the zone; yellow: due within ``YELLOW_WORKING_DAYS``; green
otherwise) on a working-day scale, since a one-day limit is always "within
seven days".
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from shiji.core.lights import Light
from shiji.core.workdays import add_working_days
from shiji.outreach.models import Feedback, OutreachSettings
from shiji.outreach.workflow import PENDING

YELLOW_WORKING_DAYS = 1


def settings_for(zone_id: int) -> OutreachSettings:
    found, _created = OutreachSettings.objects.get_or_create(zone_id=zone_id)
    return found


def due_on(*, zone_id: int, kind: str, received: dt.date) -> dt.date:
    return add_working_days(received, settings_for(zone_id).limit_for(kind))


def light(item: Feedback, today: dt.date | None = None) -> Light | None:
    """None once the item no longer waits on the zone."""
    if item.status not in PENDING:
        return None
    today = today or timezone.localdate()
    if today > item.due_on:
        return Light.RED
    if add_working_days(today, YELLOW_WORKING_DAYS) >= item.due_on:
        return Light.YELLOW
    return Light.GREEN
