from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "jiuye.web"
    label = "web"
    verbose_name = "网页"
