"""Every write of postings and referrals (DOMAIN §8): keyword-only, typed, atomic, audited.

- ``posting_create`` / ``posting_update`` / ``posting_close``: a posting of an employer (or a
  public-welfare post), checked by ``jobs.checks.posting_problems``; written by those who keep
  the employer (``jobs.permissions``); its work place lies in the employer's district; its
  ``terms`` are the matcher's words (``jobs.text``).
- ``referral_create``: a person referred to a posting open on the day (``posting_selectors.
  open_q``): the casework service record of kind ``referral`` and the referral, in one step; a
  public-welfare post only for a person recognised difficult that day (``jobs.eligibility``).
- ``referral_outcome``: interviewed, then hired or declined (final). Hired is
  ``services.hire_record`` in the same transaction: the person's status, the hire and one
  vacancy filled, once.

Referrals write a resident's data: ``units.scope.check_write`` on the person.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from jiuye.accounts.models import User
from jiuye.audit.services import audit_record
from jiuye.casework.models import ServiceKind
from jiuye.casework.services import service_record_create
from jiuye.jobs import checks
from jiuye.jobs.eligibility import public_welfare_allowed
from jiuye.jobs.models import DeclinedBy, Employer, Posting, Referral, ReferralOutcome
from jiuye.jobs.permissions import check_keep_employers, may_assist
from jiuye.jobs.posting_selectors import is_open
from jiuye.jobs.services import hire_record
from jiuye.jobs.text import posting_terms
from jiuye.lib.problems import Problem, make_problem, raise_problems
from jiuye.registry.models import Person
from jiuye.registry.services import placement
from jiuye.units.models import Unit
from jiuye.units.scope import check_write

NUMBER_PREFIX = "GW"
NOTE_MAX = 500
# What ``posting_update`` may change (the number and the employer are the posting's identity;
# ``closes_on`` also through ``posting_close``).
POSTING_FIELDS = (
    "title",
    "occupation",
    "skills",
    "min_education",
    "age_min",
    "age_max",
    "vacancies",
    "pay_min",
    "pay_max",
    "unit",
    "public_welfare",
    "opens_on",
    "closes_on",
)

OUTCOME_WORDS = {"hired": ("已录用", "hired"), "declined": ("未录用", "declined")}

_MESSAGES: dict[str, tuple[str, str]] = {
    **checks.MESSAGES,
    "unit_outside_district": (
        "工作地点“{unit}”不在用人单位所在的{district}内",
        "The work place '{unit}' is not in the employer's district ({district})",
    ),
    "number_taken": ("岗位编号已存在：{value}", "This posting number is taken: {value}"),
    "number_too_long": (
        "岗位编号至多32个字符",
        "A posting number has at most 32 characters",
    ),
    "below_filled": (
        "招聘人数不能少于已录用人数（{n}）",
        "The vacancies cannot be fewer than the hires already made ({n})",
    ),
    "close_before_open": (
        "截止日期（{on}）不能早于发布日期（{opens}）",
        "The closing date ({on}) cannot be before the opening date ({opens})",
    ),
    "welfare_fixed": (
        "该岗位已有推荐记录，不能再更改是否为公益性岗位",
        "The posting has referrals: whether it is a public-welfare post can no longer change",
    ),
    "posting_not_open": (
        "岗位“{title}”在{on}未开放推荐（{why}）",
        "The posting '{title}' is not open for referrals on {on} ({why})",
    ),
    "welfare_not_difficult": (
        "公益性岗位只安置就业困难人员：该人员在{on}未被认定为就业困难人员",
        "A public-welfare post is only for employment-difficult persons: this person is not "
        "recognised as one on {on}",
    ),
    "referral_twice": (
        "该人员已于{on}被推荐到此岗位，同一天不能重复推荐",
        "This person was already referred to this posting on {on}: not twice on one day",
    ),
    "outcome_unknown": (
        "未知的推荐结果：{value}（已面试/已录用/未录用）",
        "Unknown outcome: {value} (interviewed/hired/declined)",
    ),
    "outcome_final": (
        "该推荐的结果已是“{outcome}”（{on}），不能再更改",
        "This referral's outcome is already '{outcome}' ({on}) and is final",
    ),
    "outcome_again": (
        "该推荐已登记为已面试（{on}）",
        "This referral is already recorded as interviewed ({on})",
    ),
    "outcome_before": (
        "结果日期不能早于{what}（{on}）",
        "The outcome date cannot be before the {what} ({on})",
    ),
    "declined_by_required": (
        "未录用须说明是本人放弃还是单位未录用",
        "A declined referral needs who declined: the person or the employer",
    ),
    "declined_by_not_applicable": (
        "只有未录用才填写放弃方",
        "Who declined is only for a declined referral",
    ),
    "note_required": ("未录用须填写原因", "A declined referral needs its reason"),
    "note_too_long": ("说明至多500字", "The note has at most 500 characters"),
}


def _problem(code: str, field: str = "", **params: Any) -> Problem:
    return make_problem(_MESSAGES, code, field, **params)


def _terms(posting: Posting) -> str:
    """The posting's words for the matcher (``jobs.text``)."""
    return posting_terms(title=posting.title, occupation=posting.occupation, skills=posting.skills)


def _place_problems(employer: Employer, unit: Unit) -> list[Problem]:
    district = employer.unit.district()
    if district is not None and not unit.is_within(district):
        return [_problem("unit_outside_district", "unit", unit=unit.name, district=district.name)]
    return []


def _next_number(year: int) -> str:
    prefix = f"{NUMBER_PREFIX}{year}"
    last = (
        Posting.objects.filter(number__startswith=prefix, number__regex=r"^GW\d{10}$")
        .aggregate(m=Max("number"))
        .get("m")
    )
    sequence = int(last[len(prefix) :]) + 1 if last else 1
    return f"{prefix}{sequence:06d}"


def _posting_problems(values: dict[str, Any]) -> list[Problem]:
    return checks.posting_problems(
        title=values["title"],
        occupation=values["occupation"],
        min_education=values["min_education"],
        age_min=values["age_min"],
        age_max=values["age_max"],
        vacancies=values["vacancies"],
        pay_min=values["pay_min"],
        pay_max=values["pay_max"],
        opens_on=values["opens_on"],
        closes_on=values["closes_on"],
    )


def _plain(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Unit):
        return value.code
    return value


# ---------------------------------------------------------------------------------------------
# Postings
# ---------------------------------------------------------------------------------------------


@transaction.atomic
def posting_create(
    *,
    actor: User | None,
    employer: Employer,
    number: str | None = None,
    title: str,
    occupation: str = "",
    skills: str = "",
    min_education: str = "",
    age_min: int | None = None,
    age_max: int | None = None,
    vacancies: int,
    pay_min: int | None = None,
    pay_max: int | None = None,
    unit: Unit,
    public_welfare: bool = False,
    opens_on: date,
    closes_on: date | None = None,
) -> Posting:
    """A posting of ``employer`` (a public-welfare post with ``public_welfare``). Without a
    ``number`` one is given: GW, the opening year and a sequence (GW2026000001)."""
    check_keep_employers(actor, employer.unit)
    values: dict[str, Any] = {
        "title": (title or "").strip(),
        "occupation": (occupation or "").strip(),
        "skills": (skills or "").strip(),
        "min_education": (min_education or "").strip(),
        "age_min": age_min,
        "age_max": age_max,
        "vacancies": vacancies,
        "pay_min": pay_min,
        "pay_max": pay_max,
        "unit": unit,
        "public_welfare": bool(public_welfare),
        "opens_on": opens_on,
        "closes_on": closes_on,
    }
    problems = _posting_problems(values) + _place_problems(employer, unit)
    number = (number or "").strip().upper()
    if len(number) > 32:
        problems.append(_problem("number_too_long", "number"))
    elif number and Posting.objects.filter(number=number).exists():
        problems.append(_problem("number_taken", "number", value=number))
    raise_problems(problems)
    posting = Posting(employer=employer, **values)
    posting.terms = _terms(posting)
    for _attempt in range(5):
        posting.number = number or _next_number(opens_on.year)
        try:
            with transaction.atomic():
                posting.save()
            break
        except IntegrityError:
            if number:  # taken meanwhile by another writer
                raise_problems([_problem("number_taken", "number", value=number)])
            posting.pk = None  # another writer took the generated number: the next one
    else:  # pragma: no cover - five writers numbering at once
        raise_problems([_problem("number_taken", "number", value=posting.number)])
    audit_record(
        actor=actor,
        action="posting.create",
        obj=posting,
        unit=employer.unit,
        changes={
            "number": [None, posting.number],
            "employer": [None, employer.pk],
            **{key: [None, _plain(value)] for key, value in values.items()},
        },
    )
    return posting


@transaction.atomic
def posting_update(*, actor: User | None, posting: Posting, **fields: Any) -> Posting:
    """Change a posting's fields (``POSTING_FIELDS``). The vacancies never go below the hires
    made; whether it is a public-welfare post is fixed once it has referrals."""
    unknown = set(fields) - set(POSTING_FIELDS)
    if unknown:
        raise TypeError(f"not editable: {sorted(unknown)}")
    check_keep_employers(actor, posting.employer.unit)
    locked = Posting.objects.select_for_update().get(pk=posting.pk)
    for text in ("title", "occupation", "skills", "min_education"):
        if text in fields:
            fields[text] = (fields[text] or "").strip()
    if "public_welfare" in fields:
        fields["public_welfare"] = bool(fields["public_welfare"])
    values = {key: fields.get(key, getattr(locked, key)) for key in POSTING_FIELDS}
    problems = _posting_problems(values)
    if "unit" in fields:
        problems += _place_problems(locked.employer, fields["unit"])
    vacancies = values["vacancies"]
    if vacancies is not None and vacancies < locked.filled:
        problems.append(_problem("below_filled", "vacancies", n=locked.filled))
    if (
        values["public_welfare"] != locked.public_welfare
        and Referral.objects.filter(posting=locked).exists()
    ):
        problems.append(_problem("welfare_fixed", "public_welfare"))
    raise_problems(problems)
    changes: dict[str, list[Any]] = {}
    for key in POSTING_FIELDS:
        old, new = getattr(locked, key), values[key]
        if old != new:
            changes[key] = [_plain(old), _plain(new)]
            setattr(locked, key, new)
    if changes:
        locked.terms = _terms(locked)
        locked.save()
        audit_record(
            actor=actor,
            action="posting.update",
            obj=locked,
            unit=locked.employer.unit,
            changes=changes,
        )
    posting.refresh_from_db()
    return posting


@transaction.atomic
def posting_close(*, actor: User | None, posting: Posting, on: date) -> Posting:
    """Close a posting: ``on`` becomes its closing date (its last open day); not before the
    day it opened."""
    check_keep_employers(actor, posting.employer.unit)
    if on < posting.opens_on:
        raise_problems(
            [
                _problem(
                    "close_before_open",
                    "on",
                    on=on.isoformat(),
                    opens=posting.opens_on.isoformat(),
                )
            ]
        )
    old = posting.closes_on
    if old == on:
        return posting
    posting.closes_on = on
    posting.save(update_fields=["closes_on", "updated_at"])
    audit_record(
        actor=actor,
        action="posting.close",
        obj=posting,
        unit=posting.employer.unit,
        changes={"closes_on": [old.isoformat() if old else None, on.isoformat()]},
    )
    return posting


# ---------------------------------------------------------------------------------------------
# Referrals
# ---------------------------------------------------------------------------------------------


def _not_open_why(posting: Posting, on: date) -> tuple[str, str]:
    if posting.opens_on > on:
        return (
            f"{posting.opens_on.isoformat()}发布",
            f"it opens on {posting.opens_on.isoformat()}",
        )
    if posting.closes_on is not None and posting.closes_on < on:
        return (
            f"已于{posting.closes_on.isoformat()}截止",
            f"it closed on {posting.closes_on.isoformat()}",
        )
    return (f"{posting.vacancies}个名额已满", f"all {posting.vacancies} vacancies are filled")


def referral_note(posting: Posting) -> str:
    """The service record's note: the posting it names."""
    return f"推荐至岗位 {posting.number} {posting.title}（{posting.employer.name}）"


@transaction.atomic
def referral_create(
    *,
    actor: User | None,
    person: Person,
    posting: Posting,
    on: date,
    note: str = "",
    today: date | None = None,
    assisting: bool = False,
) -> Referral:
    """Refer ``person`` to ``posting`` on ``on``: the casework service record (kind referral,
    naming the posting) and the referral, in one step. The posting must be open that day; a
    public-welfare post only for a person recognised difficult that day; one referral of a
    person to a posting a day.

    ``assisting``: the caller says the person is in the district's professional assistance (an
    escalated person, 托底, HD-2018 二(六)1: ``policies.escalation_services.escalation_offer``),
    whose street and district users refer them too (:func:`~jiuye.jobs.permissions.may_assist`),
    though they write no other resident's data. jobs does not know about escalation cases (a
    lower layer than policies), so the caller decides when this applies; the community's
    writers may refer as always."""
    helped = assisting and may_assist(actor, person)
    if not helped:
        check_write(actor, placement(person))
    problems: list[Problem] = []
    if len(note or "") > NOTE_MAX:
        problems.append(_problem("note_too_long", "note"))
    if not is_open(posting, on):
        problems.append(
            _problem(
                "posting_not_open",
                "posting",
                title=posting.title,
                on=on.isoformat(),
                why=_not_open_why(posting, on),
            )
        )
    if posting.public_welfare and not public_welfare_allowed(person, on):
        problems.append(_problem("welfare_not_difficult", "person", on=on.isoformat()))
    if Referral.objects.filter(person=person, posting=posting, on=on).exists():
        problems.append(_problem("referral_twice", "on", on=on.isoformat()))
    raise_problems(problems)
    text = referral_note(posting)
    if (note or "").strip():
        text = f"{text}：{note.strip()}"
    record = service_record_create(
        actor=actor,
        person=person,
        kind=ServiceKind.REFERRAL,
        on=on,
        note=text[:NOTE_MAX],
        today=today,
        write_checked=helped,
    )
    try:
        with transaction.atomic():
            referral = Referral.objects.create(
                person=person,
                posting=posting,
                service=record,
                on=on,
                by=actor if actor is not None and actor.pk else None,
            )
    except IntegrityError:  # the same referral made meanwhile by another writer
        raise_problems([_problem("referral_twice", "on", on=on.isoformat())])
        raise AssertionError from None  # unreachable
    audit_record(
        actor=actor,
        action="referral.create",
        obj=person,
        unit=person.community,
        changes={
            "posting": [None, posting.number],
            "on": [None, on.isoformat()],
            "referral": [None, referral.pk],
        },
    )
    return referral


@transaction.atomic
def referral_outcome(
    *,
    actor: User | None,
    referral: Referral,
    outcome: str,
    on: date,
    declined_by: str = "",
    note: str = "",
    today: date | None = None,
) -> Referral:
    """Record what came of a referral: interviewed, then hired or declined (both final).
    Declined says who declined (the person or the employer) and why (``note``). Hired is the
    hire (``services.hire_record``: the person's status becomes ``unit``, or ``public_post``
    for a public-welfare post, with the employer; one vacancy filled) in this transaction."""
    person = referral.person
    check_write(actor, placement(person))
    # One writer at a time per referral: a second outcome waits, then finds the first.
    locked = Referral.objects.select_for_update().select_related("posting").get(pk=referral.pk)
    today = today or timezone.localdate()
    note = (note or "").strip()
    problems: list[Problem] = []
    final = (ReferralOutcome.HIRED, ReferralOutcome.DECLINED)
    if outcome not in (ReferralOutcome.INTERVIEWED, *final):
        problems.append(_problem("outcome_unknown", "outcome", value=outcome))
    if locked.outcome in final:
        shown = OUTCOME_WORDS[locked.outcome]
        outcome_on = locked.outcome_on.isoformat() if locked.outcome_on else ""
        raise_problems([_problem("outcome_final", "outcome", outcome=shown, on=outcome_on)])
    if outcome == ReferralOutcome.INTERVIEWED and locked.outcome == ReferralOutcome.INTERVIEWED:
        outcome_on = locked.outcome_on.isoformat() if locked.outcome_on else ""
        problems.append(_problem("outcome_again", "outcome", on=outcome_on))
    if on < locked.on:
        problems.append(
            _problem(
                "outcome_before", "on", what=("推荐日期", "referral date"), on=locked.on.isoformat()
            )
        )
    elif locked.outcome_on is not None and on < locked.outcome_on:
        problems.append(
            _problem(
                "outcome_before",
                "on",
                what=("面试日期", "interview date"),
                on=locked.outcome_on.isoformat(),
            )
        )
    if on > today:
        problems.append(
            checks.problem(
                "future", "on", what=("结果日期", "outcome date"), today=today.isoformat()
            )
        )
    if outcome == ReferralOutcome.DECLINED:
        if declined_by not in DeclinedBy.values:
            problems.append(_problem("declined_by_required", "declined_by"))
        if not note:
            problems.append(_problem("note_required", "note"))
    elif declined_by:
        problems.append(_problem("declined_by_not_applicable", "declined_by"))
    if len(note) > NOTE_MAX:
        problems.append(_problem("note_too_long", "note"))
    raise_problems(problems)
    old = [locked.outcome, locked.outcome_on.isoformat() if locked.outcome_on else None]
    if outcome == ReferralOutcome.HIRED:
        posting = locked.posting
        if posting.public_welfare and not public_welfare_allowed(person, on):
            raise_problems([_problem("welfare_not_difficult", "person", on=on.isoformat())])
        hire_record(
            actor=actor,
            employer=posting.employer,
            person=person,
            on=on,
            posting=posting,
            referral=locked,
            today=today,
        )
    locked.outcome = outcome
    locked.outcome_on = on
    locked.declined_by = declined_by if outcome == ReferralOutcome.DECLINED else ""
    locked.outcome_note = note
    locked.save(update_fields=["outcome", "outcome_on", "declined_by", "outcome_note"])
    audit_record(
        actor=actor,
        action="referral.outcome",
        obj=person,
        unit=person.community,
        changes={
            "referral": [None, locked.pk],
            "outcome": [old, [outcome, on.isoformat()]],
            "declined_by": [None, locked.declined_by or None],
            "note": [None, note or None],
        },
    )
    for key in ("outcome", "outcome_on", "declined_by", "outcome_note"):
        setattr(referral, key, getattr(locked, key))
    return referral
