from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "jiuye.monitoring"
    label = "monitoring"
    verbose_name = "监测预警"

    def ready(self) -> None:
        # The roll-ups follow every write of the aggregates, the zero-family cases and the
        # service records (``monitoring.receivers``).
        # The active warnings land on the responsible unit's worklist (``casework.panels``:
        # casework, a lower layer, does not import monitoring).
        from jiuye.casework.panels import register_panel
        from jiuye.monitoring import receivers  # noqa: F401
        from jiuye.monitoring.warning_panel import TEMPLATE, worklist_panel

        register_panel("warnings", TEMPLATE, worklist_panel)
