"""托底 (escalation, HD-2018 二(六)1): the rule of who is handed to the district's professional
assistance, stated once, and the reads of escalation cases.

The clause: "对经过多次服务、援助仍未能按意愿实现就业创业的城乡就业困难人员，区公共就业创业服务
机构要为其提供……专业援助。对经专业援助仍未能实现就业且符合公益性岗位安置条件的，通过政府
公益性岗位托底安置。"

**A candidate on a date D** (:func:`verdict`, its SQL form :func:`candidates_of`; the tests
check that they agree on generated data):

- recognised difficult on D (``registry.definitions.recognition_in_force``);
- status on D ``unemployed`` (``registry.definitions.status_on``);
- at least ``min_services`` services of the kinds ``service_kinds`` (casework's guidance,
  referral, training, assistance) dated from ``within_months`` months before D up to D
  (多次服务: :func:`window_start`);
- no open escalation case (one whose ``closed_on`` is empty).

The thresholds are data (``policies/catalog/escalation.toml``, ``[escalation]``; a file of the
same name in ``JIUYE_POLICIES_DIR`` replaces it), read by :func:`rule`.

Who acts on a case (:func:`may_handle`): the person's community workers and grid coordinator
(``units.scope.may_write`` on their placement), who hand the person over, and the street and the
district whose jurisdiction covers the person (``jobs.permissions.may_assist``: the district's
professional assistance), who record its steps and offer the public-welfare post.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Exists, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.expressions import RawSQL
from django.db.models.fields import CharField
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from jiuye.casework.models import ServiceKind, ServiceRecord
from jiuye.jobs import posting_selectors
from jiuye.jobs.models import Posting, ReferralOutcome
from jiuye.jobs.permissions import may_assist
from jiuye.lib.retirement import add_months
from jiuye.policies import catalog
from jiuye.policies.models import EscalationCase, EscalationStep, EscalationStepKind
from jiuye.registry import definitions
from jiuye.registry.models import DifficultyCategory, DifficultyRecognition, Person, Status
from jiuye.registry.services import placement
from jiuye.units.models import Unit
from jiuye.units.scope import may_write, scope_to_jurisdiction
from jiuye.units.sharding import citus, outer_district

FILE = "escalation.toml"

# The steps of the professional assistance (专业援助) recorded on a case, in the clause's order.
ASSISTANCE_STEPS: tuple[str, ...] = (
    EscalationStepKind.DIAGNOSIS,
    EscalationStepKind.ASSESSMENT,
    EscalationStepKind.GUIDANCE,
    EscalationStepKind.MATCHING,
    EscalationStepKind.TRAINING,
    EscalationStepKind.POLICY,
)


# ---------------------------------------------------------------------------------------------
# The thresholds (data)
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    clause: str
    quote: str
    min_services: int
    within_months: int
    service_kinds: tuple[str, ...]
    file: str

    @property
    def kinds_words(self) -> str:
        return "、".join(str(ServiceKind(kind).label) for kind in self.service_kinds)


def _files() -> list[Path]:
    return [Path(d) / FILE for d in catalog._directories() if (Path(d) / FILE).is_file()]


@lru_cache(maxsize=4)
def _rule(files: tuple[str, ...]) -> Rule:
    if not files:
        raise catalog.CatalogError(f"{catalog.SHIPPED_DIR / FILE}: missing")
    path = files[-1]  # the later directory replaces the shipped file
    raw = catalog._read(Path(path)).get("escalation")
    if not isinstance(raw, dict):
        raise catalog.CatalogError(f"{path}: no [escalation] table")
    kinds = raw.get("service_kinds")
    if not isinstance(kinds, list) or not kinds or any(k not in ServiceKind.values for k in kinds):
        raise catalog.CatalogError(
            f"{path}: [escalation] service_kinds: a list of {sorted(ServiceKind.values)}"
        )
    numbers = {}
    for name in ("min_services", "within_months"):
        value = raw.get(name)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise catalog.CatalogError(f"{path}: [escalation] {name}: a whole number above 0")
        numbers[name] = value
    return Rule(
        clause=str(raw.get("clause", "")),
        quote=str(raw.get("quote", "")),
        min_services=numbers["min_services"],
        within_months=numbers["within_months"],
        service_kinds=tuple(str(k) for k in kinds),
        file=path,
    )


def rule() -> Rule:
    """The escalation thresholds in force (``escalation.toml``)."""
    return _rule(tuple(str(f) for f in _files()))


def window_start(on: date, current: Rule | None = None) -> date:
    """The first day whose services count on ``on``: ``within_months`` months before it (a
    service of that very day counts; one a day earlier does not)."""
    current = current or rule()
    return add_months(on, -current.within_months)


# ---------------------------------------------------------------------------------------------
# The candidates rule: the Python form
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    candidate: bool
    reasons: list[str]  # why not (empty for a candidate)
    services: int  # services counted
    last_service: date | None


def verdict(
    *,
    recognised: bool,
    status: str | None,
    service_days: Iterable[tuple[str, date]],
    open_case: bool,
    on: date,
    current: Rule | None = None,
) -> Verdict:
    """Whether a person with these facts is a candidate on ``on``, and why not, in words.
    ``service_days``: the person's services as (kind, date); ``status``: their status on
    ``on`` (None: unknown)."""
    current = current or rule()
    since = window_start(on, current)
    counted = [d for kind, d in service_days if kind in current.service_kinds and since <= d <= on]
    day = on.isoformat()
    reasons = []
    if not recognised:
        reasons.append(_("%(on)s未被认定为就业困难人员") % {"on": day})
    if status != definitions.UNEMPLOYED:
        shown = str(Status(status).label) if status in Status.values else _("未登记")
        reasons.append(_("%(on)s的就业状态不是失业（%(status)s）") % {"on": day, "status": shown})
    if len(counted) < current.min_services:
        reasons.append(
            _("%(since)s至%(on)s接受%(kinds)s共%(n)s次，不足%(min)s次（多次服务）")
            % {
                "since": since.isoformat(),
                "on": day,
                "kinds": current.kinds_words,
                "n": len(counted),
                "min": current.min_services,
            }
        )
    if open_case:
        reasons.append(_("已有未结案的托底援助"))
    return Verdict(not reasons, reasons, len(counted), max(counted, default=None))


def person_verdict(person: Person, on: date) -> Verdict:
    """:func:`verdict` for one person, from their records."""
    events = list(person.status_events.order_by("since").values_list("since", "status"))
    recognised = any(
        definitions.recognition_in_force(recognized_on=start, ended_on=end, on=on)
        for start, end in person.recognitions.values_list("recognized_on", "ended_on")
    )
    services = list(ServiceRecord.objects.filter(person=person).values_list("kind", "on"))
    open_case = EscalationCase.objects.filter(person=person, closed_on__isnull=True).exists()
    return verdict(
        recognised=recognised,
        status=definitions.status_on(events, on),
        service_days=services,
        open_case=open_case,
        on=on,
    )


# ---------------------------------------------------------------------------------------------
# The candidates rule: the SQL form
# ---------------------------------------------------------------------------------------------


def _services(on: date, current: Rule) -> QuerySet[ServiceRecord]:
    return ServiceRecord.objects.filter(
        outer_district(),
        person_id=OuterRef("pk"),
        kind__in=current.service_kinds,
        on__gte=window_start(on, current),
        on__lte=on,
    )


def candidates_of(persons: QuerySet[Person], on: date) -> QuerySet[Person]:
    """The candidates on ``on`` among ``persons``, each with ``esc_services`` (services
    counted), ``esc_last`` (the last one's date) and ``esc_category`` (the latest recognition in
    force): one query, for a page of a whole jurisdiction."""
    current = rule()
    services = _services(on, current)
    count = services.order_by().values("person_id").annotate(n=Count("pk")).values("n")
    recognitions = DifficultyRecognition.objects.filter(
        definitions.recognition_in_force_q(on), outer_district(), person_id=OuterRef("pk")
    )
    status = definitions.status_on_sql(f'"{Person._meta.db_table}"', on)
    open_cases = EscalationCase.objects.filter(person_id=OuterRef("pk"), closed_on__isnull=True)
    return (
        persons.alias(esc_status=RawSQL(status.text, status.params, output_field=CharField()))
        .filter(Exists(recognitions), esc_status=definitions.UNEMPLOYED)
        .filter(~Exists(open_cases))
        .annotate(esc_services=Coalesce(Subquery(count, output_field=IntegerField()), 0))
        .filter(esc_services__gte=current.min_services)
        .annotate(
            esc_last=Subquery(services.order_by("-on").values("on")[:1]),
            esc_category=Subquery(
                recognitions.order_by("-recognized_on", "-pk").values("category")[:1]
            ),
        )
    )


# ---------------------------------------------------------------------------------------------
# Who acts on a case
# ---------------------------------------------------------------------------------------------


def may_handle(user: Any, person: Person) -> bool:
    """The person's community workers and grid coordinator, or the street and district whose
    jurisdiction covers them (the professional assistance)."""
    if user is None:
        return False
    return may_write(user, placement(person)) or may_assist(user, person)


def check_handle(actor: Any, person: Person) -> None:
    if not may_handle(actor, person):
        raise PermissionDenied(
            _(
                "托底援助由该居民所在社区的社区工作者、网格协管员移交，"
                "由管辖该社区的街道和区专业援助人员办理；您不能办理。"
            )
        )


# ---------------------------------------------------------------------------------------------
# Selectors
# ---------------------------------------------------------------------------------------------


def category_label(value: str | None) -> str:
    return str(DifficultyCategory(value).label) if value in DifficultyCategory.values else ""


def candidates(*, user: Any, on: date, unit: Unit | None = None) -> QuerySet[Person]:
    """The candidates on ``on`` that ``user`` sees (under ``unit`` if given), by community and
    name: page it in the database."""
    persons = scope_to_jurisdiction(Person.objects.all(), user)
    recognised = scope_to_jurisdiction(
        DifficultyRecognition.objects.filter(definitions.recognition_in_force_q(on)), user
    )
    if unit is not None:
        persons = persons.filter(community__path__startswith=unit.path)
        recognised = recognised.filter(person__community__path__startswith=unit.path)
    # The jurisdiction's recognitions in force first (a few percent of its persons): without
    # them the planner read every recognition of a city to find a district's (6.7 s → 1.0 s
    # for a district of the 10M city).
    persons = persons.filter(pk__in=recognised.values("person_id"))
    return (
        candidates_of(persons, on)
        .select_related("community")
        .order_by("community__code", "name", "pk")
    )


def escalations_visible(*, user: Any) -> QuerySet[EscalationCase]:
    return scope_to_jurisdiction(EscalationCase.objects.all(), user)


def escalations_listed(*, user: Any, closed: bool | None = None) -> QuerySet[EscalationCase]:
    """The cases ``user`` sees (open, closed or all), newest first, each with ``hired_on``:
    the date the latest hired referral of its offers was hired (None: none yet)."""
    found = escalations_visible(user=user)
    if closed is not None:
        found = found.filter(closed_on__isnull=not closed)
    return (
        with_hired(found)
        .select_related("person", "person__community")
        .order_by("-opened_on", "-pk")
    )


def with_hired(cases: QuerySet[EscalationCase]) -> QuerySet[EscalationCase]:
    hired = EscalationStep.objects.filter(
        case_id=OuterRef("pk"),
        kind=EscalationStepKind.OFFER,
        referral__outcome=ReferralOutcome.HIRED,
    ).order_by("-referral__outcome_on")
    return cases.annotate(hired_on=Subquery(hired.values("referral__outcome_on")[:1]))


def escalation_get(*, user: Any, pk: int) -> EscalationCase:
    return get_object_or_404(
        with_hired(escalations_visible(user=user)).select_related(
            "person", "person__community", "person__grid", "opened_by"
        ),
        pk=pk,
    )


def escalations_of(*, user: Any, person: Person) -> list[EscalationCase]:
    cases = escalations_visible(user=user).filter(person=person)
    if citus():
        # The cases and their steps are tables of the coordinator: their hired date (a
        # correlated sub-query) cannot share a statement with the persons' shards that the
        # jurisdiction joins. The visible cases are read first, as a set.
        cases = EscalationCase.objects.filter(pk__in=cases.values("pk"))
    return list(with_hired(cases).order_by("-opened_on", "-pk"))


def steps_of(case: EscalationCase) -> list[EscalationStep]:
    return list(
        case.steps.select_related("by", "referral", "referral__posting").order_by("on", "pk")
    )


def hired_offer(case: EscalationCase) -> EscalationStep | None:
    """The case's offer whose referral was hired (the latest), if any: the case may then be
    closed as placed (``escalation_services.escalation_close(placed=True)``)."""
    return (
        case.steps.filter(kind=EscalationStepKind.OFFER, referral__outcome=ReferralOutcome.HIRED)
        .select_related("referral", "referral__posting")
        .order_by("-referral__outcome_on", "-pk")
        .first()
    )


def offer_postings(*, user: Any, person: Person, on: date) -> QuerySet[Posting]:
    """The public-welfare posts ``person`` may be offered on ``on``: those of the person's
    district (or seen by the user) open that day (``jobs.posting_selectors``)."""
    return (
        posting_selectors.postings_referable(user=user, person=person)
        .filter(posting_selectors.open_q(on), public_welfare=True)
        .select_related("employer", "unit")
        .order_by("unit__code", "title", "pk")
    )
