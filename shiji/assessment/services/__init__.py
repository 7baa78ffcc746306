"""Writes of the assessment app (政绩考核). The pages, the API, imports and
commands call these; each runs in one transaction with its audit event."""

from shiji.assessment.services.library import LoadResult, indicators_load

__all__ = ["LoadResult", "indicators_load"]
