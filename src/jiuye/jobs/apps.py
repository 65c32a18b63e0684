from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "jiuye.jobs"
    label = "jobs"
    verbose_name = "用人单位与岗位"

    def ready(self) -> None:
        # A person's referrals on their casework page (``casework.panels``: casework, a lower
        # layer, does not import jobs).
        from jiuye.casework.panels import register_person_panel
        from jiuye.jobs.posting_views import PERSON_PANEL, person_panel

        register_person_panel("referrals", PERSON_PANEL, person_panel)
