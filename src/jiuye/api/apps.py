from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "jiuye.api"
    label = "api"
    verbose_name = "REST API"
