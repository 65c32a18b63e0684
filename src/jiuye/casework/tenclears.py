"""The "ten clears" (十清, CQ 002 §二(二)1): what every unemployed person's record must hold.

Nine of the ten concern the person (the tenth, an employer's labor demand, belongs to the
employers' module). Where each is read:

- ``duration`` 失业时间清: derived, the start of the unemployment in force (``StatusEvent.since``);
- ``cause`` 失业原因清: ``StatusEvent.cause`` of the unemployment in force;
- ``family`` 家庭状况清: ``UnemployedProfile.family_situation``;
- ``desire`` 就业愿望清: ``Person.willing``, a yes/no the registry always holds (never missing);
- ``training_need`` 培训要求清: ``UnemployedProfile.training_need``;
- ``skill`` 技能水平清: ``Person.skill_level``;
- ``destination`` 就业去向清: ``UnemployedProfile.destination`` (the job sought, where headed);
- ``policies`` 政策享受清: a ``policy`` service record (政策落实) of the person up to the date,
  or else the profile's ``policies`` text (e.g. "未享受"), so "enjoys none" can be stated;
- ``social_insurance`` 社会保险关系清: ``UnemployedProfile.social_insurance``.

"Unemployed" is everyone whose status in force at the date (``definitions.in_force_q``) is
``unemployed`` (registered or not): the ``ledger_completeness`` indicator of DOMAIN §5.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from jiuye.casework.models import ServiceKind, ServiceRecord, UnemployedProfile
from jiuye.registry import definitions
from jiuye.registry.models import Person, StatusEvent
from jiuye.registry.selectors import Reader, persons_of
from jiuye.units.models import Unit

FIELDS: dict[str, Any] = {
    "duration": _("失业时间"),
    "cause": _("失业原因"),
    "family": _("家庭状况"),
    "desire": _("就业愿望"),
    "training_need": _("培训要求"),
    "skill": _("技能水平"),
    "destination": _("就业去向"),
    "policies": _("政策享受"),
    "social_insurance": _("社会保险关系"),
}


def missing_fields(
    *,
    unemployed_since: date | None,
    cause: str,
    willing: bool | None,
    skill_level: str,
    family_situation: str = "",
    training_need: str = "",
    destination: str = "",
    policies: str = "",
    has_policy_record: bool = False,
    social_insurance: str = "",
) -> list[str]:
    """The keys of :data:`FIELDS` missing from one record, in the order of the ten clears."""
    present = {
        "duration": unemployed_since is not None,
        "cause": bool(cause.strip()),
        "family": bool(family_situation.strip()),
        "desire": willing is not None,
        "training_need": bool(training_need.strip()),
        "skill": bool(skill_level.strip()),
        "destination": bool(destination.strip()),
        "policies": has_policy_record or bool(policies.strip()),
        "social_insurance": bool(social_insurance.strip()),
    }
    return [key for key in FIELDS if not present[key]]


def labels(keys: Iterable[str]) -> list[str]:
    return [str(FIELDS[key]) for key in keys]


@dataclass(frozen=True)
class Record:
    person_id: int
    name: str
    community_id: int
    grid_id: int | None
    unemployed_since: date
    missing: list[str]

    @property
    def complete(self) -> bool:
        return not self.missing

    @property
    def missing_labels(self) -> list[str]:
        return labels(self.missing)


@dataclass(frozen=True)
class Completeness:
    """十清完整率: complete records / unemployed records (no value when there are none)."""

    numerator: int
    denominator: int
    records: list[Record]

    @property
    def rate(self) -> float | None:
        return self.numerator / self.denominator if self.denominator else None

    @property
    def incomplete(self) -> list[Record]:
        return [r for r in self.records if r.missing]


def _profiles(person_ids: list[int]) -> dict[int, dict[str, Any]]:
    found: dict[int, dict[str, Any]] = {}
    for start in range(0, len(person_ids), 500):
        for row in UnemployedProfile.objects.filter(
            person_id__in=person_ids[start : start + 500]
        ).values(
            "person_id",
            "family_situation",
            "training_need",
            "destination",
            "policies",
            "social_insurance",
        ):
            found[row["person_id"]] = dict(row)
    return found


def _with_policy(person_ids: list[int], on: date) -> set[int]:
    found: set[int] = set()
    for start in range(0, len(person_ids), 500):
        found.update(
            ServiceRecord.objects.filter(
                person_id__in=person_ids[start : start + 500], kind=ServiceKind.POLICY, on__lte=on
            )
            .order_by()
            .values_list("person_id", flat=True)
            .distinct()
        )
    return found


def completeness(persons: QuerySet[Person], on: date) -> Completeness:
    """The ten clears of every person of ``persons`` unemployed at ``on``."""
    events = list(
        StatusEvent.objects.filter(
            definitions.in_force_q(on),
            status=definitions.UNEMPLOYED,
            person__in=persons.order_by().values("pk"),
        )
        .order_by("person__name", "person_id")
        .values(
            "person_id",
            "since",
            "cause",
            "person__name",
            "person__community_id",
            "person__grid_id",
            "person__willing",
            "person__skill_level",
        )
    )
    ids = [e["person_id"] for e in events]
    profiles = _profiles(ids)
    policy = _with_policy(ids, on)
    records = []
    for e in events:
        profile = profiles.get(e["person_id"], {})
        missing = missing_fields(
            unemployed_since=e["since"],
            cause=e["cause"],
            willing=e["person__willing"],
            skill_level=e["person__skill_level"],
            family_situation=profile.get("family_situation", ""),
            training_need=profile.get("training_need", ""),
            destination=profile.get("destination", ""),
            policies=profile.get("policies", ""),
            has_policy_record=e["person_id"] in policy,
            social_insurance=profile.get("social_insurance", ""),
        )
        records.append(
            Record(
                e["person_id"],
                e["person__name"],
                e["person__community_id"],
                e["person__grid_id"],
                e["since"],
                missing,
            )
        )
    complete = sum(1 for r in records if r.complete)
    return Completeness(complete, len(records), records)


def unit_completeness(unit: Unit, on: date, *, user: Reader | None) -> Completeness:
    """The ten-clears completeness of a unit (every community under it) at ``on``, over the
    persons ``user`` may see (None: none; a system job passes ``units.scope.SYSTEM``)."""
    return completeness(persons_of(unit, user=user), on)


def person_ten_clears(person: Person, on: date) -> Record | None:
    """One person's ten clears at ``on`` (None when not unemployed then)."""
    result = completeness(Person.objects.filter(pk=person.pk), on)
    return result.records[0] if result.records else None
