from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "firstline.audit"
    label = "audit"

    def ready(self) -> None:
        from firstline.audit import checks, policy  # noqa: F401  registers rules and checks
