from django.apps import AppConfig


class CoordinationConfig(AppConfig):
    name = "firstline.coordination"
    label = "coordination"
    verbose_name = "Coordination"

    def ready(self) -> None:
        from firstline.coordination import policy  # noqa: F401  registers this domain's rules
