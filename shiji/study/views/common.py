"""What every study page needs: the session or org in the user's sight,
the orgs they may record for, and a date typed into a filter."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _

from shiji.core.errors import Forbidden
from shiji.core.validation import parse_id
from shiji.orgs import policy
from shiji.orgs.models import Organization
from shiji.orgs.selectors import org_options, orgs_visible_to
from shiji.study import selectors
from shiji.study.models import StudySession


def session_for(request: HttpRequest, pk: Any, action: str = "study.view") -> StudySession:
    # Another zone's session is a 404, like a missing one.
    return selectors.session_get_for_user(user=request.user, pk=pk, action=action)


def managed_session(request: HttpRequest, pk: Any) -> StudySession:
    """A session the user may change: invisible is 404, read-only is 403."""
    session = session_for(request, pk)
    if not policy.can(request.user, "study.manage", session):
        raise Forbidden(_("您没有权限修改本单位的学习研讨记录"))
    return session


def manageable_orgs(user: Any) -> list[Organization]:
    """The orgs the user may record sessions (and define groups) for."""
    return list(orgs_visible_to(user=user, action="study.manage").order_by("zone__code", "path"))


def chosen_org(orgs: list[Organization], raw: Any) -> Organization:
    """The org a form asks for among ``orgs``, else the first."""
    wanted = parse_id(raw)
    return next((o for o in orgs if o.pk == wanted), orgs[0])


def org_select(user: Any, org: Organization, *, movable: bool) -> list[tuple[int, str]]:
    """The org select of a form: a new record may go to any org of ``org``'s
    zone the user records for (indented like every org select); an existing
    one stays with its org."""
    if not movable:
        return [(org.pk, org.name)]
    return org_options(user=user, zone=org.zone, action="study.manage")


def parse_date(raw: str) -> dt.date | None:
    """A filter's date; anything unreadable is no filter."""
    try:
        return dt.date.fromisoformat(raw.strip()) if raw and raw.strip() else None
    except ValueError:
        return None
