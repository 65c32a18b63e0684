from django.urls import path

from jiuye.ledger import views

app_name = "ledger"

urlpatterns = [
    path("", views.home, name="home"),
    path("upload/", views.upload, name="upload"),
    path("jobs/<int:pk>/", views.job, name="job"),
    path("jobs/<int:pk>/progress/", views.job_progress, name="job_progress"),
    path("jobs/<int:pk>/confirm/", views.job_confirm, name="job_confirm"),
    path("jobs/<int:pk>/errors.xlsx", views.job_errors, name="job_errors"),
    path("template.xlsx", views.template_download, name="template"),
    path("export/", views.export, name="export"),
    path("exports/<int:pk>/", views.export_job, name="export_job"),
    path("exports/<int:pk>/progress/", views.export_progress, name="export_progress"),
    path("exports/<int:pk>/download/", views.export_download, name="export_download"),
]
