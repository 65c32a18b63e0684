from django.urls import path

from jiuye.casework import views

app_name = "casework"

urlpatterns = [
    path("", views.worklist, name="worklist"),
    path("rules/<str:rule_id>/", views.rule, name="rule"),
    path("persons/<int:pk>/", views.person, name="person"),
    path("persons/<int:pk>/services/new/", views.service_new, name="service_new"),
    path("persons/<int:pk>/profile/", views.profile, name="profile"),
    path("persons/<int:pk>/employment/", views.employment, name="employment"),
    path("persons/<int:pk>/assistance/", views.assistance_open, name="assistance_open"),
    path("services/<int:pk>/delete/", views.service_delete, name="service_delete"),
    path("status-events/<int:pk>/withdraw/", views.status_withdraw, name="status_withdraw"),
    path("assistance/<int:pk>/", views.assistance, name="assistance"),
    path("households/<int:pk>/", views.household, name="household"),
    path("zero-families/", views.zero_families, name="zero_families"),
    path("ten-clears/", views.ten_clears, name="ten_clears"),
    path("ledgers/<str:name>/", views.ledger, name="ledger"),
]
