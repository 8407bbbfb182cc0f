from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "firstline.core"
    label = "core"
    verbose_name = "First Line core"
