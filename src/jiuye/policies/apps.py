from django.apps import AppConfig


class PoliciesConfig(AppConfig):
    name = "jiuye.policies"
    label = "policies"
    verbose_name = "政策与资金"
