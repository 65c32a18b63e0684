"""The persons, households, records or units behind an indicator's shortfall (DOMAIN §5: "with
the people or households behind them"): who is not employed, which families are zero and since
when, whose guidance was late…

Every list is read through the jurisdiction scope of the user (casework's rules take the user,
the registry reads go through ``scope_to_jurisdiction``), so a user sees only their own people.
Lists are capped at :data:`LIMIT` rows; ``total`` says how many there are.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from jiuye.casework import deadlines, tenclears
from jiuye.casework.deadlines import State
from jiuye.casework.models import ServiceKind, ServiceRecord, SurveyOutcome
from jiuye.lib.text import join_list
from jiuye.registry import classification
from jiuye.registry.models import (
    EMPLOYED,
    DifficultyRecognition,
    Household,
    HukouType,
    Person,
    Status,
    StatusEvent,
)
from jiuye.standards import indicators
from jiuye.standards.catalog import INDICATORS
from jiuye.standards.indicators import (
    ASSISTANCE_KINDS,
    CHILD_LEVELS,
    Period,
    communities_under,
)
from jiuye.standards.models import Certification
from jiuye.units.models import Level, Unit
from jiuye.units.scope import scope_to_jurisdiction, units_visible

LIMIT = 500


@dataclass(frozen=True)
class Row:
    kind: str  # person, household, record, unit, text
    name: str
    detail: str = ""
    url: str = ""
    community_id: int | None = None
    on: date | None = None


@dataclass
class Behind:
    indicator: str
    title: str
    rows: list[Row] = field(default_factory=list)
    total: int = 0

    @property
    def truncated(self) -> bool:
        return self.total > len(self.rows)


def _person_url(pk: int) -> str:
    return reverse("casework:person", args=[pk])


def _household_url(pk: int) -> str:
    return reverse("casework:household", args=[pk])


def _persons(unit: Unit, user: Any) -> QuerySet[Person]:
    return scope_to_jurisdiction(Person.objects.filter(community__in=communities_under(unit)), user)


def _with_status(qs: QuerySet[Person], on: date) -> QuerySet[Person]:
    in_force = StatusEvent.objects.filter(person=OuterRef("pk"), since__lte=on).filter(
        Q(until__isnull=True) | Q(until__gt=on)
    )
    return qs.annotate(
        status_on=Subquery(in_force.values("status")[:1]),
        registered_on=Subquery(in_force.values("registered")[:1]),
    )


def _labor_force(qs: QuerySet[Person], on: date) -> list[Any]:
    """The labor force at ``on`` among ``qs`` (the classification's predicate), with the status
    in force as ``status_on``."""
    candidates = _with_status(
        qs.filter(work_from__lte=on, retire_on__gt=on, able=True, willing=True), on
    ).order_by("community_id", "name", "pk")
    return [
        p
        for p in candidates.only("pk", "name", "community_id", "work_from", "retire_on")
        if classification.in_labor_force(
            work_from=p.work_from,
            retire_on=p.retire_on,
            able=True,
            willing=True,
            status=p.status_on,  # type: ignore[attr-defined]
            on=on,
        )
    ]


def _status_label(status: str | None) -> str:
    return str(Status(status).label) if status else _("无状态记录")


def _emerged_text(emerged_on: date, days: int) -> str:
    return ngettext("%(day)s 出现，已 %(days)s 天", "%(day)s 出现，已 %(days)s 天", days) % {
        "day": emerged_on.isoformat(),
        "days": days,
    }


def _not_employed(people: list[Any]) -> list[Row]:
    return [
        Row("person", p.name, _status_label(p.status_on), _person_url(p.pk), p.community_id)
        for p in people
        if p.status_on not in EMPLOYED
    ]


def _difficult(on: date) -> QuerySet[DifficultyRecognition]:
    return DifficultyRecognition.objects.filter(
        Q(ended_on__isnull=True) | Q(ended_on__gt=on), recognized_on__lte=on
    )


def _items_rows(items: list[deadlines.Item]) -> list[Row]:
    return [
        Row(
            "person" if item.person_id else "household",
            item.name,
            _("%(detail)s · 期限 %(due)s · %(state)s")
            % {"detail": item.detail, "due": item.due.isoformat(), "state": item.state.label},
            _person_url(item.person_id)
            if item.person_id
            else (_household_url(item.household_id) if item.household_id else ""),
            item.community_id,
            item.due,
        )
        for item in items
    ]


def _rule(rule: str, unit: Unit, period: Period, user: Any) -> list[deadlines.Item]:
    return deadlines.RULE_FUNCTIONS[rule](unit, period.end, user=user, period_start=period.start)


def _records(
    unit: Unit, period: Period, user: Any, **filters: Any
) -> tuple[list[Row], QuerySet[ServiceRecord]]:
    qs = scope_to_jurisdiction(
        ServiceRecord.objects.filter(
            on__gte=period.start,
            on__lte=period.end,
            person__community__in=communities_under(unit),
            **filters,
        ),
        user,
    ).select_related("person")
    rows = [
        Row(
            "record",
            r.person.name,
            f"{r.get_kind_display()} · {r.get_outcome_display() or r.get_training_mode_display()}"
            f"{' · ' + r.note if r.note else ''}",
            _person_url(r.person_id),
            r.person.community_id,
            r.on,
        )
        for r in qs.order_by("on", "id")[:LIMIT]
    ]
    return rows, qs


def _household_rows(
    unit: Unit, user: Any, found: list[tuple[int, str]], on: date | None = None
) -> list[Row]:
    visible = set(
        scope_to_jurisdiction(
            Household.objects.filter(pk__in=[h for h, _ in found]), user
        ).values_list("pk", flat=True)
    )
    names = dict(Household.objects.filter(pk__in=visible).values_list("pk", "number"))
    communities = dict(Household.objects.filter(pk__in=visible).values_list("pk", "community_id"))
    return [
        Row("household", names[h], detail, _household_url(h), communities[h], on)
        for h, detail in found
        if h in visible
    ]


def behind(*, indicator: str, unit: Unit, period: Period, user: Any, ruleset: str = "") -> Behind:
    """What lies behind ``indicator`` for ``unit`` over ``period``, as ``user`` may see it."""
    info = INDICATORS[indicator]
    result = Behind(indicator, str(info.label))
    compute = _BUILDERS.get(indicator)
    if compute is None:
        return result
    rows = compute(unit, period, user, ruleset)
    result.total = len(rows)
    result.rows = rows[:LIMIT]
    return result


def _employment(unit: Unit, period: Period, user: Any, ruleset: str) -> list[Row]:
    return _not_employed(_labor_force(_persons(unit, user), period.end))


def _difficult_employment(unit: Unit, period: Period, user: Any, ruleset: str) -> list[Row]:
    qs = _persons(unit, user).filter(pk__in=_difficult(period.end).values("person_id"))
    return _not_employed(_labor_force(qs, period.end))


def _registered_rate(unit: Unit, period: Period, user: Any, ruleset: str) -> list[Row]:
    qs = _persons(unit, user).filter(hukou_type=HukouType.URBAN)
    return [
        Row("person", p.name, _("登记失业"), _person_url(p.pk), p.community_id)
        for p in _labor_force(qs, period.end)
        if p.status_on == Status.UNEMPLOYED and p.registered_on
    ]


def _dibao(unit: Unit, period: Period, user: Any, ruleset: str) -> list[Row]:
    qs = _persons(unit, user).filter(household__dibao=True)
    return _not_employed(_labor_force(qs, period.end))


def _zero(urban_only: bool) -> Callable[[Unit, Period, Any, str], list[Row]]:
    def build(unit: Unit, period: Period, user: Any, ruleset: str) -> list[Row]:
        on = period.end
        families = classification.zero_families_as_of(on=on, communities=communities_under(unit))
        found = [
            (z.household_id, _emerged_text(z.emerged_on, z.days(on)))
            for z in families
            if not urban_only or z.hukou_type == HukouType.URBAN
        ]
        return _household_rows(unit, user, found)

    return build


def _zero_period(unit: Unit, period: Period, user: Any, ruleset: str) -> list[Row]:
    episodes = indicators.zero_episodes(period=period, root=unit, fresh=False)
    found = []
    for e in sorted(episodes, key=lambda e: -e.days(period.end)):
        days = e.days(period.end)
        ended = _("%(day)s 消除") % {"day": e.ended_on.isoformat()} if e.ended_on else _("未消除")
        late = _("超过1个月") if e.late(period.end) else _("1个月内")
        found.append(
            (
                e.household_id,
                ngettext(
                    "%(day)s 出现 · %(ended)s · %(days)s 天 · %(late)s",
                    "%(day)s 出现 · %(ended)s · %(days)s 天 · %(late)s",
                    days,
                )
                % {"day": e.emerged_on.isoformat(), "ended": ended, "days": days, "late": late},
            )
        )
    return _household_rows(unit, user, found)


def _pure_farming(unit: Unit, period: Period, user: Any, ruleset: str) -> list[Row]:
    households = scope_to_jurisdiction(
        Household.objects.filter(community__in=communities_under(unit)), user
    )
    rows = classification.household_classification(on=period.end, households=households)
    found = [
        (
            r.household_id,
            ngettext("务农 %(n)s 人", "务农 %(n)s 人", r.farming_employed)
            % {"n": r.farming_employed},
        )
        for r in rows
        if r.is_pure_farming
    ]
    return _household_rows(unit, user, found)


def _satisfaction(unit: Unit, period: Period, user: Any, ruleset: str) -> list[Row]:
    rows, _qs = _records(
        unit,
        period,
        user,
        kind=ServiceKind.SURVEY,
        outcome__in=[SurveyOutcome.NEUTRAL, SurveyOutcome.DISSATISFIED],
    )
    return rows


def _training(unit: Unit, period: Period, user: Any, ruleset: str) -> list[Row]:
    rows, _qs = _records(unit, period, user, kind=ServiceKind.TRAINING, training_mode="other")
    return rows


def _complaints(unit: Unit, period: Period, user: Any, ruleset: str) -> list[Row]:
    rows, _qs = _records(unit, period, user, kind=ServiceKind.COMPLAINT, valid=True)
    return rows


def _guidance(unit: Unit, period: Period, user: Any, ruleset: str) -> list[Row]:
    items = [i for i in _rule("CQ-4", unit, period, user) if i.state in (State.LATE, State.OVERDUE)]
    return _items_rows(items)


def _referral(unit: Unit, period: Period, user: Any, ruleset: str) -> list[Row]:
    items = [
        i
        for i in _rule("QG-3", unit, period, user)
        if i.progress.get("count", 0) < deadlines.REFERRALS_NEEDED
    ]
    return _items_rows(items)


def _visit(unit: Unit, period: Period, user: Any, ruleset: str) -> list[Row]:
    return _items_rows([i for i in _rule("QG-6-visit", unit, period, user) if i.done_on is None])


def _contact(unit: Unit, period: Period, user: Any, ruleset: str) -> list[Row]:
    items = [
        i
        for i in _rule("QG-6-contact", unit, period, user)
        if i.due < period.end and i.done_on is None
    ]
    return _items_rows(items)


def _long_term(which: str) -> Callable[[Unit, Period, Any, str], list[Row]]:
    def build(unit: Unit, period: Period, user: Any, ruleset: str) -> list[Row]:
        on = period.end
        items = [
            i
            for i in _rule("CQ-5", unit, period, user)
            if deadlines.is_long_term(i.progress["registered_on"], on, i.done_on)
        ]
        if which == "urban":
            urban = set(
                Person.objects.filter(
                    pk__in=[i.person_id for i in items], hukou_type=HukouType.URBAN
                ).values_list("pk", flat=True)
            )
            items = [i for i in items if i.person_id in urban]
        elif which == "assisted":
            ids = [i.person_id for i in items]
            assisted = set(
                _difficult(on).filter(person_id__in=ids).values_list("person_id", flat=True)
            )
            from jiuye.casework.models import AssistanceCase

            assisted |= set(
                AssistanceCase.objects.filter(person_id__in=ids, opened_on__lte=on).values_list(
                    "person_id", flat=True
                )
            )
            items = [i for i in items if i.person_id in assisted]
        return _items_rows(items)

    return build


def _registered_employment(unit: Unit, period: Period, user: Any, ruleset: str) -> list[Row]:
    registered = indicators._registered_in_period(period, unit).values("person_id")
    qs = _persons(unit, user).filter(pk__in=registered)
    employed = {p.pk for p in _labor_force(qs, period.end) if p.status_on in EMPLOYED}
    rows: list[Any] = list(_with_status(qs, period.end).order_by("community_id", "name", "pk"))
    return [
        Row("person", p.name, _status_label(p.status_on), _person_url(p.pk), p.community_id)
        for p in rows
        if p.pk not in employed
    ]


def _job_preparation(unit: Unit, period: Period, user: Any, ruleset: str) -> list[Row]:
    visible = set(_persons(unit, user).values_list("pk", flat=True))
    unemployed = [
        (pid, c)
        for pid, c in indicators._unemployed_labor_force(unit, period.end)
        if pid in visible
    ]
    ids = [pid for pid, _ in unemployed]
    prepared = set(
        ServiceRecord.objects.filter(
            person_id__in=ids,
            kind__in=[ServiceKind.GUIDANCE, ServiceKind.REFERRAL, ServiceKind.TRAINING],
            on__gte=period.start,
            on__lte=period.end,
        ).values_list("person_id", flat=True)
    )
    names = dict(Person.objects.filter(pk__in=ids).values_list("pk", "name"))
    return [
        Row("person", names[pid], _("评估期内无职业指导、介绍或培训"), _person_url(pid), c)
        for pid, c in unemployed
        if pid not in prepared
    ]


def _ledger(unit: Unit, period: Period, user: Any, ruleset: str) -> list[Row]:
    result = tenclears.completeness(_persons(unit, user), period.end)
    return [
        Row(
            "person",
            r.name,
            _("缺少：%(fields)s") % {"fields": join_list(r.missing_labels)},
            _person_url(r.person_id) + "#ten-clears",
            r.community_id,
        )
        for r in result.incomplete
    ]


def _certified(unit: Unit, period: Period, user: Any, ruleset: str) -> list[Row]:
    child_levels = CHILD_LEVELS.get(Level(unit.level), ())
    children = units_visible(user).filter(parent=unit, level__in=child_levels).order_by("code")
    certified = indicators.certified_units(
        on=period.end, ruleset=ruleset, unit_ids=[c.pk for c in children]
    )
    # Why not: never certified, or the title lost by the date (the latest revocation).
    revoked: dict[int, date] = {
        unit_id: day
        for unit_id, day in Certification.objects.filter(
            ruleset=ruleset, unit__in=children, revoked_on__lte=period.end
        )
        .order_by("unit_id", "revoked_on")
        .values_list("unit_id", "revoked_on")
        if day is not None
    }
    return [
        Row(
            "unit",
            c.name,
            _("%(day)s 撤销认定") % {"day": revoked[c.pk].isoformat()}
            if c.pk in revoked
            else _("未认定"),
            reverse("standards:unit", args=[c.code]) + (f"?ruleset={ruleset}" if ruleset else ""),
            on=revoked.get(c.pk),
        )
        for c in children
        if c.pk not in certified
    ]


def _services_missing(unit: Unit, period: Period, user: Any, ruleset: str) -> list[Row]:
    present: set[str] = set()
    for kinds in indicators.service_kinds(unit, period).values():
        present |= kinds
    return [
        Row("text", str(ServiceKind(k).label), _("评估期内没有记录"))
        for k in ASSISTANCE_KINDS
        if k not in present
    ]


_BUILDERS: dict[str, Callable[[Unit, Period, Any, str], list[Row]]] = {
    "employment_rate": _employment,
    "difficult_employment_rate": _difficult_employment,
    "zero_families": _zero(False),
    "zero_families_urban": _zero(True),
    "zero_family_max_days": _zero_period,
    "zero_family_over_month": _zero_period,
    "pure_farming_families": _pure_farming,
    "satisfaction_rate": _satisfaction,
    "registered_unemployment_rate": _registered_rate,
    "training_mode_share": _training,
    "certified_children_share": _certified,
    "dibao_unemployed_share": _dibao,
    "guidance_on_time_rate": _guidance,
    "long_term_unemployed": _long_term("all"),
    "long_term_unemployed_urban": _long_term("urban"),
    "assisted_long_term": _long_term("assisted"),
    "registered_unemployed_employment_rate": _registered_employment,
    "referral_twice_rate": _referral,
    "visit_rate": _visit,
    "difficult_contact_misses": _contact,
    "job_preparation_rate": _job_preparation,
    "ledger_completeness": _ledger,
    "assistance_services_missing": _services_missing,
}
