from django.apps import AppConfig


class StandardsConfig(AppConfig):
    name = "jiuye.standards"
    label = "standards"
    verbose_name = "标准评估"

    def ready(self) -> None:
        from jiuye.casework import selectors as casework
        from jiuye.standards import (
            receivers,  # noqa: F401  (connects the signal receivers)
            selectors,
        )

        # The worklist's per-community "status not recorded" counts, from the aggregates.
        casework.status_not_recorded_counts_source(selectors.status_not_recorded_counts)
