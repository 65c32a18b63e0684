"""Who may be offered what (DOMAIN §8), stated once: the matcher, the referral service and
the pages call these.

- **priority** (the program's priority, 优先推荐): recognised employment-difficult at the date
  (a recognition in force, ``registry.definitions``) or a member of a household that is a
  zero-employment family at the date (a zero-family case open that day, ``casework``'s stored
  episodes, ``definitions.episode_open_q``);
- **public-welfare posts** (公益性岗位, the last-resort placement for employment-difficult
  persons, 004): only for persons recognised difficult at the date
  (:func:`public_welfare_allowed`). A zero-family member is recognised as such (category
  零就业家庭) when the station records it; until then the post is not theirs.
"""

from __future__ import annotations

from datetime import date

from django.db.models import Exists, OuterRef, Q

from jiuye.casework.models import ZeroFamilyCase
from jiuye.lib.sql import Sql
from jiuye.registry import definitions
from jiuye.registry.models import DifficultyRecognition, Person
from jiuye.units.sharding import outer_district, rows_of, same_district


def recognised_difficult(person: Person, on: date) -> bool:
    """A recognition of ``person`` in force on ``on``."""
    return (
        DifficultyRecognition.objects.filter(person=person)
        .filter(definitions.recognition_in_force_q(on))
        .exists()
    )


def zero_family_member(person: Person, on: date) -> bool:
    """``person``'s household is a zero-employment family on ``on`` (its case open that day)."""
    return ZeroFamilyCase.objects.filter(household_id=person.household_id).open_on(on).exists()


def is_priority(person: Person, on: date) -> bool:
    return recognised_difficult(person, on) or zero_family_member(person, on)


def public_welfare_allowed(person: Person, on: date) -> bool:
    """Whether a public-welfare post may be offered to ``person`` on ``on``: recognised
    employment-difficult that day."""
    return recognised_difficult(person, on)


# SQL forms, beside the Python ones (the matcher reads every seeker of a district at once);
# ``tests/jobs/test_matching.py`` checks that they agree.


def recognised_difficult_sql(person: str, on: date) -> Sql:
    """``person`` (an alias of the person table) is recognised difficult on ``on``."""
    in_force = definitions.recognition_in_force_sql("r", on)
    table = DifficultyRecognition._meta.db_table
    return Sql(
        f"EXISTS (SELECT 1 FROM {table} r WHERE {rows_of('r', 'person_id', person)}"
        f" AND {in_force.text})",
        in_force.params,
    )


def zero_family_member_sql(person: str, on: date) -> Sql:
    """``person``'s household has a zero-family case open on ``on``."""
    open_ = definitions.episode_open_sql("z", on)
    table = ZeroFamilyCase._meta.db_table
    return Sql(
        f"EXISTS (SELECT 1 FROM {table} z WHERE z.household_id = {person}.household_id "
        f"{same_district('z', person)} AND {open_.text})",
        open_.params,
    )


def public_welfare_allowed_q(on: date, person: str = "pk") -> Q:
    """:func:`public_welfare_allowed` over persons in a query (``person``: the lookup of the
    person's id from the queried model, ``"pk"`` for a query of persons)."""
    # (Only a query of persons is district-owned: the districts are equated for it.)
    same = outer_district() if person == "pk" else Q()
    recognised = DifficultyRecognition.objects.filter(
        definitions.recognition_in_force_q(on), same, person_id=OuterRef(person)
    )
    return Q(Exists(recognised))


def may_offer(*, public_welfare: bool, person: Person, on: date) -> bool:
    """Whether a posting (public-welfare or not) may be offered to ``person`` on ``on``."""
    return not public_welfare or public_welfare_allowed(person, on)
