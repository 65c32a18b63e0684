"""Who is eligible for a policy at a date, set-based, with the reasons in words (DOMAIN §9).

- **Persons**: one query over the persons of the jurisdiction, the policy's conditions in SQL
  (``policies.conditions``); a page's rows then get their reasons from the same conditions'
  Python form.
- **Employers**: their qualifying persons (heads: the hires of the calendar year, the
  contracts in force, the public-welfare posts held) counted per employer in one query; the
  amount per head, or the tier reached.
- **Units**: the referrals that placed (per community) or the certification rewards payable
  (``certification.rewards``, whose amounts stay in the rule sets).

``unpaid`` keeps those not yet paid for the period (the worklist): no standing entitlement of
the period with a payment. Each row says where it stands (applied, approved, paid).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import Exists, OuterRef, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from jiuye.jobs.definitions import contract_in_force_sql
from jiuye.jobs.models import ContractEvent, Employer, Hire, Posting, Referral
from jiuye.jobs.selectors import employers_visible
from jiuye.lib.masking import mask_id_number
from jiuye.lib.sql import Sql, subquery
from jiuye.policies import conditions
from jiuye.policies.amounts import amount_for, min_heads, unit_amount
from jiuye.policies.catalog import Policy, policies
from jiuye.policies.models import Application, AppState, Entitlement, Payment, PaymentKind
from jiuye.registry.models import Person
from jiuye.units.models import Unit
from jiuye.units.scope import SYSTEM, scope_to_jurisdiction

PERSONS = Person._meta.db_table
HIRES = Hire._meta.db_table
CONTRACTS = ContractEvent._meta.db_table
POSTINGS = Posting._meta.db_table
REFERRALS = Referral._meta.db_table
UNITS = Unit._meta.db_table
ENTERPRISE = "91"  # a USCC's registration authority and kind: 工商, 企业 (GB 32100-2015)
HON = 'h."on"'  # a hire's day ("on" is a keyword)


@dataclass
class Reason:
    text: str
    ok: bool


@dataclass
class Verdict:
    eligible: bool
    reasons: list[Reason]
    amount: Decimal | None
    inputs: dict[str, Any]
    waiver: str = ""
    heads: list[int] = field(default_factory=list)  # the qualifying persons (employer, unit)
    period: str = ""


@dataclass
class Row:
    kind: str
    pk: int
    name: str
    masked: str  # masked ID number, an employer's USCC, a unit's code
    place: Unit | None
    amount: Decimal | None
    heads: int | None
    period: str
    reasons: list[str] = field(default_factory=list)
    state: str = ""  # "" not applied, submitted, approved, paid


# ---- persons ----------------------------------------------------------------------------------


def person_conditions(policy: Policy) -> list[conditions.Condition]:
    return conditions.parse(policy.when)


def persons_eligible(
    *, user: Any, policy: Policy, on: date, unit: Unit | None = None
) -> QuerySet[Person]:
    """The persons of ``user``'s jurisdiction (under ``unit``) eligible on ``on``."""
    persons = scope_to_jurisdiction(Person.objects.all(), user)
    if unit is not None:
        persons = persons.filter(community__path__startswith=unit.path)
    if policy.attested and not policy.when:
        return persons.none()
    where = conditions.all_sql(person_conditions(policy), PERSONS, on)
    return persons.extra(where=[where.text], params=list(where.params))


def explain_person(
    policy: Policy, person: Person, on: date, declared: Decimal | None = None
) -> Verdict:
    facts = conditions.facts_for([person.pk])[person.pk]
    return verdict_of(policy, facts, on, declared)


def verdict_of(
    policy: Policy, facts: conditions.Facts, on: date, declared: Decimal | None = None
) -> Verdict:
    """A person's verdict from their facts (loaded for a page, or a batch, at once)."""
    found = person_conditions(policy)
    reasons = [Reason(c.words(facts, on), c.test(facts, on)) for c in found]
    if policy.attested:
        reasons.append(Reason(_("须凭证明材料：%(what)s") % {"what": policy.attested}, True))
    ok = all(r.ok for r in reasons)
    computed = amount_for(policy, on, declared=declared)
    waiver = ""
    if policy.waiver is not None:
        options = conditions.parse(policy.waiver)
        if all(c.test(facts, on) for c in options):
            waiver = policy.waiver_text + "：" + "，".join(c.words(facts, on) for c in options)
    inputs = {"conditions": [r.text for r in reasons], **computed.inputs}
    if computed.words:
        reasons.append(Reason(computed.words, True))
    if computed.problem:
        reasons.append(Reason(computed.problem, False))
        ok = False
    return Verdict(ok, reasons, computed.amount, inputs, waiver, period=policy.period_key(on))


# ---- heads: the persons an employer's or a unit's amount counts --------------------------------


def _local(owner_path: str, district: str) -> str:
    """The owner lies in the district the person lives in (HD-2018's 地区): the person's own
    district (``district``, the row's ``district_id``), so the test is a join, not a nested
    sub-query, which Citus cannot run inside one over reference tables."""
    return f"substr({owner_path}, 1, length(d.path)) = d.path AND d.id = {district}"


def heads_sql(policy: Policy, on: date, owners: Sql | None = None) -> Sql:
    """(owner_id, person_id) pairs, distinct: the heads of every owner (employer, or community
    for the referrals) among ``owners`` (``SELECT id …``) at ``on``."""
    heads = policy.heads
    assert heads is not None
    found = conditions.parse(heads.when)
    year_start = date(on.year, 1, 1)
    params: tuple[Any, ...] = ()
    if heads.source == "hires":
        when = conditions.all_sql(found, "p", HON)
        text = (
            f"SELECT DISTINCT h.employer_id AS owner_id, h.person_id FROM {HIRES} h "
            f"JOIN {PERSONS} p ON p.id = h.person_id WHERE {HON} >= %s AND {HON} <= %s "
            f"AND ({when.text})"
        )
        params = (year_start, on, *when.params)
        owner = "h.employer_id"
    elif heads.source == "contracts":
        in_force = contract_in_force_sql("c", on)
        when = conditions.all_sql(found, "p", on)
        terms = ""
        if heads.min_term is not None:
            terms += f" AND c.term_months >= {int(heads.min_term)}"
        if heads.max_term is not None:
            terms += f" AND c.term_months <= {int(heads.max_term)}"
        text = (
            f"SELECT DISTINCT c.employer_id AS owner_id, c.person_id FROM {CONTRACTS} c "
            f"JOIN {PERSONS} p ON p.id = c.person_id WHERE {in_force.text}{terms} "
            f"AND ({when.text})"
        )
        params = (*in_force.params, *when.params)
        owner = "c.employer_id"
    elif heads.source == "public_posts":
        status = conditions.StatusIn(["public_post"]).sql("p", on)
        when = conditions.all_sql(found, "p", on)
        text = (
            f"SELECT DISTINCT h.employer_id AS owner_id, h.person_id FROM {HIRES} h "
            f"JOIN {POSTINGS} po ON po.id = h.posting_id JOIN {PERSONS} p ON p.id = h.person_id "
            f"WHERE po.public_welfare = %s AND {HON} <= %s AND ({status.text}) AND ({when.text})"
        )
        params = (True, on, *status.params, *when.params)
        owner = "h.employer_id"
    elif heads.source == "referral_hires":
        when = conditions.all_sql(found, "p", HON)
        text = (
            f"SELECT DISTINCT p.community_id AS owner_id, h.person_id FROM {HIRES} h "
            f"JOIN {PERSONS} p ON p.id = h.person_id "
            f"WHERE h.referral_id IS NOT NULL AND {HON} >= %s AND {HON} <= %s AND ({when.text})"
        )
        params = (year_start, on, *when.params)
        owner = "p.community_id"
    else:
        raise ValueError(heads.source)
    if heads.local:
        text += (
            f" AND EXISTS (SELECT 1 FROM {Employer._meta.db_table} ee JOIN {UNITS} eu "
            f"ON eu.id = ee.unit_id CROSS JOIN {UNITS} d "
            f"WHERE ee.id = {owner} AND {_local('eu.path', 'p.district_id')})"
        )
    if heads.enterprises:  # 企业: registered with the market regulator as an enterprise
        text += (
            f" AND EXISTS (SELECT 1 FROM {Employer._meta.db_table} en "
            f"WHERE en.id = {owner} AND substr(en.uscc, 1, 2) = '{ENTERPRISE}')"
        )
    if owners is not None:
        text += f" AND {owner} IN ({owners.text})"
        params += owners.params
    return Sql(text, params)


def head_counts(policy: Policy, on: date, owners: Sql) -> list[tuple[int, int]]:
    """(owner id, heads) for every owner with at least the lowest tier's heads."""
    pairs = heads_sql(policy, on, owners)
    sql = (
        f"SELECT x.owner_id, COUNT(*) FROM ({pairs.text}) x GROUP BY x.owner_id "
        f"HAVING COUNT(*) >= %s ORDER BY COUNT(*) DESC, x.owner_id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, (*pairs.params, min_heads(policy)))
        return [(int(a), int(b)) for a, b in cursor.fetchall()]


def head_ids(policy: Policy, on: date, owner_id: int) -> list[int]:
    pairs = heads_sql(policy, on, Sql("%s", (owner_id,)))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT x.person_id FROM ({pairs.text}) x ORDER BY 1", pairs.params)
        return [int(r[0]) for r in cursor.fetchall()]


def _owners(user: Any, policy: Policy, unit: Unit | None) -> Sql:
    if policy.beneficiary == "employer":
        employers = employers_visible(user=user)
        if unit is not None:
            employers = employers.filter(unit__path__startswith=unit.path)
        return subquery(employers)
    units = scope_to_jurisdiction(Unit.objects.all(), user, personal=False)
    if unit is not None:
        units = units.filter(path__startswith=unit.path)
    return subquery(units)


HEAD_SOURCES = {
    "hires": _lazy("本年度1月1日至当日招用的人员"),
    "contracts": _lazy("当日劳动合同在期的职工"),
    "public_posts": _lazy("当日在本单位公益性岗位上的人员"),
    "referral_hires": _lazy("本年度经本社区免费职业介绍实现就业的人员"),
    "certification": _lazy("认定和年度复核结果（奖励金额见标准文件）"),
}


def describe(policy: Policy) -> list[str]:
    """Who is eligible for ``policy``, in words (its page): the conditions, or for an employer
    or unit the persons its amount counts and theirs."""
    lines = conditions.describe(policy.when)
    if policy.heads is not None:
        head = str(HEAD_SOURCES[policy.heads.source])
        if policy.heads.min_term is not None or policy.heads.max_term is not None:
            low, high = policy.heads.min_term, policy.heads.max_term
            term = (
                _("合同期限%(lo)s个月以上") % {"lo": low}
                if high is None
                else _("合同期限%(lo)s至%(hi)s个月") % {"lo": low, "hi": high}
            )
            head += "，" + term
        if policy.heads.local:
            head += "，" + _("居住在用人单位所在区的人员")
        if policy.heads.enterprises:
            head += "，" + _("仅限企业")
        lines.append(head)
        lines += ["· " + line for line in conditions.describe(policy.heads.when)]
    if policy.attested:
        lines.append(_("须凭证明材料：%(what)s") % {"what": policy.attested})
    return lines


def _heads_words(policy: Policy, heads: int, on: date) -> str:
    assert policy.heads is not None
    what = {
        "hires": _("%(year)s年招用符合条件的人员") % {"year": on.year},
        "contracts": _("%(day)s劳动合同在期的符合条件职工") % {"day": on.isoformat()},
        "public_posts": _("%(day)s在公益性岗位上的就业困难人员") % {"day": on.isoformat()},
        "referral_hires": _("%(year)s年经免费职业介绍实现就业的人员") % {"year": on.year},
    }[policy.heads.source]
    return _("%(what)s %(n)s 人") % {"what": what, "n": heads}


def explain_owner(
    policy: Policy,
    owner: Employer | Unit,
    on: date,
    declared: Decimal | None = None,
    period: str | None = None,
) -> Verdict:
    if policy.heads is None:  # only evidence decides (an incubation base, a firm's loan)
        computed = amount_for(policy, on, declared=declared)
        reasons = [Reason(_("须凭证明材料：%(what)s") % {"what": policy.attested}, True)]
        if computed.words:
            reasons.append(Reason(computed.words, True))
        if computed.problem:
            reasons.append(Reason(computed.problem, False))
        ok = not computed.problem
        return Verdict(
            ok, reasons, computed.amount, dict(computed.inputs), period=policy.period_key(on)
        )
    if policy.heads.source == "certification":
        return _explain_reward(policy, owner, on, period)
    ids = head_ids(policy, on, owner.pk)
    computed = amount_for(policy, on, heads=len(ids), declared=declared)
    reasons = [Reason(_heads_words(policy, len(ids), on), len(ids) >= min_heads(policy))]
    if computed.words:
        reasons.append(Reason(computed.words, computed.amount is not None))
    ok = reasons[0].ok and computed.amount is not None and not computed.problem
    inputs = {**computed.inputs, "head_ids": ids}
    return Verdict(ok, reasons, computed.amount, inputs, heads=ids, period=policy.period_key(on))


# ---- certification rewards ----------------------------------------------------------------------


def reward_period(year: int, reward_id: str, unit_code: str) -> str:
    """A reward's period: the year, the reward and the certified unit (a street is paid once
    for each community certified)."""
    return f"{year}/{reward_id}/{unit_code}"


def _reward_rows(user: Any, policy: Policy, on: date) -> list[Any]:
    from jiuye.certification.rewards import rewards_payable

    assert policy.heads is not None and policy.heads.ruleset
    found = rewards_payable(user=user, year=on.year).rows
    return [r for r in found if r.ruleset.upper() == policy.heads.ruleset.upper()]


def _explain_reward(policy: Policy, owner: Any, on: date, period: str | None) -> Verdict:
    rows = [r for r in _reward_rows(SYSTEM, policy, on) if r.payee.pk == owner.pk]
    for row in rows:
        key = reward_period(on.year, row.reward.id, row.unit.code)
        if period is None or key == period:
            computed = amount_for(policy, on, reward=Decimal(row.amount))
            inputs = {
                **computed.inputs,
                "ruleset": row.ruleset,
                "reward_id": row.reward.id,
                "certified_unit": row.unit.code,
                "basis_on": row.basis_on.isoformat(),
            }
            reasons = [Reason(row.basis, True), Reason(str(row.reward.text), True)]
            return Verdict(True, reasons, computed.amount, inputs, period=key)
    text = _("%(year)s年没有应付的认定奖励") % {"year": on.year}
    return Verdict(False, [Reason(text, False)], None, {}, period=period or "")


# ---- the list -----------------------------------------------------------------------------------


class EligibleSet:
    """Who is eligible for ``policy`` on ``on`` within ``user``'s jurisdiction (under ``unit``);
    ``unpaid``: only those not yet paid for the period."""

    def __init__(
        self, *, user: Any, policy: Policy, on: date, unit: Unit | None = None, unpaid: bool = False
    ) -> None:
        self.user, self.policy, self.on, self.unit, self.unpaid = user, policy, on, unit, unpaid
        self.period = policy.period_key(on)
        self._owner_rows: list[Row] | None = None
        self._count: int | None = None

    # persons
    def _persons(self) -> QuerySet[Person]:
        persons = persons_eligible(user=self.user, policy=self.policy, on=self.on, unit=self.unit)
        if self.unpaid:
            persons = persons.exclude(Exists(_paid(self.policy, self.period, "person")))
        return persons

    # employers and units: few enough to hold (a district has thousands of employers)
    def _owners(self) -> list[Row]:
        if self._owner_rows is not None:
            return self._owner_rows
        policy, on = self.policy, self.on
        rows: list[Row] = []
        if policy.heads is None:
            rows = []
        elif policy.heads.source == "certification":
            for r in _reward_rows(self.user, policy, on):
                if self.unit is not None and not r.payee.path.startswith(self.unit.path):
                    continue
                key = reward_period(on.year, r.reward.id, r.unit.code)
                rows.append(
                    Row(
                        "unit",
                        r.payee.pk,
                        r.payee.name,
                        r.payee.code,
                        r.payee,
                        Decimal(r.amount),
                        None,
                        key,
                        [r.basis, str(r.reward.text)],
                    )
                )
        else:
            counts = head_counts(policy, on, _owners(self.user, policy, self.unit))
            if policy.beneficiary == "employer":
                found = Employer.objects.in_bulk([pk for pk, _n in counts])
                units = Unit.objects.in_bulk([e.unit_id for e in found.values()])
                owners = {pk: (e.name, e.uscc, units[e.unit_id]) for pk, e in found.items()}
            else:
                units = Unit.objects.in_bulk([pk for pk, _n in counts])
                owners = {pk: (u.name, u.code, u) for pk, u in units.items()}
            for pk, n in counts:
                name, code, place = owners[pk]
                computed = amount_for(policy, on, heads=n)
                reasons = [_heads_words(policy, n, on)] + (
                    [computed.words] if computed.words else []
                )
                rows.append(
                    Row(
                        policy.beneficiary,
                        pk,
                        name,
                        code,
                        place,
                        computed.amount,
                        n,
                        self.period,
                        reasons,
                    )
                )
        self._mark(rows)
        if self.unpaid:
            rows = [r for r in rows if r.state != "paid"]
        self._owner_rows = rows
        return rows

    def count(self) -> int:
        if self._count is None:
            if self.policy.beneficiary == "person":
                self._count = self._persons().count()
            else:
                self._count = len(self._owners())
        return self._count

    def total(self) -> Decimal | None:
        """The amount owed to everyone listed (None when the application declares it)."""
        if self.policy.beneficiary == "person":
            per = unit_amount(self.policy, self.on)
            return None if per is None else per * self.count()
        amounts = [r.amount for r in self._owners()]
        if any(a is None for a in amounts):
            return None
        return sum((a for a in amounts if a is not None), Decimal(0))

    def page(self, offset: int = 0, limit: int = 50) -> list[Row]:
        if self.policy.beneficiary != "person":
            return self._owners()[offset : offset + limit]
        persons = list(
            self._persons()
            .select_related("community")
            .order_by("community_id", "id")[offset : offset + limit]
        )
        facts = conditions.facts_for([p.pk for p in persons])
        found = person_conditions(self.policy)
        per = unit_amount(self.policy, self.on)
        rows = [
            Row(
                "person",
                p.pk,
                p.name,
                mask_id_number(p.id_number),
                p.community,
                per,
                None,
                self.period,
                [c.words(facts[p.pk], self.on) for c in found],
            )
            for p in persons
        ]
        self._mark(rows)
        return rows

    def _mark(self, rows: Sequence[Row]) -> None:
        """Each row's standing for the period: applied, approved or paid."""
        if not rows:
            return
        key = {"person": "person_id", "employer": "employer_id", "unit": "unit_id"}[
            self.policy.beneficiary
        ]
        ids = [r.pk for r in rows]
        periods = {r.period for r in rows}
        state: dict[tuple[int, str], str] = {}
        apps = Application.objects.filter(
            policy=self.policy.id,
            period__in=periods,
            state=AppState.SUBMITTED,
            **{f"{key}__in": ids},
        )
        for pk, period in apps.values_list(key, "period"):
            state[(pk, period)] = "submitted"
        standing = Entitlement.objects.filter(
            policy=self.policy.id,
            period__in=periods,
            cancelled_at__isnull=True,
            **{f"{key}__in": ids},
        )
        paid = Payment.objects.filter(entitlement=OuterRef("pk"), kind=PaymentKind.PAYMENT)
        for pk, period, was_paid in standing.annotate(paid=Exists(paid)).values_list(
            key, "period", "paid"
        ):
            state[(pk, period)] = "paid" if was_paid else "approved"
        for row in rows:
            row.state = state.get((row.pk, row.period), "")


def _paid(policy: Policy, period: str, key: str) -> QuerySet[Payment]:
    """The payments of the period's standing entitlements of the outer row (``key``: person,
    employer or unit). One join, not a sub-query in a sub-query: Citus cannot run a nested one
    over the reference tables these are."""
    return Payment.objects.filter(
        kind=PaymentKind.PAYMENT,
        entitlement__policy=policy.id,
        entitlement__period=period,
        entitlement__cancelled_at__isnull=True,
        **{f"entitlement__{key}": OuterRef("pk")},
    )


def eligible(
    *, user: Any, policy: Policy, on: date, unit: Unit | None = None, unpaid: bool = False
) -> EligibleSet:
    return EligibleSet(user=user, policy=policy, on=on, unit=unit, unpaid=unpaid)


def explain(
    *,
    policy: Policy,
    beneficiary: Any,
    on: date,
    declared: Decimal | None = None,
    period: str | None = None,
) -> Verdict:
    """Whether ``beneficiary`` (a person, employer or unit) is eligible for ``policy`` on
    ``on``, each condition with its reason, and the amount with what produced it."""
    if isinstance(beneficiary, Person):
        if policy.beneficiary != "person":
            return Verdict(False, [Reason(_("该政策的对象不是个人"), False)], None, {})
        return explain_person(policy, beneficiary, on, declared)
    wanted = "employer" if isinstance(beneficiary, Employer) else "unit"
    if policy.beneficiary != wanted:
        return Verdict(False, [Reason(_("该政策的对象类型不符"), False)], None, {})
    return explain_owner(policy, beneficiary, on, declared, period)


def person_verdicts(*, person: Person, on: date) -> list[tuple[Policy, Verdict]]:
    """Every person policy's verdict for one person (their page's panel): eligible or not,
    and why."""
    return [
        (policy, explain_person(policy, person, on))
        for policy in policies().values()
        if policy.beneficiary == "person"
    ]
