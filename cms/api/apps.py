from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "cms.api"
    label = "headless_api"
    verbose_name = "Headless API"
