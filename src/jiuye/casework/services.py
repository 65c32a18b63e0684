"""Every write of casework. Keyword-only, typed, atomic, audited (like ``registry.services``).

- ``service_record_create`` / ``service_record_delete``: the dated services of DOMAIN §4, checked
  by ``casework.checks`` (the forms and the ledger importer call the same checks, same words).
- ``assistance_open`` / ``assistance_step_record``: the assistance workflow of 004, one step at a
  time and in order; the commitment of a difficult person who accepts any suitable post sets the
  placement deadline (2 working days, rule AS-1 in ``casework.deadlines``).
- ``profile_update``: the ten-clears fields the registry does not hold.
- ``zero_family_sync``: keeps each household's ``ZeroFamilyCase`` rows equal to its
  zero-employment episodes (``definitions.zero_family_episodes`` over everything recorded);
  called by the receiver of ``registry.signals.statuses_changed`` (status changes, and changes
  of a member's ability, desire, retirement base or household), so also by imports.

Who may write: each writer asks ``units.scope.check_write`` (the community workers and grid
coordinators of the person's place; the street and the district read and review, issue 11,
finding 4). ``zero_family_sync`` is not a decision of its caller: it derives the cases from the
registry, whose writers were checked.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone

from jiuye.accounts.models import Role, User
from jiuye.audit.services import AuditDraft, audit_record, audit_records
from jiuye.casework import checks
from jiuye.casework.deadlines.dates import placement_due
from jiuye.casework.models import (
    STEP_ORDER,
    AssistanceCase,
    AssistanceStep,
    AssistanceStepKind,
    ServiceKind,
    ServiceRecord,
    UnemployedProfile,
    ZeroFamilyCase,
    ZeroFamilyCloseReason,
)
from jiuye.casework.signals import zero_families_changed
from jiuye.lib.masking import restore_masked
from jiuye.lib.problems import Problem, raise_problems
from jiuye.lib.sql import citus
from jiuye.lib.workdays import WorkdayCalendarError
from jiuye.registry import definitions
from jiuye.registry.classification import member_timelines
from jiuye.registry.definitions import Episode, zero_family_episodes
from jiuye.registry.models import DifficultyRecognition, Household, Person
from jiuye.registry.selectors import households_of
from jiuye.registry.services import person_change_status, placement
from jiuye.units.models import Unit
from jiuye.units.scope import SYSTEM, check_write


def _actor_name(actor: User | None) -> str:
    if actor is None:
        return ""
    return actor.full_name or actor.username or ""


def _by(actor: User | None) -> User | None:
    """The user a row records as its author (none for a system job or an unsaved user)."""
    return actor if actor is not None and actor.pk else None


# ---------------------------------------------------------------------------------------------
# Service records
# ---------------------------------------------------------------------------------------------


def _amount(amount: Decimal | int | str | None) -> tuple[Decimal | None, list[Problem]]:
    """The amount as a Decimal (None: not given), or the problem with what was given."""
    if amount is None or amount == "":
        return None, []
    try:
        return Decimal(str(amount)), []
    except InvalidOperation:
        return None, [checks.problem("amount_invalid", "amount", value=str(amount))]


@transaction.atomic
def service_record_create(
    *,
    actor: User | None,
    person: Person,
    kind: str,
    on: date,
    by_name: str = "",
    training_mode: str = "",
    enrolled: bool | None = None,
    completed: bool = False,
    certified: bool = False,
    outcome: str = "",
    valid: bool | None = None,
    policy_name: str = "",
    amount: Decimal | int | str | None = None,
    note: str = "",
    if_absent: bool = False,
    today: date | None = None,
    write_checked: bool = False,
) -> ServiceRecord:
    """Record one service to ``person`` on ``on``, checked by ``casework.checks``
    (:func:`~jiuye.casework.checks.date_problems`: not before their birth, not after today;
    :func:`~jiuye.casework.checks.detail_problems`: each kind's own details, no other kind's).

    A training's ``enrolled`` defaults to true. ``if_absent`` returns an identical existing
    record instead of adding a second one (so re-importing a workbook changes nothing).
    ``by_name`` names the recorder of an imported row.

    ``write_checked``: a higher layer's service has decided that ``actor`` may record this
    service although they keep no resident's data here (the district's professional assistance
    referring an escalated person: ``jobs.postings.referral_create(assisting=True)``).
    """
    if not write_checked:
        check_write(actor, placement(person))
    if kind == ServiceKind.TRAINING and enrolled is None:
        enrolled = True
    decimal_amount, amount_problems = _amount(amount)
    problems = checks.detail_problems(
        kind=kind,
        training_mode=training_mode,
        enrolled=bool(enrolled),
        completed=completed,
        certified=certified,
        outcome=outcome,
        valid=valid,
        policy_name=policy_name,
        amount_given=decimal_amount is not None or bool(amount_problems),
        amount_negative=decimal_amount is not None and decimal_amount < 0,
    )
    if kind == ServiceKind.POLICY:
        problems += amount_problems
    if kind in ServiceKind.values:
        problems += checks.date_problems(
            on=on, birth_date=person.birth_date, today=today or timezone.localdate()
        )
    raise_problems(problems)
    fields: dict[str, Any] = {
        "person": person,
        "kind": kind,
        "on": on,
        "training_mode": training_mode,
        "enrolled": bool(enrolled),
        "completed": completed,
        "certified": certified,
        "outcome": outcome,
        "valid": valid,
        "policy_name": policy_name.strip(),
        "amount": decimal_amount,
        "note": note.strip(),
    }
    if if_absent:
        existing = ServiceRecord.objects.filter(**fields).first()
        if existing is not None:
            return existing
    record = ServiceRecord.objects.create(
        **fields, by=_by(actor), by_name=by_name or _actor_name(actor)
    )
    audit_record(
        actor=actor,
        action="service.create",
        obj=person,
        unit=person.community,
        changes={
            "kind": [None, str(kind)],
            "on": [None, on.isoformat()],
            "record": [None, record.pk],
        },
    )
    return record


@transaction.atomic
def service_record_delete(*, actor: User | None, record: ServiceRecord, reason: str = "") -> None:
    """Withdraw a mistaken record. A record of any date may be withdrawn: withdrawing asserts
    nothing about the service, so no check applies; but a user says why (``reason``, required of
    anyone but a system job) and the audit row keeps the record's content with the reason."""
    person = record.person
    check_write(actor, placement(person))
    reason = reason.strip()
    if actor is not None and not reason:
        raise ValidationError("请填写撤销原因", code="reason_required")
    old = [record.pk, str(record.kind), record.on.isoformat()]
    content = {
        "by_name": record.by_name,
        "training_mode": record.training_mode,
        "enrolled": record.enrolled,
        "completed": record.completed,
        "certified": record.certified,
        "outcome": record.outcome,
        "valid": record.valid,
        "policy_name": record.policy_name,
        "amount": str(record.amount) if record.amount is not None else None,
        "note": record.note,
    }
    record.delete()
    audit_record(
        actor=actor,
        action="service.delete",
        obj=person,
        unit=person.community,
        changes={"record": [old, None], "content": [content, None], "reason": [None, reason]},
    )


# ---------------------------------------------------------------------------------------------
# Ten clears profile
# ---------------------------------------------------------------------------------------------

PROFILE_FIELDS = (
    "family_situation",
    "training_need",
    "destination",
    "policies",
    "social_insurance",
)


@transaction.atomic
def profile_update(
    *, actor: User | None, person: Person, today: date | None = None, **fields: str
) -> UnemployedProfile:
    """Set ten-clears fields of ``person`` (see ``casework.tenclears``); blank clears one."""
    check_write(actor, placement(person))
    unknown = set(fields) - set(PROFILE_FIELDS)
    if unknown:
        raise TypeError(f"not profile fields: {sorted(unknown)}")
    profile, _created = UnemployedProfile.objects.get_or_create(person=person)
    changes = {}
    for key, value in fields.items():
        # A number the form showed masked and the user left as it was stays as stored.
        value = restore_masked((value or "").strip(), getattr(profile, key))
        if getattr(profile, key) != value:
            changes[key] = [getattr(profile, key), value]
            setattr(profile, key, value)
    if changes:
        profile.updated_on = today or timezone.localdate()
        profile.updated_by = _by(actor)
        profile.save()
        audit_record(
            actor=actor, action="profile.update", obj=person, unit=person.community, changes=changes
        )
    return profile


# ---------------------------------------------------------------------------------------------
# Assistance workflow (004)
# ---------------------------------------------------------------------------------------------

APPLICATION_DATE = ("申请日期", "application date")
STEP_DATE = ("环节日期", "step date")


def is_difficult_on(person: Person, on: date) -> bool:
    """Recognised employment-difficult on ``on`` (``definitions.recognition_in_force``)."""
    return DifficultyRecognition.objects.filter(
        definitions.recognition_in_force_q(on), person=person
    ).exists()


def _step(
    *,
    actor: User | None,
    case: AssistanceCase,
    kind: AssistanceStepKind,
    on: date,
    employer: str = "",
    note: str = "",
) -> AssistanceStep:
    return AssistanceStep.objects.create(
        case=case,
        kind=kind,
        on=on,
        by=_by(actor),
        by_name=_actor_name(actor),
        employer=employer.strip(),
        note=note.strip(),
    )


@transaction.atomic
def assistance_open(
    *,
    actor: User | None,
    person: Person,
    on: date,
    accepts_any_post: bool = False,
    note: str = "",
    today: date | None = None,
) -> AssistanceCase:
    """An application for employment assistance (申请援助), the first of the five steps."""
    check_write(actor, placement(person))
    raise_problems(
        checks.date_problems(
            on=on,
            birth_date=person.birth_date,
            today=today or timezone.localdate(),
            what=APPLICATION_DATE,
        )
    )
    if AssistanceCase.objects.filter(person=person, closed_on__isnull=True).exists():
        raise ValidationError("该人员已有未结案的援助申请", code="open_case")
    case = AssistanceCase.objects.create(
        person=person, opened_on=on, step=STEP_ORDER[0], accepts_any_post=accepts_any_post
    )
    _step(actor=actor, case=case, kind=AssistanceStepKind.APPLICATION, on=on, note=note)
    audit_record(
        actor=actor,
        action="assistance.open",
        obj=person,
        unit=person.community,
        changes={
            "case": [None, case.pk],
            "on": [None, on.isoformat()],
            "accepts_any_post": [None, accepts_any_post],
        },
    )
    return case


@transaction.atomic
def assistance_step_record(
    *,
    actor: User | None,
    case: AssistanceCase,
    kind: str,
    on: date,
    note: str = "",
    employer: str = "",
    accepts_any_post: bool | None = None,
    status: str | None = None,
    today: date | None = None,
) -> AssistanceStep:
    """Record the next step of ``case`` (steps come in order, each on or after the previous).

    At verification or commitment ``accepts_any_post`` may be (re)set. The commitment of a person
    recognised difficult on that day who accepts any suitable post sets ``placement_due``. At
    placement, ``status`` (an employed status) also records the employment in the registry from
    that day, with ``employer`` (through ``registry.services.person_change_status``, so with its
    checks). The follow-up visit closes the case.
    """
    cases = AssistanceCase.objects.select_for_update()
    # On Citus the case (a coordinator table) is locked alone and its person read after: a
    # FOR UPDATE cannot span a join with the persons' shards.
    case = (cases if citus() else cases.select_related("person")).get(pk=case.pk)
    person = case.person
    check_write(actor, placement(person))
    try:
        step = AssistanceStepKind(kind)
    except ValueError:
        raise ValidationError(f"未知的援助环节：{kind}", code="kind") from None
    expected = case.next_step
    if expected is None or case.closed_on is not None:
        raise ValidationError("该援助已结案", code="closed")
    if step != expected:
        raise ValidationError(f"下一个环节应是“{expected.label}”，不是“{step.label}”", code="order")
    raise_problems(
        checks.date_problems(
            on=on, birth_date=person.birth_date, today=today or timezone.localdate(), what=STEP_DATE
        )
    )
    last = case.steps.aggregate(last=Max("on"))["last"]
    if last is not None and on < last:
        raise ValidationError(f"环节日期不能早于上一环节（{last.isoformat()}）", code="before")
    if accepts_any_post is not None:
        if step not in (AssistanceStepKind.VERIFICATION, AssistanceStepKind.COMMITMENT):
            raise ValidationError("“不挑不拣”只在核实或承诺环节确定", code="accepts_any_post")
        case.accepts_any_post = accepts_any_post
    if status and step != AssistanceStepKind.PLACEMENT:
        raise ValidationError("就业状态只在援助上岗环节登记", code="status")
    if status and not definitions.is_employed(status):
        raise ValidationError("援助上岗须登记为就业状态", code="status")
    record = _step(actor=actor, case=case, kind=step, on=on, employer=employer, note=note)
    changes: dict[str, Any] = {
        "case": [None, case.pk],
        "step": [case.step, str(step)],
        "on": [None, on.isoformat()],
    }
    case.step = step
    if (
        step == AssistanceStepKind.COMMITMENT
        and case.accepts_any_post
        and is_difficult_on(person, on)
    ):
        try:
            case.placement_due = placement_due(on)
        except WorkdayCalendarError as error:
            raise ValidationError(str(error), code="calendar") from None
        changes["placement_due"] = [None, case.placement_due.isoformat()]
    if step == AssistanceStepKind.FOLLOWUP:
        case.closed_on = on
    case.save()
    audit_record(
        actor=actor, action="assistance.step", obj=person, unit=person.community, changes=changes
    )
    if step == AssistanceStepKind.PLACEMENT and status:
        person_change_status(
            actor=actor, person=person, status=status, since=on, employer=employer.strip()
        )
    return record


# ---------------------------------------------------------------------------------------------
# Zero-employment family cases
# ---------------------------------------------------------------------------------------------


def grid_coordinator(household: Household) -> User | None:
    """The grid coordinator (网格协管员) of the household's grid (the first, if several)."""
    if household.grid_id is None:
        return None
    return (
        User.objects.filter(role=Role.GRID, is_active=True, memberships__unit_id=household.grid_id)
        .order_by("id")
        .first()
    )


def _overlaps(case: ZeroFamilyCase, episode: Episode) -> bool:
    case_end = case.eliminated_on or date.max
    episode_end = episode.ended_on or date.max
    return case.emerged_on < episode_end and episode.emerged_on < case_end


def _case_draft(
    actor: User | None, action: str, case: ZeroFamilyCase, changes: dict[str, Any]
) -> AuditDraft:
    household = case.household
    return AuditDraft(
        actor=actor,
        action=action,
        obj=household,
        unit=household.community,
        changes={"case": [None, case.pk], **changes},
    )


# An audit entry to write once the chunk's new cases have their ids: (action, case, changes,
# whether the case is then deleted).
_Pending = tuple[str, ZeroFamilyCase, dict[str, Any], bool]


def _wanted(episode: Episode) -> dict[str, Any]:
    """A case's columns for ``episode``."""
    return {
        "emerged_on": episode.emerged_on,
        "eliminated_on": episode.ended_on,
        "close_reason": ZeroFamilyCloseReason(episode.end_reason) if episode.end_reason else "",
    }


def _match(
    episodes: list[Episode], cases: list[ZeroFamilyCase]
) -> tuple[list[tuple[Episode, ZeroFamilyCase | None]], list[ZeroFamilyCase]]:
    """Pair each episode with the case it continues: first the case that emerged the same day,
    then one that overlaps it (a corrected emergence or end); the rest of the cases are left
    over (no longer an episode). Same-day matches are taken first, so a moved case never takes
    the emergence day of another that is kept."""
    unmatched = sorted(cases, key=lambda c: c.emerged_on)
    paired: dict[int, ZeroFamilyCase] = {}
    for index, episode in enumerate(episodes):
        same = next((c for c in unmatched if c.emerged_on == episode.emerged_on), None)
        if same is not None:
            paired[index] = same
            unmatched.remove(same)
    for index, episode in enumerate(episodes):
        if index not in paired:
            overlapping = next((c for c in unmatched if _overlaps(c, episode)), None)
            if overlapping is not None:
                paired[index] = overlapping
                unmatched.remove(overlapping)
    return [(episode, paired.get(index)) for index, episode in enumerate(episodes)], unmatched


def _reconcile(
    household: Household,
    episodes: list[Episode],
    cases: list[ZeroFamilyCase],
    coordinator: Callable[[Household], User | None],
    created: list[ZeroFamilyCase],
    audits: list[_Pending],
) -> None:
    """Bring one household's cases in line with its episodes. New cases are only built (added
    to ``created``, inserted in bulk by the caller); the audit entries (and the deletion of a
    revoked case, after its entry) are queued on ``audits``, in order, for the caller to write
    once the new cases have their ids."""
    pairs, unmatched = _match(episodes, cases)
    for episode, case in pairs:
        wanted = _wanted(episode)
        if case is None:
            # One entry: the episode as known (its end too, when already dated: an employment
            # recorded back-dated, or the last labor-force member's retirement day).
            case = ZeroFamilyCase(
                household=household,
                district_id=household.district_id,
                assigned_to=coordinator(household),
                **wanted,
            )
            created.append(case)
            opened = {key: [None, _plain(value)] for key, value in wanted.items() if value}
            opened["assigned_to"] = [None, getattr(case.assigned_to, "username", None)]
            audits.append(("zero_family.open", case, opened, False))
            continue
        changes = {
            key: [_plain(getattr(case, key)), _plain(value)]
            for key, value in wanted.items()
            if getattr(case, key) != value
        }
        if changes:
            # Eliminated (成员实现就业): the end is now a member's employment.
            closing = wanted["close_reason"] == ZeroFamilyCloseReason.EMPLOYED and (
                changes.keys() & {"eliminated_on", "close_reason"}
            )
            for key, value in wanted.items():
                setattr(case, key, value)
            if case.assigned_to_id is None:
                case.assigned_to = coordinator(household)
            case.save()
            action = "zero_family.close" if closing else "zero_family.update"
            audits.append((action, case, changes, False))
    for case in unmatched:
        # No longer a zero family in any episode (a correction, or a household whose members'
        # statuses were still being entered): the case goes; the audit log keeps what it was.
        revoked = {
            "emerged_on": [case.emerged_on.isoformat(), None],
            "eliminated_on": [_plain(case.eliminated_on), None],
        }
        audits.append(("zero_family.revoke", case, revoked, True))


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def _grid_coordinators(grid_ids: Iterable[int]) -> dict[int, User | None]:
    """:func:`grid_coordinator` for many grids at once (each grid's first coordinator by id)."""
    found: dict[int, User | None] = {pk: None for pk in grid_ids}
    if not found:
        return found
    users = (
        User.objects.filter(role=Role.GRID, is_active=True, memberships__unit_id__in=list(found))
        .annotate(_grid=F("memberships__unit_id"))
        .order_by("id")
    )
    for user in users:
        if found.get(user._grid) is None:  # type: ignore[attr-defined]
            found[user._grid] = user  # type: ignore[attr-defined]
    return found


SYNC_CHUNK = 500  # households per round of reads (well under SQLite's parameter limit)


@transaction.atomic
def zero_family_sync(*, household_ids: Iterable[int], actor: User | None = None) -> None:
    """Make the households' cases equal to their zero-employment episodes.

    The episodes are ``definitions.zero_family_episodes`` over the members' whole recorded
    history (``until=None``): a case opens on the day the household became a zero family,
    whenever the change is recorded, and ends on the day a member was employed or nobody was
    left in the labor force, including an end the calendar alone decides (the last labor-force
    member's retirement day), which may lie after today. Whether a case is open is read as of
    a date (``ZeroFamilyCase.open_on``). A case whose episode disappeared after a correction is
    deleted. Reads are batched (three queries per 500 households, plus the households that
    have or had a case) and new cases are inserted in one statement per 500 households; changed
    and revoked cases are saved one by one, and every case change is audited, in household
    order.
    """
    ids = sorted(set(household_ids))
    coordinators: dict[int | None, User | None] = {None: None}

    def coordinator(household: Household) -> User | None:
        if household.grid_id not in coordinators:
            coordinators[household.grid_id] = grid_coordinator(household)
        return coordinators[household.grid_id]

    for start in range(0, len(ids), SYNC_CHUNK):
        chunk = ids[start : start + SYNC_CHUNK]
        timelines = member_timelines(chunk)
        cases: dict[int, list[ZeroFamilyCase]] = defaultdict(list)
        for case in ZeroFamilyCase.objects.filter(household_id__in=chunk):
            cases[case.household_id].append(case)
        episodes: dict[int, list[Episode]] = {}
        for household_id in chunk:
            found = zero_family_episodes(timelines.get(household_id, []), until=None)
            if found or cases.get(household_id):
                episodes[household_id] = found
        if not episodes:
            continue
        households = list(
            Household.objects.filter(pk__in=list(episodes))
            .select_related("community")
            .order_by("pk")
        )
        # The coordinators of the grids that may need one, in one query.
        grids = {h.grid_id for h in households if h.grid_id is not None}
        for grid_id, user in _grid_coordinators(grids - set(coordinators)).items():
            coordinators[grid_id] = user
        created: list[ZeroFamilyCase] = []
        audits: list[_Pending] = []
        for household in households:
            _reconcile(
                household,
                episodes[household.pk],
                cases.get(household.pk, []),
                coordinator,
                created,
                audits,
            )
        ZeroFamilyCase.objects.bulk_create(created)
        # The chunk's audit entries in one insert, then the revoked cases go.
        audit_records([_case_draft(actor, a, case, changes) for a, case, changes, _d in audits])
        revoked = [case.pk for _a, case, _c, delete in audits if delete]
        if revoked:
            ZeroFamilyCase.objects.filter(pk__in=revoked).delete()
        _zero_families_changed(households, [*created, *(case for _a, case, _c, _d in audits)])


def _zero_families_changed(households: list[Household], cases: list[ZeroFamilyCase]) -> None:
    """Tell the layers above which communities' cases changed, from which day (the monthly
    roll-ups count the zero families open at each month's end)."""
    if not cases:
        return
    community = {h.pk: h.community_id for h in households}
    since: dict[int, date] = {}
    for case in cases:
        community_id = community[case.household_id]
        if community_id not in since or case.emerged_on < since[community_id]:
            since[community_id] = case.emerged_on
    zero_families_changed.send(sender=ZeroFamilyCase, since=since)


@transaction.atomic
def zero_family_sync_unit(*, unit: Unit, actor: User | None = None) -> int:
    """Re-evaluate every household of ``unit``: a check that the cases match the registry (the
    ``statuses_changed`` signal keeps them so; a loader that wrote rows without it is caught
    here). Returns the number of households looked at."""
    ids = list(households_of(unit, user=SYSTEM).order_by().values_list("pk", flat=True))
    zero_family_sync(household_ids=ids, actor=actor)
    return len(ids)


@transaction.atomic
def zero_family_assign(
    *, actor: User | None, case: ZeroFamilyCase, user: User | None
) -> ZeroFamilyCase:
    """Hand a case to another coordinator (or to nobody)."""
    check_write(actor, placement(case.household))
    old = getattr(case.assigned_to, "username", None)
    case.assigned_to = user
    case.save(update_fields=["assigned_to"])
    audit_records(
        [
            _case_draft(
                actor,
                "zero_family.assign",
                case,
                {"assigned_to": [old, getattr(user, "username", None)]},
            )
        ]
    )
    return case
