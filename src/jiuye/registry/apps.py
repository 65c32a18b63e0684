from django.apps import AppConfig


class RegistryConfig(AppConfig):
    name = "jiuye.registry"
    label = "registry"
    verbose_name = "劳动力资源信息库"
