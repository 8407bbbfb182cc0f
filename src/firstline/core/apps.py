from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "firstline.core"
    label = "core"
    verbose_name = "First Line core"

    def ready(self) -> None:
        from firstline.core.i18n import register_montenegrin

        register_montenegrin()
