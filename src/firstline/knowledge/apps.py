from django.apps import AppConfig


class KnowledgeConfig(AppConfig):
    name = "firstline.knowledge"
    label = "knowledge"

    def ready(self) -> None:
        from firstline.knowledge import policy  # noqa: F401  registers this domain's rules
