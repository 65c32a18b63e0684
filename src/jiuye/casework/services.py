"""Every write of casework. Keyword-only, typed, atomic, audited (like ``registry.services``).

- ``service_record_create`` / ``service_record_delete``: the dated services of DOMAIN §4.
- ``assistance_open`` / ``assistance_step_record``: the assistance workflow of 004, one step at a
  time and in order; the commitment of a difficult person who accepts any suitable post sets the
  placement deadline (2 working days, rule AS-1 in ``casework.deadlines``).
- ``profile_update``: the ten-clears fields the registry does not hold.
- ``zero_family_sync``: keeps ``ZeroFamilyCase`` rows equal to the households' zero-employment
  episodes; called by the receiver of ``registry.signals.statuses_changed`` on every status
  change (so also by imports that go through ``person_change_status``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Max, Q
from django.utils import timezone

from jiuye.accounts.models import Role, User
from jiuye.audit.services import audit_record
from jiuye.casework.deadlines import placement_due
from jiuye.casework.models import (
    STEP_ORDER,
    AssistanceCase,
    AssistanceStep,
    AssistanceStepKind,
    ServiceKind,
    ServiceRecord,
    SurveyOutcome,
    TrainingMode,
    UnemployedProfile,
    ZeroFamilyCase,
    ZeroFamilyCloseReason,
    ZeroFamilyStatus,
)
from jiuye.lib.workdays import WorkdayCalendarError
from jiuye.registry.classification import Episode, MemberTimeline, zero_family_episodes
from jiuye.registry.models import (
    EMPLOYED,
    DifficultyRecognition,
    Household,
    Person,
    StatusEvent,
)
from jiuye.registry.services import person_change_status


def _actor_name(actor: Any) -> str:
    if actor is None:
        return ""
    return getattr(actor, "full_name", "") or getattr(actor, "username", "") or ""


def _check_date(person: Person, on: date, today: date | None, what: str) -> None:
    today = today or timezone.localdate()
    if on < person.birth_date:
        raise ValidationError(f"{what}早于出生日期", code="before_birth")
    if on > today:
        raise ValidationError(f"{what}不能晚于今天（{today.isoformat()}）", code="future")


# ---------------------------------------------------------------------------------------------
# Service records
# ---------------------------------------------------------------------------------------------


@transaction.atomic
def service_record_create(
    *,
    actor: Any,
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
) -> ServiceRecord:
    """Record one service to ``person`` on ``on`` (not before their birth, not after today).

    Details belong to one kind each: a training has a mode (required) and enrolled / completed /
    certified (each implying the one before; enrolled defaults to true); a survey has an outcome
    and a complaint its validity (both required); a policy payment a policy name (required) and an
    amount. ``if_absent`` returns an identical existing record instead of adding a second one (so
    re-importing a workbook changes nothing). ``by_name`` names the recorder of an imported row.
    """
    try:
        kind = ServiceKind(kind)
    except ValueError:
        raise ValidationError(f"未知的服务类型：{kind}", code="kind") from None
    _check_date(person, on, today, "服务日期")
    errors: list[str] = []
    if kind == ServiceKind.TRAINING:
        if not training_mode:
            errors.append("职业培训须填写培训模式（定岗/订单/定向/其他）")
        elif training_mode not in TrainingMode.values:
            errors.append(f"未知的培训模式：{training_mode}")
        if enrolled is None:
            enrolled = True
        if certified and not completed:
            errors.append("取证须先结业")
        if completed and not enrolled:
            errors.append("结业须先参训")
    else:
        if training_mode or enrolled or completed or certified:
            errors.append("培训模式和参训、结业、取证只适用于职业培训")
        enrolled = False
    if kind == ServiceKind.SURVEY:
        if not outcome:
            errors.append("满意度测评须填写测评结果")
        elif outcome not in SurveyOutcome.values:
            errors.append(f"未知的测评结果：{outcome}")
    elif outcome:
        errors.append("测评结果只适用于满意度测评")
    if kind == ServiceKind.COMPLAINT:
        if valid is None:
            errors.append("投诉须注明是否有效")
    elif valid is not None:
        errors.append("是否有效只适用于投诉")
    decimal_amount: Decimal | None = None
    if kind == ServiceKind.POLICY:
        if not policy_name.strip():
            errors.append("政策落实须填写政策名称")
        if amount is not None and amount != "":
            try:
                decimal_amount = Decimal(str(amount))
            except ArithmeticError:
                errors.append(f"金额无效：{amount}")
            else:
                if decimal_amount < 0:
                    errors.append("金额不能为负数")
    elif policy_name or (amount is not None and amount != ""):
        errors.append("政策名称和金额只适用于政策落实")
    if errors:
        raise ValidationError(errors, code="details")
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
        **fields,
        by=actor if getattr(actor, "pk", None) else None,
        by_name=by_name or _actor_name(actor),
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
def service_record_delete(*, actor: Any, record: ServiceRecord) -> None:
    """Remove a mistaken record (the audit log keeps what it was)."""
    person = record.person
    old = [record.pk, str(record.kind), record.on.isoformat()]
    record.delete()
    audit_record(
        actor=actor,
        action="service.delete",
        obj=person,
        unit=person.community,
        changes={"record": [old, None]},
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
    *, actor: Any, person: Person, today: date | None = None, **fields: str
) -> UnemployedProfile:
    """Set ten-clears fields of ``person`` (see ``casework.tenclears``); blank clears one."""
    unknown = set(fields) - set(PROFILE_FIELDS)
    if unknown:
        raise TypeError(f"not profile fields: {sorted(unknown)}")
    profile, _created = UnemployedProfile.objects.get_or_create(person=person)
    changes = {}
    for key, value in fields.items():
        value = (value or "").strip()
        if getattr(profile, key) != value:
            changes[key] = [getattr(profile, key), value]
            setattr(profile, key, value)
    if changes:
        profile.updated_on = today or timezone.localdate()
        profile.updated_by = actor if getattr(actor, "pk", None) else None
        profile.save()
        audit_record(
            actor=actor, action="profile.update", obj=person, unit=person.community, changes=changes
        )
    return profile


# ---------------------------------------------------------------------------------------------
# Assistance workflow (004)
# ---------------------------------------------------------------------------------------------


def is_difficult_on(person: Person, on: date) -> bool:
    """Recognised employment-difficult on ``on``: from ``recognized_on`` up to the day before
    ``ended_on`` (the exit day is the first day no longer difficult)."""
    return DifficultyRecognition.objects.filter(
        Q(ended_on__isnull=True) | Q(ended_on__gt=on),
        person=person,
        recognized_on__lte=on,
    ).exists()


def _step(
    *,
    actor: Any,
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
        by=actor if getattr(actor, "pk", None) else None,
        by_name=_actor_name(actor),
        employer=employer.strip(),
        note=note.strip(),
    )


@transaction.atomic
def assistance_open(
    *,
    actor: Any,
    person: Person,
    on: date,
    accepts_any_post: bool = False,
    note: str = "",
    today: date | None = None,
) -> AssistanceCase:
    """An application for employment assistance (申请援助), the first of the five steps."""
    _check_date(person, on, today, "申请日期")
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
    actor: Any,
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
    that day, with ``employer``. The follow-up visit closes the case.
    """
    case = AssistanceCase.objects.select_for_update().select_related("person").get(pk=case.pk)
    person = case.person
    try:
        step = AssistanceStepKind(kind)
    except ValueError:
        raise ValidationError(f"未知的援助环节：{kind}", code="kind") from None
    expected = case.next_step
    if expected is None or case.closed_on is not None:
        raise ValidationError("该援助已结案", code="closed")
    if step != expected:
        raise ValidationError(f"下一个环节应是“{expected.label}”，不是“{step.label}”", code="order")
    _check_date(person, on, today, "环节日期")
    last = case.steps.aggregate(last=Max("on"))["last"]
    if last is not None and on < last:
        raise ValidationError(f"环节日期不能早于上一环节（{last.isoformat()}）", code="before")
    if accepts_any_post is not None:
        if step not in (AssistanceStepKind.VERIFICATION, AssistanceStepKind.COMMITMENT):
            raise ValidationError("“不挑不拣”只在核实或承诺环节确定", code="accepts_any_post")
        case.accepts_any_post = accepts_any_post
    if status and step != AssistanceStepKind.PLACEMENT:
        raise ValidationError("就业状态只在援助上岗环节登记", code="status")
    if status and status not in EMPLOYED:
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


def known_episodes(members: list[MemberTimeline], until: date) -> list[Episode]:
    """A household's zero episodes up to ``until``, counted from its first recorded status:
    before any member has a recorded status the registry knew nothing, so an episode that began
    earlier is taken to begin that day (and one that also ended by then is dropped)."""
    sinces = [since for member in members for since, _status in member.events]
    if not sinces:
        return []
    first = min(sinces)
    episodes = []
    for episode in zero_family_episodes(members, until=until):
        emerged = max(episode.emerged_on, first)
        if episode.ended_on is not None and episode.ended_on <= emerged:
            continue
        episodes.append(Episode(emerged, episode.ended_on, episode.end_reason))
    return episodes


def _overlaps(case: ZeroFamilyCase, episode: Episode) -> bool:
    case_end = case.eliminated_on or date.max
    episode_end = episode.ended_on or date.max
    return case.emerged_on < episode_end and episode.emerged_on < case_end


def _audit_case(actor: Any, action: str, case: ZeroFamilyCase, changes: dict[str, Any]) -> None:
    household = case.household
    audit_record(
        actor=actor,
        action=action,
        obj=household,
        unit=household.community,
        changes={"case": [None, case.pk], **changes},
    )


# An audit entry to write once the chunk's new cases have their ids: (action, case, changes,
# whether the case is then deleted).
_Pending = tuple[str, ZeroFamilyCase, dict[str, Any], bool]


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
    unmatched = sorted(cases, key=lambda c: c.emerged_on)
    for episode in episodes:
        case = next((c for c in unmatched if c.emerged_on == episode.emerged_on), None)
        if case is None:
            case = next((c for c in unmatched if _overlaps(c, episode)), None)
        wanted: dict[str, Any] = {
            "emerged_on": episode.emerged_on,
            "eliminated_on": episode.ended_on,
            "status": ZeroFamilyStatus.OPEN
            if episode.ended_on is None
            else ZeroFamilyStatus.CLOSED,
            "close_reason": ZeroFamilyCloseReason(episode.end_reason) if episode.end_reason else "",
        }
        if case is None:
            case = ZeroFamilyCase(household=household, assigned_to=coordinator(household), **wanted)
            created.append(case)
            opened = {
                "emerged_on": [None, episode.emerged_on.isoformat()],
                "assigned_to": [None, getattr(case.assigned_to, "username", None)],
            }
            audits.append(("zero_family.open", case, opened, False))
            if episode.ended_on is not None:
                closed = {
                    "eliminated_on": [None, episode.ended_on.isoformat()],
                    "close_reason": [None, wanted["close_reason"]],
                }
                audits.append(("zero_family.close", case, closed, False))
            continue
        unmatched.remove(case)
        changes = {
            key: [_plain(getattr(case, key)), _plain(value)]
            for key, value in wanted.items()
            if getattr(case, key) != value
        }
        if changes:
            for key, value in wanted.items():
                setattr(case, key, value)
            if case.assigned_to_id is None:
                case.assigned_to = coordinator(household)
            case.save()
            closing = "status" in changes and case.status == ZeroFamilyStatus.CLOSED
            action = "zero_family.close" if closing else "zero_family.update"
            audits.append((action, case, changes, False))
    for case in unmatched:
        # No longer a zero family in any episode (a correction, or a household whose members'
        # statuses were still being entered): the case goes; the audit log keeps what it was.
        revoked = {
            "emerged_on": [case.emerged_on.isoformat(), None],
            "status": [case.status, None],
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
def zero_family_sync(
    *,
    household_ids: Iterable[int],
    on: date | None = None,
    actor: Any = None,
    today: date | None = None,
) -> None:
    """Re-evaluate the households' zero-employment history and bring their cases in line.

    A case opens on the day the household became a zero family (its emergence date, whenever the
    change is recorded) and closes on the day a member was employed (or nobody was left in the
    labor force); a case whose episode disappeared after a correction is deleted. The history is
    judged with ``registry.classification``'s definitions up to today or the latest recorded
    status, whichever is later. ``on`` (the earliest changed date) only widens that horizon; the
    whole history is reconciled. Reads are batched (five queries per 500 households) and new
    cases are inserted in one statement per 500 households; changed and revoked cases are saved
    one by one, and every case change is audited, in household order.
    """
    today = today or timezone.localdate()
    ids = sorted(set(household_ids))
    coordinators: dict[int | None, User | None] = {None: None}

    def coordinator(household: Household) -> User | None:
        if household.grid_id not in coordinators:
            coordinators[household.grid_id] = grid_coordinator(household)
        return coordinators[household.grid_id]

    for start in range(0, len(ids), SYNC_CHUNK):
        chunk = ids[start : start + SYNC_CHUNK]
        households = list(Household.objects.filter(pk__in=chunk).select_related("community"))
        persons = list(
            Person.objects.filter(household_id__in=chunk)
            .order_by()
            .values_list("id", "household_id", "work_from", "retire_on", "able", "willing")
        )
        events: dict[int, list[tuple[date, str]]] = defaultdict(list)
        for person_id, since, status in (
            StatusEvent.objects.filter(person__household_id__in=chunk)
            .order_by()
            .values_list("person_id", "since", "status")
        ):
            events[person_id].append((since, status))
        members: dict[int, list[MemberTimeline]] = defaultdict(list)
        for person_id, household_id, work_from, retire_on, able, willing in persons:
            members[household_id].append(
                MemberTimeline(
                    work_from=work_from,
                    retire_on=retire_on,
                    able=able,
                    willing=willing,
                    events=events.get(person_id, []),
                )
            )
        cases: dict[int, list[ZeroFamilyCase]] = defaultdict(list)
        for case in ZeroFamilyCase.objects.filter(household_id__in=chunk):
            cases[case.household_id].append(case)
        plans = []
        for household in households:
            timelines = members.get(household.pk, [])
            latest = max((since for m in timelines for since, _ in m.events), default=today)
            until = max(today, on or today, latest)
            episodes = known_episodes(timelines, until)
            if episodes or cases.get(household.pk):
                plans.append((household, episodes))
        # The coordinators of the grids that may need one, in one query.
        grids = {h.grid_id for h, _e in plans if h.grid_id is not None}
        for grid_id, user in _grid_coordinators(grids - set(coordinators)).items():
            coordinators[grid_id] = user
        created: list[ZeroFamilyCase] = []
        audits: list[_Pending] = []
        for household, episodes in plans:
            _reconcile(
                household, episodes, cases.get(household.pk, []), coordinator, created, audits
            )
        ZeroFamilyCase.objects.bulk_create(created)
        for action, case, changes, delete in audits:
            _audit_case(actor, action, case, changes)
            if delete:
                case.delete()


@transaction.atomic
def zero_family_sync_unit(*, unit: Any, actor: Any = None, today: date | None = None) -> int:
    """Re-evaluate every household of ``unit`` (a nightly job catches what no status change
    signals: members reaching 16 or retirement age, moves, ability or desire edits)."""
    from jiuye.units.models import Level

    households = Household.objects.all()
    if unit.level == Level.GRID:
        households = households.filter(grid=unit)
    else:
        households = households.filter(community__path__startswith=unit.path)
    ids = list(households.values_list("pk", flat=True))
    zero_family_sync(household_ids=ids, actor=actor, today=today)
    return len(ids)


@transaction.atomic
def zero_family_assign(*, actor: Any, case: ZeroFamilyCase, user: User | None) -> ZeroFamilyCase:
    """Hand a case to another coordinator (or to nobody)."""
    old = getattr(case.assigned_to, "username", None)
    case.assigned_to = user
    case.save(update_fields=["assigned_to"])
    _audit_case(
        actor, "zero_family.assign", case, {"assigned_to": [old, getattr(user, "username", None)]}
    )
    return case
