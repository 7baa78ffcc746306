from __future__ import annotations

from django.db import models
from django.db.models import QuerySet

from shiji.audit.models import AuditEvent
from shiji.audit.services import object_type_of


def timeline_for(obj: models.Model) -> QuerySet[AuditEvent]:
    """Every event about ``obj``, oldest first. Callers have already checked
    that the user may see ``obj``."""
    return AuditEvent.objects.filter(
        object_type=object_type_of(obj), object_id=str(obj.pk)
    ).select_related("actor")


def timeline_for_many(object_type: str, ids: list) -> QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(
        object_type=object_type, object_id__in=[str(i) for i in ids]
    ).select_related("actor")
