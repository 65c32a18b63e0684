"""Every write of employers' data (DOMAIN §8): keyword-only, typed, atomic, audited.

- ``employer_create`` / ``employer_update``: an employer, its USCC validated (python-stdnum),
  located in a community or village (a grid's employer is its community's);
- ``staff_report``, ``contract_record``, ``layoff_record``: its dated reports; re-recording the
  same report changes nothing (a re-imported workbook);
- ``hire_record``: a person of the registry hired by an employer, which sets the person's status
  to ``unit`` (or ``public_post`` for a public-welfare post) with the employer, in the same
  transaction; through a posting it fills one vacancy, never more than it has.

Postings and referrals are in ``jobs.postings``. Who may write: ``jobs.permissions`` for the
employer's data, ``units.scope.check_write`` for a hire (it writes the person's status).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from jiuye.accounts.models import User
from jiuye.audit.services import audit_record
from jiuye.jobs import checks
from jiuye.jobs.models import ContractEvent, Employer, Hire, Layoff, Posting, StaffReport
from jiuye.jobs.permissions import check_keep_employers
from jiuye.lib.idcard import IdNumberError, parse
from jiuye.lib.problems import Problem, make_problem, raise_problems
from jiuye.registry.models import Person, Status
from jiuye.registry.services import person_change_status, placement
from jiuye.units.models import COMMUNITY_LEVELS, Level, Unit
from jiuye.units.scope import check_write

EMPLOYER_FIELDS = ("name", "industry", "unit")

_MESSAGES: dict[str, tuple[str, str]] = {
    "employer_unit": (
        "用人单位须位于社区、村或网格（{unit}是{level}）",
        "An employer is located in a community, village or grid ({unit} is a {level})",
    ),
    "uscc_taken": (
        "统一社会信用代码已登记：{value}",
        "This unified social credit code is already registered: {value}",
    ),
    "name_required": ("须填写用人单位名称", "The employer's name is required"),
    "posting_full": (
        "岗位“{title}”的{n}个招聘名额已满",
        "All {n} vacancies of the posting '{title}' are filled",
    ),
    "posting_employer": (
        "岗位“{title}”不属于该用人单位",
        "The posting '{title}' is not this employer's",
    ),
    "already_hired": (
        "该人员已于{on}被该单位录用",
        "This person was already hired by this employer on {on}",
    ),
}


def _problem(code: str, field: str = "", **params: Any) -> Problem:
    return make_problem(_MESSAGES, code, field, **params)


def employer_place(unit: Unit) -> Unit:
    """The community or village an employer is kept in (a grid's: its community)."""
    if unit.level == Level.GRID and unit.parent is not None:
        return unit.parent
    if unit.level in COMMUNITY_LEVELS:
        return unit
    raise_problems(
        [
            _problem(
                "employer_unit",
                "unit",
                unit=unit.name,
                level=(Level(unit.level).label, unit.level),
            )
        ]
    )
    raise AssertionError  # unreachable: raise_problems raised


def _not_future(on: date, field: str, what: tuple[str, str], today: date | None) -> list[Problem]:
    today = today or timezone.localdate()
    if on > today:
        return [checks.problem("future", field, what=what, today=today.isoformat())]
    return []


# ---------------------------------------------------------------------------------------------
# Employers
# ---------------------------------------------------------------------------------------------


@transaction.atomic
def employer_create(
    *,
    actor: User | None,
    uscc: str,
    name: str,
    unit: Unit,
    industry: str = "",
    staff: int | None = None,
    on: date | None = None,
) -> Employer:
    """Register an employer; with ``staff``, its first staff report (dated ``on``, default
    today)."""
    unit = employer_place(unit)
    check_keep_employers(actor, unit)
    code = checks.normalize_uscc(uscc)
    problems = checks.uscc_problems(code)
    if not name.strip():
        problems.append(_problem("name_required", "name"))
    if not problems and Employer.objects.filter(uscc=code).exists():
        problems.append(_problem("uscc_taken", "uscc", value=code))
    raise_problems(problems)
    employer = Employer.objects.create(
        uscc=code, name=name.strip(), unit=unit, industry=industry.strip()
    )
    audit_record(
        actor=actor,
        action="employer.create",
        obj=employer,
        unit=unit,
        changes={"uscc": [None, code], "name": [None, employer.name]},
    )
    if staff is not None:
        staff_report(actor=actor, employer=employer, on=on or timezone.localdate(), staff=staff)
    return employer


@transaction.atomic
def employer_update(*, actor: User | None, employer: Employer, **fields: Any) -> Employer:
    """Change an employer's name, industry or unit (its USCC is its identity: never changed)."""
    unknown = set(fields) - set(EMPLOYER_FIELDS)
    if unknown:
        raise TypeError(f"not editable: {sorted(unknown)}")
    check_keep_employers(actor, employer.unit)
    if "unit" in fields:
        fields["unit"] = employer_place(fields["unit"])
        check_keep_employers(actor, fields["unit"])
    if "name" in fields:
        fields["name"] = str(fields["name"]).strip()
        raise_problems([] if fields["name"] else [_problem("name_required", "name")])
    changes: dict[str, list[Any]] = {}
    for key, value in fields.items():
        old = getattr(employer, key)
        if old != value:
            changes[key] = [str(old), str(value)]
            setattr(employer, key, value)
    if changes:
        employer.save()
        audit_record(
            actor=actor, action="employer.update", obj=employer, unit=employer.unit, changes=changes
        )
    return employer


# ---------------------------------------------------------------------------------------------
# Reports
# ---------------------------------------------------------------------------------------------


@transaction.atomic
def staff_report(
    *, actor: User | None, employer: Employer, on: date, staff: int, today: date | None = None
) -> StaffReport:
    """The staff count on a date (a second report the same day replaces the first)."""
    check_keep_employers(actor, employer.unit)
    problems = _not_future(on, "on", ("报告日期", "report date"), today)
    if staff is None or staff < 0:
        problems.append(checks.problem("staff_negative", "staff"))
    raise_problems(problems)
    report, created = StaffReport.objects.get_or_create(
        employer=employer, on=on, defaults={"staff": staff}
    )
    if not created and report.staff == staff:
        return report
    old = None if created else report.staff
    if not created:
        report.staff = staff
        report.save(update_fields=["staff"])
    audit_record(
        actor=actor,
        action="employer.staff",
        obj=employer,
        unit=employer.unit,
        changes={"on": [None, on.isoformat()], "staff": [old, staff]},
    )
    return report


def _id_number(raw: str, field: str = "id_number") -> str:
    try:
        return parse(raw).number
    except IdNumberError:
        raise_problems([checks.problem("id_number_invalid", field)])
        raise AssertionError from None  # unreachable


@transaction.atomic
def contract_record(
    *,
    actor: User | None,
    employer: Employer,
    id_number: str,
    kind: str,
    on: date,
    term_months: int | None = None,
    today: date | None = None,
) -> ContractEvent:
    """One contract event (签订/续订/终止) of an employee of ``employer``. The employee is kept as
    a keyed digest and a masked number (and linked when in the registry). Recording the same
    event again changes nothing; another event of the same employee on the same day is refused
    by the database's one-event-a-day rule, reported as a problem."""
    check_keep_employers(actor, employer.unit)
    number = _id_number(id_number)
    problems = checks.contract_problems(kind=kind, term_months=term_months)
    problems += _not_future(on, "on", ("日期", "date"), today)
    raise_problems(problems)
    key = checks.employee_key(number)
    existing = ContractEvent.objects.filter(employer=employer, employee_key=key, on=on).first()
    if existing is not None:
        if existing.kind == kind and existing.term_months == term_months:
            return existing
        old = [existing.kind, existing.term_months]
        existing.kind, existing.term_months = kind, term_months
        existing.save(update_fields=["kind", "term_months"])
        event = existing
    else:
        old = None
        event = ContractEvent.objects.create(
            employer=employer,
            employee_key=key,
            employee_masked=checks.employee_masked(number),
            person=Person.objects.filter(id_number=number).first(),
            kind=kind,
            on=on,
            term_months=term_months,
        )
    audit_record(
        actor=actor,
        action="employer.contract",
        obj=employer,
        unit=employer.unit,
        changes={"on": [None, on.isoformat()], "contract": [old, [kind, term_months]]},
    )
    return event


@transaction.atomic
def layoff_record(
    *,
    actor: User | None,
    employer: Employer,
    on: date,
    count: int,
    reason: str,
    today: date | None = None,
) -> Layoff:
    """A layoff (裁员): date, number of persons, reason. The same report again changes nothing."""
    check_keep_employers(actor, employer.unit)
    problems = checks.layoff_problems(count=count, reason=reason)
    problems += _not_future(on, "on", ("日期", "date"), today)
    raise_problems(problems)
    layoff, created = Layoff.objects.get_or_create(
        employer=employer, on=on, reason=reason.strip(), defaults={"count": count}
    )
    if not created and layoff.count == count:
        return layoff
    old = None if created else layoff.count
    if not created:
        layoff.count = count
        layoff.save(update_fields=["count"])
    audit_record(
        actor=actor,
        action="employer.layoff",
        obj=employer,
        unit=employer.unit,
        changes={"on": [None, on.isoformat()], "count": [old, count], "reason": [None, reason]},
    )
    return layoff


# ---------------------------------------------------------------------------------------------
# Hires
# ---------------------------------------------------------------------------------------------


@transaction.atomic
def hire_record(
    *,
    actor: User | None,
    employer: Employer,
    person: Person,
    on: date,
    posting: Posting | None = None,
    referral: Any = None,
    today: date | None = None,
) -> Hire:
    """``person`` hired by ``employer`` on ``on``, in one step: the hire, the person's status
    (``public_post`` for a public-welfare post, else ``unit``, with the employer's name) and,
    through a posting, one of its vacancies filled. A second hire of the same person by the same
    employer on the same day, or a hire into a full posting, is refused and changes nothing."""
    check_write(actor, placement(person))
    problems = _not_future(on, "on", ("录用日期", "hire date"), today)
    if posting is not None and posting.employer_id != employer.pk:
        problems.append(_problem("posting_employer", "posting", title=posting.title))
    if Hire.objects.filter(employer=employer, person=person, on=on).exists():
        problems.append(_problem("already_hired", "person", on=on.isoformat()))
    raise_problems(problems)
    if posting is not None:
        # One statement: the database decides whether a vacancy is left (two workers hiring
        # into the last vacancy at once: one of them fills it).
        filled = Posting.objects.filter(pk=posting.pk, filled__lt=F("vacancies")).update(
            filled=F("filled") + 1
        )
        if not filled:
            raise_problems(
                [_problem("posting_full", "posting", title=posting.title, n=posting.vacancies)]
            )
        posting.refresh_from_db(fields=["filled"])
    try:
        with transaction.atomic():
            hire = Hire.objects.create(
                employer=employer, person=person, on=on, posting=posting, referral=referral
            )
    except IntegrityError:
        message = _problem("already_hired", "person", on=on.isoformat()).message()
        raise ValidationError(message, code="already_hired") from None
    status = Status.PUBLIC_POST if posting is not None and posting.public_welfare else Status.UNIT
    person_change_status(
        actor=actor, person=person, status=status, since=on, employer=employer.name
    )
    audit_record(
        actor=actor,
        action="employer.hire",
        obj=person,
        unit=person.community,
        changes={
            "employer": [None, employer.pk],
            "posting": [None, posting.pk if posting else None],
            "on": [None, on.isoformat()],
        },
    )
    return hire
