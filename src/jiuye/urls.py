from django.contrib.auth import views as auth_views
from django.urls import include, path

from jiuye.web import views as web_views

urlpatterns = [
    path("", web_views.home, name="home"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
]
