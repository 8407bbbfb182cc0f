from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "firstline.audit"
    label = "audit"

    def ready(self) -> None:
        from firstline.audit import policy  # noqa: F401  registers this domain's rules
