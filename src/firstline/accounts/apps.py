from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "firstline.accounts"
    label = "accounts"

    def ready(self) -> None:
        from firstline.accounts import policy  # noqa: F401  registers this domain's rules
