from django.urls import path

from jiuye.web import summary, views

urlpatterns = [
    path("", views.home, name="home"),
    path("stats/", views.home_stats, name="home_stats"),
    path("persons/", views.person_list, name="person_list"),
    path("persons/<int:pk>/", views.person_detail, name="person_detail"),
    path("persons/<int:pk>/reveal/", views.person_reveal, name="person_reveal"),
    path("households/", views.household_list, name="household_list"),
    path("households/<int:pk>/", views.household_detail, name="household_detail"),
    path("units/", views.unit_tree, name="unit_tree"),
    path("units/summary/", summary.community_summary, name="community_summary"),
]
