from django.apps import AppConfig


class ClusterConfig(AppConfig):
    name = "jiuye.cluster"
    label = "cluster"
    verbose_name = "Citus 集群部署"
