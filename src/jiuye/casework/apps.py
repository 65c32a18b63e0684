from django.apps import AppConfig


class CaseworkConfig(AppConfig):
    name = "jiuye.casework"
    label = "casework"
    verbose_name = "个案服务"

    def ready(self) -> None:
        from jiuye.casework import receivers  # noqa: F401  (connects the signal receivers)
