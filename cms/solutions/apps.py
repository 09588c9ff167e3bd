from django.apps import AppConfig


class SolutionsConfig(AppConfig):
    name = "cms.solutions"
    label = "solutions"
    verbose_name = "Solutions"

    def ready(self):
        from . import renditions

        renditions.connect()
