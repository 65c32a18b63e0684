"""Every read of postings, referrals and placements (DOMAIN §8), through the jurisdiction scope.

- A posting is seen by the users whose jurisdiction holds its work place (``unit__path``) or its
  employer's community (a station keeps the postings of its employers wherever the work is);
  postings are not residents' data, so every member of a unit sees them (an auditor too).
- "Open at a date" is stated once, :func:`open_q`: the board, the list's filter, the referral
  service and the matcher use it.
- Referrals name residents: scoped by the person (``Referral.JURISDICTION_PATH``).
- The placements report: one aggregated query per level of units.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import (
    Count,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Value,
)
from django.db.models.functions import Substr
from django.shortcuts import get_object_or_404

from jiuye.jobs.definitions import posting_open, posting_open_q
from jiuye.jobs.models import DeclinedBy, Employer, Posting, Referral, ReferralOutcome
from jiuye.registry.definitions import recognition_in_force_q
from jiuye.registry.models import DifficultyRecognition, Person
from jiuye.registry.selectors import unit_filter
from jiuye.units.models import COMMUNITY_LEVELS, Level, Unit
from jiuye.units.scope import scope_to_jurisdiction
from jiuye.units.sharding import outer_district


def open_q(on: date, prefix: str = "") -> Q:
    """Postings open on ``on`` (``jobs.definitions.posting_open_q``, the one statement)."""
    return posting_open_q(on, prefix)


def is_open(posting: Posting, on: date) -> bool:
    """Whether ``posting`` is open on ``on`` (``jobs.definitions.posting_open``)."""
    return posting_open(
        opens_on=posting.opens_on,
        closes_on=posting.closes_on,
        filled=posting.filled,
        vacancies=posting.vacancies,
        on=on,
    )


# ---------------------------------------------------------------------------------------------
# Postings
# ---------------------------------------------------------------------------------------------


def postings_visible(*, user: Any) -> QuerySet[Posting]:
    """Postings whose work place or whose employer lies in the user's jurisdiction."""
    by_place = scope_to_jurisdiction(Posting.objects.all(), user, personal=False)
    by_employer = scope_to_jurisdiction(Employer.objects.all(), user, personal=False)
    return Posting.objects.filter(
        Q(pk__in=by_place.values("pk")) | Q(employer__in=by_employer.values("pk"))
    )


def posting_get(*, user: Any, pk: int) -> Posting:
    return get_object_or_404(
        postings_visible(user=user).select_related("employer", "employer__unit", "unit"), pk=pk
    )


def postings_filtered(
    *,
    user: Any,
    on: date,
    employer: Employer | None = None,
    state: str = "",
    public_welfare: bool | None = None,
    unit: Unit | None = None,
    text: str = "",
) -> QuerySet[Posting]:
    """The list's postings: ``state`` "open" (at ``on``) or "closed" (not open at ``on``: not
    yet published, past the closing date or full), a work place under ``unit``, a text in the
    number, title, skills or employer's name."""
    found = postings_visible(user=user)
    if employer is not None:
        found = found.filter(employer=employer)
    if state == "open":
        found = found.filter(open_q(on))
    elif state == "closed":
        found = found.exclude(open_q(on))
    if public_welfare is not None:
        found = found.filter(public_welfare=public_welfare)
    if unit is not None:
        found = found.filter(unit__path__startswith=unit.path)
    text = text.strip()
    if text:
        found = found.filter(
            Q(number__icontains=text)
            | Q(title__icontains=text)
            | Q(skills__icontains=text)
            | Q(employer__name__icontains=text)
        )
    return found.select_related("employer", "unit").order_by("-opens_on", "-id")


def board_postings(unit: Unit, on: date) -> QuerySet[Posting]:
    """The public board's postings: open at ``on``, the work place under ``unit`` (a system read:
    postings hold no resident's data)."""
    return (
        Posting.objects.filter(open_q(on), unit__path__startswith=unit.path)
        .annotate(left=F("vacancies") - F("filled"))
        .select_related("employer", "unit")
        .order_by("-public_welfare", "-opens_on", "id")
    )


# ---------------------------------------------------------------------------------------------
# Referrals
# ---------------------------------------------------------------------------------------------


def referrals_visible(*, user: Any) -> QuerySet[Referral]:
    return scope_to_jurisdiction(Referral.objects.all(), user)


def referral_get(*, user: Any, pk: int) -> Referral:
    return get_object_or_404(
        referrals_visible(user=user).select_related(
            "person", "person__community", "posting", "posting__employer", "by"
        ),
        pk=pk,
    )


def referrals_of(
    *, user: Any, person: Any = None, posting: Posting | None = None
) -> QuerySet[Referral]:
    """The referrals of a person or a posting that the user may see (a posting's referrals of
    persons outside the user's jurisdiction are not shown)."""
    found = referrals_visible(user=user)
    if person is not None:
        found = found.filter(person=person)
    if posting is not None:
        found = found.filter(posting=posting)
    return found.select_related("person", "posting", "posting__employer").order_by("-on", "-id")


# ---------------------------------------------------------------------------------------------
# The placements report
# ---------------------------------------------------------------------------------------------

PLACEMENT_FIGURES = (
    "referred",
    "interviewed",
    "hired",
    "declined",
    "declined_person",
    "declined_employer",
    "public_welfare",
    "difficult_hired",
)


@dataclass(frozen=True)
class PlacementRow:
    unit: Unit
    referred: int
    interviewed: int
    hired: int
    declined: int
    declined_person: int
    declined_employer: int
    public_welfare: int
    difficult_hired: int

    @property
    def hire_rate(self) -> float | None:
        """Hired / referred (None: nobody referred)."""
        return self.hired / self.referred if self.referred else None


def _children_level(unit: Unit) -> list[Unit]:
    return list(Unit.objects.filter(parent=unit).exclude(level=Level.GRID).order_by("code"))


def postings_referable(*, user: Any, person: Person | None) -> QuerySet[Posting]:
    """The postings a user may refer ``person`` to: those they see, and every posting of the
    person's district (postings are public: the job board shows them to anyone, and the matcher
    ranks the whole district's for the person)."""
    visible = postings_visible(user=user)
    district = person.community.district() if person is not None else None
    if district is None:
        return visible
    return Posting.objects.filter(
        Q(pk__in=visible.values("pk")) | Q(unit__path__startswith=district.path)
    )


def placements_period(start: date | None, end: date | None, today: date) -> tuple[date, date]:
    """The report's period when one end is not given: it ends today (or on the start, when the
    start is later), and starts on the first of January of its end's year."""
    end = end or (today if start is None else max(today, start))
    return start or date(end.year, 1, 1), end


def placements(*, user: Any, unit: Unit, start: date, end: date) -> dict[str, Any]:
    """The referrals made from ``start`` to ``end`` (by their date) to persons of ``unit``, and
    what came of them, for the unit and for each unit one level below it (a district's streets,
    a street's communities). One aggregated query per level: rows are grouped by the person's
    community, or by the community's ancestor at the level, in SQL.

    Referred, interviewed (an interview recorded or a later outcome reached), hired, declined
    (by the person / by the employer); hires into public-welfare posts; hires of persons
    recognised difficult on the hire date."""
    scoped = referrals_visible(user=user).filter(
        unit_filter(unit, "person__"), on__gte=start, on__lte=end
    )
    children = _children_level(unit) if unit.level not in COMMUNITY_LEVELS else []
    total = _aggregate(scoped, None)
    by_path: dict[str, dict[str, int]] = {}
    # The person's community path cut at a child's path length names the child: one GROUP BY
    # (the children of a unit have codes of one length; a second length, a second query).
    for width in sorted({len(child.path) for child in children}):
        by_path |= _aggregate(scoped, width)
    rows = [_row(child, by_path.get(child.path, {})) for child in children]
    return {"unit": unit, "total": _row(unit, total.get("", {})), "rows": rows}


def _figures() -> dict[str, Any]:
    hired = Q(outcome=ReferralOutcome.HIRED)
    declined = Q(outcome=ReferralOutcome.DECLINED)
    difficult = Exists(
        DifficultyRecognition.objects.filter(
            recognition_in_force_q(OuterRef("outcome_on")),  # type: ignore[arg-type]
            outer_district("person__district_id"),
            person_id=OuterRef("person_id"),
        )
    )
    return {
        "referred": Count("pk"),
        # An interview recorded, or an outcome an interview precedes (hired; declined by the
        # employer); a person who declined may not have met the employer at all.
        "interviewed": Count(
            "pk",
            filter=Q(outcome__in=[ReferralOutcome.INTERVIEWED, ReferralOutcome.HIRED])
            | (declined & Q(declined_by=DeclinedBy.EMPLOYER)),
        ),
        "hired": Count("pk", filter=hired),
        "declined": Count("pk", filter=declined),
        "declined_person": Count("pk", filter=declined & Q(declined_by=DeclinedBy.PERSON)),
        "declined_employer": Count("pk", filter=declined & Q(declined_by=DeclinedBy.EMPLOYER)),
        "public_welfare": Count("pk", filter=hired & Q(posting__public_welfare=True)),
        "difficult_hired": Count("pk", filter=hired & Q(difficult)),
    }


def _aggregate(referrals: QuerySet[Referral], width: int | None) -> dict[str, dict[str, int]]:
    if width is None:
        values = referrals.annotate(key=Value("")).values("key")
    else:
        values = referrals.annotate(key=Substr("person__community__path", 1, width)).values("key")
    return {row.pop("key"): row for row in values.annotate(**_figures()).order_by()}


def _row(unit: Unit, figures: dict[str, int]) -> PlacementRow:
    return PlacementRow(unit=unit, **{name: figures.get(name, 0) for name in PLACEMENT_FIGURES})
