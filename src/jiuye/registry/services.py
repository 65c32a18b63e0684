"""Every write to the registry. Keyword-only, typed, atomic, audited.

``person_change_status`` is the only writer of status events: it keeps each event's ``until``
(the next event's start) and the person's ``current_*`` cache consistent with the history.

Each writer first asks ``units.scope.check_write`` whether its actor may write there: the
community workers and grid coordinators of the place (a grid coordinator only in their grid);
the street and the district read and review (issue 11, finding 4). ``actor=None`` is a system
job (the command line's import, the seed).
"""

from __future__ import annotations

from datetime import date
from functools import cached_property
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from jiuye.accounts.models import User
from jiuye.audit.services import audit_record
from jiuye.lib import idcard
from jiuye.lib.problems import raise_problems
from jiuye.registry import checks, definitions
from jiuye.registry.classification import household_zero_on
from jiuye.registry.derive import person_derived_fields
from jiuye.registry.models import (
    DifficultyCategory,
    DifficultyRecognition,
    Household,
    HukouType,
    Person,
    Sex,
    Status,
    StatusEvent,
)
from jiuye.registry.signals import statuses_changed
from jiuye.units import sharding
from jiuye.units.models import COMMUNITY_LEVELS, Level, Unit
from jiuye.units.scope import check_write

# Person fields that decide a household's labor force (so its zero-family standing).
MEMBERSHIP_FACTS = frozenset({"able", "willing", "female_base"})

PERSON_EDITABLE = (
    "name",
    "relation",
    "hukou_type",
    "phone",
    "able",
    "willing",
    "female_base",
    "education",
    "skill_level",
    "disabled",
    "veteran",
    "migrant_worker",
    "landless",
    "poverty_labor",
    "graduate_year",
    "job_intent",
    "certificates",
)


def placement(obj: Person | Household) -> Unit:
    """Where a person's or household's data is written: its grid if it has one, else its
    community (what ``units.scope.may_write`` is asked about)."""
    grid = obj.grid if obj.grid_id else None
    return grid or obj.community


def _community_and_grid(unit: Unit) -> tuple[Unit, Unit | None]:
    if unit.level == Level.GRID:
        assert unit.parent is not None
        return unit.parent, unit
    if unit.level in COMMUNITY_LEVELS:
        return unit, None
    raise ValidationError(f"户只能属于社区、村或网格，{unit} 是{Level(unit.level).label}")


@transaction.atomic
def household_create(
    *,
    actor: User | None,
    number: str,
    unit: Unit,
    hukou_type: str,
    address: str = "",
    dibao: bool = False,
) -> Household:
    """A household in a community or village; ``unit`` may be one of its grids."""
    community, grid = _community_and_grid(unit)
    check_write(actor, grid or community)
    if Household.objects.filter(number=number).exists():
        raise ValidationError(f"户编号 {number} 已存在", code="duplicate_number")
    HukouType(hukou_type)
    household = Household.objects.create(
        number=number,
        community=community,
        grid=grid,
        hukou_type=hukou_type,
        address=address,
        dibao=dibao,
    )
    audit_record(
        actor=actor,
        action="household.create",
        obj=household,
        unit=community,
        changes={"number": [None, number], "unit": [None, unit.code]},
    )
    return household


@transaction.atomic
def person_create(
    *,
    actor: User | None,
    id_number: str,
    name: str,
    household: Household,
    hukou_type: str | None = None,
    today: date | None = None,
    **fields: Any,
) -> Person:
    """Register a person; birth date and sex come from the ID number, never typed."""
    check_write(actor, placement(household))
    unknown = set(fields) - set(PERSON_EDITABLE)
    if unknown:
        raise TypeError(f"unknown person fields: {sorted(unknown)}")
    try:
        derived = person_derived_fields(id_number, fields.get("female_base"), today=today)
    except idcard.IdNumberError as error:
        raise ValidationError(error.message, code=error.code) from None
    if Person.objects.filter(id_number=derived["id_number"]).exists():
        raise ValidationError("该身份证号码已登记", code="duplicate")
    if fields.get("female_base") is not None and derived["sex"] != Sex.FEMALE:
        raise ValidationError("女性退休基准只适用于女性", code="female_base")
    person = Person.objects.create(
        name=name,
        household=household,
        community_id=household.community_id,
        grid_id=household.grid_id,
        hukou_type=hukou_type or household.hukou_type,
        **derived,
        **fields,
    )
    audit_record(
        actor=actor,
        action="person.create",
        obj=person,
        unit=household.community,
        changes={
            "id_number": [None, person.id_number],
            "name": [None, name],
            "household": [None, household.number],
        },
    )
    return person


@transaction.atomic
def person_update(*, actor: User | None, person: Person, **fields: Any) -> Person:
    """Change editable attributes; the audit row holds each changed field's old and new value."""
    check_write(actor, placement(person))
    unknown = set(fields) - set(PERSON_EDITABLE)
    if unknown:
        raise TypeError(f"not editable: {sorted(unknown)}")
    changes = {k: [getattr(person, k), v] for k, v in fields.items() if getattr(person, k) != v}
    if not changes:
        return person
    for key, value in fields.items():
        setattr(person, key, value)
    if "female_base" in changes:
        if person.sex != Sex.FEMALE and person.female_base is not None:
            raise ValidationError("女性退休基准只适用于女性", code="female_base")
        person.retire_on = person_derived_fields(person.id_number, person.female_base)["retire_on"]
    person.save()
    audit_record(
        actor=actor, action="person.update", obj=person, unit=person.community, changes=changes
    )
    if changes.keys() & MEMBERSHIP_FACTS:
        # Ability, desire and the retirement day decide the household's labor force.
        statuses_changed.send(Person, household_ids={person.household_id}, on=None, actor=actor)
    return person


@transaction.atomic
def person_move(*, actor: User | None, person: Person, household: Household) -> Person:
    """Move a person to another household (and so its community and grid)."""
    check_write(actor, placement(person))
    check_write(actor, placement(household))
    if household.district_id != person.district_id and sharding.citus():
        raise ValidationError(CROSS_DISTRICT, code="cross_district")
    old, old_household_id = person.household.number, person.household_id
    person.household = household
    person.community_id = household.community_id
    person.grid_id = household.grid_id
    person.save(update_fields=["household", "community", "grid"])
    # A move into another district's household carries the person's rows with it.
    sharding.follow_moves(household_ids={household.pk})
    audit_record(
        actor=actor,
        action="person.move",
        obj=person,
        unit=household.community,
        changes={"household": [old, household.number]},
    )
    statuses_changed.send(
        Person, household_ids={old_household_id, household.pk}, on=None, actor=actor
    )
    return person


# On Citus a row's district never changes (units.sharding); a transfer between districts is
# recorded as leaving one district's registry and joining the other's.
CROSS_DISTRICT = "跨区迁移请在原区办理转出、在新区重新登记"

HEAD = "户主"  # the head's relation (与户主关系), as the ledger workbook writes it


@transaction.atomic
def household_set_head(*, actor: User | None, person: Person) -> list[Person]:
    """Make ``person`` the head of their household. The former head's relation is cleared, as
    every relation is to the head and the system cannot know the new one: the worker fills it
    in. Returns the members changed (each audited as a person update), the new head last."""
    check_write(actor, placement(person))
    if person.relation == HEAD:
        return []
    # The district named: on Citus a locking read must go to one shard.
    former = list(
        Person.objects.select_for_update()
        .filter(household_id=person.household_id, district_id=person.district_id, relation=HEAD)
        .exclude(pk=person.pk)
    )
    changed = [person_update(actor=actor, person=p, relation="") for p in former]
    changed.append(person_update(actor=actor, person=person, relation=HEAD))
    return changed


def refresh_current_status(person: Person) -> None:
    """Re-derive the ``current_*`` cache from the latest event."""
    latest = person.status_events.order_by("-since").first()
    person.current_status = latest.status if latest else ""
    person.current_since = latest.since if latest else None
    person.current_registered = bool(latest and latest.registered)
    person.save(update_fields=["current_status", "current_since", "current_registered"])


def _relink(person: Person) -> None:
    """Set every event's ``until`` to the next event's ``since`` (the last one stays open)."""
    events = list(person.status_events.order_by("since"))
    if not events:  # the last event was deleted: nothing left to link
        return
    for event, following in zip(events, [*events[1:], None], strict=True):
        until = following.since if following else None
        if event.until != until:
            event.until = until
            event.save(update_fields=["until"])


@transaction.atomic
def person_change_status(
    *,
    actor: User | None,
    person: Person,
    status: str,
    since: date,
    registered: bool = False,
    employer: str = "",
    cause: str = "",
) -> StatusEvent:
    """Record that ``person`` has ``status`` from ``since`` on (one status a day: a second
    change on the same day replaces the first). Events may be back-dated."""
    check_write(actor, placement(person))
    Status(status)
    raise_problems(
        checks.status_problems(
            status=status,
            since=since,
            registered=registered,
            birth_date=person.birth_date,
            work_from=person.work_from,
        )
    )
    existing = StatusEvent.objects.filter(person=person, since=since).first()
    old = [existing.status, existing.registered] if existing else None
    if existing:
        existing.status, existing.registered = status, registered
        existing.employer, existing.cause = employer, cause
        existing.save()
        event = existing
    else:
        event = StatusEvent.objects.create(
            person=person,
            status=status,
            since=since,
            registered=registered,
            employer=employer,
            cause=cause,
        )
    _relink(person)
    refresh_current_status(person)
    event.refresh_from_db()
    audit_record(
        actor=actor,
        action="person.status",
        obj=person,
        unit=person.community,
        changes={"since": [None, since.isoformat()], "status": [old, [status, registered]]},
    )
    statuses_changed.send(Person, household_ids={person.household_id}, on=since, actor=actor)
    return event


@transaction.atomic
def status_event_delete(*, actor: User | None, event: StatusEvent, reason: str = "") -> None:
    """Withdraw a mistaken event; the history around it closes up again. A user says why
    (``reason``, required of anyone but a system job): the audit row keeps the withdrawn
    event whole and the reason, so the history of what was recorded is not lost."""
    person = event.person
    check_write(actor, placement(person))
    reason = reason.strip()
    if actor is not None and not reason:
        raise ValidationError("请填写撤销原因", code="reason_required")
    old = {
        "since": event.since.isoformat(),
        "until": event.until.isoformat() if event.until else None,
        "status": event.status,
        "registered": event.registered,
        "employer": event.employer,
        "cause": event.cause,
    }
    event.delete()
    _relink(person)
    refresh_current_status(person)
    audit_record(
        actor=actor,
        action="person.status_delete",
        obj=person,
        unit=person.community,
        changes={"event": [old, None], "reason": [None, reason]},
    )
    statuses_changed.send(Person, household_ids={person.household_id}, on=event.since, actor=actor)


class RegistryFacts:
    """:class:`~jiuye.registry.checks.RecognitionFacts` of a person on a date, read from the
    registry as it stands (each fact only when a category asks for it)."""

    def __init__(self, person: Person, on: date) -> None:
        self.person, self.on = person, on
        self.sex, self.birth_date = person.sex, person.birth_date
        self.disabled, self.landless = person.disabled, person.landless

    @cached_property
    def status(self) -> str | None:
        event = StatusEvent.objects.filter(definitions.in_force_q(self.on), person=self.person)
        return event.values_list("status", flat=True).first()

    @cached_property
    def registered_since(self) -> date | None:
        events = StatusEvent.objects.filter(person=self.person, since__lte=self.on)
        history = list(events.order_by("since").values_list("since", "status", "registered"))
        return definitions.registration_start(history, self.on)

    @property
    def household_dibao(self) -> bool:
        return self.person.household.dibao

    @cached_property
    def household_zero(self) -> bool:
        return household_zero_on(household_id=self.person.household_id, on=self.on)


@transaction.atomic
def recognition_create(
    *,
    actor: User | None,
    person: Person,
    category: str,
    recognized_on: date,
    ended_on: date | None = None,
    note: str = "",
) -> DifficultyRecognition:
    """Recognise a person as employment-difficult (认定) in a category, from a date."""
    check_write(actor, placement(person))
    DifficultyCategory(category)
    raise_problems(
        checks.recognition_problems(
            category=category,
            recognized_on=recognized_on,
            ended_on=ended_on,
            note=note,
            facts=RegistryFacts(person, recognized_on),
        )
    )
    recognition = DifficultyRecognition.objects.create(
        person=person,
        category=category,
        recognized_on=recognized_on,
        ended_on=ended_on,
        note=note,
    )
    audit_record(
        actor=actor,
        action="recognition.create",
        obj=person,
        unit=person.community,
        changes={
            "category": [None, category],
            "recognized_on": [None, recognized_on.isoformat()],
            "ended_on": [None, ended_on.isoformat() if ended_on else None],
        },
    )
    return recognition


@transaction.atomic
def recognition_end(
    *, actor: User | None, recognition: DifficultyRecognition, ended_on: date
) -> DifficultyRecognition:
    check_write(actor, placement(recognition.person))
    raise_problems(checks.end_problems(recognized_on=recognition.recognized_on, ended_on=ended_on))
    old = recognition.ended_on
    recognition.ended_on = ended_on
    recognition.save(update_fields=["ended_on"])
    audit_record(
        actor=actor,
        action="recognition.end",
        obj=recognition.person,
        unit=recognition.person.community,
        changes={"ended_on": [old.isoformat() if old else None, ended_on.isoformat()]},
    )
    return recognition
