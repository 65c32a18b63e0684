"""The employers' API (mounted under ``/api/jobs/`` by ``jiuye.api.api``): the employers of the
caller's jurisdiction with their figures, and the writes of the pages: register and edit an
employer, report its staff count, a labor contract, a layoff and a hire.

Reads go through ``jobs.selectors`` (a foreign employer is 404); writes through
``jobs.services``, which decide who may (403 for what is not the caller's: an employer outside
their jurisdiction as keeper, a person they may not write) and refuse bad data (422, with the
service's reason). A contract's employee leaves as a masked number only; a hire's person as
their masked number and their new status.
"""

from datetime import date
from typing import Annotated, Any, Literal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Path, Query, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status
from pydantic import AfterValidator, StringConstraints

from jiuye.jobs import checks, selectors, services
from jiuye.jobs.models import Employer, Hire, Layoff, StaffReport
from jiuye.lib.api_schemas import (
    DETAIL_ERRORS,
    LIST_ERRORS,
    MAX_ID,
    WRITE_ERRORS,
    Code,
    Pagination,
    Search,
    caller,
    invalid,
    refused,
)
from jiuye.lib.dates import ApiDate
from jiuye.lib.idcard import IdNumberError, parse
from jiuye.lib.masking import mask_id_number
from jiuye.registry.selectors import persons_visible
from jiuye.units.models import Unit
from jiuye.units.scope import units_visible

router = Router(tags=["employers"])

MAX_COUNT = 10_000_000  # staff and layoff counts: far beyond any employer, within the columns
MAX_TERM = 600  # months


def _no_nul(value: str) -> str:
    # PostgreSQL refuses NUL in text: a validation error here, not a 500 there.
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


Text = Annotated[str, StringConstraints(max_length=200), AfterValidator(_no_nul)]
Short = Annotated[str, StringConstraints(max_length=60), AfterValidator(_no_nul)]
IdText = Annotated[str, StringConstraints(max_length=30), AfterValidator(_no_nul)]
EmployerId = Annotated[int, Path(ge=1, le=MAX_ID)]


# --- schemas ---------------------------------------------------------------------------------


class EmployerOut(Schema):
    id: int
    uscc: str
    name: str
    unit_code: str
    unit_name: str
    industry: str
    staff: int | None = Field(description="the latest staff count reported on or before today")
    staff_on: date | None
    open_postings: int = Field(description="postings open today with a vacancy left")
    laid_off: int = Field(description="persons laid off in the last twelve months")

    @staticmethod
    def resolve_unit_code(obj: Employer) -> str:
        return obj.unit.code

    @staticmethod
    def resolve_unit_name(obj: Employer) -> str:
        return obj.unit.name


class EmployerDetailOut(EmployerOut):
    counts: dict[str, int] = Field(
        description="staff_reports, contracts, layoffs, hires, postings: how many of each"
    )


class EmployerFilter(Schema):
    q: Search | None = Field(None, description="part of the name, or the start of the USCC")
    unit: Code | None = Field(None, description="a unit code: employers in it or under it")


class EmployerIn(Schema):
    uscc: Short
    name: Text
    unit: Code = Field(description="the community's or village's code (a grid: its community)")
    industry: Short = ""
    staff: int | None = Field(None, ge=0, le=MAX_COUNT, description="a first staff count")
    on: ApiDate | None = Field(None, description="the staff count's date (default today)")


class EmployerPatch(Schema):
    name: Text | None = None
    unit: Code | None = None
    industry: Short | None = None


class StaffIn(Schema):
    on: ApiDate
    staff: int = Field(ge=0, le=MAX_COUNT)


class StaffOut(Schema):
    on: date
    staff: int


class ContractIn(Schema):
    id_number: IdText
    kind: Literal["signed", "renewed", "ended"] = Field(description="签订 / 续订 / 终止")
    on: ApiDate
    term_months: int | None = Field(
        None, ge=0, le=MAX_TERM, description="signed and renewed: required; ended: none"
    )


class ContractOut(Schema):
    employee_masked: str
    kind: str
    on: date
    term_months: int | None


class LayoffIn(Schema):
    on: ApiDate
    count: int = Field(ge=0, le=MAX_COUNT)
    reason: Text


class LayoffOut(Schema):
    id: int
    on: date
    count: int
    reason: str
    abnormal: bool = Field(description="an abnormal reason: 经营困难、停产、破产、转产")

    @staticmethod
    def resolve_abnormal(obj: Layoff) -> bool:
        return checks.is_abnormal(obj.reason)


class HireIn(Schema):
    id_number: IdText = Field(description="a person of the registry the caller may write")
    on: ApiDate
    posting: int | None = Field(None, ge=1, le=MAX_ID, description="the posting filled, if any")


class HireOut(Schema):
    id: int
    person_id: int
    id_number_masked: str
    on: date
    posting: int | None
    status: str = Field(description="the person's employment status after the hire")

    @staticmethod
    def resolve_id_number_masked(obj: Hire) -> str:
        return mask_id_number(obj.person.id_number)

    @staticmethod
    def resolve_posting(obj: Hire) -> int | None:
        return obj.posting_id

    @staticmethod
    def resolve_status(obj: Hire) -> str:
        return str(obj.person.current_status)


# --- helpers ---------------------------------------------------------------------------------


def _unit(request: HttpRequest, code: str) -> Unit:
    unit = units_visible(caller(request)).filter(code=code).first()
    if unit is None:
        raise invalid("unit", f"no unit {code} in your jurisdiction")
    return unit


def _figures(request: HttpRequest, employer: Employer) -> Employer:
    user = caller(request)
    return (
        selectors.with_figures(
            selectors.employers_visible(user=user).filter(pk=employer.pk),
            on=timezone.localdate(),
        )
        .select_related("unit")
        .get()
    )


def _detail(request: HttpRequest, employer: Employer) -> Employer:
    found = _figures(request, employer)
    found.counts = selectors.employer_counts(employer=found)  # type: ignore[attr-defined]
    return found


# --- endpoints -------------------------------------------------------------------------------


@router.get(
    "/employers/",
    response={200: list[EmployerOut], **LIST_ERRORS},
    operation_id="employer_list",
    summary="Employers of the caller's jurisdiction, by name, with their figures today",
)
@paginate(Pagination)
def employer_list(request: HttpRequest, filters: Query[EmployerFilter]) -> QuerySet[Employer]:
    user = caller(request)
    unit = None
    if filters.unit:
        unit = units_visible(user).filter(code=filters.unit).first()
        if unit is None:  # not the caller's (or no such unit): nothing of it
            return Employer.objects.none()
    return selectors.employers_search(
        user=user, q=filters.q or "", unit=unit, on=timezone.localdate()
    )


@router.post(
    "/employers/",
    response={201: EmployerDetailOut, **WRITE_ERRORS},
    operation_id="employer_create",
    summary="Register an employer (its USCC validated), with an optional first staff count",
)
def employer_create(request: HttpRequest, body: EmployerIn) -> Status[Employer]:
    try:
        employer = services.employer_create(
            actor=caller(request),
            uscc=body.uscc,
            name=body.name,
            unit=_unit(request, body.unit),
            industry=body.industry,
            staff=body.staff,
            on=body.on,
        )
    except (PermissionDenied, ValidationError) as error:
        raise refused(error) from None
    return Status(201, _detail(request, employer))


@router.get(
    "/employers/{employer_id}",
    response={200: EmployerDetailOut, **DETAIL_ERRORS},
    operation_id="employer_detail",
    summary="One employer with its figures and how many reports of each kind it has",
)
def employer_detail(request: HttpRequest, employer_id: EmployerId) -> Employer:
    employer = selectors.employer_get(user=caller(request), pk=employer_id)
    return _detail(request, employer)


@router.patch(
    "/employers/{employer_id}",
    response={200: EmployerDetailOut, **WRITE_ERRORS},
    operation_id="employer_update",
    summary="Change an employer's name, unit or industry (its USCC never changes)",
)
def employer_update(request: HttpRequest, employer_id: EmployerId, body: EmployerPatch) -> Employer:
    employer = selectors.employer_get(user=caller(request), pk=employer_id)
    fields: dict[str, Any] = body.model_dump(exclude_unset=True, exclude_none=True)
    try:
        if "unit" in fields:
            fields["unit"] = _unit(request, fields["unit"])
        services.employer_update(actor=caller(request), employer=employer, **fields)
    except (PermissionDenied, ValidationError) as error:
        raise refused(error) from None
    return _detail(request, employer)


@router.post(
    "/employers/{employer_id}/staff",
    response={201: StaffOut, **WRITE_ERRORS},
    operation_id="employer_staff",
    summary="Report the staff count on a date (a second report that day replaces the first)",
)
def employer_staff(
    request: HttpRequest, employer_id: EmployerId, body: StaffIn
) -> Status[StaffReport]:
    employer = selectors.employer_get(user=caller(request), pk=employer_id)
    try:
        report = services.staff_report(
            actor=caller(request), employer=employer, on=body.on, staff=body.staff
        )
    except (PermissionDenied, ValidationError) as error:
        raise refused(error) from None
    return Status(201, report)


@router.post(
    "/employers/{employer_id}/contracts",
    response={201: ContractOut, **WRITE_ERRORS},
    operation_id="employer_contract",
    summary="Report a labor contract signed, renewed or ended (the number leaves masked)",
)
def employer_contract(
    request: HttpRequest, employer_id: EmployerId, body: ContractIn
) -> Status[Any]:
    employer = selectors.employer_get(user=caller(request), pk=employer_id)
    try:
        event = services.contract_record(
            actor=caller(request),
            employer=employer,
            id_number=body.id_number,
            kind=body.kind,
            on=body.on,
            term_months=body.term_months,
        )
    except (PermissionDenied, ValidationError) as error:
        raise refused(error) from None
    return Status(201, event)


@router.post(
    "/employers/{employer_id}/layoffs",
    response={201: LayoffOut, **WRITE_ERRORS},
    operation_id="employer_layoff",
    summary="Report a layoff: date, number of persons, reason",
)
def employer_layoff(
    request: HttpRequest, employer_id: EmployerId, body: LayoffIn
) -> Status[Layoff]:
    employer = selectors.employer_get(user=caller(request), pk=employer_id)
    try:
        layoff = services.layoff_record(
            actor=caller(request),
            employer=employer,
            on=body.on,
            count=body.count,
            reason=body.reason,
        )
    except (PermissionDenied, ValidationError) as error:
        raise refused(error) from None
    return Status(201, layoff)


@router.get(
    "/employers/{employer_id}/layoffs",
    response={200: list[LayoffOut], **DETAIL_ERRORS},
    operation_id="employer_layoffs",
    summary="An employer's layoffs, newest first, abnormal ones marked",
)
@paginate(Pagination)
def employer_layoffs(request: HttpRequest, employer_id: EmployerId) -> QuerySet[Layoff]:
    employer = selectors.employer_get(user=caller(request), pk=employer_id)
    return selectors.layoffs(user=caller(request), employer=employer)


@router.post(
    "/employers/{employer_id}/hires",
    response={201: HireOut, **WRITE_ERRORS},
    operation_id="employer_hire",
    summary="Report a hire of a person of the registry: their status changes in the same step",
)
def employer_hire(request: HttpRequest, employer_id: EmployerId, body: HireIn) -> Status[Hire]:
    user = caller(request)
    employer = selectors.employer_get(user=user, pk=employer_id)
    try:
        number = parse(body.id_number).number
    except IdNumberError:
        raise invalid("id_number", checks.problem("id_number_invalid").message()) from None
    person = persons_visible(user=user).filter(id_number=number).select_related("grid").first()
    if person is None:
        raise invalid("id_number", "no person of this ID number in your jurisdiction")
    posting = None
    if body.posting is not None:
        posting = selectors.employer_posting(employer=employer, pk=body.posting)
        if posting is None:
            raise invalid("posting", "no posting of this employer with this id")
    try:
        hire = services.hire_record(
            actor=user, employer=employer, person=person, on=body.on, posting=posting
        )
    except (PermissionDenied, ValidationError) as error:
        raise refused(error) from None
    hire.person.refresh_from_db(fields=["current_status"])
    return Status(201, hire)
