from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "jiuye.monitoring"
    label = "monitoring"
    verbose_name = "监测预警"

    def ready(self) -> None:
        # The roll-ups follow every write of the aggregates, the zero-family cases and the
        # service records (``monitoring.receivers``).
        from jiuye.monitoring import receivers  # noqa: F401
