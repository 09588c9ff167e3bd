from django.apps import AppConfig


class GlossaryConfig(AppConfig):
    name = "cms.glossary"
    label = "glossary"
    verbose_name = "Glossary"
