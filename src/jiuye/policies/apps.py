from django.apps import AppConfig


class PoliciesConfig(AppConfig):
    name = "jiuye.policies"
    label = "policies"
    verbose_name = "政策与资金"

    def ready(self) -> None:
        from jiuye.casework.panels import register_person_panel
        from jiuye.policies.panels import PERSON_PANEL, person_panel

        register_person_panel("policies", PERSON_PANEL, person_panel)
