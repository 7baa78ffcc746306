"""Scope anchors: what ``orgs.policy`` reads from a record to decide whether a
grant covers it. Tenant models mix in one of these instead of each writing
the same three properties."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from shiji.orgs.models import Organization, Zone


class ZoneScoped:
    """A record that belongs to a zone as a whole (``zone`` FK)."""

    if TYPE_CHECKING:  # the model's fields, for the type checker
        zone_id: int
        zone: Zone

    scope_org_path: str | None = None

    @property
    def scope_zone_id(self) -> int:
        return self.zone_id

    @property
    def scope_province(self) -> str:
        return self.zone.province


class OrgScoped(ZoneScoped):
    """A record that belongs to an organization (``zone`` and ``org`` FKs):
    org-subtree grants cover it when the org is in their subtree."""

    if TYPE_CHECKING:  # the model's field, for the type checker
        org: Organization

    @property
    def scope_org_path(self) -> str:  # type: ignore[override]
        return self.org.path
