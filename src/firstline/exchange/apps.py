from django.apps import AppConfig


class ExchangeConfig(AppConfig):
    name = "firstline.exchange"
    label = "exchange"

    def ready(self) -> None:
        from firstline.exchange import policy  # noqa: F401  registers this domain's rules
