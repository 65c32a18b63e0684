"""The employers' pages under ``/jobs/`` (namespace ``jobs``): the landing page (the employers
of the user's jurisdiction), an employer and its report forms."""

from __future__ import annotations

from django.urls import URLPattern, path

from jiuye.jobs import employer_views as views

urlpatterns: list[URLPattern] = [
    path("", views.index, name="index"),
    path("employers/new/", views.employer_new, name="employer_new"),
    path("employers/<int:pk>/", views.detail, name="employer_detail"),
    path("employers/<int:pk>/edit/", views.employer_edit, name="employer_edit"),
    path("employers/<int:pk>/staff/", views.staff_new, name="employer_staff"),
    path("employers/<int:pk>/contracts/", views.contract_new, name="employer_contract"),
    path("employers/<int:pk>/layoffs/", views.layoff_new, name="employer_layoff"),
    path("employers/<int:pk>/hires/", views.hire_new, name="employer_hire"),
]
