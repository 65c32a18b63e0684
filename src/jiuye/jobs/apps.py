from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "jiuye.jobs"
    label = "jobs"
    verbose_name = "用人单位与岗位"
