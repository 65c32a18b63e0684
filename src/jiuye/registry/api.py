"""Registry API: persons and households, read through the jurisdiction scope.

Every ID number and phone number leaves masked (first 6 + last 4; 3 + 4) and free text is passed
through ``mask_text``. Birth date, ``work_from`` and ``retire_on`` are not exposed: with the
unmasked ends of an ID number they would give back the whole number.

Every answer that shows persons or households is recorded: one audit row per request with the
ids of the page or the object (``audit.services.audit_read``), so paging through a whole
district leaves one row per page naming who read which ids (issue 11, finding 10).
"""

from datetime import date
from typing import Any

from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Path, Query, Router, Schema
from ninja.pagination import paginate

from jiuye.audit.services import audit_read
from jiuye.lib.api_schemas import (
    DETAIL_ERRORS,
    LIST_ERRORS,
    MAX_ID,
    Code,
    Pagination,
    Search,
    caller,
)
from jiuye.lib.masking import mask_id_number, mask_phone, mask_text
from jiuye.registry import selectors
from jiuye.registry.models import (
    DifficultyCategory,
    DifficultyRecognition,
    Household,
    HukouType,
    Person,
    Sex,
    Status,
    StatusEvent,
)

router = Router()


class AuditedPagination(Pagination):
    """The API's one pagination, recording the page it answers (``what``: ``persons`` or
    ``households``, the kind of row)."""

    def __init__(self, *, what: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.what = what

    def paginate_queryset(
        self, queryset: QuerySet[Any], pagination: Any, request: HttpRequest, **params: Any
    ) -> Any:
        result = super().paginate_queryset(queryset, pagination, request=request, **params)
        items = list(result["items"])  # read once: answered and audited
        result["items"] = items
        ids = [item.pk for item in items]
        audit_read(
            actor=caller(request),
            what=f"api.{self.what}_list",
            persons=ids if self.what == "persons" else (),
            households=ids if self.what == "households" else (),
            extra={"offset": pagination.offset},
        )
        return result


def _today() -> date:
    return timezone.localdate()


def _age(birth: date, on: date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


# --- schemas ---------------------------------------------------------------------------------


class PersonOut(Schema):
    id: int
    name: str
    id_number_masked: str
    sex: Sex
    age: int
    hukou_type: HukouType
    household_id: int
    household_number: str
    community_code: str
    grid_code: str | None
    current_status: Status | None
    current_since: date | None
    current_registered: bool

    @staticmethod
    def resolve_id_number_masked(obj: Person) -> str:
        return mask_id_number(obj.id_number)

    @staticmethod
    def resolve_age(obj: Person) -> int:
        return _age(obj.birth_date, _today())

    @staticmethod
    def resolve_household_number(obj: Person) -> str:
        return obj.household.number

    @staticmethod
    def resolve_community_code(obj: Person) -> str:
        return obj.community.code

    @staticmethod
    def resolve_grid_code(obj: Person) -> str | None:
        return obj.grid.code if obj.grid_id and obj.grid else None

    @staticmethod
    def resolve_current_status(obj: Person) -> str | None:
        return obj.current_status or None


class StatusEventOut(Schema):
    status: Status
    since: date
    until: date | None
    registered: bool
    employer: str
    cause: str

    @staticmethod
    def resolve_employer(obj: StatusEvent) -> str:
        return mask_text(obj.employer)

    @staticmethod
    def resolve_cause(obj: StatusEvent) -> str:
        return mask_text(obj.cause)


class RecognitionOut(Schema):
    category: DifficultyCategory
    recognized_on: date
    ended_on: date | None
    note: str

    @staticmethod
    def resolve_note(obj: DifficultyRecognition) -> str:
        return mask_text(obj.note)


class PersonDetailOut(PersonOut):
    phone_masked: str
    relation: str
    working_age: bool
    able: bool
    willing: bool
    female_base: int | None
    education: str
    skill_level: str
    disabled: bool
    veteran: bool
    migrant_worker: bool
    landless: bool
    poverty_labor: bool
    graduate_year: int | None
    status_history: list[StatusEventOut]
    recognitions: list[RecognitionOut]

    @staticmethod
    def resolve_phone_masked(obj: Person) -> str:
        return mask_phone(obj.phone)

    @staticmethod
    def resolve_relation(obj: Person) -> str:
        return mask_text(obj.relation)

    @staticmethod
    def resolve_working_age(obj: Person) -> bool:
        return obj.work_from <= _today() < obj.retire_on

    @staticmethod
    def resolve_status_history(obj: Person) -> list[StatusEvent]:
        return list(getattr(obj, "visible_history", []))

    @staticmethod
    def resolve_recognitions(obj: Person) -> list[DifficultyRecognition]:
        return list(getattr(obj, "visible_recognitions", []))


class MemberOut(Schema):
    id: int
    name: str
    id_number_masked: str
    sex: Sex
    age: int
    relation: str
    current_status: Status | None

    @staticmethod
    def resolve_id_number_masked(obj: Person) -> str:
        return mask_id_number(obj.id_number)

    @staticmethod
    def resolve_age(obj: Person) -> int:
        return _age(obj.birth_date, _today())

    @staticmethod
    def resolve_relation(obj: Person) -> str:
        return mask_text(obj.relation)

    @staticmethod
    def resolve_current_status(obj: Person) -> str | None:
        return obj.current_status or None


class HouseholdOut(Schema):
    id: int
    number: str
    community_code: str
    grid_code: str | None
    hukou_type: HukouType
    dibao: bool
    member_count: int

    @staticmethod
    def resolve_community_code(obj: Household) -> str:
        return obj.community.code

    @staticmethod
    def resolve_grid_code(obj: Household) -> str | None:
        return obj.grid.code if obj.grid_id and obj.grid else None


class HouseholdDetailOut(HouseholdOut):
    address: str
    members: list[MemberOut]

    @staticmethod
    def resolve_address(obj: Household) -> str:
        return mask_text(obj.address)

    @staticmethod
    def resolve_members(obj: Household) -> list[Person]:
        return list(getattr(obj, "visible_members", []))


class PersonFilter(Schema):
    community: Code | None = Field(None, description="community (or village) code")
    status: Status | None = Field(None, description="current employment status")
    registered: bool | None = Field(None, description="registered unemployed (登记失业)")
    q: Search | None = Field(None, description="part of the name")


class HouseholdFilter(Schema):
    community: Code | None = Field(None, description="community (or village) code")
    dibao: bool | None = None
    q: Search | None = Field(None, description="part of the household number")


# --- endpoints -------------------------------------------------------------------------------


@router.get(
    "/persons/",
    response={200: list[PersonOut], **LIST_ERRORS},
    tags=["persons"],
    operation_id="person_list",
    summary="Visible persons",
)
@paginate(AuditedPagination, what="persons")
def person_list(request: HttpRequest, filters: Query[PersonFilter]) -> QuerySet[Person]:
    persons = selectors.persons_visible(user=caller(request)).select_related(
        "household", "community", "grid"
    )
    if filters.community:
        persons = persons.filter(community__code=filters.community)
    if filters.status:
        persons = persons.filter(current_status=filters.status)
    if filters.registered is not None:
        persons = persons.filter(current_registered=filters.registered)
    if filters.q:
        persons = persons.filter(name__icontains=filters.q)
    return persons.order_by("id")


@router.get(
    "/persons/{person_id}/",
    response={200: PersonDetailOut, **DETAIL_ERRORS},
    tags=["persons"],
    operation_id="person_get",
    summary="One person with history",
    description="With status history and difficulty recognitions.",
)
def person_detail(request: HttpRequest, person_id: int = Path(..., ge=1, le=MAX_ID)) -> Person:
    user = caller(request)
    person = selectors.person_get(user=user, pk=person_id)
    history = selectors.status_history(user=user, person=person)
    person.visible_history = list(history)  # type: ignore[attr-defined]
    recognitions = selectors.recognitions(user=user, person=person)
    person.visible_recognitions = list(recognitions)  # type: ignore[attr-defined]
    audit_read(
        actor=user, what="api.person", persons=[person.pk], obj=person, unit=person.community
    )
    return person


@router.get(
    "/households/",
    response={200: list[HouseholdOut], **LIST_ERRORS},
    tags=["households"],
    operation_id="household_list",
    summary="Visible households",
)
@paginate(AuditedPagination, what="households")
def household_list(request: HttpRequest, filters: Query[HouseholdFilter]) -> QuerySet[Household]:
    households = selectors.households_visible(user=caller(request)).select_related(
        "community", "grid"
    )
    if filters.community:
        households = households.filter(community__code=filters.community)
    if filters.dibao is not None:
        households = households.filter(dibao=filters.dibao)
    if filters.q:
        households = households.filter(number__icontains=filters.q)
    return households.annotate(member_count=Count("members")).order_by("number")


@router.get(
    "/households/{household_id}/",
    response={200: HouseholdDetailOut, **DETAIL_ERRORS},
    tags=["households"],
    operation_id="household_get",
    summary="One household with its members",
)
def household_detail(
    request: HttpRequest, household_id: int = Path(..., ge=1, le=MAX_ID)
) -> Household:
    user = caller(request)
    household = selectors.household_get(user=user, pk=household_id)
    members = selectors.persons_visible(user=user).filter(household=household)
    household.visible_members = list(members.order_by("id"))  # type: ignore[attr-defined]
    household.member_count = len(household.visible_members)  # type: ignore[attr-defined]
    audit_read(
        actor=user,
        what="api.household",
        persons=[m.pk for m in household.visible_members],  # type: ignore[attr-defined]
        households=[household.pk],
        obj=household,
        unit=household.community,
    )
    return household
