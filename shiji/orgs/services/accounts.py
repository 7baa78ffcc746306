"""Writes for accounts: creating and editing users, their role grants (who
may grant which role is the policy's rule), usernames and passwords."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils.translation import gettext, gettext_lazy

from shiji.audit.kinds import EventKind
from shiji.audit.services import audit_record, created, diff, snapshot
from shiji.core.errors import Forbidden, NotFound, invalid
from shiji.core.i18n import in_chinese, recorded
from shiji.core.validation import clean_text, parse_id
from shiji.orgs import policy
from shiji.orgs.models import (
    ApiToken,
    Organization,
    Role,
    RoleGrant,
    User,
    Zone,
)
from shiji.orgs.services.signin import (
    account_for_key,
    locks_lift,
    login_claim,
    login_failed,
    login_release,
)
from shiji.orgs.usernames import USERNAME_RULE, login_key, normalize_username, validate_username

USER_FIELDS = ["username", "name", "email", "zone", "is_active"]


# Accounts ------------------------------------------------------------------------

SCOPE_KIND_LABELS = {
    "all": gettext_lazy("全部高新区"),
    "province": gettext_lazy("一个省份"),
    "zone": gettext_lazy("一个高新区"),
    "org": gettext_lazy("一个组织"),
}


def _grant_key(grant: RoleGrant) -> tuple[str, str, int | None, int | None]:
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
        raise invalid(**{f"{field}.role": gettext("未知角色：%(role)s") % {"role": str(role)[:30]}})
    label = Role(role).label
    if not policy.may_give_role(actor, role):
        message = gettext("只有系统管理员可以授予“%(role)s”角色") % {"role": label}
        raise Forbidden(message, fields={f"{field}.role": message})
    province = clean_text(
        spec.get("province") or "",
        field=f"{field}.province",
        label=gettext("省份"),
        max_length=20,
        required=False,
    )
    zone = org = None
    org_pk, zone_pk = spec.get("org"), spec.get("zone")
    if org_pk not in (None, ""):
        org = Organization.objects.select_related("zone").filter(pk=parse_id(org_pk)).first()
        if org is None or not policy.may_grant_in(actor, org):
            raise NotFound(gettext("组织不存在"), fields={f"{field}.org": gettext("组织不存在")})
        zone = org.zone
    elif zone_pk not in (None, ""):
        zone = Zone.objects.filter(pk=parse_id(zone_pk)).first()
        if zone is None or not policy.may_grant_in(actor, zone):
            raise NotFound(
                gettext("高新区不存在"), fields={f"{field}.zone": gettext("高新区不存在")}
            )
    elif not policy.may_grant_in(actor, None):
        message = gettext("只有系统管理员可以授予全国或省级范围的角色")
        raise Forbidden(message, fields={f"{field}.zone": message})
    if org is not None and zone_pk not in (None, "") and parse_id(zone_pk) != org.zone_id:
        raise invalid(**{f"{field}.org": gettext("组织不在所选高新区内")})
    grant = RoleGrant(role=role, zone=zone, org=org, province="" if zone else province)
    kind = policy.grant_scope_kind(grant)
    if kind not in policy.ROLE_SCOPES[role]:
        allowed = gettext("或").join(
            str(SCOPE_KIND_LABELS[k]) for k in SCOPE_KIND_LABELS if k in policy.ROLE_SCOPES[role]
        )
        raise invalid(
            **{
                f"{field}.role": gettext("“%(role)s”角色的范围应为%(allowed)s")
                % {"role": label, "allowed": allowed}
            }
        )
    return grant


def _clean_password(password: Any, user: User, field: str = "password") -> None:
    if not isinstance(password, str) or not password:
        raise invalid(**{field: gettext("请填写密码")})
    if "\x00" in password:
        raise invalid(**{field: gettext("密码含有非法字符")})
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        raise invalid(**{field: gettext("；").join(exc.messages)}) from None


def _clean_email(value: Any) -> str:
    email = clean_text(value, field="email", label=gettext("邮箱"), max_length=254, required=False)
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise invalid(email=gettext("邮箱格式不正确")) from None
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
            raise Forbidden(gettext("只有系统管理员可以撤销全国、省级范围或上级查看角色"))
        raise NotFound(gettext("账号不存在"))
    if user.pk == getattr(actor, "pk", None) and any(
        g.role in policy.TABLE["user.manage"] for g in removed
    ):
        # Otherwise an admin can lock themselves out with one click.
        raise invalid(grants=gettext("不能撤销自己的账号管理角色，请由其他管理员操作"))
    RoleGrant.objects.filter(pk__in=[g.pk for g in removed]).delete()
    for g in grants:
        if _grant_key(g) not in old:
            g.user = user
            g.save()
    user._shiji_grants = None
    return sorted(_grant_label(g) for g in grants)


@in_chinese
def _grant_label(grant: RoleGrant) -> str:
    # Recorded in the audit trail: in Chinese, whatever the admin's page language.
    return f"{Role(grant.role).label}@{grant.scope_label}"


def _grant_labels(user: User) -> list[str]:
    return sorted(_grant_label(g) for g in user.grants.select_related("zone", "org"))


# Names that only the system itself gives (the first superuser is "admin"):
# they would pass for the platform's own accounts, and they make "unavailable"
# mean "taken or reserved" rather than "taken".
RESERVED_USERNAMES = frozenset(
    {"admin", "administrator", "root", "system", "superuser", "anonymous", "security", "support"}
)
# The one answer for a name that cannot be had, wherever it is taken: the
# account holding it may be in a zone the actor cannot see, and the reply must
# not tell them so.
USERNAME_UNAVAILABLE = gettext_lazy("该用户名不可用，请换一个")


def username_clean_new(*, actor: policy.Actor, username: Any) -> str:
    """The username for a new account (shiji.orgs.usernames), or a field
    error. Only the system actor may use reserved names."""
    value = normalize_username(username)
    if not value:
        raise invalid(username=gettext("请填写用户名"))
    try:
        validate_username(value)
    except ValidationError:
        raise invalid(username=USERNAME_RULE) from None
    reserved = not policy.is_system(actor) and value.lower() in RESERVED_USERNAMES
    if reserved or account_for_key(value.lower()) is not None:
        raise invalid(username=USERNAME_UNAVAILABLE)
    return value


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
    policy.require(actor, "user.manage", message=gettext("您没有权限管理账号"))
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
        raise NotFound(gettext("高新区不存在"), fields={"zone": gettext("高新区不存在")})
    if zone is None and not policy.is_global_admin(actor):
        raise invalid(zone=gettext("请选择账号所属高新区"))
    user = User(
        username=username,
        name=clean_text(name, field="name", label=gettext("姓名"), max_length=50, required=False),
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
            raise NotFound(gettext("账号不存在"))
    elif not policy.is_global_admin(actor):
        raise NotFound(gettext("账号不存在"))
    refusal = policy.account_edit_refusal(actor, user)
    if refusal:
        raise Forbidden(refusal)
    before = snapshot(user, USER_FIELDS)
    old_grants = _grant_labels(user)
    if name is not None:
        user.name = clean_text(
            name, field="name", label=gettext("姓名"), max_length=50, required=False
        )
    if email is not None:
        user.email = _clean_email(email)
    if is_active is not None:
        if not is_active and user.pk == getattr(actor, "pk", None):
            raise invalid(is_active=gettext("不能停用自己的账号"))
        user.is_active = bool(is_active)
    changes = diff(before, snapshot(user, USER_FIELDS))
    fields: list[str] = [f for f in ("name", "email", "is_active") if f in changes]
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
        note = recorded("停用：该账号的全部登录会话已结束")
    if password or "session_generation" in fields:
        revoked = _tokens_revoke(user)
        if revoked:
            changes["api_tokens"] = [revoked, 0]
    if password or unlock:
        # An admin's unlock (or password reset) is how a locked-out user gets back in.
        lifted = locks_lift(user)
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
        login_failed(key=key, client=client, account=user, failures=failures)
        raise invalid(old_password=gettext("原密码不正确"))
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
