"""Writes for zones, organizations, people and accounts. Each runs in one
transaction and records its audit event there."""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import secrets
from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate, password_validation
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import F, Max, Q, Value
from django.db.models.functions import Concat, Lower, Substr
from django.utils import timezone

from shiji.audit.kinds import EventKind
from shiji.audit.services import audit_record, created, diff, snapshot
from shiji.core.errors import AppError, Forbidden, Invalid, NotFound, invalid
from shiji.core.validation import clean_choice, clean_text, parse_id
from shiji.orgs import policy
from shiji.orgs.models import (
    ApiToken,
    LoginThrottle,
    Organization,
    OrgKind,
    Person,
    Role,
    RoleGrant,
    Sector,
    User,
    Zone,
)
from shiji.orgs.usernames import USERNAME_RULE, login_key, normalize_username, validate_username

ZONE_FIELDS = ["code", "name", "short_name", "province", "city", "is_sample"]
ORG_FIELDS = ["name", "parent", "kind", "sector", "is_sample"]
PERSON_FIELDS = ["name", "org", "position", "is_party_member", "phone", "is_active", "user"]
USER_FIELDS = ["username", "name", "email", "zone", "is_active"]


# Zones -----------------------------------------------------------------------


@transaction.atomic
def zone_create(
    *,
    actor: policy.Actor,
    code: str,
    name: str,
    short_name: str,
    province: str,
    city: str,
    is_sample: bool = False,
) -> Zone:
    policy.require(actor, "zone.manage")
    zone = Zone(
        code=clean_text(code, field="code", label="代码", max_length=16).lower(),
        name=clean_text(name, field="name", label="名称", max_length=100),
        short_name=clean_text(short_name, field="short_name", label="简称", max_length=30),
        province=clean_text(province, field="province", label="省份", max_length=20),
        city=clean_text(city, field="city", label="城市", max_length=30),
        is_sample=is_sample,
    )
    if Zone.objects.filter(code=zone.code).exists():
        raise invalid(code="该代码已被使用")
    if Zone.objects.filter(name=zone.name).exists():
        raise invalid(name="该名称已被使用")
    zone.save()
    audit_record(
        actor=actor, action=EventKind.ZONE_CREATE, obj=zone, changes=created(zone, ZONE_FIELDS)
    )
    return zone


# Organizations ----------------------------------------------------------------


def _set_path(org: Organization) -> None:
    parent_path = org.parent.path if org.parent_id else ""
    org.path = f"{parent_path}{org.pk:08d}."
    org.depth = parent_path.count(".")


def _check_org_name(zone: Zone, name: str, exclude_pk: int | None = None) -> None:
    qs = Organization.objects.filter(zone=zone, name=name)
    if exclude_pk:
        qs = qs.exclude(pk=exclude_pk)
    if qs.exists():
        raise invalid(name=f"本区已有名为“{name}”的组织")


@transaction.atomic
def org_create(
    *,
    actor: policy.Actor,
    zone: Zone,
    parent: Organization | None,
    name: str,
    kind: str,
    sector: str,
    is_sample: bool = False,
) -> Organization:
    if parent is not None and parent.zone_id != zone.pk:
        raise NotFound("上级组织不存在")
    policy.require(actor, "org.manage", parent or zone)
    org = Organization(
        zone=zone,
        parent=parent,
        name=clean_text(name, field="name", label="组织名称", max_length=100),
        kind=clean_choice(kind, field="kind", label="组织类型", choices=OrgKind),
        sector=clean_choice(sector, field="sector", label="领域", choices=Sector),
        is_sample=is_sample,
    )
    _check_org_name(zone, org.name)
    org.save()
    _set_path(org)
    org.save(update_fields=["path", "depth"])
    audit_record(
        actor=actor, action=EventKind.ORG_CREATE, obj=org, changes=created(org, ORG_FIELDS)
    )
    return org


@transaction.atomic
def org_update(*, actor: policy.Actor, org: Organization, **fields: Any) -> Organization:
    """Rename, reclassify or move an org (with its subtree)."""
    org = Organization.objects.select_for_update().select_related("zone").get(pk=org.pk)
    policy.require(actor, "org.manage", org)
    before = snapshot(org, ORG_FIELDS)
    if "name" in fields:
        org.name = clean_text(fields["name"], field="name", label="组织名称", max_length=100)
        _check_org_name(org.zone, org.name, exclude_pk=org.pk)
    if "kind" in fields:
        org.kind = clean_choice(fields["kind"], field="kind", label="组织类型", choices=OrgKind)
    if "sector" in fields:
        org.sector = clean_choice(fields["sector"], field="sector", label="领域", choices=Sector)
    old_path = org.path
    if "parent" in fields:
        parent = fields["parent"]
        if parent is not None:
            if parent.zone_id != org.zone_id:
                raise NotFound("上级组织不存在")
            if parent.path.startswith(org.path):
                raise invalid(parent="不能把组织移到它自己或其下级组织之下")
            policy.require(actor, "org.manage", parent)
        org.parent = parent
        _set_path(org)
    changes = diff(before, snapshot(org, ORG_FIELDS))
    if not changes:
        return org
    org.save(update_fields=["name", "kind", "sector", "parent", "path", "depth"])
    if org.path != old_path:
        # Re-root the subtree's paths in one statement.
        descendants = Organization.objects.filter(zone=org.zone, path__startswith=old_path).exclude(
            pk=org.pk
        )
        shift = org.depth - old_path.count(".") + 1
        descendants.update(
            path=Concat(Value(org.path), Substr("path", len(old_path) + 1)),
            depth=F("depth") + shift,
        )
    audit_record(actor=actor, action=EventKind.ORG_UPDATE, obj=org, changes=changes)
    return org


# People ------------------------------------------------------------------------


def _person_values(fields: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "name" in fields:
        out["name"] = clean_text(fields["name"], field="name", label="姓名", max_length=50)
    if "position" in fields:
        out["position"] = clean_text(
            fields["position"], field="position", label="职务", max_length=100, required=False
        )
    if "phone" in fields:
        out["phone"] = clean_text(
            fields["phone"], field="phone", label="联系电话", max_length=30, required=False
        )
    for flag in ("is_party_member", "is_active"):
        if flag in fields:
            out[flag] = bool(fields[flag])
    return out


@transaction.atomic
def person_create(
    *,
    actor: policy.Actor,
    org: Organization,
    name: str,
    position: str = "",
    is_party_member: bool = True,
    phone: str = "",
    user: User | None = None,
    is_sample: bool = False,
) -> Person:
    policy.require(actor, "person.manage", org)
    values = _person_values(
        {"name": name, "position": position, "phone": phone, "is_party_member": is_party_member}
    )
    if Person.objects.filter(org=org, name=values["name"]).exists():
        raise invalid(name=f"“{org.name}”已有名为“{values['name']}”的人员")
    person = Person.objects.create(
        zone_id=org.zone_id, org=org, user=user, is_sample=is_sample, **values
    )
    audit_record(
        actor=actor,
        action=EventKind.PERSON_CREATE,
        obj=person,
        changes=created(person, PERSON_FIELDS),
    )
    return person


@transaction.atomic
def person_update(*, actor: policy.Actor, person: Person, **fields: Any) -> Person:
    person = Person.objects.select_for_update().select_related("org").get(pk=person.pk)
    policy.require(actor, "person.manage", person)
    before = snapshot(person, PERSON_FIELDS)
    for key, value in _person_values(fields).items():
        setattr(person, key, value)
    if "org" in fields and fields["org"].pk != person.org_id:
        new_org = fields["org"]
        if new_org.zone_id != person.zone_id:
            raise NotFound("组织不存在")
        policy.require(actor, "person.manage", new_org)
        person.org = new_org
    if Person.objects.filter(org=person.org, name=person.name).exclude(pk=person.pk).exists():
        raise invalid(name=f"“{person.org.name}”已有名为“{person.name}”的人员")
    changes = diff(before, snapshot(person, PERSON_FIELDS))
    if changes:
        person.save(update_fields=[f for f in PERSON_FIELDS if f in changes])
        audit_record(actor=actor, action=EventKind.PERSON_UPDATE, obj=person, changes=changes)
    return person


# Accounts ------------------------------------------------------------------------

SCOPE_KIND_LABELS = {
    "all": "全部高新区",
    "province": "一个省份",
    "zone": "一个高新区",
    "org": "一个组织",
}


def _grant_key(grant: RoleGrant) -> tuple:
    return (grant.role, grant.province, grant.zone_id, grant.org_id)


def _grant_from_spec(actor: policy.Actor, spec: dict[str, Any], index: int) -> RoleGrant:
    """Validate one ``{role, zone?, org?, province?}`` and check the actor may give it.

    The order matters: a zone or org the actor cannot manage is "not found"
    (404) before anything else is said about it, so replies never reveal what
    exists in another zone.
    """
    field = f"grants[{index}]"
    role = spec.get("role")
    if not isinstance(role, str) or role not in Role.values:
        raise invalid(**{f"{field}.role": f"未知角色：{str(role)[:30]}"})
    label = Role(role).label
    if not policy.may_give_role(actor, role):
        message = f"只有系统管理员可以授予“{label}”角色"
        raise Forbidden(message, fields={f"{field}.role": message})
    province = clean_text(
        spec.get("province") or "",
        field=f"{field}.province",
        label="省份",
        max_length=20,
        required=False,
    )
    zone = org = None
    org_pk, zone_pk = spec.get("org"), spec.get("zone")
    if org_pk not in (None, ""):
        org = Organization.objects.select_related("zone").filter(pk=parse_id(org_pk)).first()
        if org is None or not policy.may_grant_in(actor, org):
            raise NotFound("组织不存在", fields={f"{field}.org": "组织不存在"})
        zone = org.zone
    elif zone_pk not in (None, ""):
        zone = Zone.objects.filter(pk=parse_id(zone_pk)).first()
        if zone is None or not policy.may_grant_in(actor, zone):
            raise NotFound("高新区不存在", fields={f"{field}.zone": "高新区不存在"})
    elif not policy.may_grant_in(actor, None):
        message = "只有系统管理员可以授予全国或省级范围的角色"
        raise Forbidden(message, fields={f"{field}.zone": message})
    if org is not None and zone_pk not in (None, "") and parse_id(zone_pk) != zone.pk:
        raise invalid(**{f"{field}.org": "组织不在所选高新区内"})
    grant = RoleGrant(role=role, zone=zone, org=org, province="" if zone else province)
    kind = policy.grant_scope_kind(grant)
    if kind not in policy.ROLE_SCOPES[role]:
        allowed = "或".join(
            SCOPE_KIND_LABELS[k] for k in SCOPE_KIND_LABELS if k in policy.ROLE_SCOPES[role]
        )
        raise invalid(**{f"{field}.role": f"“{label}”角色的范围应为{allowed}"})
    return grant


def _clean_password(password: Any, user: User, field: str = "password") -> None:
    if not isinstance(password, str) or not password:
        raise invalid(**{field: "请填写密码"})
    if "\x00" in password:
        raise invalid(**{field: "密码含有非法字符"})
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        raise invalid(**{field: "；".join(exc.messages)}) from None


def _clean_email(value: Any) -> str:
    email = clean_text(value, field="email", label="邮箱", max_length=254, required=False)
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise invalid(email="邮箱格式不正确") from None
    return email


def _set_grants(actor: policy.Actor, user: User, specs: list[dict[str, Any]]) -> list[str]:
    grants: list[RoleGrant] = []
    for i, spec in enumerate(specs):
        grant = _grant_from_spec(actor, spec, i)
        # The same grant twice is one grant, not two rows.
        if _grant_key(grant) not in {_grant_key(g) for g in grants}:
            grants.append(grant)
    keys = {_grant_key(g) for g in grants}
    old = {_grant_key(g): g for g in user.grants.select_related("zone", "org")}
    removed = [g for key, g in old.items() if key not in keys]
    for g in removed:
        if policy.may_revoke(actor, g):
            continue
        if g.zone_id is None or g.role in policy.GLOBAL_ONLY_ROLES:
            raise Forbidden("只有系统管理员可以撤销全国、省级范围或上级查看角色")
        raise NotFound("账号不存在")
    if user.pk == getattr(actor, "pk", None) and any(
        g.role in policy.TABLE["user.manage"] for g in removed
    ):
        # Otherwise an admin can lock themselves out with one click.
        raise invalid(grants="不能撤销自己的账号管理角色，请由其他管理员操作")
    RoleGrant.objects.filter(pk__in=[g.pk for g in removed]).delete()
    for g in grants:
        if _grant_key(g) not in old:
            g.user = user
            g.save()
    user._shiji_grants = None
    return sorted(f"{Role(g.role).label}@{g.scope_label}" for g in grants)


def _grant_labels(user: User) -> list[str]:
    return sorted(
        f"{Role(g.role).label}@{g.scope_label}" for g in user.grants.select_related("zone", "org")
    )


# Names that only the system itself gives (the first superuser is "admin"):
# they would pass for the platform's own accounts, and they make "unavailable"
# mean "taken or reserved" rather than "taken".
RESERVED_USERNAMES = frozenset(
    {"admin", "administrator", "root", "system", "superuser", "anonymous", "security", "support"}
)
# The one answer for a name that cannot be had, wherever it is taken: the
# account holding it may be in a zone the actor cannot see, and the reply must
# not tell them so.
USERNAME_UNAVAILABLE = "该用户名不可用，请换一个"


def username_clean_new(*, actor: policy.Actor, username: Any) -> str:
    """The username for a new account (shiji.orgs.usernames), or a field
    error. Only the system actor may use reserved names."""
    value = normalize_username(username)
    if not value:
        raise invalid(username="请填写用户名")
    try:
        validate_username(value)
    except ValidationError:
        raise invalid(username=USERNAME_RULE) from None
    reserved = not policy.is_system(actor) and value.lower() in RESERVED_USERNAMES
    if reserved or _account_for_key(value.lower()) is not None:
        raise invalid(username=USERNAME_UNAVAILABLE)
    return value


def _account_for_key(key: str) -> User | None:
    """The account a login key names (usernames are unique ignoring case;
    ``lower(username)`` is the indexed expression)."""
    return User.objects.alias(key=Lower("username")).filter(key=key).first()


@transaction.atomic
def user_create(
    *,
    actor: policy.Actor,
    username: str,
    password: str,
    name: str = "",
    email: str = "",
    zone: Zone | None = None,
    grants: list[dict[str, Any]] | None = None,
) -> User:
    """Create an account. ``zone`` (whose admins manage the account) defaults
    to the zone its grants share, or to the actor's own zone."""
    grants = grants or []
    policy.require(actor, "user.manage", message="您没有权限管理账号")
    # Checked before anything else is said about the account, so a grant in a
    # zone the actor cannot manage is "not found" whatever else is wrong.
    checked = [_grant_from_spec(actor, spec, i) for i, spec in enumerate(grants)]
    username = username_clean_new(actor=actor, username=username)
    if zone is None:
        zones = {g.zone_id for g in checked}
        if len(zones) == 1 and None not in zones:
            zone = checked[0].zone
        elif not checked:
            own = policy.zone_ids_for(actor, "user.manage")
            if own is not None and len(own) == 1:
                zone = Zone.objects.filter(pk=next(iter(own))).first()
    if zone is not None and not policy.can(actor, "user.manage", zone):
        raise NotFound("高新区不存在", fields={"zone": "高新区不存在"})
    if zone is None and not policy.is_global_admin(actor):
        raise invalid(zone="请选择账号所属高新区")
    user = User(
        username=username,
        name=clean_text(name, field="name", label="姓名", max_length=50, required=False),
        email=_clean_email(email),
        zone=zone,
    )
    _clean_password(password, user)
    user.set_password(password)
    try:
        # A savepoint, so that losing a race for the username is a field
        # error rather than a broken transaction.
        with transaction.atomic():
            user.save()
    except IntegrityError:
        raise invalid(username=USERNAME_UNAVAILABLE) from None
    labels = _set_grants(actor, user, grants)
    changes = created(user, USER_FIELDS)
    changes["grants"] = [None, labels]
    audit_record(actor=actor, action=EventKind.USER_CREATE, obj=user, changes=changes)
    return user


@transaction.atomic
def user_update(
    *,
    actor: policy.Actor,
    user: User,
    name: str | None = None,
    email: str | None = None,
    password: str | None = None,
    is_active: bool | None = None,
    grants: list[dict[str, Any]] | None = None,
    unlock: bool = False,
) -> User:
    """Change an account. ``None`` leaves a field as it is. ``unlock`` lifts
    the sign-in locks of every client address; so does a new password, which
    also ends the account's sessions (they are signed with the password hash)
    and its API tokens. Deactivating ends its sessions and tokens for good:
    reactivating does not bring them back."""
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.zone_id:
        if not policy.can(actor, "user.manage", user.zone):
            raise NotFound("账号不存在")
    elif not policy.is_global_admin(actor):
        raise NotFound("账号不存在")
    refusal = policy.account_edit_refusal(actor, user)
    if refusal:
        raise Forbidden(refusal)
    before = snapshot(user, USER_FIELDS)
    old_grants = _grant_labels(user)
    if name is not None:
        user.name = clean_text(name, field="name", label="姓名", max_length=50, required=False)
    if email is not None:
        user.email = _clean_email(email)
    if is_active is not None:
        if not is_active and user.pk == getattr(actor, "pk", None):
            raise invalid(is_active="不能停用自己的账号")
        user.is_active = bool(is_active)
    changes = diff(before, snapshot(user, USER_FIELDS))
    fields = [f for f in ("name", "email", "is_active") if f in changes]
    note = ""
    if password:
        _clean_password(password, user)
        user.set_password(password)
        fields.append("password")
        changes["password"] = ["***", "***"]
    if changes.get("is_active") == [True, False]:
        # Sessions are signed with the generation: raising it ends every
        # session now, and a later reactivation cannot bring one back.
        user.session_generation += 1
        fields.append("session_generation")
        note = "停用：该账号的全部登录会话已结束"
    if password or "session_generation" in fields:
        revoked = _tokens_revoke(user)
        if revoked:
            changes["api_tokens"] = [revoked, 0]
    if password or unlock:
        # An admin's unlock (or password reset) is how a locked-out user gets back in.
        lifted = _locks_lift(user)
        if lifted is not None:
            changes["locked_until"] = [lifted, None]
    if fields:
        user.save(update_fields=fields)
    if grants is not None:
        new_grants = _set_grants(actor, user, grants)
        if new_grants != old_grants:
            changes["grants"] = [old_grants, new_grants]
    if changes:
        audit_record(
            actor=actor, action=EventKind.USER_UPDATE, obj=user, changes=changes, note=note
        )
    return user


def _tokens_revoke(user: User) -> int:
    """Tokens were issued against the old password, or to an account that was
    then switched off; they end with it."""
    return ApiToken.objects.filter(user=user).delete()[0]


def password_change(*, user: User, old_password: Any, new_password: Any, client: str) -> None:
    """The signed-in user's own change. The old password is a guess like any
    sign-in: it is counted and locked by the same rule (``login_claim``) on the
    same counter, so a borrowed session cannot be used to try passwords."""
    key = login_key(user.username)
    failures = login_claim(key=key, client=client)
    if not isinstance(old_password, str) or not user.check_password(old_password):
        _login_failed(key=key, client=client, account=user, failures=failures)
        raise invalid(old_password="原密码不正确")
    login_release(key=key, client=client)
    with transaction.atomic():
        _clean_password(new_password, user, field="new_password")
        user.set_password(new_password)
        # The new hash ends every other session; the caller re-signs its own.
        user.save(update_fields=["password"])
        changes: dict[str, Any] = {"password": ["***", "***"]}
        revoked = _tokens_revoke(user)
        if revoked:
            changes["api_tokens"] = [revoked, 0]
        audit_record(actor=user, action=EventKind.USER_PASSWORD_CHANGE, obj=user, changes=changes)


# Sign-in, counted and locked per username and client address --------------------


class LockedOut(AppError):
    status = 429
    code = "locked"


WRONG_CREDENTIALS = "用户名或密码不正确"


def lock_minutes(failures: int) -> int:
    """The wait after the ``failures``-th failure in a row: none below
    ``LOGIN_MAX_FAILURES``, ``LOGIN_LOCKOUT_MINUTES`` at it, doubling with each
    failure after (one guess per wait), up to ``LOGIN_LOCKOUT_MAX_MINUTES``."""
    over = failures - settings.LOGIN_MAX_FAILURES
    if over < 0:
        return 0
    return min(
        settings.LOGIN_LOCKOUT_MINUTES * 2 ** min(over, 20), settings.LOGIN_LOCKOUT_MAX_MINUTES
    )


def _locked_out(until: dt.datetime | None) -> LockedOut:
    left = (until - timezone.now()).total_seconds() if until else 60
    minutes = max(1, math.ceil(left / 60))
    return LockedOut(f"密码输错次数过多，请 {minutes} 分钟后再试，或请管理员解除锁定")


def login_claim(*, key: str, client: str) -> int:
    """Count one attempt for ``key`` from ``client`` as a failure *before* its
    password is checked, and return the count; refuse it (LockedOut, nothing
    checked) while a lock is in force. ``login_release`` undoes the count when
    the password turns out right.

    Counting first is what makes the limit hold against parallel requests.
    The increment is one conditional UPDATE, which the database applies to the
    row one request at a time (PostgreSQL's row lock, SQLite's write lock, in
    every worker process alike); the request whose increment reaches the limit
    sets the lock in the same transaction, and every request after it finds
    the row locked and never reaches the password hasher. The count lives in
    the database because it is always there and shared by all workers (a
    per-process cache is not, and Redis would be one more thing to run).
    """
    rows = LoginThrottle.objects.filter(username=key, client=client)
    for _attempt in range(3):
        now = timezone.now()
        with transaction.atomic():
            counted = rows.filter(Q(locked_until__isnull=True) | Q(locked_until__lte=now)).update(
                failures=F("failures") + 1, last_attempt_at=now
            )
            if counted:
                failures = rows.values_list("failures", flat=True).get()
                minutes = lock_minutes(failures)
                if minutes:
                    rows.update(locked_until=now + dt.timedelta(minutes=minutes))
                return failures
            until = rows.values_list("locked_until", flat=True).first()
        if until is not None:
            raise _locked_out(until)
        # First attempt for this pair: make the row (a parallel request may
        # make it too: the conflict is ignored) and count again.
        LoginThrottle.objects.bulk_create(
            [LoginThrottle(username=key, client=client, last_attempt_at=now)],
            ignore_conflicts=True,
        )
    raise _locked_out(None)  # the row kept vanishing: unlocks or successes raced us


def login_release(*, key: str, client: str) -> None:
    """The password was right: forget this pair's failures and lock."""
    LoginThrottle.objects.filter(username=key, client=client).delete()


def _login_failed(*, key: str, client: str, account: User | None, failures: int) -> None:
    """Record on the account's trail the lock that this failure (the
    ``failures``-th in a row) has earned; the lock itself was set when the
    attempt was counted. Unknown usernames lock the same way, but have no
    account to write it on."""
    if account is None or not lock_minutes(failures):
        return
    row = LoginThrottle.objects.filter(username=key, client=client)
    until = row.values_list("locked_until", flat=True).first()
    if until is None:
        return  # lifted meanwhile by an admin
    with transaction.atomic():
        audit_record(
            actor=policy.system("login"),
            action=EventKind.USER_LOCKED,
            obj=account,
            changes={"locked_until": [None, until]},
            note=f"来自 {client} 的连续第 {failures} 次失败",
        )


def _locks_lift(user: User) -> dt.datetime | None:
    """Lift the locks of every client address on ``user``; the latest one
    that was in force, or None when there was none (then nothing changes)."""
    rows = LoginThrottle.objects.filter(username=login_key(user.username))
    latest = rows.filter(locked_until__gt=timezone.now()).aggregate(m=Max("locked_until"))["m"]
    if latest is not None:
        rows.delete()
    return latest


def authenticate_with_lockout(
    *, username: Any, password: Any, client: str, request: Any = None
) -> User:
    """Check a username and password from ``client`` (shiji.core.client), for
    the login page and the token endpoint alike.

    Unknown usernames, deactivated accounts and wrong passwords get the same
    answer after the same work: the attempt is counted under the typed name,
    and Django's backend runs the hasher on a throwaway password when there is
    no account, so neither the reply nor its timing tells which names exist.
    """
    key = login_key(username)
    password = password if isinstance(password, str) else ""
    if not key or "\x00" in password:
        # PostgreSQL refuses NUL in text; no real account has such a name.
        raise Invalid(WRONG_CREDENTIALS, fields={"password": WRONG_CREDENTIALS})
    failures = login_claim(key=key, client=client)
    account = _account_for_key(key)
    authed = authenticate(request, username=account.username if account else key, password=password)
    if authed is None:
        _login_failed(key=key, client=client, account=account, failures=failures)
        raise Invalid(WRONG_CREDENTIALS, fields={"password": WRONG_CREDENTIALS})
    login_release(key=key, client=client)
    return authed


@transaction.atomic
def login_throttles_purge() -> int:
    """Forget failure counts nobody has added to for longer than the longest
    lock (cron: ``manage.py purge_login_throttles``). Counters, not records:
    deleting them writes no audit event."""
    cutoff = timezone.now() - dt.timedelta(minutes=settings.LOGIN_LOCKOUT_MAX_MINUTES)
    stale = LoginThrottle.objects.filter(last_attempt_at__lt=cutoff).filter(
        Q(locked_until__isnull=True) | Q(locked_until__lt=cutoff)
    )
    return stale.delete()[0]


# API tokens ------------------------------------------------------------------------


def _token_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@transaction.atomic
def token_issue(*, user: User) -> str:
    key = "sj_" + secrets.token_urlsafe(32)
    ApiToken.objects.create(
        user=user,
        key_hash=_token_hash(key),
        expires_at=timezone.now() + dt.timedelta(days=settings.API_TOKEN_DAYS),
    )
    audit_record(actor=user, action=EventKind.USER_TOKEN_ISSUE, obj=user, changes={})
    return key


def token_authenticate(key: str) -> ApiToken | None:
    """The live token ``key`` names (with its user), or None."""
    if not key or len(key) > 200:
        return None
    now = timezone.now()
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=_token_hash(key), expires_at__gt=now, user__is_active=True)
        .first()
    )
    if token is None:
        return None
    if token.last_used_at is None or now - token.last_used_at > dt.timedelta(minutes=5):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token


@transaction.atomic
def token_revoke(*, actor: User, token: ApiToken) -> None:
    """End the token a client signed in with (its own sign-out)."""
    if token.user_id != actor.pk:
        raise NotFound("令牌不存在")
    deleted = ApiToken.objects.filter(pk=token.pk).delete()[0]
    if deleted:
        audit_record(
            actor=actor,
            action=EventKind.USER_TOKEN_REVOKE,
            obj=actor,
            changes={"api_token": [token.pk, None]},
        )
