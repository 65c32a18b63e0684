"""What an import will write: the :class:`Plan` the validation builds and ``ledger.load`` writes,
with the :class:`Counts` per sheet and every issue found."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from jiuye.ledger.issues import Issue


@dataclass
class Counts:
    read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0

    def as_dict(self) -> dict[str, int]:
        return {
            "read": self.read,
            "inserted": self.inserted,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": self.rejected,
        }


@dataclass
class Plan:
    """What to write. Rows carry natural keys where the row they point at may be new (unit
    code, household number, ID number); ``ledger.load`` resolves them to ids."""

    # (code, name, level, parent code, path, station address, phone, hours)
    units_insert: list[tuple[Any, ...]] = field(default_factory=list)
    # (id, name, station address, phone, hours)
    units_update: list[tuple[Any, ...]] = field(default_factory=list)
    # (number, community code, grid code or None, hukou, address, dibao)
    households_insert: list[tuple[Any, ...]] = field(default_factory=list)
    # (id, community code, grid code, hukou, address, dibao)
    households_update: list[tuple[Any, ...]] = field(default_factory=list)
    households_moved: set[int] = field(default_factory=set)
    # PERSON_FIELDS order; id None, household_id holds the household number (community, grid
    # and district are the household's, filled in by ledger.load).
    persons_insert: list[list[Any]] = field(default_factory=list)
    persons_update: list[list[Any]] = field(default_factory=list)  # PERSON_FIELDS, id set
    # (ID number, family_situation, training_need, destination, policies, social_insurance)
    profiles_insert: list[tuple[Any, ...]] = field(default_factory=list)
    profiles_update: list[tuple[Any, ...]] = field(default_factory=list)  # (profile id, …)
    # (ID number, status, since, until, registered, employer, cause)
    events_insert: list[tuple[Any, ...]] = field(default_factory=list)
    # (event id, status, since, until, registered, employer, cause)
    events_update: list[tuple[Any, ...]] = field(default_factory=list)
    # existing persons: (person id, current_status, current_since, current_registered)
    current_update: list[tuple[Any, ...]] = field(default_factory=list)
    # (ID number, category, recognized_on, ended_on, note)
    recognitions_insert: list[tuple[Any, ...]] = field(default_factory=list)
    recognitions_update: list[tuple[Any, ...]] = field(default_factory=list)  # (id, ended, note)
    # service_records.RECORD_FIELDS order with the ID number in place of person_id
    services_insert: list[tuple[Any, ...]] = field(default_factory=list)
    # Employers and jobs (``validate.employers``); an employer is named by its USCC, a unit by
    # its code (either may be new in this import).
    # (uscc, name, community code, industry)
    employers_insert: list[tuple[Any, ...]] = field(default_factory=list)
    # (id, name, community code, industry)
    employers_update: list[tuple[Any, ...]] = field(default_factory=list)
    staff_insert: list[tuple[Any, ...]] = field(default_factory=list)  # (uscc, on, staff)
    staff_update: list[tuple[Any, ...]] = field(default_factory=list)  # (id, staff)
    # (number, uscc, *POSTING_VALUES with the work unit's code, terms)
    postings_insert: list[tuple[Any, ...]] = field(default_factory=list)
    # (id, *POSTING_VALUES with the work unit's code, terms)
    postings_update: list[tuple[Any, ...]] = field(default_factory=list)
    # (uscc, employee key, masked number, ID number, kind, on, term months)
    contracts_insert: list[tuple[Any, ...]] = field(default_factory=list)
    contracts_update: list[tuple[Any, ...]] = field(default_factory=list)  # (id, kind, term)
    layoffs_insert: list[tuple[Any, ...]] = field(default_factory=list)  # (uscc, on, count, reason)
    layoffs_update: list[tuple[Any, ...]] = field(default_factory=list)  # (id, count)
    # households to announce with statuses_changed: ids of existing ones, numbers of new ones
    announce_ids: set[int] = field(default_factory=set)
    announce_numbers: set[str] = field(default_factory=set)
    announce_on: date | None = None
    counts: dict[str, Counts] = field(default_factory=dict)
    issues: list[Issue] = field(default_factory=list)
    # How many ID numbers were looked up in the whole registry, and those found registered
    # outside the user's jurisdiction (counted in the audit of a check, issue 11, finding 10).
    registry_checked: int = 0
    found_elsewhere: set[str] = field(default_factory=set)

    @property
    def errors(self) -> int:
        return len(self.issues)

    @property
    def changes(self) -> int:
        return sum(c.inserted + c.updated for c in self.counts.values())
