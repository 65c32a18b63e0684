from django.apps import AppConfig


class PoliciesConfig(AppConfig):
    name = "jiuye.policies"
    label = "policies"
    verbose_name = "政策与资金"

    def ready(self) -> None:
        # A person's policies and escalation cases (托底) on their casework page
        # (``casework.panels``: casework, a lower layer, does not import policies).
        from jiuye.casework.panels import register_person_panel
        from jiuye.policies import escalation_views, panels

        register_person_panel("policies", panels.PERSON_PANEL, panels.person_panel)
        register_person_panel(
            "escalation", escalation_views.PERSON_PANEL, escalation_views.person_panel
        )
