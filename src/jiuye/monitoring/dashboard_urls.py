"""URLs of the dashboards (DOMAIN §10) under ``/monitoring/``: a unit's page, each of its
panels as an HTMX fragment and as a workbook, and the district's big screen (大屏)."""

from django.urls import path

from jiuye.monitoring import dashboard_views as views

app_name = "monitoring"

urlpatterns = [
    path("", views.index, name="index"),
    path("units/<str:code>/", views.unit_page, name="unit"),
    path("units/<str:code>/panels/<slug:name>/", views.panel, name="panel"),
    path("units/<str:code>/panels/<slug:name>.xlsx", views.panel_download, name="panel_xlsx"),
    path("screen/", views.screen_page, name="screen"),
    path("screen/body/", views.screen_body, name="screen_body"),
]
