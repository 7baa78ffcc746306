from __future__ import annotations

from django.db import models
from django.db.models import Q, QuerySet

from shiji.audit.kinds import kinds_matching
from shiji.audit.models import AuditEvent
from shiji.audit.services import object_type_of
from shiji.core.validation import clean_search
from shiji.orgs import policy

SEARCH_LIMIT = 100


def timeline_for(obj: models.Model) -> QuerySet[AuditEvent]:
    """Every event about ``obj``, oldest first. Callers have already checked
    that the user may see ``obj``."""
    return AuditEvent.objects.filter(
        object_type=object_type_of(obj), object_id=str(obj.pk)
    ).order_by("id")


def events_visible_to(*, user: policy.Actor, q: str = "") -> QuerySet[AuditEvent]:
    """The audit log ``user`` may read, newest first, scoped like every other
    read: a zone grant sees its zone's events, an org-subtree grant only the
    events anchored in its subtree (``AuditEvent.org``), so nobody reads
    about records that are 404 for them. ``q`` searches the object, the
    actor and the kind's label in either language."""
    q_scope = policy.scope_q(user, "audit.view", zone="zone", org_path="org__path")
    if q_scope is None:
        return AuditEvent.objects.none()
    events = AuditEvent.objects.filter(q_scope).order_by("-id")
    term = clean_search(q, max_length=SEARCH_LIMIT)
    if term:
        events = events.filter(
            Q(object_repr__icontains=term)
            | Q(actor_label__icontains=term)
            | Q(action__in=[k.value for k in kinds_matching(term)])
        )
    return events
