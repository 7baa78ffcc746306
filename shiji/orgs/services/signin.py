"""Signing in: failures counted and locked per username and client address,
and the API tokens issued after a sign-in."""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import secrets
from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate
from django.db import transaction
from django.db.models import F, Max, Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from shiji.audit.kinds import EventKind
from shiji.audit.services import audit_record
from shiji.core.errors import AppError, Invalid, NotFound
from shiji.core.i18n import recorded
from shiji.orgs import policy
from shiji.orgs.models import (
    ApiToken,
    LoginThrottle,
    User,
)
from shiji.orgs.usernames import login_key

# Sign-in, counted and locked per username and client address --------------------


class LockedOut(AppError):
    status = 429
    code = "locked"


WRONG_CREDENTIALS = gettext_lazy("用户名或密码不正确")


def lock_minutes(failures: int) -> int:
    """The wait after the ``failures``-th failure in a row: none below
    ``LOGIN_MAX_FAILURES``, ``LOGIN_LOCKOUT_MINUTES`` at it, doubling with each
    failure after (one guess per wait), up to ``LOGIN_LOCKOUT_MAX_MINUTES``."""
    over = failures - settings.LOGIN_MAX_FAILURES
    if over < 0:
        return 0
    minutes: int = min(
        settings.LOGIN_LOCKOUT_MINUTES * 2 ** min(over, 20), settings.LOGIN_LOCKOUT_MAX_MINUTES
    )
    return minutes


def _locked_out(until: dt.datetime | None) -> LockedOut:
    left = (until - timezone.now()).total_seconds() if until else 60
    minutes = max(1, math.ceil(left / 60))
    return LockedOut(
        gettext("密码输错次数过多，请 %(n)s 分钟后再试，或请管理员解除锁定") % {"n": minutes}
    )


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


def login_failed(*, key: str, client: str, account: User | None, failures: int) -> None:
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
            note=recorded("来自 %(client)s 的连续第 %(n)s 次失败", client=client, n=failures),
        )


def locks_lift(user: User) -> dt.datetime | None:
    """Lift the locks of every client address on ``user``; the latest one
    that was in force, or None when there was none (then nothing changes)."""
    rows = LoginThrottle.objects.filter(username=login_key(user.username))
    latest: dt.datetime | None = rows.filter(locked_until__gt=timezone.now()).aggregate(
        m=Max("locked_until")
    )["m"]
    if latest is not None:
        rows.delete()
    return latest


def account_for_key(key: str) -> User | None:
    """The account a login key names (usernames are unique ignoring case;
    ``lower(username)`` is the indexed expression)."""
    return User.objects.alias(key=Lower("username")).filter(key=key).first()


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
    account = account_for_key(key)
    authed = authenticate(request, username=account.username if account else key, password=password)
    if authed is None:
        login_failed(key=key, client=client, account=account, failures=failures)
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
        raise NotFound(gettext("令牌不存在"))
    deleted = ApiToken.objects.filter(pk=token.pk).delete()[0]
    if deleted:
        audit_record(
            actor=actor,
            action=EventKind.USER_TOKEN_REVOKE,
            obj=actor,
            changes={"api_token": [token.pk, None]},
        )
