from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "jiuye.accounts"
    label = "accounts"
    verbose_name = "用户与权限"

    def ready(self) -> None:
        from jiuye.accounts import checks, signals  # noqa: F401  (registers receivers, checks)
        from jiuye.accounts.audit_districts import chain_district
        from jiuye.audit.services import set_district_rule

        set_district_rule(chain_district)
