from django.apps import AppConfig


class StandardsConfig(AppConfig):
    name = "jiuye.standards"
    label = "standards"
    verbose_name = "标准评估"

    def ready(self) -> None:
        from jiuye.standards import receivers  # noqa: F401  (connects the signal receivers)
