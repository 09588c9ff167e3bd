from django.apps import AppConfig


class ImportsConfig(AppConfig):
    name = "cms.imports"
    label = "imports"
    verbose_name = "Imports"
