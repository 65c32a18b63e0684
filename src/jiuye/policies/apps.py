from django.apps import AppConfig


class PoliciesConfig(AppConfig):
    name = "jiuye.policies"
    label = "policies"
    verbose_name = "政策与资金"

    def ready(self) -> None:
        # A person's escalation cases (托底) on their casework page (``casework.panels``:
        # casework, a lower layer, does not import policies).
        from jiuye.casework.panels import register_person_panel
        from jiuye.policies.escalation_views import PERSON_PANEL, person_panel

        register_person_panel("escalation", PERSON_PANEL, person_panel)
