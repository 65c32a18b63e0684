"""The early-warning pages under ``/monitoring/warnings/`` (issue 15): names ``warnings:…``."""

from django.urls import path

from jiuye.monitoring import warning_views as views

app_name = "warnings"

urlpatterns = [
    path("", views.warning_list, name="list"),
    path("warnings.xlsx", views.warning_xlsx, name="xlsx"),
    path("run/", views.warning_run, name="run"),
    path("rules/", views.warning_rules, name="rules"),
    path("<int:pk>/", views.warning_detail, name="detail"),
    path("<int:pk>/acknowledge/", views.warning_acknowledge, name="acknowledge"),
    path("<int:pk>/close/", views.warning_close, name="close"),
]
