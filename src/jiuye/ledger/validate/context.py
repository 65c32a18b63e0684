"""What the validation of one import shares across its sheets: the units, households and persons
of the file and the registry as they will stand, the user's scope, the plan being built, and the
resolvers every sheet uses (a dependent sheet's ID numbers, a location, a person's merged status
history, the households to announce)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from typing import Any

from jiuye.accounts.models import User
from jiuye.ledger.readers import Source
from jiuye.ledger.validate.fetch import P, fetch_by, table_empty
from jiuye.ledger.validate.idnumbers import IdDeriver, issue_code, normalise_id
from jiuye.ledger.validate.plan import Plan
from jiuye.ledger.validate.rows import Rows
from jiuye.registry.columns import PERSON_FIELDS
from jiuye.registry.models import Person, StatusEvent
from jiuye.units.scope import write_paths

# A person's status history: (since, status, registered), sorted by since.
History = list[tuple[date, str, bool]]


class Scope:
    """Where a user may write: unit paths (a grid member only their grids; none for a role
    that only reads, ``units.scope.write_paths``). None: anywhere (the command line without
    --user, like ``jiuye seed``)."""

    def __init__(self, paths: list[str] | None) -> None:
        self.paths = paths

    @classmethod
    def of(cls, user: User | None) -> Scope:
        if user is None:
            return cls(None)
        return cls(write_paths(user))

    def allows(self, path: str) -> bool:
        if self.paths is None:
            return True
        return any(path.startswith(p) for p in self.paths)


class Context:
    """The state of one validation (see the sheet modules for who fills what)."""

    def __init__(
        self,
        source: Source,
        *,
        user: User | None = None,
        today: date,
        progress: Callable[[str, int, int], None] | None = None,
        registry_ready: Callable[[Plan], None] | None = None,
    ) -> None:
        self.source = source
        self.registry_ready = registry_ready
        self.user = user
        self.today = today
        self.scope = Scope.of(user)
        self.plan = Plan(issues=source.issues)  # the same list: sheets parsed later add to it
        self.progress = progress or (lambda phase, done, total: None)
        self.rows: dict[str, Rows] = {}
        self.deriver = IdDeriver(today)
        # Units: code → (id, level, path) for the registry and the file's good rows.
        self.units: dict[str, tuple[int | None, str, str]] = {}
        self.unit_rows: dict[str, int] = {}
        self.unit_path_by_id: dict[int, str] = {}
        self.unit_code_by_id: dict[int, str] = {}
        # Households: number → (id or None, community code, grid code, location path).
        self.households: dict[str, tuple[int | None, str, str | None, str]] = {}
        self.household_rows: dict[str, int] = {}
        self.household_hukou: dict[str, str] = {}  # number → hukou type as it will stand
        self.household_dibao: dict[str, bool] = {}  # number → dibao standing as it will stand
        self.db_household_ids: dict[str, int] = {}
        # ID number → the person's row (PERSON_FIELDS): an insert or update row of this import
        # (household_id holds the household number) or a registry row (household_id an id).
        self.people: dict[str, Any] = {}
        self.person_rows: dict[str, int] = {}
        self.foreign: set[str] = set()  # registry persons outside the user's jurisdiction
        self.persons_empty = False
        # Status histories. The file's persons without a registry history in short: (first day,
        # last day, the end of their last jobless event (a status neither employed nor outside
        # the labor force; date.max if it is the last, None if none), always employed, the
        # status when there is only one); their (since, status) in events_by_person otherwise.
        self.summary: dict[str, tuple[date, date, date | None, bool, str | None]] = {}
        self.events_by_person: dict[str, list[tuple[date, str]]] = {}
        # ID number → the statuses sheet's rows of the person, by date (the whole history when
        # the person has none in the registry); merged_history: file and registry merged.
        self.status_rows: dict[str, list[int]] = {}
        self.merged_history: dict[str, History] = {}
        self.registry_history: dict[int, History] = {}  # person id → registry history
        # Households whose zero-family standing may change.
        self.touched_new: set[str] = set()  # new households whose members' history changed
        self.moved_into: set[str] = set()  # households receiving a registry person

    # -- places and persons --------------------------------------------------------------------

    def location(self, community_id: int, grid_id: int | None) -> str:
        return self.unit_path_by_id[grid_id or community_id]

    def existing_persons(self, numbers: Iterable[str]) -> dict[str, tuple[Any, ...]]:
        if self.persons_empty:
            return {}
        numbers = numbers if isinstance(numbers, set | dict) else set(numbers)
        self.plan.registry_checked += len(numbers)
        return {
            row[P["id_number"]]: row
            for row in fetch_by(Person, "id_number", numbers, PERSON_FIELDS)
        }

    def id_error(self, rows: Rows, i: int, cell: Any, problem: str) -> None:
        rows.error(i, issue_code(problem), "id_number", cell)

    def people_for(self, rows: Rows) -> list[str | None]:
        """A dependent sheet's ID numbers, each resolved to a person of the file or the registry
        (errors otherwise; registry persons are added to ``self.people``)."""
        people = self.people
        raw = rows.raw_column("id_number")
        ids: list[str | None] = [v if v in people else None for v in raw]
        slow = [i for i, v in enumerate(ids) if v is None] if None in ids else []
        if slow:
            deriver = self.deriver
            pending: dict[int, str] = {}
            for i in slow:
                cell = raw[i]
                text, problem = normalise_id(cell)
                if problem is not None:
                    self.id_error(rows, i, cell, problem)
                    continue
                if text in people:
                    ids[i] = text
                    continue
                result = deriver(text, None)
                if result.__class__ is not tuple:
                    self.id_error(rows, i, cell, f"id_{result.code}")  # type: ignore[union-attr]
                    continue
                pending[i] = result[0]  # type: ignore[index]
            wanted = set(pending.values()) - set(self.person_rows)
            if wanted and not self.persons_empty:
                for number, row in self.existing_persons(wanted).items():
                    people[number] = row
                    path = self.location(row[P["community_id"]], row[P["grid_id"]])
                    if not self.scope.allows(path):
                        self.foreign.add(number)
                        self.plan.found_elsewhere.add(number)
            persons_rows = self.rows["persons"]
            for i, number in pending.items():
                if number in people:
                    ids[i] = number
                elif number in self.person_rows:
                    rows.reference_failed(
                        i, "id_number", "人员", persons_rows, self.person_rows[number]
                    )
                else:
                    rows.error(i, "unknown_person", "id_number", number)
        if self.foreign:
            for i, found in enumerate(ids):
                if found in self.foreign:
                    rows.error(i, "registered_elsewhere", "id_number", found)
                    ids[i] = None
        if rows.present("name"):
            names = rows.col("name")
            name = P["name"]
            for i in [
                i
                for i, (n, number) in enumerate(zip(names, ids, strict=True))
                if n and number is not None and n != people[number][name]
            ]:
                rows.error(i, "name_mismatch", "name", names[i], name=people[ids[i]][name])  # type: ignore[index]
                ids[i] = None
        return ids

    def touch_household(self, key: Any, on: date | None) -> None:
        """A household whose members' history or labor-force attributes change: ``key`` is a
        registry id (int) or a household number of the file."""
        if isinstance(key, int):
            self.plan.announce_ids.add(key)
        else:
            found = self.households.get(key)
            household_id = found[0] if found is not None else self.db_household_ids.get(key)
            if household_id is not None:
                self.plan.announce_ids.add(household_id)
            else:
                self.touched_new.add(key)
        if on is not None and (self.plan.announce_on is None or on < self.plan.announce_on):
            self.plan.announce_on = on

    # -- status histories, the file's merged with the registry's ------------------------------

    def fetch_registry_history(self, person_ids: Iterable[int]) -> None:
        """Read the registry histories of ``person_ids`` not read yet (one query per chunk)."""
        wanted = [pk for pk in set(person_ids) if pk not in self.registry_history]
        if not wanted:
            return
        found: dict[int, History] = {pk: [] for pk in wanted}
        if not table_empty(StatusEvent):
            for pk, since, status, registered in fetch_by(
                StatusEvent, "person_id", wanted, ("person_id", "since", "status", "registered")
            ):
                found[pk].append((since, status, registered))
        for events in found.values():
            events.sort()
        self.registry_history.update(found)

    def registry_history_of(self, person_id: int) -> History:
        found = self.registry_history.get(person_id)
        if found is None:
            self.fetch_registry_history([person_id])
            found = self.registry_history[person_id]
        return found

    def events_of(self, number: str) -> list[tuple[date, str]]:
        """The person's (since, status) events as they will stand, sorted by date."""
        found = self.events_by_person.get(number)
        if found is not None:
            return found
        single = self.summary.get(number)
        if single is not None and single[4] is not None:  # one status on record
            return [(single[0], single[4])]
        person_id = self.people[number][0]
        if person_id is None:
            return []
        events = [(since, status) for since, status, _ in self.registry_history_of(person_id)]
        self.events_by_person[number] = events
        return events

    def history(self, number: str) -> History:
        """The person's (since, status, registered) events as they will stand, sorted by date."""
        merged = self.merged_history.get(number)
        if merged is not None:
            return merged
        indexes = self.status_rows.get(number)
        if indexes is not None:  # no history in the registry: the file's rows are all of it
            statuses = self.rows["statuses"]
            since, status = statuses.col("since"), statuses.col("status")
            registered = statuses.col("registered")
            return [(since[i], status[i], registered[i] is True) for i in indexes]
        person_id = self.people[number][0]
        return [] if person_id is None else self.registry_history_of(person_id)
