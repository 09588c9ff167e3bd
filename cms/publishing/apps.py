from django.apps import AppConfig


class PublishingConfig(AppConfig):
    name = "cms.publishing"
    verbose_name = "Publishing"

    def ready(self):
        from . import checks, signals  # noqa: F401  (registers the checks, connects the triggers)
