from django.urls import path

from jiuye.web import registry_views, summary, views

urlpatterns = [
    path("", views.home, name="home"),
    path("stats/", views.home_stats, name="home_stats"),
    path("persons/", views.person_list, name="person_list"),
    path("persons/<int:pk>/", views.person_detail, name="person_detail"),
    path("persons/<int:pk>/reveal/", views.person_reveal, name="person_reveal"),
    path("persons/<int:pk>/edit/", registry_views.person_edit, name="person_edit"),
    path("persons/<int:pk>/move/", registry_views.person_move, name="person_move"),
    path("persons/<int:pk>/head/", registry_views.household_head, name="household_head"),
    path(
        "persons/<int:pk>/recognitions/new/",
        registry_views.recognition_new,
        name="recognition_new",
    ),
    path("recognitions/<int:pk>/end/", registry_views.recognition_end, name="recognition_end"),
    path("households/", views.household_list, name="household_list"),
    path("households/new/", registry_views.household_new, name="household_new"),
    path("households/<int:pk>/", views.household_detail, name="household_detail"),
    path("households/<int:pk>/persons/new/", registry_views.person_new, name="person_new"),
    path("idcheck/", registry_views.idcheck, name="idcheck"),
    path("units/", views.unit_tree, name="unit_tree"),
    path("units/summary/", summary.community_summary, name="community_summary"),
]
