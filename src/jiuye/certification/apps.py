from django.apps import AppConfig


class CertificationConfig(AppConfig):
    name = "jiuye.certification"
    label = "certification"
    verbose_name = "创建与认定"
