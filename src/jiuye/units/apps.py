from django.apps import AppConfig


class UnitsConfig(AppConfig):
    name = "jiuye.units"
    label = "units"
    verbose_name = "行政区划与网格"
