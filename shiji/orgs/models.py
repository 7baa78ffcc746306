from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext, gettext_lazy

from shiji.orgs.scope import OrgScoped
from shiji.orgs.usernames import USERNAME_RULE, validate_username


class Zone(models.Model):
    """A national high-tech zone: the tenant every record belongs to."""

    code = models.SlugField(gettext_lazy("代码"), max_length=16, unique=True)
    name = models.CharField(gettext_lazy("名称"), max_length=100, unique=True)
    short_name = models.CharField(gettext_lazy("简称"), max_length=30)
    province = models.CharField(gettext_lazy("省份"), max_length=20, db_index=True)
    city = models.CharField(gettext_lazy("城市"), max_length=30)
    is_sample = models.BooleanField(gettext_lazy("示例数据"), default=False)

    class Meta:
        ordering = ["code"]
        verbose_name = gettext_lazy("高新区")
        verbose_name_plural = gettext_lazy("高新区")

    def __str__(self) -> str:
        return self.name

    # Scope anchors used by orgs.policy.
    @property
    def scope_zone_id(self) -> int:
        return self.pk

    scope_org_path = None

    @property
    def scope_province(self) -> str:
        return self.province


class OrgKind(models.TextChoices):
    WORKING_COMMITTEE = "working_committee", gettext_lazy("党工委")
    COMMITTEE = "committee", gettext_lazy("党委")
    GENERAL_BRANCH = "general_branch", gettext_lazy("党总支")
    BRANCH = "branch", gettext_lazy("党支部")
    DEPARTMENT = "department", gettext_lazy("部门")
    ENTERPRISE = "enterprise", gettext_lazy("企业")


class Sector(models.TextChoices):
    ORGAN = "organ", gettext_lazy("机关")
    SOE = "soe", gettext_lazy("国企")
    INSTITUTION = "institution", gettext_lazy("事业单位")
    PRIVATE = "private", gettext_lazy("非公企业")
    SOCIAL = "social", gettext_lazy("社会组织")


class Organization(models.Model):
    """A node of a zone's organization tree (materialized path).

    ``path`` is the chain of ids from the root, each zero-padded and ended by a
    dot ("00000001.00000007."), so a subtree is ``path__startswith`` and sorting
    by path lists the tree depth-first.
    """

    zone = models.ForeignKey(Zone, on_delete=models.PROTECT, related_name="orgs")
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    name = models.CharField(gettext_lazy("名称"), max_length=100)
    kind = models.CharField(gettext_lazy("类型"), max_length=20, choices=OrgKind.choices)
    sector = models.CharField(gettext_lazy("领域"), max_length=20, choices=Sector.choices)
    path = models.CharField(max_length=255, db_index=True, editable=False, default="")
    depth = models.PositiveSmallIntegerField(default=0, editable=False)
    is_sample = models.BooleanField(gettext_lazy("示例数据"), default=False)

    class Meta:
        ordering = ["zone", "path"]
        verbose_name = gettext_lazy("组织")
        verbose_name_plural = gettext_lazy("组织")
        constraints = [
            models.UniqueConstraint(fields=["zone", "name"], name="org_name_unique_in_zone")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def scope_zone_id(self) -> int:
        return self.zone_id

    @property
    def scope_org_path(self) -> str:
        return self.path

    @property
    def scope_province(self) -> str:
        return self.zone.province

    def subtree_q(self, prefix: str = "") -> Q:
        return Q(**{f"{prefix}path__startswith": self.path})


class Person(OrgScoped, models.Model):
    """A roster entry: a member of an organization, optionally with a login."""

    zone = models.ForeignKey(Zone, on_delete=models.PROTECT, related_name="people")
    org = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="people")
    name = models.CharField(gettext_lazy("姓名"), max_length=50)
    position = models.CharField(gettext_lazy("职务"), max_length=100, blank=True)
    is_party_member = models.BooleanField(gettext_lazy("党员"), default=True)
    phone = models.CharField(gettext_lazy("联系电话"), max_length=30, blank=True)
    user = models.OneToOneField(
        "orgs.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="person"
    )
    is_active = models.BooleanField(gettext_lazy("在册"), default=True)
    is_sample = models.BooleanField(gettext_lazy("示例数据"), default=False)

    class Meta:
        ordering = ["org__path", "name"]
        verbose_name = gettext_lazy("人员")
        verbose_name_plural = gettext_lazy("人员")
        constraints = [
            models.UniqueConstraint(fields=["org", "name"], name="person_name_unique_in_org")
        ]

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    """A login. ``zone`` is the zone whose admins manage the account (none for
    national accounts); what the user may see comes from ``grants``."""

    # The rule of shiji.orgs.usernames; max_length stays at Django's 150 so
    # that older, longer names remain valid rows.
    username = models.CharField(
        gettext_lazy("用户名"),
        max_length=150,
        unique=True,
        validators=[validate_username],
        help_text=USERNAME_RULE,
        error_messages={"unique": gettext_lazy("该用户名不可用")},
    )
    name = models.CharField(gettext_lazy("姓名"), max_length=50, blank=True)
    zone = models.ForeignKey(
        Zone, null=True, blank=True, on_delete=models.PROTECT, related_name="users"
    )
    # Part of every session's signature: raising it ends all of the account's
    # sessions at their next request, for good (deactivation does).
    session_generation = models.PositiveIntegerField(default=0, editable=False)

    # Not a field: the grants policy.grants_of loads once per user object (once
    # per request); a service that changes them resets it to None. Declared so
    # that the type checker knows the attribute.
    _shiji_grants: list[RoleGrant] | None

    class Meta:
        verbose_name = gettext_lazy("账号")
        verbose_name_plural = gettext_lazy("账号")
        constraints = [
            models.UniqueConstraint(Lower("username"), name="user_username_unique_ignoring_case")
        ]

    def __str__(self) -> str:
        return self.name or self.username

    @property
    def display_name(self) -> str:
        return self.name or self.username

    def _get_session_auth_hash(self, secret=None):
        """Django signs each session with an HMAC of the password hash, so a new
        password ends the other sessions; the generation is signed in as well.
        Generation 0 signs exactly as Django does, so that existing sessions
        survive the upgrade that introduced it."""
        if not self.session_generation:
            # Django's private method, absent from its type stubs.
            return super()._get_session_auth_hash(secret=secret)  # type: ignore[misc]
        return salted_hmac(
            "shiji.orgs.User.session_auth_hash",
            f"{self.password}:{self.session_generation}",
            secret=secret,
            algorithm="sha256",
        ).hexdigest()

    @property
    def scope_zone_id(self) -> int | None:
        return self.zone_id

    scope_org_path = None

    @property
    def scope_province(self) -> str:
        return self.zone.province if self.zone is not None else ""


class Role(models.TextChoices):
    SYSTEM_ADMIN = "system_admin", gettext_lazy("系统管理员")
    VIEWER = "viewer", gettext_lazy("上级查看")
    ZONE_ADMIN = "zone_admin", gettext_lazy("工作专班")
    LEADER = "leader", gettext_lazy("分管领导")
    SECRETARY = "secretary", gettext_lazy("书记")
    LIAISON = "liaison", gettext_lazy("联络员")
    SUPERVISOR = "supervisor", gettext_lazy("督导组")


class RoleGrant(models.Model):
    """user × role × scope. No zone, org or province: all zones."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="grants")
    role = models.CharField(gettext_lazy("角色"), max_length=20, choices=Role.choices)
    province = models.CharField(gettext_lazy("省份"), max_length=20, blank=True)
    zone = models.ForeignKey(
        Zone, null=True, blank=True, on_delete=models.CASCADE, related_name="grants"
    )
    org = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.CASCADE, related_name="grants"
    )

    class Meta:
        verbose_name = gettext_lazy("角色授权")
        verbose_name_plural = gettext_lazy("角色授权")

    def __str__(self) -> str:
        return f"{self.get_role_display()} · {self.scope_label}"

    @property
    def scope_label(self) -> str:
        if self.org_id:
            return f"{self.zone} / {self.org}"
        if self.zone_id:
            return str(self.zone)
        if self.province:
            return gettext("%(province)s省") % {"province": self.province}
        return gettext("全部高新区")


class ApiToken(models.Model):
    """A bearer token for the API. Only the SHA-256 of the token is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = gettext_lazy("API 令牌")
        verbose_name_plural = gettext_lazy("API 令牌")

    def __str__(self) -> str:
        return f"token of {self.user_id} until {self.expires_at:%Y-%m-%d}"


class LoginThrottle(models.Model):
    """Consecutive failed sign-ins (and old-password checks) for one username
    from one client address, and the lock they earned.

    Keyed by the username as typed (``usernames.login_key``) rather than by
    account, so that unknown usernames are counted and locked exactly like real
    ones and no answer tells which exist; and by client address, so that
    guesses from one place never lock the owner out from another. Each attempt
    is counted here before its password is checked (``services.login_claim``).
    """

    username = models.CharField(max_length=150)
    client = models.CharField(max_length=64)
    failures = models.PositiveIntegerField(default=0)
    locked_until = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField()

    class Meta:
        verbose_name = gettext_lazy("登录失败计数")
        verbose_name_plural = gettext_lazy("登录失败计数")
        constraints = [
            models.UniqueConstraint(fields=["username", "client"], name="login_throttle_unique")
        ]

    def __str__(self) -> str:
        return f"{self.username} @ {self.client}: {self.failures}"
