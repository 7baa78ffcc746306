"""Writes of the assessment app (政绩考核). The pages, the API, imports and
commands call these; each runs in one transaction with its audit event."""

from shiji.assessment.services.library import LoadResult, indicators_load
from shiji.assessment.services.measurements import (
    measurement_confirm,
    measurement_correct,
    measurement_enter,
)
from shiji.assessment.services.periods import period_lock
from shiji.assessment.services.targets import target_set

__all__ = [
    "LoadResult",
    "indicators_load",
    "measurement_confirm",
    "measurement_correct",
    "measurement_enter",
    "period_lock",
    "target_set",
]
