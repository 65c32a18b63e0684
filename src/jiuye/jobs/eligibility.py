"""Who may be offered a posting (DOMAIN §8), decided once: the referral service and the matcher
ask the same functions.

A public-welfare post (公益性岗位) is the last-resort placement (托底) of employment-difficult
persons: it goes only to a person recognised difficult at the date. "Recognised at a date" is
the registry's rule (``registry.definitions.recognition_in_force``), read through casework's
``is_difficult_on``; the set-based form for a query over persons is ``public_welfare_allowed_q``.
"""

from __future__ import annotations

from datetime import date

from django.db.models import Exists, OuterRef, Q

from jiuye.casework.services import is_difficult_on
from jiuye.registry.definitions import recognition_in_force_q
from jiuye.registry.models import DifficultyRecognition, Person


def public_welfare_allowed(person: Person, on: date) -> bool:
    """Whether ``person`` may be referred to (or hired into) a public-welfare post on ``on``:
    recognised employment-difficult that day."""
    return is_difficult_on(person, on)


def public_welfare_allowed_q(on: date, person: str = "pk") -> Q:
    """The same rule over persons in a query (``person``: the lookup of the person's id from
    the queried model, ``"pk"`` for a query of persons)."""
    recognised = DifficultyRecognition.objects.filter(
        recognition_in_force_q(on), person_id=OuterRef(person)
    )
    return Q(Exists(recognised))


def may_offer(*, public_welfare: bool, person: Person, on: date) -> bool:
    """Whether a posting (public-welfare or not) may be offered to ``person`` on ``on``."""
    return not public_welfare or public_welfare_allowed(person, on)
