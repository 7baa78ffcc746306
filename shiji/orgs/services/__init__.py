"""Writes for zones, organizations, people and accounts, one module per
concern:

- ``tree``: zones, the organization tree and the roster of people;
- ``accounts``: users, their role grants, usernames and passwords;
- ``signin``: sign-in counted and locked per username and client address,
  and API tokens.

Each write runs in one transaction and records its audit event there.
Callers import from ``shiji.orgs.services``.
"""

from shiji.orgs.services.accounts import (
    RESERVED_USERNAMES,
    SCOPE_KIND_LABELS,
    USER_FIELDS,
    password_change,
    user_create,
    user_update,
    username_clean_new,
)
from shiji.orgs.services.signin import (
    LockedOut,
    authenticate_with_lockout,
    lock_minutes,
    login_claim,
    login_release,
    login_throttles_purge,
    token_authenticate,
    token_issue,
    token_revoke,
)
from shiji.orgs.services.tree import (
    ORG_FIELDS,
    PERSON_FIELDS,
    ZONE_FIELDS,
    org_create,
    org_update,
    person_create,
    person_update,
    zone_create,
)

__all__ = [
    "ORG_FIELDS",
    "PERSON_FIELDS",
    "RESERVED_USERNAMES",
    "SCOPE_KIND_LABELS",
    "USER_FIELDS",
    "ZONE_FIELDS",
    "LockedOut",
    "authenticate_with_lockout",
    "lock_minutes",
    "login_claim",
    "login_release",
    "login_throttles_purge",
    "org_create",
    "org_update",
    "password_change",
    "person_create",
    "person_update",
    "token_authenticate",
    "token_issue",
    "token_revoke",
    "user_create",
    "user_update",
    "username_clean_new",
    "zone_create",
]
