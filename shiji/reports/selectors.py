"""Scoped reads of work updates and bulletins.

Who sees what: an update that is not yet approved is seen by those who may
submit or approve updates where it belongs (its organization's subtree, the
zone's task force); an approved one by everyone in its scope. An issued
bulletin is seen by everyone in its series' zone (or province, or all
zones); an issued national bulletin by every signed-in user; a draft only by
those who may compile the series.
"""

from __future__ import annotations

import functools
import operator
from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.utils.translation import gettext

from shiji.core.errors import NotFound
from shiji.core.validation import clean_search, parse_id
from shiji.orgs import policy
from shiji.reports.models import (
    Bulletin,
    BulletinItem,
    BulletinSeries,
    BulletinStatus,
    UpdatePhoto,
    UpdateStatus,
    WorkUpdate,
)


def _any(parts: list[Q | None]) -> Q | None:
    """Either of the filters (None: nothing in scope). An empty ``Q`` (all
    records, from a grant over all zones) wins: Django drops an empty ``Q``
    from ``q | Q()``, which would narrow "everything" to ``q``."""
    found = [q for q in parts if q is not None]
    if any(not q for q in found):
        return Q()
    return functools.reduce(operator.or_, found) if found else None


def _all(q: Q, scope: Q | None) -> Q | None:
    """``q`` within ``scope`` (None: nothing in scope; empty: no narrowing)."""
    if scope is None:
        return None
    return q & scope if scope else q


def updates_visible_to(*, user: policy.Actor) -> QuerySet[WorkUpdate]:
    approved = policy.scope_q(user, "bulletin.view")
    q = _any(
        [
            policy.scope_q(user, "update.submit"),
            policy.scope_q(user, "update.approve"),
            _all(Q(status=UpdateStatus.APPROVED), approved),
        ]
    )
    qs = WorkUpdate.objects.select_related("zone", "org")
    return qs.none() if q is None else qs.filter(q)


def update_get_for_user(*, user: policy.Actor, pk: Any) -> WorkUpdate:
    found = (
        updates_visible_to(user=user)
        .prefetch_related(Prefetch("photos", queryset=UpdatePhoto.objects.order_by("pk")))
        .filter(pk=parse_id(pk))
        .first()
    )
    if found is None:
        raise NotFound(gettext("工作动态不存在"))
    return found


def update_filter(qs: QuerySet[WorkUpdate], params: dict[str, Any]) -> QuerySet[WorkUpdate]:
    """The list's filters. Unknown values match nothing."""
    if params.get("zone"):
        qs = qs.filter(zone_id=parse_id(params["zone"]))
    if params.get("status"):
        qs = qs.filter(status=str(params["status"]))
    if params.get("q"):
        term = clean_search(params["q"])
        qs = qs.filter(Q(title__icontains=term) | Q(body__icontains=term))
    return qs.order_by("-happened_on", "-pk")


def update_photo_get(*, update: WorkUpdate, pk: Any) -> UpdatePhoto:
    """A photo of ``update`` (which the caller got through a scoped selector)."""
    found = update.photos.filter(pk=parse_id(pk)).first()
    if found is None:
        raise NotFound(gettext("图片不存在"))
    return found


# Bulletins ---------------------------------------------------------------------------


def _series_q(user: policy.Actor, action: str, prefix: str = "") -> Q | None:
    return policy.scope_q(user, action, zone=f"{prefix}zone", org_path=None)


def series_managed_by(*, user: policy.Actor) -> QuerySet[BulletinSeries]:
    """The series ``user`` may compile bulletins in (the national one only
    for grants over all zones)."""
    q = _series_q(user, "bulletin.manage")
    qs = BulletinSeries.objects.select_related("zone").order_by("zone__code", "title")
    return qs.none() if q is None else qs.filter(q)


def series_visible_to(*, user: policy.Actor) -> QuerySet[BulletinSeries]:
    """Series whose issued bulletins ``user`` reads: their zone's, and the
    national one for anyone with a role."""
    if not policy.can(user, "bulletin.view"):
        return BulletinSeries.objects.none()
    q = _any([Q(zone__isnull=True), _series_q(user, "bulletin.view")])
    return BulletinSeries.objects.select_related("zone").filter(q).order_by("zone__code", "title")


def series_get_for_user(*, user: policy.Actor, pk: Any) -> BulletinSeries:
    found = series_visible_to(user=user).filter(pk=parse_id(pk)).first()
    if found is None:
        raise NotFound(gettext("简报系列不存在"))
    return found


def bulletins_visible_to(*, user: policy.Actor) -> QuerySet[Bulletin]:
    issued = _any([Q(series__zone__isnull=True), _series_q(user, "bulletin.view", "series__")])
    q = _any(
        [
            _all(Q(status=BulletinStatus.ISSUED), issued),
            _series_q(user, "bulletin.manage", "series__"),
        ]
    )
    if not policy.can(user, "bulletin.view"):
        return Bulletin.objects.none()  # an account with no role sees nothing at all
    return Bulletin.objects.select_related("series__zone").filter(q)


def bulletins_issued_visible_to(*, user: policy.Actor) -> QuerySet[Bulletin]:
    """What ``GET /api/v1/bulletins`` lists: issued bulletins, newest first."""
    return (
        bulletins_visible_to(user=user)
        .filter(status=BulletinStatus.ISSUED)
        .order_by("-issued_on", "series__title", "-number")
    )


def bulletin_get_for_user(*, user: policy.Actor, pk: Any) -> Bulletin:
    found = bulletins_visible_to(user=user).filter(pk=parse_id(pk)).first()
    if found is None:
        raise NotFound(gettext("简报不存在"))
    return found


def bulletin_items(*, bulletin: Bulletin) -> list[BulletinItem]:
    """The entries in order, each with its update's zone and photos (three
    queries however many entries)."""
    return list(
        bulletin.items.select_related("update__zone", "update__org")
        .prefetch_related(Prefetch("update__photos", queryset=UpdatePhoto.objects.order_by("pk")))
        .order_by("position", "pk")
    )


def updates_for_bulletin(*, user: policy.Actor, bulletin: Bulletin) -> QuerySet[WorkUpdate]:
    """Approved updates ``user`` can see that may go into ``bulletin``: of the
    series' zone (any zone for the national series), not already in it."""
    qs = updates_visible_to(user=user).filter(status=UpdateStatus.APPROVED)
    if bulletin.series.zone_id is not None:
        qs = qs.filter(zone_id=bulletin.series.zone_id)
    return qs.exclude(bulletin_items__bulletin=bulletin).order_by("-happened_on", "-pk")


def used_in(*, updates: list[WorkUpdate]) -> dict[int, list[Bulletin]]:
    """The issued bulletins each update went into (one query)."""
    out: dict[int, list[Bulletin]] = {u.pk: [] for u in updates}
    items = (
        BulletinItem.objects.filter(update_id__in=list(out), bulletin__status=BulletinStatus.ISSUED)
        .select_related("bulletin__series")
        .order_by("bulletin__issued_on", "bulletin__number")
    )
    for item in items:
        out[item.update_id].append(item.bulletin)
    return out
