"""Writes for zones, organizations, people and accounts. Each runs in one
transaction and records its audit event there."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import Any

from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import F, Value
from django.db.models.functions import Concat, Substr
from django.utils import timezone

from shiji.audit.services import audit_record, created, diff, snapshot
from shiji.core.errors import Forbidden, Invalid, NotFound, invalid
from shiji.core.validation import clean_choice, clean_text, parse_id
from shiji.orgs import policy
from shiji.orgs.models import (
    ApiToken,
    Organization,
    OrgKind,
    Person,
    Role,
    RoleGrant,
    Sector,
    User,
    Zone,
)

ZONE_FIELDS = ["code", "name", "short_name", "province", "city", "is_sample"]
ORG_FIELDS = ["name", "parent", "kind", "sector", "is_sample"]
PERSON_FIELDS = ["name", "org", "position", "is_party_member", "phone", "is_active", "user"]
USER_FIELDS = ["username", "name", "email", "zone", "is_active"]


# Zones -----------------------------------------------------------------------


@transaction.atomic
def zone_create(
    *,
    actor: Any,
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
    audit_record(actor=actor, action="zone.create", obj=zone, changes=created(zone, ZONE_FIELDS))
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
    actor: Any,
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
    audit_record(actor=actor, action="org.create", obj=org, changes=created(org, ORG_FIELDS))
    return org


@transaction.atomic
def org_update(*, actor: Any, org: Organization, **fields: Any) -> Organization:
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
    audit_record(actor=actor, action="org.update", obj=org, changes=changes)
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
    actor: Any,
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
        actor=actor, action="person.create", obj=person, changes=created(person, PERSON_FIELDS)
    )
    return person


@transaction.atomic
def person_update(*, actor: Any, person: Person, **fields: Any) -> Person:
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
        audit_record(actor=actor, action="person.update", obj=person, changes=changes)
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


def _grant_from_spec(actor: Any, spec: dict[str, Any], index: int) -> RoleGrant:
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


def _set_grants(actor: Any, user: User, specs: list[dict[str, Any]]) -> list[str]:
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


@transaction.atomic
def user_create(
    *,
    actor: Any,
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
    username = clean_text(username, field="username", label="用户名", max_length=150)
    if not all(c.isalnum() or c in "@.+-_" for c in username):
        raise invalid(username="用户名只能包含字母、数字和 @ . + - _")
    if User.objects.filter(username__iexact=username).exists():
        raise invalid(username="该用户名已被使用")
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
        raise invalid(username="该用户名已被使用") from None
    labels = _set_grants(actor, user, grants)
    changes = created(user, USER_FIELDS)
    changes["grants"] = [None, labels]
    audit_record(actor=actor, action="user.create", obj=user, changes=changes)
    return user


@transaction.atomic
def user_update(
    *,
    actor: Any,
    user: User,
    name: str | None = None,
    email: str | None = None,
    password: str | None = None,
    is_active: bool | None = None,
    grants: list[dict[str, Any]] | None = None,
) -> User:
    """Change an account. ``None`` leaves a field as it is; a new password
    also lifts a lockout and ends the account's API tokens."""
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
    if password:
        _clean_password(password, user)
        user.set_password(password)
        fields.append("password")
        changes["password"] = ["***", "***"]
        if user.failed_logins or user.locked_until:
            # An admin's reset is how a locked-out user gets back in.
            changes["locked_until"] = [user.locked_until, None]
            user.failed_logins, user.locked_until = 0, None
            fields += ["failed_logins", "locked_until"]
        revoked = _tokens_revoke(user)
        if revoked:
            changes["api_tokens"] = [revoked, 0]
    if fields:
        user.save(update_fields=fields)
    if grants is not None:
        new_grants = _set_grants(actor, user, grants)
        if new_grants != old_grants:
            changes["grants"] = [old_grants, new_grants]
    if changes:
        audit_record(actor=actor, action="user.update", obj=user, changes=changes)
    return user


def _tokens_revoke(user: User) -> int:
    """Tokens were issued against the old password; they end with it."""
    return ApiToken.objects.filter(user=user).delete()[0]


@transaction.atomic
def password_change(*, user: User, old_password: str, new_password: str) -> None:
    if not isinstance(old_password, str) or not user.check_password(old_password):
        raise invalid(old_password="原密码不正确")
    _clean_password(new_password, user, field="new_password")
    user.set_password(new_password)
    user.save(update_fields=["password"])
    changes: dict[str, Any] = {"password": ["***", "***"]}
    revoked = _tokens_revoke(user)
    if revoked:
        changes["api_tokens"] = [revoked, 0]
    audit_record(actor=user, action="user.password_change", obj=user, changes=changes)


# Authentication with lockout ------------------------------------------------------


class LockedOut(Invalid):
    status = 429
    code = "locked"


def authenticate_with_lockout(*, username: str, password: str, request: Any = None) -> User:
    """Check a username and password. After ``LOGIN_MAX_FAILURES`` failures the
    account is locked for ``LOGIN_LOCKOUT_MINUTES``, even for the right password.
    The same rule serves the login page and the token endpoint."""
    from django.contrib.auth import authenticate

    username = (username if isinstance(username, str) else "").strip()[:150]
    password = password if isinstance(password, str) else ""
    wrong = Invalid("用户名或密码不正确", fields={"password": "用户名或密码不正确"})
    if not username or "\x00" in username or "\x00" in password:
        # PostgreSQL refuses NUL in text; no real account has one anyway.
        raise wrong
    now = timezone.now()
    user = User.objects.filter(username=username).first()
    if user is not None and user.locked_until and user.locked_until > now:
        raise LockedOut("登录失败次数过多，账号已临时锁定，请稍后再试")
    authed = authenticate(request, username=username, password=password)
    if authed is None:
        if user is not None:
            _login_failed(user, now)
        raise wrong
    if authed.failed_logins or authed.locked_until:
        User.objects.filter(pk=authed.pk).update(failed_logins=0, locked_until=None)
    return authed


def _login_failed(user: User, now: dt.datetime) -> None:
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        if locked.locked_until and locked.locked_until <= now:
            # The last lock has run out: count afresh, and forget it, or the
            # next run of failures could never lock the account again.
            locked.failed_logins, locked.locked_until = 0, None
        locked.failed_logins += 1
        changes = {"failed_logins": [locked.failed_logins - 1, locked.failed_logins]}
        if locked.failed_logins >= settings.LOGIN_MAX_FAILURES:
            locked.locked_until = now + dt.timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES)
            locked.failed_logins = 0
            changes["locked_until"] = [None, locked.locked_until]
        locked.save(update_fields=["failed_logins", "locked_until"])
        if "locked_until" in changes:
            audit_record(actor=None, action="user.locked", obj=locked, changes=changes)


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
    audit_record(actor=user, action="user.token_issue", obj=user, changes={})
    return key


def token_user(key: str) -> User | None:
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
    return token.user
