"""Root URL conf: each app mounts its own module; the API is one django-ninja instance."""

from django.urls import include, path

urlpatterns = [
    path("", include("jiuye.web.urls")),
    path("accounts/", include("jiuye.accounts.urls")),
    path("work/", include("jiuye.casework.urls")),
    path("ledger/", include("jiuye.ledger.urls")),
    path("standards/", include("jiuye.standards.urls")),
    path("certification/", include("jiuye.certification.urls")),
    path("board/", include("jiuye.certification.board_urls")),
    path("monitoring/", include("jiuye.monitoring.urls")),
    path("jobs/", include("jiuye.jobs.urls")),
    path("policies/", include("jiuye.policies.urls")),
    path("api/", include("jiuye.api.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
]
