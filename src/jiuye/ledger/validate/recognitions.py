"""The 困难认定 sheet: each new recognition checked by ``registry.checks.recognition_problems``
(its dates, and its category borne out on the recognition date: the same check and words as the
recognition form) against the file merged with the registry, read lazily through
:class:`ImportFacts`; an existing one (same person, category and date) takes the row's end date
and note, its end checked against its start as ``registry.services.recognition_end`` does."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from jiuye.ledger.validate.context import Context
from jiuye.ledger.validate.fetch import P, fetch_by, table_empty
from jiuye.ledger.validate.plan import Counts
from jiuye.ledger.validate.rows import Rows
from jiuye.lib.problems import Problem
from jiuye.registry import checks, definitions
from jiuye.registry.columns import PERSON_FIELDS
from jiuye.registry.models import DifficultyCategory, DifficultyRecognition, Household, Person

_H, _ID_NUMBER = P["household_id"], P["id_number"]
_WORK_FROM, _RETIRE_ON, _ABLE, _WILLING = P["work_from"], P["retire_on"], P["able"], P["willing"]


class Households:
    """The households of the persons a sheet names, as they will stand after the import: their
    dibao standing and their members (the file's persons merged with the registry's), and the
    zero-employment episodes of those members' merged histories (one sweep per household)."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.by_id: dict[int, tuple[str, bool]] = {}  # registry household id → (number, dibao)
        self.registry_members: dict[int, list[tuple[Any, ...]]] = {}  # id → person rows
        self.file_members: dict[str, list[str]] = {}  # number → the persons sheet's members
        self.episodes: dict[str, list[definitions.Episode]] = {}

    def fetch(self, household_ids: Iterable[int]) -> None:
        wanted = set(household_ids) - self.by_id.keys()
        for pk, number, dibao in fetch_by(Household, "id", wanted, ("id", "number", "dibao")):
            self.by_id[pk] = (number, dibao)

    def fetch_members(self, household_ids: Iterable[int]) -> None:
        """The registry's members of ``household_ids`` and their status histories."""
        wanted = set(household_ids) - self.registry_members.keys()
        if not wanted:
            return
        found: dict[int, list[tuple[Any, ...]]] = {pk: [] for pk in wanted}
        for row in fetch_by(Person, "household_id", wanted, PERSON_FIELDS):
            found[row[_H]].append(row)
        self.registry_members.update(found)
        self.ctx.fetch_registry_history(row[0] for rows in found.values() for row in rows)

    def index_members(self, households: Iterable[str]) -> None:
        """The persons sheet's members of ``households`` (one pass over the sheet's persons)."""
        wanted = set(households) - self.file_members.keys()
        if not wanted:
            return
        found: dict[str, list[str]] = {h: [] for h in wanted}
        people = self.ctx.people
        for n in self.ctx.person_rows:
            row = people.get(n)
            if row is not None and row[_H] in wanted:
                found[row[_H]].append(n)
        self.file_members.update(found)

    def of(self, number: str) -> tuple[int | None, str]:
        """The household of the person ``number``: (registry id or None, household number)."""
        ctx = self.ctx
        h = ctx.people[number][_H]
        if isinstance(h, int):  # a registry person the file does not move
            if h not in self.by_id:
                self.fetch([h])
            return h, self.by_id[h][0]
        found = ctx.households.get(h)
        return (found[0] if found is not None else ctx.db_household_ids.get(h)), h

    def dibao(self, number: str) -> bool:
        household_id, household = self.of(number)
        found = self.ctx.household_dibao.get(household)  # the file's, or read with its persons
        if found is not None:
            return found
        assert household_id is not None
        if household_id not in self.by_id:
            self.fetch([household_id])
        return self.by_id[household_id][1]

    def members(self, number: str) -> list[tuple[str, Sequence[Any]]]:
        """(ID number, person row) of every member of the person's household as it will stand:
        the persons sheet's persons placed in it, and the registry's members the file does not
        move elsewhere."""
        ctx = self.ctx
        household_id, household = self.of(number)
        if household not in self.file_members:
            self.index_members([household])
        found: dict[str, Sequence[Any]] = {n: ctx.people[n] for n in self.file_members[household]}
        if household_id is not None:
            if household_id not in self.registry_members:
                self.fetch_members([household_id])
            for row in self.registry_members[household_id]:
                n = row[_ID_NUMBER]
                if n in found:
                    continue
                current = ctx.people.get(n) if n in ctx.person_rows else None
                if current is None:  # not in the persons sheet (or failed there): as registered
                    found[n] = row
        return list(found.items())

    def zero_on(self, number: str, on: date) -> bool:
        """The person's household is a zero-employment family on ``on``
        (``definitions.zero_family_episodes`` over the members' merged histories)."""
        _household_id, household = self.of(number)
        episodes = self.episodes.get(household)
        if episodes is None:
            ctx = self.ctx
            timelines = []
            for n, row in self.members(number):
                if n in ctx.people:
                    events = ctx.events_of(n)
                else:
                    events = [(d, s) for d, s, _r in ctx.registry_history_of(row[0])]
                timelines.append(
                    definitions.MemberTimeline(
                        work_from=row[_WORK_FROM],
                        retire_on=row[_RETIRE_ON],
                        able=row[_ABLE],
                        willing=row[_WILLING],
                        events=events,
                    )
                )
            episodes = self.episodes[household] = definitions.zero_family_episodes(timelines)
        return any(e.open_on(on) for e in episodes)


class ImportFacts:
    """``registry.checks.RecognitionFacts`` of a person on a date, read from the file merged with
    the registry; each fact is computed only when the category's check asks for it."""

    __slots__ = ("_ctx", "_households", "_number", "_on", "_person", "birth_date", "sex")

    def __init__(self, ctx: Context, households: Households, number: str, on: date) -> None:
        self._ctx, self._households, self._number, self._on = ctx, households, number, on
        self._person = person = ctx.people[number]
        self.sex: str = person[P["sex"]]
        self.birth_date: date = person[P["birth_date"]]

    @property
    def status(self) -> str | None:
        return definitions.status_on(self._ctx.events_of(self._number), self._on)

    @property
    def registered_since(self) -> date | None:
        """The start of the registration (登记失业) in force that day, on the merged history."""
        return definitions.registration_start(self._ctx.history(self._number), self._on)

    @property
    def household_dibao(self) -> bool:
        return self._households.dibao(self._number)

    @property
    def disabled(self) -> bool:
        return bool(self._person[P["disabled"]])

    @property
    def landless(self) -> bool:
        return bool(self._person[P["landless"]])

    @property
    def household_zero(self) -> bool:
        return self._households.zero_on(self._number, self._on)


def check_recognitions(ctx: Context, rows: Rows, counts: Counts) -> None:
    ids = ctx.people_for(rows)
    category, start = rows.col("category"), rows.col("recognized_on")
    end, note = rows.col("ended_on"), rows.col("note")
    people = ctx.people
    candidates = [
        (i, number) for i, number in enumerate(ids) if number is not None and i not in rows.bad
    ]
    numbers = {number for _i, number in candidates}
    # What the checks will read from the registry, in a few queries: the histories of the
    # registry persons the file gives none for, and the households of zero-family rows.
    ctx.fetch_registry_history(
        people[n][0]
        for n in numbers
        if people[n][0] is not None and n not in ctx.status_rows and n not in ctx.merged_history
    )
    households = Households(ctx)
    zero_rows = [n for i, n in candidates if category[i] == DifficultyCategory.ZERO_FAMILY]
    if zero_rows:
        households.fetch(h for n in zero_rows if isinstance(h := people[n][_H], int))
        places = [households.of(n) for n in zero_rows]
        households.fetch_members({h for h, _number in places if h is not None})
        households.index_members({number for _h, number in places})
    old: dict[tuple[int, str, date], tuple[Any, ...]] = {}
    db_ids = {people[n][0] for n in numbers} - {None}
    if db_ids and not table_empty(DifficultyRecognition):
        for row in fetch_by(
            DifficultyRecognition,
            "person_id",
            db_ids,
            ("person_id", "category", "recognized_on", "id", "ended_on", "note"),
        ):
            old[(row[0], row[1], row[2])] = row
    first: dict[tuple[str, str, date], int] = {}
    for i, number in candidates:
        key = (number, category[i], start[i])
        db_id = people[number][0]
        before = old.get((db_id, key[1], key[2])) if db_id is not None else None
        problems: list[Problem]
        if before is None:
            problems = checks.recognition_problems(
                category=category[i],
                recognized_on=start[i],
                ended_on=end[i],
                note=note[i],
                facts=ImportFacts(ctx, households, number, start[i]),
            )
        else:  # an existing recognition's end or note (``recognition_end``'s one check)
            new_end = end[i] if end[i] is not None else before[4]
            problems = checks.end_problems(recognized_on=start[i], ended_on=new_end)
        if problems:
            for problem in problems:
                rows.problem(i, problem)
            continue
        j = first.get(key)
        if j is not None:
            if (end[i], note[i]) == (end[j], note[j]):
                counts.unchanged += 1
            else:
                rows.error(
                    i, "conflict_in_file", "recognized_on", start[i], first_row=rows.location(j)[1]
                )
            continue
        first[key] = i
    for (number, cat, day), i in first.items():
        db_id = people[number][0]
        before = old.get((db_id, cat, day)) if db_id is not None else None
        if before is None:
            ctx.plan.recognitions_insert.append((number, cat, day, end[i], note[i]))
            counts.inserted += 1
            continue
        new_end = end[i] if end[i] is not None else before[4]
        new_note = note[i] or before[5]
        if (new_end, new_note) == (before[4], before[5]):
            counts.unchanged += 1
        else:
            ctx.plan.recognitions_update.append((before[3], new_end, new_note))
            counts.updated += 1
