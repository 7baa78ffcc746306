from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "shiji.audit"
    label = "audit"

    def ready(self) -> None:
        # Malformed AUDIT_HMAC_KEYS stop every command and server at start,
        # not at the first write.
        from shiji.audit import keys

        keys.check()
