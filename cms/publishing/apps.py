from django.apps import AppConfig


class PublishingConfig(AppConfig):
    name = "cms.publishing"
    verbose_name = "Publishing"

    def ready(self):
        from . import signals  # noqa: F401  (connects the build triggers)
