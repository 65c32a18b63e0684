"""The conditions a policy's eligibility is made of (DOMAIN §9), each stated once with its two
forms side by side, like ``registry.definitions``:

- ``sql(p, on)``: an SQL fragment over the person alias ``p`` at ``on`` (a date, or an SQL date
  expression such as a hire's day), for set-based eligibility (every person of a district in
  one query);
- ``test(facts, on)`` with ``words(facts, on)``: the same rule over one person's
  :class:`Facts`, with the reason in words, for the rows on a page and a person's own verdicts.

``tests/policies/test_conditions.py`` generates random persons and histories and checks that
both forms pick the same persons. A policy's ``[policy.when]`` (and an employer's
``[policy.heads].when``) is a table of these keys, all of which must hold; ``any_of`` is a list
of such tables, one of which must hold.

The registry's own rules are called, never restated: status on a date, a recognition in force,
a registration, urban hukou, the retirement module's ``add_months`` for ages.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jiuye.casework.models import ServiceKind, ServiceRecord
from jiuye.lib.retirement import add_months, add_months_sql
from jiuye.lib.sql import Sql, sql_list
from jiuye.registry import definitions
from jiuye.registry.models import (
    DifficultyCategory,
    DifficultyRecognition,
    HukouType,
    Sex,
    Status,
    StatusEvent,
)
from jiuye.units.sharding import rows_of, same_district

On = date | str  # a date, or an SQL date expression

FLAGS = {
    "landless": gettext_lazy("失地农民"),
    "disabled": gettext_lazy("残疾"),
    "veteran": gettext_lazy("退役军人"),
    "migrant_worker": gettext_lazy("农民工"),
    "poverty_labor": gettext_lazy("精准扶贫劳动力"),
}
HUKOU_WORDS = dict(HukouType.choices)
STATUS_WORDS = dict(Status.choices)
CATEGORY_WORDS = dict(DifficultyCategory.choices)
SEXES = (str(Sex.FEMALE), str(Sex.MALE))

EVENTS = StatusEvent._meta.db_table
RECOGNITIONS = DifficultyRecognition._meta.db_table
SERVICES = ServiceRecord._meta.db_table
ON = '"on"'  # the services' day column ("on" is a keyword)


@dataclass
class Facts:
    """What the conditions read of one person (:func:`facts_for` loads them for a page)."""

    id: int
    birth_date: date
    sex: str
    hukou: str
    flags: dict[str, bool]
    dibao: bool
    graduate_year: int | None
    events: list[tuple[date, str, bool]] = field(default_factory=list)  # since, status, reg.
    recognitions: list[tuple[str, date, date | None]] = field(default_factory=list)
    trainings: list[tuple[date, bool, bool]] = field(default_factory=list)  # on, done, cert.

    def status_on(self, on: date) -> str | None:
        return definitions.status_on([(s, st) for s, st, _r in self.events], on)

    def registered_on(self, on: date) -> bool:
        return definitions.registration_start(self.events, on) is not None


def _day(on: On) -> tuple[str, tuple[Any, ...]]:
    return ("%s", (on,)) if isinstance(on, date) else (on, ())


def age_reached(birth: date, years: int, on: date) -> bool:
    """Aged ``years`` or more on ``on`` (年满N周岁): from the birthday on, a birthday of
    29 February falling on 28 February in a common year, as every month-based rule here."""
    return add_months(birth, years * 12) <= on


def born_by(on: date, years: int) -> date:
    """The latest birth date aged ``years`` on ``on`` (:func:`age_reached` is monotone in the
    birth date), so that the SQL form is a plain comparison the index can use."""
    day = add_months(on, -years * 12)
    while age_reached(day + timedelta(days=1), years, on):
        day += timedelta(days=1)
    return day


def age_on(birth: date, on: date) -> int:
    years = on.year - birth.year
    while years > 0 and not age_reached(birth, years, on):
        years -= 1
    return years


class Condition:
    key = ""

    def describe(self) -> str:
        """The condition in words, for anyone (the policy's page)."""
        raise NotImplementedError

    def sql(self, p: str, on: On) -> Sql:
        raise NotImplementedError

    def test(self, f: Facts, on: date) -> bool:
        raise NotImplementedError

    def words(self, f: Facts, on: date) -> str:
        raise NotImplementedError


class Hukou(Condition):
    key = "hukou"

    def __init__(self, value: Any) -> None:
        if not isinstance(value, list) or not set(value) <= set(HUKOU_WORDS):
            raise ValueError(f"hukou: one or more of {sorted(HUKOU_WORDS)}")
        self.values = frozenset(value)

    def describe(self) -> str:
        return _("户籍为%(wanted)s") % {"wanted": self._wanted()}

    def sql(self, p: str, on: On) -> Sql:
        return Sql(f"{p}.hukou_type IN ({sql_list(self.values)})")

    def test(self, f: Facts, on: date) -> bool:
        return f.hukou in self.values

    def _wanted(self) -> str:
        return "、".join(str(HUKOU_WORDS[v]) for v in sorted(self.values))

    def words(self, f: Facts, on: date) -> str:
        have = str(HUKOU_WORDS.get(f.hukou, f.hukou))
        if self.test(f, on):
            return _("户籍为%(have)s") % {"have": have}
        return _("户籍为%(have)s，不是%(wanted)s") % {"have": have, "wanted": self._wanted()}


class MinAge(Condition):
    """年满N周岁 (by sex: ``{F = 35, M = 40}``, or one age for both)."""

    key = "min_age"

    def __init__(self, value: Any) -> None:
        if isinstance(value, int) and not isinstance(value, bool):
            value = {s: value for s in SEXES}
        if not isinstance(value, dict) or set(value) != set(SEXES):
            raise ValueError("min_age: a whole number, or one per sex {F = …, M = …}")
        self.ages = {str(k): int(v) for k, v in value.items()}

    def describe(self) -> str:
        f, m = self.ages[str(Sex.FEMALE)], self.ages[str(Sex.MALE)]
        if f == m:
            return _("年满%(n)s周岁") % {"n": f}
        return _("女年满%(f)s周岁、男年满%(m)s周岁") % {"f": f, "m": m}

    def sql(self, p: str, on: On) -> Sql:
        parts = []
        params: tuple[Any, ...] = ()
        for sex, years in sorted(self.ages.items()):
            if isinstance(on, date):
                parts.append(f"({p}.sex = '{sex}' AND {p}.birth_date <= %s)")
                params += (born_by(on, years),)
            else:
                reached = add_months_sql(f"{p}.birth_date", years * 12)
                parts.append(f"({p}.sex = '{sex}' AND {reached} <= {on})")
        return Sql("(" + " OR ".join(parts) + ")", params)

    def test(self, f: Facts, on: date) -> bool:
        return age_reached(f.birth_date, self.ages[f.sex], on)

    def words(self, f: Facts, on: date) -> str:
        sex = str(dict(Sex.choices).get(f.sex, f.sex))
        values = {"sex": sex, "age": age_on(f.birth_date, on), "min": self.ages[f.sex]}
        if self.test(f, on):
            return _("%(sex)s，%(age)s岁（年满%(min)s周岁）") % values
        return _("%(sex)s，%(age)s岁，未满%(min)s周岁") % values


class StatusIn(Condition):
    key = "status"

    def __init__(self, value: Any) -> None:
        if not isinstance(value, list) or not set(value) <= set(STATUS_WORDS):
            raise ValueError(f"status: one or more of {sorted(STATUS_WORDS)}")
        self.values = frozenset(value)

    def describe(self) -> str:
        wanted = "、".join(str(STATUS_WORDS[v]) for v in sorted(self.values))
        return _("当日就业状态为%(wanted)s") % {"wanted": wanted}

    def sql(self, p: str, on: On) -> Sql:
        status = definitions.status_on_sql(p, on)
        return Sql(f"({status.text}) IN ({sql_list(self.values)})", status.params)

    def test(self, f: Facts, on: date) -> bool:
        return f.status_on(on) in self.values

    def words(self, f: Facts, on: date) -> str:
        have = f.status_on(on)
        if have is None:
            return _("%(day)s的就业状态未登记") % {"day": on.isoformat()}
        values = {
            "day": on.isoformat(),
            "have": STATUS_WORDS[have],
            "wanted": "、".join(str(STATUS_WORDS[v]) for v in sorted(self.values)),
        }
        if self.test(f, on):
            return _("%(day)s的就业状态为%(have)s") % values
        return _("%(day)s的就业状态为%(have)s，不是%(wanted)s") % values


class Registered(Condition):
    """登记失业 on the date."""

    key = "registered"

    def __init__(self, value: Any) -> None:
        if value is not True:
            raise ValueError("registered: true")

    def describe(self) -> str:
        return _("当日为登记失业人员")

    def sql(self, p: str, on: On) -> Sql:
        in_force = definitions.in_force_sql("e", on)
        return Sql(
            f"EXISTS (SELECT 1 FROM {EVENTS} e WHERE {rows_of('e', 'person_id', p)} "
            f"AND {in_force.text} "
            f"AND {definitions.registered_sql('e').text})",
            in_force.params,
        )

    def test(self, f: Facts, on: date) -> bool:
        return f.registered_on(on)

    def words(self, f: Facts, on: date) -> str:
        if self.test(f, on):
            return _("%(day)s登记失业") % {"day": on.isoformat()}
        return _("%(day)s未登记失业") % {"day": on.isoformat()}


class RegisteredWhenHired(Registered):
    """Registered unemployed on the day before ``on`` (the hire's day): the registration the
    hire ended. Written with comparisons only (no date arithmetic, the same on both
    databases): an event begun before the day and not ended before it."""

    key = "registered_when_hired"

    def __init__(self, value: Any) -> None:
        if value is not True:
            raise ValueError("registered_when_hired: true")

    def describe(self) -> str:
        return _("录用前为登记失业人员")

    def sql(self, p: str, on: On) -> Sql:
        day, params = _day(on)
        return Sql(
            f"EXISTS (SELECT 1 FROM {EVENTS} e WHERE {rows_of('e', 'person_id', p)} "
            f"AND e.since < {day} "
            f"AND (e.until IS NULL OR e.until >= {day}) "
            f"AND {definitions.registered_sql('e').text})",
            params + params,
        )

    def test(self, f: Facts, on: date) -> bool:
        return f.registered_on(on - timedelta(days=1))

    def words(self, f: Facts, on: date) -> str:
        if self.test(f, on):
            return _("录用前为登记失业人员")
        return _("录用前不是登记失业人员")


class RegisteredBefore(Condition):
    """Registered unemployed at some time before the date (a start-up by the registered
    unemployed: 登记失业人员……实现创业)."""

    key = "registered_before"

    def __init__(self, value: Any) -> None:
        if value is not True:
            raise ValueError("registered_before: true")

    def describe(self) -> str:
        return _("此前曾登记失业")

    def sql(self, p: str, on: On) -> Sql:
        day, params = _day(on)
        return Sql(
            f"EXISTS (SELECT 1 FROM {EVENTS} e WHERE {rows_of('e', 'person_id', p)} "
            f"AND e.since < {day} "
            f"AND {definitions.registered_sql('e').text})",
            params,
        )

    def _first(self, f: Facts, on: date) -> date | None:
        found = [
            s
            for s, st, r in f.events
            if s < on and definitions.is_registered(status=st, registered=r)
        ]
        return min(found) if found else None

    def test(self, f: Facts, on: date) -> bool:
        return self._first(f, on) is not None

    def words(self, f: Facts, on: date) -> str:
        first = self._first(f, on)
        if first:
            return _("曾登记失业（%(day)s）") % {"day": first.isoformat()}
        return _("未曾登记失业")


class Difficult(Condition):
    """Recognised employment-difficult on the date (of the listed categories, if any)."""

    key = "difficult"

    def __init__(self, value: Any) -> None:
        if value is True:
            self.categories: frozenset[str] | None = None
        elif isinstance(value, list) and set(value) <= set(CATEGORY_WORDS):
            self.categories = frozenset(value)
        else:
            raise ValueError("difficult: true, or a list of categories")

    def describe(self) -> str:
        if self.categories is None:
            return _("当日为认定在册的就业困难人员")
        cats = "、".join(str(CATEGORY_WORDS[c]) for c in sorted(self.categories))
        return _("当日为认定在册的就业困难人员（%(cats)s）") % {"cats": cats}

    def sql(self, p: str, on: On) -> Sql:
        in_force = definitions.recognition_in_force_sql("r", on)
        of = f" AND r.category IN ({sql_list(self.categories)})" if self.categories else ""
        return Sql(
            f"EXISTS (SELECT 1 FROM {RECOGNITIONS} r WHERE {rows_of('r', 'person_id', p)} "
            f"AND {in_force.text}{of})",
            in_force.params,
        )

    def _found(self, f: Facts, on: date) -> list[tuple[str, date, date | None]]:
        return [
            r
            for r in f.recognitions
            if definitions.recognition_in_force(recognized_on=r[1], ended_on=r[2], on=on)
            and (self.categories is None or r[0] in self.categories)
        ]

    def test(self, f: Facts, on: date) -> bool:
        return bool(self._found(f, on))

    def words(self, f: Facts, on: date) -> str:
        found = self._found(f, on)
        if found:
            cat, since, _until = found[0]
            return _("就业困难人员（%(cat)s，%(day)s认定）") % {
                "cat": CATEGORY_WORDS.get(cat, cat),
                "day": since.isoformat(),
            }
        return _("%(day)s不是认定在册的就业困难人员") % {"day": on.isoformat()}


class Flags(Condition):
    key = "flags"

    def __init__(self, value: Any) -> None:
        if not isinstance(value, list) or not value or not set(value) <= set(FLAGS):
            raise ValueError(f"flags: one or more of {sorted(FLAGS)}")
        self.values = tuple(sorted(value))

    def describe(self) -> str:
        return "、".join(str(FLAGS[flag]) for flag in self.values)

    def sql(self, p: str, on: On) -> Sql:
        # Boolean columns compared to a literal: the same SQL on both databases.
        return Sql(
            " AND ".join(f"{p}.{flag} = %s" for flag in self.values), (True,) * len(self.values)
        )

    def test(self, f: Facts, on: date) -> bool:
        return all(f.flags.get(flag) for flag in self.values)

    def words(self, f: Facts, on: date) -> str:
        missing = [str(FLAGS[flag]) for flag in self.values if not f.flags.get(flag)]
        if not missing:
            return "、".join(str(FLAGS[flag]) for flag in self.values)
        return _("不是%(what)s") % {"what": "、".join(missing)}


class Dibao(Condition):
    key = "dibao"

    def __init__(self, value: Any) -> None:
        if value is not True:
            raise ValueError("dibao: true")

    def describe(self) -> str:
        return _("低保家庭成员")

    def sql(self, p: str, on: On) -> Sql:
        return Sql(
            f"EXISTS (SELECT 1 FROM registry_household hh WHERE hh.id = {p}.household_id"
            f"{same_district('hh', p)} "
            "AND hh.dibao = %s)",
            (True,),
        )

    def test(self, f: Facts, on: date) -> bool:
        return f.dibao

    def words(self, f: Facts, on: date) -> str:
        return _("低保家庭成员") if f.dibao else _("不是低保家庭成员")


class Graduate(Condition):
    """A college graduate (高校毕业生): a graduation year is recorded."""

    key = "graduate"

    def __init__(self, value: Any) -> None:
        if value is not True:
            raise ValueError("graduate: true")

    def describe(self) -> str:
        return _("高校毕业生")

    def sql(self, p: str, on: On) -> Sql:
        return Sql(f"{p}.graduate_year IS NOT NULL")

    def test(self, f: Facts, on: date) -> bool:
        return f.graduate_year is not None

    def words(self, f: Facts, on: date) -> str:
        if self.test(f, on):
            return _("高校毕业生（%(year)s年毕业）") % {"year": f.graduate_year}
        return _("不是高校毕业生")


class GraduateWithin(Condition):
    """Graduated in the date's year or the N years before (毕业N年内)."""

    key = "graduate_within"

    def __init__(self, value: Any) -> None:
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError("graduate_within: a number of years")
        self.years = value

    def describe(self) -> str:
        return _("毕业%(n)s年内的高校毕业生") % {"n": self.years}

    def sql(self, p: str, on: On) -> Sql:
        if not isinstance(on, date):
            raise ValueError("graduate_within: only at a date")
        return Sql(
            f"{p}.graduate_year >= %s AND {p}.graduate_year <= %s",
            (on.year - self.years, on.year),
        )

    def test(self, f: Facts, on: date) -> bool:
        year = f.graduate_year
        return year is not None and on.year - self.years <= year <= on.year

    def words(self, f: Facts, on: date) -> str:
        values = {"n": self.years, "year": f.graduate_year}
        if self.test(f, on):
            return _("毕业%(n)s年内的高校毕业生（%(year)s年毕业）") % values
        if f.graduate_year is None:
            return _("不是高校毕业生")
        return _("%(year)s年毕业，不在毕业%(n)s年内") % values


class Training(Condition):
    """A training (职业培训) of the date's calendar year, up to the date, completed (结业) or
    certified (取证)."""

    key = "training"

    def __init__(self, value: Any) -> None:
        if value not in ("completed", "certified"):
            raise ValueError("training: 'completed' or 'certified'")
        self.column = value

    def describe(self) -> str:
        what = _("结业") if self.column == "completed" else _("取得证书")
        return _("当年参加培训并%(what)s") % {"what": what}

    def sql(self, p: str, on: On) -> Sql:
        if not isinstance(on, date):
            raise ValueError("training: only at a date")
        return Sql(
            f"EXISTS (SELECT 1 FROM {SERVICES} s WHERE {rows_of('s', 'person_id', p)} "
            f"AND s.kind = '{ServiceKind.TRAINING.value}' AND s.{ON} >= %s AND s.{ON} <= %s "
            f"AND s.{self.column} = %s)",
            (date(on.year, 1, 1), on, True),
        )

    def _found(self, f: Facts, on: date) -> list[date]:
        index = 1 if self.column == "completed" else 2
        return sorted(t[0] for t in f.trainings if date(on.year, 1, 1) <= t[0] <= on and t[index])

    def test(self, f: Facts, on: date) -> bool:
        return bool(self._found(f, on))

    def words(self, f: Facts, on: date) -> str:
        found = self._found(f, on)
        what = _("结业") if self.column == "completed" else _("取得证书")
        if found:
            return _("%(year)s年参加培训并%(what)s（%(day)s）") % {
                "year": on.year,
                "what": what,
                "day": found[-1].isoformat(),
            }
        return _("%(year)s年没有%(what)s的培训记录") % {"year": on.year, "what": what}


class AnyOf(Condition):
    key = "any_of"

    def __init__(self, value: Any) -> None:
        if not isinstance(value, list) or not value:
            raise ValueError("any_of: a list of condition tables")
        self.options = [parse(block) for block in value]

    def describe(self) -> str:
        options = ["，".join(c.describe() for c in option) for option in self.options]
        return _("以下任一：%(list)s") % {"list": "；".join(options)}

    def sql(self, p: str, on: On) -> Sql:
        parts = [all_sql(option, p, on) for option in self.options]
        return Sql(
            "(" + " OR ".join(f"({part.text})" for part in parts) + ")",
            tuple(x for part in parts for x in part.params),
        )

    def test(self, f: Facts, on: date) -> bool:
        return any(all(c.test(f, on) for c in option) for option in self.options)

    def words(self, f: Facts, on: date) -> str:
        for option in self.options:
            if all(c.test(f, on) for c in option):
                return "，".join(c.words(f, on) for c in option)
        failed = ["，".join(c.words(f, on) for c in option) for option in self.options]
        return _("不符合以下任一条件：%(list)s") % {"list": "；".join(failed)}


KINDS: dict[str, Callable[[Any], Condition]] = {
    cls.key: cls
    for cls in (
        Hukou,
        MinAge,
        StatusIn,
        Registered,
        RegisteredWhenHired,
        RegisteredBefore,
        Difficult,
        Flags,
        Dibao,
        Graduate,
        GraduateWithin,
        Training,
        AnyOf,
    )
}


def parse(block: dict[str, Any]) -> list[Condition]:
    """The conditions of a ``when`` table (ValueError naming a bad key or value)."""
    if not isinstance(block, dict):
        raise ValueError("conditions must be a table")
    found = []
    for key, value in block.items():
        if key not in KINDS:
            raise ValueError(f"unknown condition {key!r}; known: {', '.join(sorted(KINDS))}")
        found.append(KINDS[key](value))
    return found


def describe(block: dict[str, Any]) -> list[str]:
    """A ``when`` table's conditions in words, one line each."""
    return [c.describe() for c in parse(block)]


def all_sql(conditions: Sequence[Condition], p: str, on: On) -> Sql:
    """Every condition at once (TRUE for none)."""
    if not conditions:
        return Sql("1 = 1")
    parts = [c.sql(p, on) for c in conditions]
    return Sql(
        " AND ".join(f"({part.text})" for part in parts),
        tuple(x for part in parts for x in part.params),
    )


def facts_for(ids: Sequence[int]) -> dict[int, Facts]:
    """The facts of these persons, in four queries whatever their number (a page's rows)."""
    from jiuye.registry.models import Person

    rows = Person.objects.filter(pk__in=ids).values(
        "id", "birth_date", "sex", "hukou_type", "household__dibao", "graduate_year", *FLAGS
    )
    facts = {
        r["id"]: Facts(
            id=r["id"],
            birth_date=r["birth_date"],
            sex=r["sex"],
            hukou=r["hukou_type"],
            flags={flag: r[flag] for flag in FLAGS},
            dibao=r["household__dibao"],
            graduate_year=r["graduate_year"],
        )
        for r in rows
    }
    events = StatusEvent.objects.filter(person_id__in=ids).order_by("person_id", "since")
    for pid, since, status, registered in events.values_list(
        "person_id", "since", "status", "registered"
    ):
        facts[pid].events.append((since, status, registered))
    recognitions = DifficultyRecognition.objects.filter(person_id__in=ids).order_by("recognized_on")
    for pid, cat, since, until in recognitions.values_list(
        "person_id", "category", "recognized_on", "ended_on"
    ):
        facts[pid].recognitions.append((cat, since, until))
    trainings = ServiceRecord.objects.filter(person_id__in=ids, kind=ServiceKind.TRAINING)
    for pid, on, done, cert in trainings.values_list("person_id", "on", "completed", "certified"):
        facts[pid].trainings.append((on, done, cert))
    return facts
