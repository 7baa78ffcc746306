"""The audit chain cannot be signed in production without real keys.

A system check, not a settings error, so that Django applies it where it
belongs: every command that runs the checks (migrate, db_worker, the audit
and demo commands, runserver) stops with this error, while collectstatic,
which only runs the static files checks, builds the assets without a
secret. The WSGI entry point (shiji/wsgi.py) runs the same rule for the
server, which Django does not check.
"""

from __future__ import annotations

from typing import Any

from django.core import checks
from django.core.exceptions import ImproperlyConfigured

from shiji.audit import keys


@checks.register("audit")
def audit_keys_configured(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    try:
        keys.check()
    except ImproperlyConfigured as exc:
        return [checks.Error(str(exc), id="audit.E001")]
    return []
