from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "shiji.audit"
    label = "audit"

    def ready(self) -> None:
        # Malformed AUDIT_HMAC_KEYS stop every command and server at start,
        # not at the first write; missing keys in production are a system
        # check error (checks.py), so collectstatic still runs without them.
        from shiji.audit import checks, keys  # noqa: F401 (registers the check)

        keys.check_format()
