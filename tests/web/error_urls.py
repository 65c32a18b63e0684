"""The site's URLs and one view that fails: the 500 page as a visitor would meet it."""

from django.http import HttpRequest, HttpResponse
from django.urls import include, path


def fails(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("secret detail of the failure")


urlpatterns = [
    path("fails/", fails),
    path("", include("jiuye.urls")),
]
