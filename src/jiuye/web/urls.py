from django.urls import path

from jiuye.web import views

urlpatterns = [
    path("", views.home, name="home"),
]
