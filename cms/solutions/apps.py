from django.apps import AppConfig


class SolutionsConfig(AppConfig):
    name = "cms.solutions"
    label = "solutions"
    verbose_name = "Solutions"
