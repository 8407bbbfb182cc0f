from django.apps import AppConfig


class DirectoryConfig(AppConfig):
    name = "firstline.directory"
    label = "directory"

    def ready(self) -> None:
        from firstline.directory import policy  # noqa: F401  registers this domain's rules
