"""The one NinjaAPI instance: docs at /api/docs, schema at /api/openapi.json.

Every operation requires authentication (a bearer token or the session, see ``auth``); each app
contributes a router and every read in it goes through the jurisdiction scope.
"""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest
from ninja import NinjaAPI, Schema

from jiuye.accounts.models import Role, User
from jiuye.api.auth import API_AUTH
from jiuye.lib.api_schemas import AUTH_ERRORS, caller
from jiuye.registry.api import router as registry_router
from jiuye.units.api import UnitOut
from jiuye.units.api import router as units_router
from jiuye.units.models import Unit

api = NinjaAPI(
    title="jiuye API",
    version="1",
    description="就业 — read access to the unit tree and the registry, within the caller's "
    "jurisdiction. ID numbers and phone numbers are always masked.",
    urls_namespace="api",
    auth=API_AUTH,
    docs_url="/docs",
    openapi_url="/openapi.json",
    # Outside the demo the schema and its page are for signed-in users only: they map every
    # endpoint and parameter (a token client reads the schema from the documentation shipped
    # with the release, or after signing in once).
    docs_decorator=None if settings.DEMO_MODE else login_required,
)


class MeOut(Schema):
    username: str
    full_name: str
    role: Role
    sees_personal_data: bool
    units: list[UnitOut]

    @staticmethod
    def resolve_units(obj: User) -> list[Unit]:
        return list(obj.units.select_related("parent").order_by("code"))


@api.get(
    "/me/",
    response={200: MeOut, **AUTH_ERRORS},
    tags=["me"],
    operation_id="me",
    summary="The calling user",
)
def me(request: HttpRequest) -> User:
    return caller(request)  # type: ignore[no-any-return]


api.add_router("/units/", units_router)
api.add_router("/", registry_router)
api.add_router("/standards/", "jiuye.standards.api.router")
api.add_router("/certification/", "jiuye.certification.api.router")
api.add_router("/monitoring/", "jiuye.monitoring.api.router")
# The jobs app's three routers share the prefix (nested under one router with an empty prefix,
# their paths lost the slash in a prefixed OpenAPI schema).
api.add_router("/jobs/", "jiuye.jobs.api_employers.router")
api.add_router("/jobs/", "jiuye.jobs.api_postings.router")
api.add_router("/jobs/", "jiuye.jobs.api_match.router")
# The policies' routers share the prefix (the escalation cases' router mounts beside this one).
api.add_router("/policies/", "jiuye.policies.api.router")
api.add_router("/policies/", "jiuye.policies.api_escalation.router")
