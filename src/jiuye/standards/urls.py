from django.urls import path

from jiuye.standards import views

app_name = "standards"

urlpatterns = [
    path("", views.index, name="index"),
    path("units/<str:code>/", views.unit_evaluation, name="unit"),
    path("units/<str:code>/indicators/<str:indicator>/", views.indicator_behind, name="behind"),
    path("units/<str:code>/ticks/", views.tick, name="tick"),
]
