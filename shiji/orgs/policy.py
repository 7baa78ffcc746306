"""Who may do what, in one place.

``TABLE`` maps every action to the roles that may take it. A role grant gives
a role within a scope (all zones, a province, a zone, or an org subtree);
``can(user, action, obj)`` checks one record and ``scope_q`` builds the filter
that every selector applies, so the list pages, the API, exports and
downloads share the same rule. Every service checks with ``require``.

Whoever acts is a signed-in ``User`` or the explicit ``SystemActor`` of a
management command, the demo loader or a background job with no user behind
it. There is no third kind: ``None`` is refused (``TypeError``), so a
forgotten actor is a bug that shows, never a silent bypass.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from django.contrib.auth.models import AnonymousUser
from django.db.models import Model, Q, QuerySet
from django.utils.translation import gettext, gettext_lazy

from shiji.core.errors import Forbidden, NotFound
from shiji.core.i18n import recorded
from shiji.orgs.models import Organization, Role, RoleGrant, User, Zone

if TYPE_CHECKING:
    from django_stubs_ext import StrPromise

R = Role
ALL = frozenset(Role)
WRITE_ROLES = ALL - {R.VIEWER}

TABLE: dict[str, frozenset[str]] = {
    # Foundation
    "zone.view": ALL,
    "zone.manage": frozenset({R.SYSTEM_ADMIN}),
    "org.view": ALL,
    "org.manage": frozenset({R.SYSTEM_ADMIN, R.ZONE_ADMIN}),
    "person.view": ALL,
    "person.manage": frozenset({R.SYSTEM_ADMIN, R.ZONE_ADMIN, R.SECRETARY}),
    "roster.import": frozenset({R.SYSTEM_ADMIN, R.ZONE_ADMIN}),
    "user.view": frozenset({R.SYSTEM_ADMIN, R.ZONE_ADMIN}),
    "user.manage": frozenset({R.SYSTEM_ADMIN, R.ZONE_ADMIN}),
    "audit.view": frozenset({R.SYSTEM_ADMIN, R.ZONE_ADMIN, R.SUPERVISOR}),
    # Campaigns: presets are national; each zone adopts and configures its own copy.
    "campaign.manage": frozenset({R.SYSTEM_ADMIN}),
    "campaign.adopt": frozenset({R.SYSTEM_ADMIN, R.ZONE_ADMIN}),
    # Rectification ledger (DESIGN.md §4)
    "problem.view": ALL,
    "problem.create": WRITE_ROLES,
    "problem.edit": frozenset({R.SYSTEM_ADMIN, R.ZONE_ADMIN, R.SECRETARY, R.LIAISON}),
    "problem.review": frozenset({R.SYSTEM_ADMIN, R.ZONE_ADMIN, R.SUPERVISOR}),
    "problem.progress": frozenset({R.SYSTEM_ADMIN, R.ZONE_ADMIN, R.LEADER, R.SECRETARY, R.LIAISON}),
    "problem.evidence": frozenset({R.SYSTEM_ADMIN, R.ZONE_ADMIN, R.SECRETARY, R.LIAISON}),
    "problem.start": frozenset({R.SYSTEM_ADMIN, R.ZONE_ADMIN, R.SECRETARY, R.LIAISON}),
    "problem.submit": frozenset({R.SYSTEM_ADMIN, R.ZONE_ADMIN, R.LEADER, R.SECRETARY}),
    "problem.verify": frozenset({R.SYSTEM_ADMIN, R.ZONE_ADMIN, R.SUPERVISOR}),
    "problem.return": frozenset({R.SYSTEM_ADMIN, R.ZONE_ADMIN, R.SUPERVISOR}),
    "problem.reopen": frozenset({R.SYSTEM_ADMIN, R.ZONE_ADMIN, R.SUPERVISOR}),
    "problem.cancel": frozenset({R.SYSTEM_ADMIN, R.ZONE_ADMIN}),
    "problem.extend": frozenset({R.SYSTEM_ADMIN, R.ZONE_ADMIN, R.LEADER}),
    # Whose "to rectify" inbox a problem lands in (responsibility, not a permission).
    "problem.rectify": frozenset({R.LEADER, R.SECRETARY, R.LIAISON}),
    "ledger.export": ALL,
    "ledger.import": frozenset({R.SYSTEM_ADMIN, R.ZONE_ADMIN}),
    # Study and discussion (学习研讨): secretaries and liaisons record their
    # subtree's sessions, the zone's task force the whole zone's; others read.
    "study.view": ALL,
    "study.manage": frozenset({R.SYSTEM_ADMIN, R.ZONE_ADMIN, R.SECRETARY, R.LIAISON}),
    "study.export": ALL,
    # Campaign settings and the task list (任务清单): the 工作专班 configures and
    # reviews; each organization's secretary or liaison reports its own share.
    "campaign.view": ALL,
    "category.manage": frozenset({R.SYSTEM_ADMIN, R.ZONE_ADMIN}),
    "task.view": ALL,
    "task.manage": frozenset({R.SYSTEM_ADMIN, R.ZONE_ADMIN}),
    "task.report": frozenset({R.SECRETARY, R.LIAISON}),
    "task.review": frozenset({R.SYSTEM_ADMIN, R.ZONE_ADMIN}),
    "task.export": ALL,
    # Rule-making register (建章立制)
    "regulation.view": ALL,
    "regulation.edit": frozenset({R.SYSTEM_ADMIN, R.ZONE_ADMIN, R.SECRETARY, R.LIAISON}),
    "regulation.submit": frozenset({R.SYSTEM_ADMIN, R.ZONE_ADMIN, R.SECRETARY, R.LIAISON}),
    "regulation.issue": frozenset({R.SYSTEM_ADMIN, R.ZONE_ADMIN, R.SECRETARY}),
    "regulation.return": frozenset({R.SYSTEM_ADMIN, R.ZONE_ADMIN, R.SECRETARY}),
    "regulation.export": ALL,
    # Reports (统计报表): dashboards and the roll-up for everyone in their
    # scope; work updates (工作动态) written by organizations, approved by the
    # zone's task force, compiled into numbered bulletins (工作简报).
    "report.view": ALL,
    "report.export": ALL,
    "update.submit": frozenset({R.SYSTEM_ADMIN, R.ZONE_ADMIN, R.SECRETARY, R.LIAISON}),
    "update.approve": frozenset({R.SYSTEM_ADMIN, R.ZONE_ADMIN}),
    "bulletin.view": ALL,
    "bulletin.manage": frozenset({R.SYSTEM_ADMIN, R.ZONE_ADMIN}),
    # Open-door education (开门教育). Feedback without an organization is seen
    # by zone-level grants only; once forwarded (转办) the organization's
    # subtree sees it too. The zone admin may also name handlers and contact
    # viewers in the zone's feedback settings (outreach.access).
    "feedback.view": ALL,
    "feedback.handle": frozenset({R.SYSTEM_ADMIN, R.ZONE_ADMIN}),
    "feedback.answer": frozenset({R.SYSTEM_ADMIN, R.ZONE_ADMIN, R.SECRETARY, R.LIAISON}),
    "feedback.publish": frozenset({R.SYSTEM_ADMIN, R.ZONE_ADMIN}),
    "feedback.settings": frozenset({R.SYSTEM_ADMIN, R.ZONE_ADMIN}),
    # Whistleblower protection: the submitter's name and phone (zone admin by
    # default, never the system admin), and 举报 naming an official.
    "feedback.contact": frozenset({R.ZONE_ADMIN}),
    "feedback.restricted": frozenset({R.ZONE_ADMIN, R.SUPERVISOR}),
    "enterprise.view": ALL,
    "enterprise.manage": frozenset({R.SYSTEM_ADMIN, R.ZONE_ADMIN, R.SECRETARY, R.LIAISON}),
    "roundtable.view": ALL,
    "roundtable.manage": frozenset({R.SYSTEM_ADMIN, R.ZONE_ADMIN, R.SECRETARY, R.LIAISON}),
    "project.view": ALL,
    "project.manage": frozenset({R.SYSTEM_ADMIN, R.ZONE_ADMIN}),
    "project.progress": frozenset({R.SYSTEM_ADMIN, R.ZONE_ADMIN, R.LEADER, R.SECRETARY, R.LIAISON}),
    # Assessment (政绩考核): the indicator library is national; a zone's
    # figures are entered by its liaisons, secretaries or task force and
    # confirmed by the task force (never by whoever entered them).
    "assessment.view": ALL,
    "indicator.manage": frozenset({R.SYSTEM_ADMIN}),
    "target.manage": frozenset({R.SYSTEM_ADMIN, R.ZONE_ADMIN}),
    "measurement.enter": frozenset({R.SYSTEM_ADMIN, R.ZONE_ADMIN, R.SECRETARY, R.LIAISON}),
    "measurement.confirm": frozenset({R.SYSTEM_ADMIN, R.ZONE_ADMIN}),
    "measurement.correct": frozenset({R.SYSTEM_ADMIN, R.ZONE_ADMIN}),
    "assessment.export": ALL,
}


M = TypeVar("M", bound=Model)


# Who acts ------------------------------------------------------------------------


@dataclass(frozen=True)
class SystemActor:
    """The platform itself: ``source`` names what acted (``load_demo``,
    ``load_campaign``, a job), and the audit trail shows it as
    "系统（load_demo）". It may take every action, everywhere; it is not a
    user, so it owns no records (``user_of`` is None) and never counts as
    one of the people a four-eyes rule keeps apart."""

    source: str

    # Read by code that handles users and the system alike (the audit trail
    # stores no user for it; templates and sessions never see it).
    is_authenticated = False
    is_active = True
    pk = None

    def __str__(self) -> str:
        return recorded("系统（%(source)s）", source=self.source)  # the actor's label in the trail


def system(source: str) -> SystemActor:
    """The system actor for ``source``: ``policy.system("load_demo")``."""
    return SystemActor(source)


# Who acts on a service: a signed-in user, the system (commands, the demo
# loader, jobs), or a request's anonymous user, who may do nothing.
Actor = User | SystemActor | AnonymousUser


def is_system(actor: Actor) -> bool:
    return isinstance(actor, SystemActor)


def user_of(actor: Actor) -> User | None:
    """The account behind ``actor``, for "created by" columns; None for the system."""
    return actor if isinstance(actor, User) else None


def _check_actor(actor: Actor) -> None:
    # AnonymousUser passes (it then may do nothing); None and stray objects do not.
    if actor is None or not (is_system(actor) or hasattr(actor, "is_authenticated")):
        raise TypeError(
            f"actor must be a user or policy.system(...), not {actor!r}: "
            "there is no implicit system actor"
        )


def require(
    actor: Actor,
    action: str,
    obj: object = None,
    *,
    message: str | StrPromise | None = None,
    view: str | None = None,
    missing: str | StrPromise | None = None,
) -> None:
    """Raise unless ``actor`` may take ``action`` on ``obj``: the one check of
    every service.

    ``Forbidden`` (403) for a role that may not; with ``view``, an actor who may
    not even take that action on ``obj`` gets ``NotFound(missing)`` (404)
    instead, the same as for a record that does not exist.
    """
    if view is not None and not can(actor, view, obj):
        raise NotFound(missing or gettext("记录不存在"))
    if not can(actor, action, obj):
        raise Forbidden(message or gettext("您没有权限执行此操作"))


# Which scopes each role may be granted with (checked when granting).
ROLE_SCOPES: dict[str, frozenset[str]] = {
    R.SYSTEM_ADMIN: frozenset({"all"}),
    R.VIEWER: frozenset({"all", "province", "zone"}),
    R.ZONE_ADMIN: frozenset({"zone"}),
    R.LEADER: frozenset({"zone", "org"}),
    R.SECRETARY: frozenset({"org"}),
    R.LIAISON: frozenset({"org"}),
    R.SUPERVISOR: frozenset({"zone", "org"}),
}


# Roles that reach beyond one zone: only a system admin with an all-zones
# grant may give them (a zone admin grants only inside their own zone).
GLOBAL_ONLY_ROLES: frozenset[str] = frozenset({R.SYSTEM_ADMIN, R.VIEWER})


def is_global_admin(user: Actor) -> bool:
    """A system admin over all zones (a Django superuser counts as one, and so
    does the system itself)."""
    if is_system(user):
        return True
    return any(g.role == R.SYSTEM_ADMIN and grant_scope_kind(g) == "all" for g in grants_of(user))


# Four eyes ------------------------------------------------------------------------
# The second step of a piece of work is taken by someone who did not take the
# first. Each rule maps a step someone took to the refusal for them; callers
# gather who did what from the records (``did``: user id → steps) and ask
# ``four_eyes_refusal``. The system actor is nobody here: it never took a step.

VERIFY_PROBLEM: dict[str, StrPromise] = {
    # In the order a refusal names them.
    "owner": gettext_lazy("责任人不能审核销号自己负责的问题"),
    "submitter": gettext_lazy("提交人不能审核销号自己提交的问题"),
    "evidence": gettext_lazy("上传过本问题整改凭证的人不能审核销号本问题"),
    "progress": gettext_lazy("填写过本问题整改进展的人不能审核销号本问题"),
    "measures": gettext_lazy("修改过本问题整改措施的人不能审核销号本问题"),
}
ACCEPT_TASK_REPORT: dict[str, StrPromise] = {
    "reporter": gettext_lazy("报送人不能审核自己报送的任务"),
}
ISSUE_REGULATION: dict[str, StrPromise] = {
    "submitter": gettext_lazy("提交审议的人不能印发自己提交的制度，须由他人审定印发"),
    "drafter": gettext_lazy("起草人不能印发自己起草的制度，须由他人审定印发"),
}


def did_steps(pairs: Iterable[tuple[int | None, str]]) -> dict[int, set[str]]:
    """``{user id: steps}`` from (user id, step) pairs; records without a user
    (the system's, or a deleted account's) name nobody."""
    out: dict[int, set[str]] = {}
    for user_id, step in pairs:
        if user_id is not None:
            out.setdefault(user_id, set()).add(step)
    return out


def four_eyes_refusal(
    actor: Actor, did: dict[int, set[str]], rule: Mapping[str, str | StrPromise]
) -> str | StrPromise:
    """Why ``actor`` may not take the second step, given who took the first
    ones (``did``), or "" when they took none of the steps ``rule`` names."""
    user = user_of(actor)
    steps = did.get(user.pk, set()) if user is not None else set()
    return next((message for step, message in rule.items() if step in steps), "")


@dataclass(frozen=True)
class Independence:
    """May ``actor`` verify (销号) a problem? ``refusal``: no, they took part
    in its rectification. ``sponsored``: they may, but they created or gave
    roles to an account that took part (ids of those users), so the
    verification needs a written reason and is flagged for supervisors."""

    refusal: str | StrPromise = ""
    sponsored: tuple[int, ...] = ()

    @property
    def needs_reason(self) -> bool:
        return not self.refusal and bool(self.sponsored)


def verify_independence(
    actor: Actor, *, did: dict[int, set[str]], sponsored_by_actor: set[int]
) -> Independence:
    """The four-eyes rule of problem verification (DESIGN.md §4): the verifier
    never owned the problem, uploaded its evidence, wrote its progress, edited
    its measures or submitted it; and an account the verifier created or
    granted roles to counts as close to them, not as independent."""
    refusal = four_eyes_refusal(actor, did, VERIFY_PROBLEM)
    linked = tuple(sorted(uid for uid in did if uid in sponsored_by_actor))
    return Independence(refusal=refusal, sponsored=linked)


# The authority to grant roles -------------------------------------------------------
# A zone admin hands out and takes back roles inside the zones and subtrees
# where they manage accounts; what reaches beyond one zone (the system admin
# and viewer roles, grants over all zones or a province) only a system admin
# over all zones gives or takes away.


def grantable_roles(user: Actor) -> list[str]:
    """Role codes ``user`` may hand out, in the order of ``Role``."""
    return [r for r in Role.values if may_give_role(user, r)]


def may_give_role(actor: Actor, role: str) -> bool:
    if not can(actor, "user.manage"):
        return False
    return role not in GLOBAL_ONLY_ROLES or is_global_admin(actor)


def may_grant_in(actor: Actor, scope: Zone | Organization | None) -> bool:
    """May ``actor`` grant a role over ``scope`` (a zone or an org; None is all
    zones or a province)?"""
    if scope is None:
        return is_global_admin(actor)
    return can(actor, "user.manage", scope)


def may_revoke(actor: Actor, grant: RoleGrant) -> bool:
    """May ``actor`` take ``grant`` away? Only who could give it."""
    if grant.zone_id is None or grant.role in GLOBAL_ONLY_ROLES:
        return is_global_admin(actor)
    return can(actor, "user.manage", grant.org or grant.zone)


def account_edit_refusal(actor: Actor, user: User) -> str:
    """Why ``actor`` may not edit ``user`` (an account they can see), or "".

    A zone admin must not reset the password of an account that holds more
    than they could grant (a system admin, a viewer, a grant in another zone):
    that would let them sign in with powers they were never given.
    """
    if is_global_admin(actor):
        return ""
    if user.is_superuser:
        return gettext("该账号是超级管理员，只能由系统管理员修改")
    if any(not may_revoke(actor, g) for g in user.grants.select_related("zone", "org")):
        return gettext("该账号拥有超出您管理范围的角色，只能由系统管理员修改")
    return ""


def grant_scope_kind(grant: RoleGrant) -> str:
    if grant.org_id:
        return "org"
    if grant.zone_id:
        return "zone"
    if grant.province:
        return "province"
    return "all"


def grants_of(user: Actor) -> list[RoleGrant]:
    """The user's grants, loaded once per user object (i.e. once per request)."""
    # Only an account holds grants: not the system (can and scope_q let it do
    # everything before asking), not an anonymous visitor.
    if not isinstance(user, User) or not user.is_active:
        return []
    cached = getattr(user, "_shiji_grants", None)
    if cached is None:
        cached = list(RoleGrant.objects.filter(user=user).select_related("org", "zone"))
        if user.is_superuser:
            # A Django superuser acts as system admin (DESIGN.md §6).
            cached.append(RoleGrant(user=user, role=Role.SYSTEM_ADMIN))
        user._shiji_grants = cached
    return cached


def roles_of(user: Actor) -> set[str]:
    return {g.role for g in grants_of(user)}


def _grants_for(user: Actor, action: str) -> Iterable[RoleGrant]:
    allowed = TABLE[action]  # KeyError on a typo: an unknown action is a bug
    return (g for g in grants_of(user) if g.role in allowed)


def _org_path(grant: RoleGrant) -> str:
    # Only org-scoped grants get here (grant_scope_kind says "org" when the
    # grant names an org), so the org is there.
    org = grant.org
    if org is None:
        raise ValueError(f"grant {grant.pk} has no org")
    return org.path


def _covers(grant: RoleGrant, obj: object) -> bool:
    kind = grant_scope_kind(grant)
    if kind == "all":
        return True
    if kind == "province":
        return getattr(obj, "scope_province", None) == grant.province
    if getattr(obj, "scope_zone_id", None) != grant.zone_id:
        return False
    if kind == "zone":
        return True
    # Org subtree: a record without an org (the zone itself) is covered for the
    # zone's own grant holders; records with an org must sit under the grant's org.
    path = getattr(obj, "scope_org_path", None)
    return path is None or path.startswith(_org_path(grant))


def can(user: Actor, action: str, obj: object = None) -> bool:
    """May ``user`` take ``action`` on ``obj``? With no object: anywhere at all."""
    _check_actor(user)
    if is_system(user):
        TABLE[action]  # an unknown action is a bug for the system too
        return True
    grants = _grants_for(user, action)
    if obj is None:
        return any(True for _ in grants)
    return any(_covers(g, obj) for g in grants)


def scope_q(
    user: Actor,
    action: str,
    *,
    zone: str = "zone",
    org_path: str | None = "org__path",
    province: str | None = None,
) -> Q | None:
    """A filter for the records ``user`` may take ``action`` on.

    ``zone`` names the zone FK lookup of the model, ``org_path`` the lookup of
    its org's path (None for models without an org). Returns None when nothing
    is in scope, so callers can return ``.none()``.
    """
    if is_system(user):
        TABLE[action]
        return Q()
    province = province or f"{zone}__province"
    q: Q | None = None
    for grant in _grants_for(user, action):
        kind = grant_scope_kind(grant)
        if kind == "all":
            return Q()
        if kind == "province":
            part = Q(**{province: grant.province})
        elif kind == "zone" or org_path is None:
            part = Q(**{f"{zone}_id" if zone != "pk" else "pk": grant.zone_id})
        else:
            part = Q(**{f"{zone}_id": grant.zone_id, f"{org_path}__startswith": _org_path(grant)})
        q = part if q is None else q | part
    return q


def scoped(
    qs: QuerySet[M],
    user: Actor,
    action: str,
    *,
    zone: str = "zone",
    org_path: str | None = "org__path",
    province: str | None = None,
) -> QuerySet[M]:
    """``qs`` narrowed to what ``user`` may take ``action`` on (the lookups as
    for ``scope_q``)."""
    q = scope_q(user, action, zone=zone, org_path=org_path, province=province)
    return qs.none() if q is None else qs.filter(q)


def zone_ids_for(user: Actor, action: str) -> set[int] | None:
    """Zones where ``user`` may take ``action`` somewhere; None means all zones."""
    # Memoized per user object, like the grants it derives from: a page's
    # to-do groups and panels ask the same question several times.
    memo: dict[str, set[int] | None] | None = getattr(user, "_shiji_zone_ids", None)
    if memo is not None and action in memo:
        found = memo[action]
        return None if found is None else set(found)
    q = scope_q(user, action, zone="pk", org_path=None, province="province")
    if q is None:
        return set()
    result = None if not q else set(Zone.objects.filter(q).values_list("pk", flat=True))
    if isinstance(user, User):
        if memo is None:
            memo = user._shiji_zone_ids = {}  # type: ignore[attr-defined]
        memo[action] = result
    return None if result is None else set(result)
