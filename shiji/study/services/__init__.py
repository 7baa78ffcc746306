"""Writes to study and discussion (学习研讨). The pages, the API, the sign-in
sheet import and the demo loader all call these; each runs in one
transaction with its audit event. One module per concern:

- ``sessions``: sessions, their expected attendees and attendance;
- ``groups``: saved attendee groups (常用参会名单);
- ``files``: materials and speeches.

Callers import from ``shiji.study.services``.
"""

from shiji.study.services.files import material_add, speech_add
from shiji.study.services.groups import (
    GROUP_NAME_LIMIT,
    GROUP_SIZE_LIMIT,
    group_create,
    group_set_active,
    group_update,
)
from shiji.study.services.sessions import (
    ATTENDEE_LABELS,
    FILE_KINDS,
    MAX_HOURS,
    REASON_LIMIT,
    REFUSED,
    SESSION_FIELDS,
    TEXT_LIMIT,
    Attendees,
    Mark,
    attendance_clean,
    attendees_resolve,
    clean_hours,
    session_create,
    session_set_attendance,
    session_update,
    zone_study_kinds,
)

__all__ = [
    "ATTENDEE_LABELS",
    "FILE_KINDS",
    "GROUP_NAME_LIMIT",
    "GROUP_SIZE_LIMIT",
    "MAX_HOURS",
    "REASON_LIMIT",
    "REFUSED",
    "SESSION_FIELDS",
    "TEXT_LIMIT",
    "Attendees",
    "Mark",
    "attendance_clean",
    "attendees_resolve",
    "clean_hours",
    "group_create",
    "group_set_active",
    "group_update",
    "material_add",
    "session_create",
    "session_set_attendance",
    "session_update",
    "speech_add",
    "zone_study_kinds",
]
