"""A synthetic district, or a city of several districts, generated deterministically from
(persons, seed, today, districts).

Everything comes from one random generator seeded with ``seed`` and consumed in a fixed order,
so the same inputs always give the same rows, ids included; nothing reads the wall clock. Rows
are plain tuples in the column order of ``*_FIELDS`` so the loader can stream them with
PostgreSQL COPY (or ``executemany`` on SQLite) without building model instances.

The data is shaped so the standards have something realistic to find, and so the rare cases stay
rare and controllable:

- the unit tree: district → ~20 communities per street/town → grids of ~400 persons; a city is
  several such districts of one city's county codes (Beijing's 1101xx for the default), each a
  root unit of its own, generated one after the other with one random generator;
- households of 1–6 (mean ~2.6) built as families (head, spouse, children, parents, a third
  generation), hence a plausible age pyramid;
- a person's ID number is built from region, birth date and a per-(region, day) sequence, so it
  is valid and unique; derived columns come from ``lib.retirement`` exactly as
  ``registry.derive.person_derived_fields`` computes them;
- statuses are planned per household: unemployment (now or in the past) only happens beside an
  *anchor*, a member holding a non-farming job throughout, so zero-employment and pure-farming
  families exist only where a community is deliberately given one (most communities have none);
- each household's records open on a day before the last two years; from then on every member
  of working age has a status on record (no "no status yet" gaps), and the history changes
  within the last two years: jobs lost and found, registrations, graduations, retirements;
- HD-2012's community criteria are met by about 85% of communities: the reasons to fail (a
  current zero family, a pure-farming family in a village, a low difficult-person employment
  rate, low satisfaction) are dealt to shares of the communities; elsewhere past zero families
  were eliminated (mostly within a month), and difficult persons placed in the last three years
  keep their recognition (valid about three years), so ~90% of them are employed;
- casework service records follow the histories: guidance, visits and referrals after each
  registration, quarterly contacts while recognised difficult, trainings, policy payments,
  this year's satisfaction surveys and the rare complaint, mostly on time.
"""

from __future__ import annotations

import bisect
import dataclasses
import itertools
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from functools import lru_cache
from typing import Any

from stdnum.cn import ric

from jiuye.casework.columns import SERVICE_FIELDS as SERVICE_FIELDS
from jiuye.demo.jobs import JobsGenerator
from jiuye.lib import idcard, retirement, workdays
from jiuye.lib.idcard import Sex
from jiuye.registry.columns import EVENT_FIELDS as EVENT_FIELDS
from jiuye.registry.columns import HOUSEHOLD_FIELDS as HOUSEHOLD_FIELDS
from jiuye.registry.columns import PERSON_FIELDS as PERSON_FIELDS
from jiuye.registry.columns import RECOGNITION_FIELDS as RECOGNITION_FIELDS
from jiuye.registry.definitions import (
    AGE_4050,
    EMPLOYED,
    Episode,
    MemberTimeline,
    is_working_age,
    long_term_from,
    zero_family_episodes,
)
from jiuye.units.columns import UNIT_FIELDS as UNIT_FIELDS

DEFAULT_TODAY = date(2026, 11, 22)
DEFAULT_DISTRICT = "110108"
HISTORY_DAYS = 730  # statuses change over the last two years; earlier history is one event

Row = tuple[Any, ...]

# Real county codes valid for every birth year in python-stdnum's table (no "[from-to]" range),
# used as the birthplace of migrant households.
MIGRANT_REGIONS = (
    "140121",
    "210421",
    "340121",
    "360121",
    "430121",
    "510121",
    "610326",
    "620123",
    "222401",
)

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任"
    "沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严武戴孔汤"
)
MALE_CHARS = (
    "伟强磊军勇杰涛斌超明刚平辉鹏华飞鑫波宇浩凯健俊帆帅旭宁龙林阳建国志海峰永庆东文博晨睿轩"
)
FEMALE_CHARS = "芳娜敏静丽艳娟霞秀英玲桂兰燕萍红婷雪琳晶颖慧倩洁丹蕾薇月梅莉欣怡佳悦琪雅馨彤璐瑶"
PLACE_FIRST = "翠青紫金银玉龙凤明光和平安康兴华新永长文德福春秋桃柳松竹梅兰泉溪云星朝阳景瑞宁丰"
PLACE_SECOND = "园苑湖山河桥林坊庄岭台湾源泉屯营里门塘洲"
PLACE_EXTRA = ("", "东", "西", "南", "北", "中", "上", "下")

UNIT_EMPLOYERS = (
    "科技",
    "信息技术",
    "商贸",
    "物业管理",
    "餐饮管理",
    "建筑工程",
    "教育咨询",
    "医药",
    "文化传媒",
    "物流",
)
EMPLOYERS = {
    "flexible": ("外卖配送", "网约车司机", "家政服务", "快递配送", "自由职业", "直播电商"),
    "self": ("个体工商户（餐饮）", "个体工商户（零售）", "网店经营", "小微企业主"),
    "transfer": ("外省务工", "本市其他区企业", "建筑工地"),
    "public_post": ("社区保洁员", "治安巡逻员", "社区协管员", "绿化养护员"),
    "farming": ("承包地种植", "果园", "大棚蔬菜", "养殖"),
}
LOSS_CAUSES = ("合同到期", "单位裁员", "个人辞职", "企业关停", "家庭原因")
NEVER_EMPLOYED_CAUSE = "毕业未就业"

# The employed statuses in the order the job weights below are given.
EMPLOYED_STATUSES = ("unit", "flexible", "self", "transfer", "public_post", "farming")
assert frozenset(EMPLOYED_STATUSES) == EMPLOYED
EDUCATION_GRAD_AGE = {
    "初中": 16,
    "高中": 19,
    "中专": 19,
    "大专": 21,
    "本科": 22,
    "硕士": 25,
    "博士": 28,
}
TERTIARY = ("大专", "本科", "硕士", "博士")


class SeedRandom(random.Random):
    """``random.Random`` plus integer helpers several times faster than ``randrange``/``randint``
    (which go through ``getrandbits`` rejection sampling); the bias of ``int(random() * n)`` is
    far below anything a demo could show, and the results are the same on every platform."""

    def below(self, n: int) -> int:
        return int(self.random() * n)

    def between(self, a: int, b: int) -> int:
        """An integer in [a, b], both ends included."""
        return a + int(self.random() * (b - a + 1))

    def one_of(self, items: Sequence[Any]) -> Any:
        return items[int(self.random() * len(items))]


class _Picker:
    """Weighted choice by bisecting cumulative weights: ~5x faster than ``rng.choices``."""

    def __init__(self, items: Sequence[Any], weights: Sequence[float]) -> None:
        self.items = tuple(items)
        self.cum = list(itertools.accumulate(weights))
        self.total = self.cum[-1]

    def pick(self, rng: SeedRandom) -> Any:
        return self.items[bisect.bisect(self.cum, rng.random() * self.total)]


HOUSEHOLD_SIZE = _Picker((1, 2, 3, 4, 5, 6), (0.20, 0.30, 0.28, 0.12, 0.06, 0.04))
COMMUNITY_JOBS = _Picker(EMPLOYED_STATUSES, (0.66, 0.15, 0.10, 0.03, 0.025, 0.005))
VILLAGE_JOBS = _Picker(EMPLOYED_STATUSES, (0.38, 0.17, 0.09, 0.12, 0.04, 0.20))
NON_FARMING_JOBS = _Picker(EMPLOYED_STATUSES[:5], (0.60, 0.18, 0.10, 0.08, 0.04))
TERTIARY_LEVEL = _Picker(TERTIARY, (0.25, 0.55, 0.16, 0.04))
SECONDARY_LEVEL = _Picker(("小学", "初中", "高中", "中专"), (0.08, 0.40, 0.32, 0.20))
SKILL = _Picker(
    ("", "初级工", "中级工", "高级工", "技师", "高级技师"), (0.75, 0.10, 0.08, 0.05, 0.015, 0.005)
)
# HD-2012's community criteria are met by about 85% of communities (the resettlement report in
# policy/ counts 87%); the others fail for varied reasons, each dealt to a share of the
# communities (``DistrictGenerator._deal_profiles``), so the mix is stable across seeds and sizes.
ZERO_FAMILY_SHARE = 0.055  # communities with a current zero-employment family
PURE_FARMING_SHARE = 0.025  # communities (villages only) with a pure-farming family
WEAK_DIFFICULT_SHARE = 0.035  # communities with a low difficult-person employment rate
LOW_SATISFACTION_SHARE = 0.03  # communities whose surveys come out ~75-85% satisfied
CURRENT_ZERO_FAMILIES = _Picker((1, 2), (0.9, 0.1))  # in a community dealt "zero"
PAST_ZERO_FAMILIES = _Picker((0, 1, 2, 3), (0.35, 0.35, 0.2, 0.1))  # eliminated ones, anywhere
PURE_FARMING_FAMILIES = _Picker((1, 2), (0.85, 0.15))
ZERO_ELIMINATION_DAYS = _Picker(((2, 30), (31, 75), (76, 200)), (0.8, 0.15, 0.05))

# A recognition (认定) stays valid after placement: about three years, or up to retirement.
RECOGNITION_DAYS = 3 * 365
RECOGNITION_EARLY_END = 0.12  # ended earlier (a stable job, moved away, ...)
# Chance that an employed 4050-aged member beside an anchor had an unemployment spell in the
# last three years that ended in a job (so was recognised, and still is): normal vs. weak.
REEMPLOYED_DIFFICULT = 0.8
REEMPLOYED_DIFFICULT_WEAK = 0.04
# Chance that a public-welfare post (公益性岗位, meant for difficult persons) beside an anchor was
# a placement after a recent spell (recognised 4050 or "other").
PUBLIC_POST_PLACEMENT = 0.9
# Chance a spell is recognised 4050 when eligible: a planned re-employment spell (whoever was
# placed had applied), any other spell (normal and weak communities).
RECOGNIZE_4050_PLACED = 0.8
RECOGNIZE_4050 = 0.4
RECOGNIZE_4050_WEAK = 0.9
RECOGNIZE_LONG_TERM = 0.7

# Services (casework.ServiceRecord).
CST = timezone(timedelta(hours=8))
ONE_DAY = timedelta(days=1)
GUIDANCE_LAGS = (0, 0, 1, 1, 2, 3)  # working days after the registration day: on time (CQ-4)
OTHER_NOTE = "公益性岗位安置对象"
TRAINING_MODES = _Picker(("post", "order", "directed", "other"), (0.25, 0.18, 0.15, 0.42))
DEFAULT_POLICY = ("就业困难人员岗位补贴", Decimal("1200.00"))
POLICIES = {
    "public_post": ("公益性岗位补贴", Decimal("2400.00")),
    "flexible": ("灵活就业社会保险补贴", Decimal("1560.00")),
    "unit": ("用人单位社会保险补贴", Decimal("1850.40")),
    "self": ("一次性创业补贴", Decimal("5000.00")),
}

# Target shares; tests check the generated data lands near them.
UNEMPLOYED_IN_HOUSEHOLD = 0.145  # chance per labor-force member beside an anchor
UNEMPLOYED_IN_DIBAO = 0.25
OUT_OF_LABOR_FORCE = 0.21
MULTI_EVENT_EMPLOYED = 0.10


@dataclass(frozen=True)
class SeedConfig:
    """What to generate. ``districts`` above 1 makes a city: that many districts of
    ``district_code``'s city (:func:`city_districts`: ``district_code`` first, named
    ``district_name``), each a root unit of its own, the persons split evenly between them."""

    persons: int
    seed: int
    district_code: str = DEFAULT_DISTRICT
    district_name: str = "海淀区"
    today: date = DEFAULT_TODAY
    districts: int = 1


@dataclass
class Batch:
    """Rows for one slice of the district; parents always come in an earlier or the same batch,
    and within a batch in the order units, households, persons, events, recognitions."""

    units: list[Row] = field(default_factory=list)
    # With a district's units: each community's district as its rows carry it (the district
    # unit the generator made the root of the tree), for the loader to check against the rule
    # (``units.sharding.districts_of``) before writing them.
    districts: dict[int, int] = field(default_factory=dict)
    households: list[Row] = field(default_factory=list)
    persons: list[Row] = field(default_factory=list)
    events: list[Row] = field(default_factory=list)
    recognitions: list[Row] = field(default_factory=list)
    services: list[Row] = field(default_factory=list)
    # Households that were a zero-employment family at some time since their records began:
    # the ones a listener of ``statuses_changed`` keeping zero-family cases must look at.
    zero_households: list[int] = field(default_factory=list)
    # The jobs side (``demo.jobs``): employers and their reports, postings; ``planted``: the
    # seekers each posting was written for (never written to the database).
    employers: list[Row] = field(default_factory=list)
    staff_reports: list[Row] = field(default_factory=list)
    contracts: list[Row] = field(default_factory=list)
    layoffs: list[Row] = field(default_factory=list)
    postings: list[Row] = field(default_factory=list)
    referrals: list[Row] = field(default_factory=list)
    hires: list[Row] = field(default_factory=list)
    planted: list[Any] = field(default_factory=list)


@dataclass(frozen=True)
class UnitPlan:
    id: int
    code: str
    name: str
    level: str
    parent_id: int | None
    path: str
    persons: int = 0  # communities/villages: how many persons to generate
    station: tuple[str, str, str] = ("", "", "")  # address, office phone, hours

    def row(self) -> Row:
        return (self.id, self.code, self.name, self.level, self.parent_id, self.path, *self.station)


# Synthetic office numbers: the area code of the district's province (Beijing's by default).
AREA_CODES = {"11": "010", "12": "022", "31": "021", "50": "023"}
STATION_HOURS = "周一至周五 8:30-12:00，13:30-17:30"


def station_contact(*, code: str, name: str, parent: str, village: bool) -> tuple[str, str, str]:
    """A community's or village's service station (address, office phone, hours) as its notice
    board shows it, derived from its code and names alone: no random draw, so adding it left
    every other generated row as it was. The phone is an 8-digit office number from the code,
    never a mobile number like the residents'."""
    area = AREA_CODES.get(code[:2], "010")
    phone = f"{area}-6{int(code[-7:]) % 10_000_000:07d}"
    if village:
        address = f"{parent}{name}村民委员会便民服务站"
    else:
        street = name.removesuffix("社区")
        address = f"{street}路1号{name}服务中心一层"
    return address, phone, STATION_HOURS


@dataclass(slots=True)
class Member:
    """One person while their household is being planned (before becoming rows)."""

    relation: str
    age: int
    sex: str
    surname: str
    id: int = 0
    birth: date = DEFAULT_TODAY
    id_number: str = ""
    work_from: date = DEFAULT_TODAY
    retire_on: date = DEFAULT_TODAY
    female_base: int | None = None
    education: str = ""
    job_intent: str = ""
    certificates: str = ""
    role: str = "none"  # none, student, out, retired, late_worker, labor
    final: str = ""  # planned status at today for labor-force members
    spells: bool = False  # may have an unemployment spell in the history
    zero: bool = False  # member of a deliberate zero-employment family
    # A planned unemployment spell (lost, back): back is the first day employed again, None
    # when still unemployed today (members of a past zero family, re-employed difficult persons).
    spell: tuple[date, date | None] | None = None
    able: bool = True
    willing: bool = True
    disabled: bool = False
    landless: bool = False
    events: list[list[Any]] = field(default_factory=list)  # [status, since, registered, ...]


@dataclass(slots=True)
class HouseholdPlan:
    id: int
    number: str
    grid_id: int
    hukou: str
    address: str
    dibao: bool
    region: str
    migrant: bool
    landless: bool
    opened: date  # the day the household's records begin (real-name registration)
    members: list[Member]
    past_zero: date | None = None  # emerged on, for a planned zero family since eliminated


def _guidance_day(registered: date, lag: int) -> date:
    """``lag`` working days after the registration day (calendar days outside the years the
    holiday calendar knows)."""
    try:
        return _add_workdays(registered, lag)
    except workdays.WorkdayCalendarError:
        return registered + timedelta(days=lag)


_add_workdays = lru_cache(maxsize=8192)(workdays.add_workdays)


@lru_cache(maxsize=200_000)
def derived_dates(birth: date, sex: str, female_base: int | None) -> tuple[date, date]:
    """``work_from`` and ``retire_on`` as ``registry.derive`` computes them (cached: many
    persons share a birthday)."""
    return (
        retirement.working_age_from(birth),
        retirement.retirement_date(birth, Sex(sex), female_base),
    )


def id_number(region: str, birth: date, order: int) -> str:
    """Same result as ``lib.idcard.make``, without its per-call ``strftime`` (hot path)."""
    body = f"{region}{birth.year:04d}{birth.month:02d}{birth.day:02d}{order:03d}"
    return body + ric.calc_check_digit(body + "0")


def district_name(code: str) -> str | None:
    """The county's current name from python-stdnum's division table (e.g. 110108 → 海淀区)."""
    from stdnum import numdb

    info = {k: v for _, props in numdb.get("cn/loc").info(code) for k, v in props.items()}
    county = info.get("county")
    if not county:
        return None
    return county.split(",")[-1].split("]")[-1] or None


def region_problem(code: str, today: date) -> str | None:
    """Why ``code`` cannot be the birthplace region of generated ID numbers, or None."""
    if len(code) != 6 or not code.isdigit():
        return f"区县代码须为6位数字：{code!r}"
    for birth in (date(1925, 1, 1), today - timedelta(days=1)):
        try:
            idcard.parse(id_number(code, birth, 1), today=today)
        except idcard.IdNumberError as error:
            return f"区县代码 {code} 不能用于生成{birth.year}年出生者的身份证号码：{error.message}"
    return None


def spell_start(events: Sequence[Sequence[Any]]) -> date:
    """The first day of the unemployment spell the history ends in (consecutive unemployed
    events, e.g. unregistered then registered, are one spell)."""
    i = len(events) - 1
    while i > 0 and events[i - 1][0] == "unemployed":
        i -= 1
    return events[i][1]  # type: ignore[no-any-return]


def school_start(birth: date) -> date:
    """1 September of the year the child is six by 31 August."""
    return date(birth.year + 6 + (1 if birth.month > 8 else 0), 9, 1)


def split_sizes(rng: SeedRandom, total: int, parts: int) -> list[int]:
    """``total`` split into ``parts`` positive sizes varying ±50% around the mean."""
    weights = [rng.uniform(0.5, 1.5) for _ in range(parts)]
    scale = total / sum(weights)
    sizes = [max(1, int(w * scale)) for w in weights]
    sizes[-1] += total - sum(sizes)
    while sizes[-1] < 1:  # rounding pushed the last part below one: take from the largest
        largest = max(range(parts - 1), key=sizes.__getitem__)
        sizes[largest] -= 1
        sizes[-1] += 1
    return sizes


class DistrictGenerator:
    """Stateful generator; iterate :meth:`batches` once.

    The districts of a city share one random generator (consumed in order, so the first
    district of a city is the district that ``persons`` of its own would be), the id counters
    (ids continue from one district to the next) and the ID-number sequences (so numbers stay
    unique across the city, migrants' regions included). ``birth_regions``: the city's codes
    valid for every birth year, for persons born before their district's own code existed.
    """

    def __init__(
        self,
        config: SeedConfig,
        *,
        rng: SeedRandom | None = None,
        next_id: dict[str, int] | None = None,
        id_orders: dict[tuple[str, date, str], int] | None = None,
        birth_regions: Sequence[str] = (),
    ) -> None:
        if config.persons < 1:
            raise ValueError("persons must be at least 1")
        self.config = config
        self.rng = rng if rng is not None else SeedRandom(config.seed)
        self.today = config.today
        self.window_start = config.today - timedelta(days=HISTORY_DAYS)
        self.next_id = (
            next_id
            if next_id is not None
            else {
                "unit": 1,
                "household": 1,
                "person": 1,
                "event": 1,
                "recognition": 1,
                "service": 1,
            }
        )
        self.id_orders: dict[tuple[str, date, str], int] = (
            id_orders if id_orders is not None else {}
        )
        # Regions every birth year may use as they are (the others: see _birth_region).
        self.any_year = {*MIGRANT_REGIONS, *birth_regions}
        if region_problem(config.district_code, config.today) is None:
            self.any_year.add(config.district_code)
        self.birth_regions = tuple(birth_regions)
        self.profiles: dict[int, set[str]] = {}  # community id → the reasons it is dealt to fail
        # The district unit this generator makes (:meth:`plan_units`): every row it emits is in
        # it, and carries it as ``district_id``.
        self.district_id = 0
        self.year_start = date(config.today.year, 1, 1)
        self._names = self._place_names()
        # Its own random generator: the registry's rows stay what they were without it.
        self.jobs = JobsGenerator(
            seed=config.seed,
            district_code=config.district_code,
            today=config.today,
            next_id=self.next_id,
        )

    # --- ids and names ---------------------------------------------------------------------

    def _id(self, kind: str) -> int:
        value = self.next_id[kind]
        self.next_id[kind] = value + 1
        return value

    def _place_names(self) -> Iterator[str]:
        """Unique two- or three-character place names in a seeded order."""
        for extra in PLACE_EXTRA:
            names = [a + b + extra for a in PLACE_FIRST for b in PLACE_SECOND]
            self.rng.shuffle(names)
            yield from names
        for n in itertools.count(1):
            yield f"{PLACE_FIRST[n % len(PLACE_FIRST)]}{PLACE_SECOND[n % len(PLACE_SECOND)]}{n}"

    def surname(self) -> str:
        # Zipf-like: the first surnames of the list are by far the most common.
        index = int(len(SURNAMES) * self.rng.random() ** 2.2)
        return SURNAMES[index]

    def given_name(self, sex: str) -> str:
        chars = MALE_CHARS if sex == "M" else FEMALE_CHARS
        rng = self.rng
        first = chars[rng.below(len(chars))]
        if rng.random() < 0.25:
            return first
        return first + chars[rng.below(len(chars))]

    # --- the unit tree ---------------------------------------------------------------------

    def plan_units(self) -> list[UnitPlan]:
        """District, streets and towns, communities and villages (with their person quotas);
        grids are planned with each community's households."""
        cfg, rng = self.config, self.rng
        n_communities = community_count(cfg.persons)
        n_parents = max(1, round(n_communities / 20))
        if n_communities >= 2:
            n_parents = max(2, n_parents)
        n_towns = max(1, round(n_parents * 0.24)) if n_parents >= 2 else 0
        district = UnitPlan(
            self._id("unit"),
            cfg.district_code,
            cfg.district_name,
            "district",
            None,
            f"/{cfg.district_code}/",
        )
        plans = [district]
        self.district_id = self.jobs.district_id = district.id
        sizes = split_sizes(rng, cfg.persons, n_communities)
        per_parent = split_sizes(rng, n_communities, n_parents)
        size_iter = iter(sizes)
        n_streets = n_parents - n_towns
        first_town = max(101, n_streets + 1)  # towns are numbered 1xx, streets 0xx
        for p in range(n_parents):
            is_town = p >= n_streets
            number = first_town + p - n_streets if is_town else p + 1
            code = f"{cfg.district_code}{number:03d}"
            parent = UnitPlan(
                self._id("unit"),
                code,
                next(self._names) + ("镇" if is_town else "街道"),
                "town" if is_town else "street",
                district.id,
                f"{district.path}{code}/",
            )
            plans.append(parent)
            plans.extend(self._plan_communities(parent, is_town, per_parent[p], size_iter))
        self._deal_profiles(plans)
        return plans

    def _deal_profiles(self, plans: list[UnitPlan]) -> None:
        """Deal the deliberate failures of HD-2012's community criteria: each reason to its share
        of the communities (a fractional count rounded at random), independently, so a few
        communities fail for two reasons. Pure-farming families only go to villages."""
        rng = self.rng
        communities = [p.id for p in plans if p.level in ("community", "village")]
        villages = [p.id for p in plans if p.level == "village"]
        self.profiles = {c: set() for c in communities}
        for reason, share, pool in (
            ("zero", ZERO_FAMILY_SHARE, communities),
            ("farming", PURE_FARMING_SHARE, villages),
            ("weak", WEAK_DIFFICULT_SHARE, communities),
            ("unsatisfied", LOW_SATISFACTION_SHARE, communities),
        ):
            exact = share * len(communities)
            count = int(exact) + (1 if rng.random() < exact - int(exact) else 0)
            for unit_id in rng.sample(pool, min(count, len(pool))):
                self.profiles[unit_id].add(reason)

    def _plan_communities(
        self, parent: UnitPlan, is_town: bool, count: int, sizes: Iterator[int]
    ) -> list[UnitPlan]:
        plans: list[UnitPlan] = []
        communities = villages = 0
        for i in range(count):
            village = is_town and (i == 0 or self.rng.random() < 0.7)
            if village:
                villages += 1
                code, level, suffix = f"{parent.code}{200 + villages:03d}", "village", "村"
            else:
                communities += 1
                code, level, suffix = f"{parent.code}{communities:03d}", "community", "社区"
            name = next(self._names) + suffix
            plans.append(
                UnitPlan(
                    self._id("unit"),
                    code,
                    name,
                    level,
                    parent.id,
                    f"{parent.path}{code}/",
                    next(sizes),
                    station_contact(code=code, name=name, parent=parent.name, village=village),
                )
            )
        return plans

    # --- batches ---------------------------------------------------------------------------

    def batches(self) -> Iterator[Batch]:
        """The unit tree first, then one batch per street/town with everything inside it."""
        plans = self.plan_units()
        yield Batch(
            units=[p.row() for p in plans],
            districts={
                p.id: self.district_id for p in plans if p.level in ("community", "village")
            },
        )
        by_parent: dict[int, list[UnitPlan]] = {}
        for plan in plans:
            if plan.level in ("community", "village"):
                assert plan.parent_id is not None
                by_parent.setdefault(plan.parent_id, []).append(plan)
        for plan in plans:
            if plan.level in ("street", "town"):
                batch = Batch()
                for community in by_parent.get(plan.id, []):
                    self._community(community, batch)
                yield batch

    def _community(self, unit: UnitPlan, batch: Batch) -> None:
        village = unit.level == "village"
        n_grids = max(1, round(unit.persons / 400))
        grids: list[int] = []
        for g in range(1, n_grids + 1):
            gid = self._id("unit")
            code = f"{unit.code}{g:02d}"
            grid = UnitPlan(gid, code, f"第{g}网格", "grid", unit.id, f"{unit.path}{code}/")
            batch.units.append(grid.row())
            grids.append(gid)
        households = self._households(unit, grids, village)
        profile = self.profiles.get(unit.id, set())
        weak = "weak" in profile
        self._plan_statuses(households, village, profile)
        self.jobs.community(unit, households, batch)
        staff = [self.surname() + self.given_name(self.rng.one_of("MF")) for _ in range(3)]
        for household in households:
            batch.households.append(
                (
                    household.id,
                    household.number,
                    unit.id,
                    household.grid_id,
                    household.hukou,
                    household.address,
                    household.dibao,
                    self.district_id,
                )
            )
            for member in household.members:
                self._histories(member, village, household.opened)
            self.jobs.hires(household, staff, batch)
            emerged = max(
                (spell_start(m.events) for m in household.members if m.zero), default=None
            )
            if household.past_zero is not None:
                emerged = household.past_zero
            episodes = self._episodes(household)
            if episodes:
                batch.zero_households.append(household.id)
            for member in household.members:
                self._emit_person(member, household, unit, village, batch)
                recognized = self._recognitions(member, household, episodes, emerged, weak, batch)
                self._services(member, recognized, staff, batch)
        self._community_services(households, "unsatisfied" in profile, staff, batch)
        self.jobs.staff_with_hires(batch)

    # --- households and members ------------------------------------------------------------

    def _households(self, unit: UnitPlan, grids: list[int], village: bool) -> list[HouseholdPlan]:
        rng = self.rng
        remaining = unit.persons
        expected = max(1, round(unit.persons / 2.66))
        result: list[HouseholdPlan] = []
        index = 0
        while remaining > 0:
            size = min(HOUSEHOLD_SIZE.pick(rng), remaining)
            remaining -= size
            members = self._family(size)
            migrant = (not village) and rng.random() < 0.06
            region = (
                MIGRANT_REGIONS[rng.below(len(MIGRANT_REGIONS))]
                if migrant
                else (self.config.district_code)
            )
            hukou = self._hukou(village, migrant)
            grid = grids[min(len(grids) - 1, index * len(grids) // expected)]
            household = HouseholdPlan(
                id=self._id("household"),
                number=f"{unit.code}-{index + 1:04d}",
                grid_id=grid,
                hukou=hukou,
                address=self._address(unit, index, village),
                dibao=rng.random() < (0.05 if village else 0.025),
                region=region,
                migrant=migrant,
                landless=village and rng.random() < 0.3,
                opened=self.window_start - timedelta(days=rng.between(30, 8 * 365)),
                members=members,
            )
            for member in members:
                self._person_basics(member, household, village)
            result.append(household)
            index += 1
        return result

    def _hukou(self, village: bool, migrant: bool) -> str:
        r = self.rng.random()
        if migrant:
            return "agricultural" if r < 0.8 else "urban"
        if village:
            return "agricultural" if r < 0.75 else ("converted" if r < 0.95 else "urban")
        return "urban" if r < 0.87 else ("converted" if r < 0.97 else "agricultural")

    def _address(self, unit: UnitPlan, index: int, village: bool) -> str:
        district = self.config.district_name
        base = unit.name.removesuffix("社区").removesuffix("村")
        if village:
            return f"{district}{unit.name}{index + 1}号"
        building, flat = divmod(index, 36)
        return (
            f"{district}{base}路{(building // 10) + 1}号院{building % 10 + 1}号楼"
            f"{flat // 18 + 1}单元{(flat % 18) // 3 + 1}0{flat % 3 + 1}室"
        )

    def _family(self, size: int) -> list[Member]:
        """Relations and ages of a household: a couple, their children, the head's parents or
        a third generation, depending on size."""
        rng = self.rng
        s_head = self.surname()
        if size == 1:
            r = rng.random()
            age = (
                rng.between(22, 35)
                if r < 0.35
                else (rng.between(36, 59) if r < 0.55 else rng.between(60, 93))
            )
            sex = "F" if (age >= 60 and rng.random() < 0.62) else rng.one_of("MF")
            return [Member("户主", age, sex, s_head)]
        shape = rng.random()
        if size >= 5 and shape < 0.5:
            return self._three_generations(size, s_head)
        head_age = int(rng.triangular(24, 88, 40)) if size == 2 else rng.between(28, 58)
        head_sex = "M" if rng.random() < 0.62 else "F"
        head = Member("户主", head_age, head_sex, s_head)
        out = [head]
        if size == 2 and shape < 0.25 and head_age >= 42:
            out.append(self._child(head, None))
            return out
        if size == 2 and shape > 0.85 and head_age <= 50:
            out.append(self._parent(head, rng.one_of("MF")))
            return out
        spouse = self._spouse(head)
        out.append(spouse)
        slots = size - 2
        parents = 0
        if slots >= 1 and (size >= 5 or (size in (3, 4) and rng.random() < 0.3)) and head_age <= 62:
            parents = 2 if (slots >= 3 or (slots == 2 and size == 4 and rng.random() < 0.2)) else 1
            parents = min(parents, slots)
        for _ in range(slots - parents):
            out.append(self._child(head, spouse))
        for sex in ("M", "F") if parents == 2 else (rng.one_of("MF"),) * parents:
            out.append(self._parent(head, sex))
        return out

    def _spouse(self, head: Member) -> Member:
        age = min(95, max(18, head.age + int(self.rng.gauss(-2 if head.sex == "M" else 2, 3))))
        return Member("配偶", age, "F" if head.sex == "M" else "M", self.surname())

    def _child(self, head: Member, spouse: Member | None) -> Member:
        rng = self.rng
        mother_age = head.age if head.sex == "F" else (spouse.age if spouse else head.age - 2)
        age = max(0, mother_age - rng.between(23, 36))
        sex = rng.one_of("MF")
        father = head if head.sex == "M" else spouse
        surname = father.surname if father is not None else head.surname
        return Member("子" if sex == "M" else "女", age, sex, surname)

    def _parent(self, head: Member, sex: str) -> Member:
        age = min(95, head.age + self.rng.between(24, 33))
        surname = head.surname if sex == "M" else self.surname()
        return Member("父亲" if sex == "M" else "母亲", age, sex, surname)

    def _three_generations(self, size: int, s_head: str) -> list[Member]:
        """Older couple, an adult child with spouse, and grandchildren."""
        rng = self.rng
        head = Member("户主", rng.between(55, 78), "M" if rng.random() < 0.65 else "F", s_head)
        spouse = self._spouse(head)
        child_age = max(22, min(head.age, spouse.age) - rng.between(24, 32))
        child_sex = rng.one_of("MF")
        father = head if head.sex == "M" else spouse
        child = Member("子" if child_sex == "M" else "女", child_age, child_sex, father.surname)
        in_law_sex = "F" if child_sex == "M" else "M"
        in_law = Member(
            "儿媳" if child_sex == "M" else "女婿",
            max(20, child_age + rng.between(-3, 3)),
            in_law_sex,
            self.surname(),
        )
        line = child.surname if child_sex == "M" else in_law.surname
        mother_age = child_age if child_sex == "F" else in_law.age
        out = [head, spouse, child, in_law]
        for _ in range(size - 4):
            sex = rng.one_of("MF")
            age = max(0, mother_age - rng.between(23, 36))
            out.append(Member("孙子" if sex == "M" else "孙女", age, sex, line))
        return out

    def _person_basics(self, member: Member, household: HouseholdPlan, village: bool) -> None:
        """Birth date, ID number, derived dates, education, role and fixed flags."""
        rng, today = self.rng, self.today
        days = member.age * 365 + rng.below(365) + member.age // 4
        birth = today - timedelta(days=max(1, days))
        member.id = self._id("person")
        member.id_number, member.birth = self._unique_id(household.region, birth, member.sex)
        if member.sex == "F":
            r = rng.random()
            member.female_base = 50 if r < 0.4 else (55 if r < 0.6 else None)
        member.work_from, member.retire_on = derived_dates(
            member.birth, member.sex, member.female_base
        )
        member.disabled = rng.random() < (
            0.008 if member.age < 40 else (0.025 if member.age < 60 else 0.045)
        )
        member.landless = household.landless and member.age >= 16
        self._role(member)
        member.education = self._education(member, village)

    def _unique_id(self, region: str, birth: date, sex: str) -> tuple[str, date]:
        """Next free sequence number of that region, day and sex; a full day (499 numbers)
        moves the birth date back by one day."""
        while True:
            place = region if region in self.any_year else self._birth_region(region, birth.year)
            key = (place, birth, sex)
            n = self.id_orders.get(key, 0)
            if n < 499:
                self.id_orders[key] = n + 1
                order = 2 * n + (1 if sex == "M" else 2)
                return id_number(place, birth, order), birth
            birth -= timedelta(days=1)

    def _birth_region(self, region: str, year: int) -> str:
        """``region`` if it existed in ``year`` (a district created in 2001 cannot be the
        birthplace of someone born in 1960), else the first of the city's codes that did."""
        if region_known(region, year):
            return region
        for other in self.birth_regions:
            if region_known(other, year):
                return other
        raise ValueError(f"区县代码 {region} 在 {year} 年不存在，且无可替代的出生地代码")

    def _role(self, member: Member) -> None:
        """Where the person stands today: none (pre-school), student, out, retired,
        late_worker (working past retirement age) or labor (the labor force, of working age,
        able and willing)."""
        rng, today, age = self.rng, self.today, member.age
        if school_start(member.birth) > today:
            member.role = "none"
        elif today < member.work_from:
            member.role = "student"
        elif member.retire_on <= today:
            r = rng.random()
            member.role = "retired" if r < 0.88 else ("out" if r < 0.97 else "late_worker")
        elif rng.random() < (
            0.92 if age <= 18 else 0.5 if age <= 22 else 0.12 if age <= 25 else 0.0
        ):
            member.role = "student"
        else:
            p_out = OUT_OF_LABOR_FORCE * (1.8 if (member.sex == "F" and age >= 40) else 1.0)
            member.role = "out" if rng.random() < (0.5 if member.disabled else p_out) else "labor"
        if member.role == "labor":
            member.able = member.willing = True
        elif today < member.work_from:
            member.able = member.willing = False
        elif member.role == "out" and member.retire_on > today:
            member.able = rng.random() >= 0.35  # not able, or able but not wanting a job
            member.willing = False
        else:
            member.able = rng.random() < (0.95 if member.role == "student" else 0.6)
            member.willing = rng.random() < 0.05

    def _education(self, member: Member, village: bool) -> str:
        rng, age = self.rng, member.age
        if member.role == "none":
            return ""
        if member.role == "student":
            if age < 12:
                return "小学"
            if age < 15:
                return "初中"
            if age < 18:
                return "高中"
            return "本科" if age < 23 else "硕士"
        p_tertiary = 0.65 if age < 45 else (0.45 if age < 60 else 0.22)
        if village:
            p_tertiary /= 2.5
        if age >= 21 and rng.random() < p_tertiary:
            level: str = TERTIARY_LEVEL.pick(rng)
            if EDUCATION_GRAD_AGE[level] <= age:
                return level
            return "本科" if age >= 22 else "大专"
        if age < 19:
            return "初中"
        level = SECONDARY_LEVEL.pick(rng)
        return "初中" if (level == "小学" and age < 45) else level

    # --- statuses ----------------------------------------------------------------------------

    def _plan_statuses(
        self, households: list[HouseholdPlan], village: bool, profile: set[str]
    ) -> None:
        """Final status of every labor-force member, household by household, keeping current
        zero and pure-farming families to the communities dealt one (``profile``); past zero
        families, eliminated since, go anywhere."""
        rng = self.rng
        with_labor = [h for h in households if any(m.role == "labor" for m in h.members)]
        zero_count = CURRENT_ZERO_FAMILIES.pick(rng) if "zero" in profile else 0
        small = [h for h in with_labor if sum(m.role == "labor" for m in h.members) <= 2]
        zero_ids = {h.id for h in rng.sample(small, min(zero_count, len(small)))}
        farm_count = PURE_FARMING_FAMILIES.pick(rng) if "farming" in profile else 0
        rest = [h for h in with_labor if h.id not in zero_ids]
        farm_ids = {h.id for h in rng.sample(rest, min(farm_count, len(rest)))}
        past_count = PAST_ZERO_FAMILIES.pick(rng)
        candidates = [
            h for h in small if h.id not in zero_ids and h.id not in farm_ids and self._clean(h)
        ]
        past_ids = {h.id for h in rng.sample(candidates, min(past_count, len(candidates)))}
        jobs = VILLAGE_JOBS if village else COMMUNITY_JOBS
        weak = "weak" in profile
        for household in with_labor:
            labor = [m for m in household.members if m.role == "labor"]
            if household.id in zero_ids:
                for m in labor:
                    m.final, m.zero = "unemployed", True
            elif household.id in farm_ids:
                for m in labor:
                    m.final = "farming"
            elif household.id in past_ids:
                self._plan_past_zero(labor, household)
            else:
                self._plan_ordinary(labor, jobs, household, weak)

    def _clean(self, household: HouseholdPlan) -> bool:
        """Whether the household's labor-force members alone decide if it is a zero family over
        the window: they all worked before it, and nobody else was of working age in a job."""
        start = self.window_start
        for m in household.members:
            if m.role == "labor" and self._entry_date(m) > start - timedelta(days=30):
                return False
            if m.role == "retired" and m.retire_on > start:
                return False
        return True

    def _plan_past_zero(self, labor: list[Member], household: HouseholdPlan) -> None:
        """A zero family that emerged in the window (the last labor member losing a job) and was
        eliminated (one finding a job): mostly within a month, a few late."""
        rng, today = self.rng, self.today
        lo, hi = ZERO_ELIMINATION_DAYS.pick(rng)
        days = rng.between(lo, hi)
        emerged = self._date_between(
            self.window_start + timedelta(days=100), today - timedelta(days=days + 1)
        )
        back = emerged + timedelta(days=days)
        household.past_zero = emerged
        order = list(labor)
        rng.shuffle(order)
        for i, m in enumerate(order):
            # The first to lose a job made the family a zero family; the others lost theirs before.
            lost = emerged if i == 0 else emerged - timedelta(days=rng.between(0, 90))
            if i == len(order) - 1:  # the one whose job eliminated it
                m.spell, m.final = (lost, back), NON_FARMING_JOBS.pick(rng)
            else:
                later = back + timedelta(days=rng.between(0, 400))
                if later <= today:
                    m.spell, m.final = (lost, later), NON_FARMING_JOBS.pick(rng)
                else:
                    m.spell, m.final = (lost, None), "unemployed"
            m.zero = True

    def _plan_ordinary(
        self, labor: list[Member], jobs: _Picker, household: HouseholdPlan, weak: bool = False
    ) -> None:
        """Jobs from the community's mix. Unemployment, now or as a past spell, only beside an
        *anchor*: a member in a non-farming job since the household's records were opened, who
        keeps it. So the household is never a zero or pure-farming family by accident."""
        rng = self.rng
        for m in labor:
            m.final = jobs.pick(rng)
        if all(m.final == "farming" for m in labor):
            labor[rng.below(len(labor))].final = NON_FARMING_JOBS.pick(rng)
        anchor = next(
            (m for m in labor if m.final != "farming" and self._entry_date(m) <= household.opened),
            None,
        )
        others = [m for m in labor if m is not anchor]
        if anchor is None or not others:
            return
        p_unemployed = UNEMPLOYED_IN_DIBAO if household.dibao else UNEMPLOYED_IN_HOUSEHOLD
        for m in others:
            if rng.random() < p_unemployed:
                m.final = "unemployed"
        if not any(m.final == "unemployed" for m in others):
            others[rng.below(len(others))].spells = True
        p_back = REEMPLOYED_DIFFICULT_WEAK if weak else REEMPLOYED_DIFFICULT
        for m in others:
            if m.final == "unemployed":
                continue
            if rng.random() < p_back:
                self._plan_reemployed(m, household, aged=True)
            if (
                m.spell is None
                and m.final == "public_post"
                and not weak
                and rng.random() < PUBLIC_POST_PLACEMENT
            ):
                self._plan_reemployed(m, household, aged=False)

    def _plan_reemployed(self, member: Member, household: HouseholdPlan, aged: bool) -> None:
        """A spell of unemployment in the last three years that ended in a job: begun at 4050
        age (``aged``; a third of them placed in a public-welfare post, 公益性岗位), or ending in
        the member's public-welfare post."""
        rng, today = self.rng, self.today
        threshold = retirement.add_months(member.birth, AGE_4050[member.sex] * 12)
        first = max(self._entry_date(member), household.opened)
        lo = max(first + timedelta(days=30), today - timedelta(days=RECOGNITION_DAYS))
        if aged:
            lo = max(lo, threshold)
        hi = today - timedelta(days=40)
        if lo >= hi or member.retire_on <= today:
            return
        lost = self._date_between(lo, hi)
        back = lost + timedelta(days=15 + int(rng.expovariate(1 / 110)))
        back = min(back, today - timedelta(days=1))
        if back <= lost:
            return
        if aged and rng.random() < 0.33:
            member.final = "public_post"
        member.spell = (lost, back)

    # --- histories ---------------------------------------------------------------------------

    def _histories(self, member: Member, village: bool, opened: date) -> None:
        """The member's dated events as [status, since, registered, employer, cause], recorded
        from the day the household's records were opened (``opened``), or from school start or
        the 16th birthday when later: so whoever is of working age has a status on record from
        then on, and no "no status yet" gap makes a zero family the data did not intend."""
        rng = self.rng
        role = member.role
        if role == "none":
            return
        if role == "student":
            member.events = [["student", max(opened, school_start(member.birth)), False, "", ""]]
        elif role == "retired":
            if member.retire_on > opened:
                member.events = [
                    self._job_event(NON_FARMING_JOBS.pick(rng), opened, village),
                    ["retired", member.retire_on, False, "", ""],
                ]
            else:
                member.events = [["retired", opened, False, "", ""]]
        elif role == "out":
            member.events = [["out", max(opened, member.work_from), False, "", ""]]
        elif role == "late_worker":
            member.events = [self._job_event(NON_FARMING_JOBS.pick(rng), opened, village)]
        else:
            member.events = self._labor_history(member, village, opened)

    def _date_between(self, lo: date, hi: date) -> date:
        if hi <= lo:
            return lo
        return lo + timedelta(days=self.rng.between(0, (hi - lo).days))

    def _job_event(self, status: str, since: date, village: bool) -> list[Any]:
        rng = self.rng
        if status == "unit":
            employer = (
                f"北京{PLACE_FIRST[rng.below(len(PLACE_FIRST))]}"
                f"{PLACE_SECOND[rng.below(len(PLACE_SECOND))]}"
                f"{UNIT_EMPLOYERS[rng.below(len(UNIT_EMPLOYERS))]}有限公司"
            )
        else:
            options = EMPLOYERS[status]
            employer = options[rng.below(len(options))]
            if status == "farming" and village:
                employer = "本村" + employer
        return [status, since, False, employer, ""]

    def _entry_date(self, member: Member) -> date:
        """The day the member entered the labor market: July after finishing school."""
        grad_age = EDUCATION_GRAD_AGE.get(member.education, 16)
        entry = date(member.birth.year + grad_age, 7, 1)
        return min(max(entry, member.work_from), self.today)

    def _labor_history(self, member: Member, village: bool, opened: date) -> list[list[Any]]:
        rng, today = self.rng, self.today
        entry = self._entry_date(member)
        events: list[list[Any]] = []
        if entry > opened:
            events.append(["student", max(opened, school_start(member.birth)), False, "", ""])
            first = entry
        else:
            first = opened
        jobs = VILLAGE_JOBS if village else COMMUNITY_JOBS
        if member.spell is not None:
            lost, back = member.spell
            registered = rng.random() < 0.85
            events.append(self._job_event(NON_FARMING_JOBS.pick(rng), first, village))
            events.extend(self._unemployment(lost, registered, back))
            if back is not None:
                events.append(self._job_event(member.final, back, village))
            return events
        if member.final == "unemployed":
            if member.zero:
                days = rng.between(3, 120)
            else:
                days = min(HISTORY_DAYS - 10, 1 + int(rng.expovariate(1 / 150)))
            lost = today - timedelta(days=days)
            registered = rng.random() < (0.9 if member.zero else 0.8)
            if lost <= first:
                cause = NEVER_EMPLOYED_CAUSE if first == entry else LOSS_CAUSES[0]
                events.append(["unemployed", first, registered, "", cause])
            else:
                previous = NON_FARMING_JOBS.pick(rng) if member.zero else jobs.pick(rng)
                events.append(self._job_event(previous, first, village))
                events.extend(self._unemployment(lost, registered))
            return events
        changes = 0
        if rng.random() < MULTI_EVENT_EMPLOYED:
            changes = (1, 1, 2, 2, 3)[rng.below(5)]
        low = max(first, self.window_start)
        changes = min(changes, (today - low).days)
        dates = sorted(rng.sample(range(1, (today - low).days + 1), changes)) if changes else []
        statuses = [member.final]
        for _ in range(changes):
            following = statuses[0]
            if following == "unemployed":
                statuses.insert(0, NON_FARMING_JOBS.pick(rng))
            elif member.spells and rng.random() < 0.7:
                statuses.insert(0, "unemployed")
            else:
                other = NON_FARMING_JOBS.pick(rng)
                if other == following:
                    other = "flexible" if following == "unit" else "unit"
                statuses.insert(0, other)
        starts = [first, *(low + timedelta(days=d) for d in dates)]
        for status, since in zip(statuses, starts, strict=True):
            if status == "unemployed":
                cause = LOSS_CAUSES[rng.below(len(LOSS_CAUSES))]
                events.append(["unemployed", since, rng.random() < 0.75, "", cause])
            else:
                events.append(self._job_event(status, since, village))
        return events

    def _unemployment(
        self, lost: date, registered: bool, back: date | None = None
    ) -> list[list[Any]]:
        """Losing a job: registered the same day, or some days later (two events), before
        ``back`` (the first day employed again) when there is one."""
        rng = self.rng
        cause = LOSS_CAUSES[rng.below(len(LOSS_CAUSES))]
        if registered and rng.random() < 0.15:
            later = lost + timedelta(days=rng.between(3, 45))
            if later <= self.today and (back is None or later < back):
                return [
                    ["unemployed", lost, False, "", cause],
                    ["unemployed", later, True, "", cause],
                ]
        return [["unemployed", lost, registered, "", cause]]

    def _episodes(self, household: HouseholdPlan) -> list[Episode]:
        """The household's zero-family episodes (the cases to open), by the registry's own
        sweep. Without an unemployed event there can be none (a member with no status on
        record counts nowhere)."""
        members = household.members
        if not any(e[0] == "unemployed" for m in members for e in m.events):
            return []
        timelines = [
            MemberTimeline(
                work_from=m.work_from,
                retire_on=m.retire_on,
                able=m.able,
                willing=m.willing,
                events=[(e[1], e[0]) for e in m.events],
            )
            for m in members
        ]
        return zero_family_episodes(timelines)

    # --- rows --------------------------------------------------------------------------------

    def _emit_person(
        self, member: Member, household: HouseholdPlan, unit: UnitPlan, village: bool, batch: Batch
    ) -> None:
        rng = self.rng
        events = member.events
        for i, event in enumerate(events):
            until = events[i + 1][1] if i + 1 < len(events) else None
            batch.events.append(
                (
                    self._id("event"),
                    member.id,
                    event[0],
                    event[1],
                    until,
                    event[2],
                    event[3],
                    event[4],
                    self.district_id,
                )
            )
        last = events[-1] if events else None
        in_labor = member.role == "labor"
        age = member.age
        graduate_year = None
        if member.education in TERTIARY and member.role != "student":
            year = member.birth.year + EDUCATION_GRAD_AGE[member.education]
            graduate_year = year if year <= self.today.year else None
        veteran = age >= 20 and rng.random() < (0.034 if member.sex == "M" else 0.003)
        migrant_worker = in_labor and (
            household.migrant
            or (
                village
                and household.hukou != "urban"
                and member.final in ("transfer", "unit")
                and rng.random() < 0.4
            )
        )
        phone = ""
        if age >= 14:
            phone = f"1{3 + rng.below(7)}{rng.below(10**9):09d}"
        batch.persons.append(
            (
                member.id,
                member.id_number,
                member.surname + self.given_name(member.sex),
                member.birth,
                member.sex,
                household.id,
                member.relation,
                "urban"
                if (household.hukou == "agricultural" and rng.random() < 0.03)
                else household.hukou,
                phone,
                unit.id,
                household.grid_id,
                member.able,
                member.willing,
                member.female_base,
                member.education,
                SKILL.pick(rng) if in_labor else "",
                member.disabled,
                veteran,
                migrant_worker,
                member.landless,
                village and in_labor and household.hukou == "agricultural" and rng.random() < 0.02,
                graduate_year,
                member.work_from,
                member.retire_on,
                last[0] if last else "",
                last[1] if last else None,
                bool(last and last[2]),
                member.job_intent,
                member.certificates,
                self.district_id,
            )
        )

    def _recognitions(
        self,
        member: Member,
        household: HouseholdPlan,
        episodes: list[Episode],
        emerged: date | None,
        weak: bool,
        batch: Batch,
    ) -> list[tuple[date, date | None]]:
        """Employment-difficult recognitions consistent with the history (4050 only while
        unemployed and old enough, long_term after a year registered, zero_family while the
        family is one, ...). A recognition from a spell stays valid after re-employment, for
        about three years or up to retirement, unless ended earlier (in a weak community: on
        the day of placement). Returns the (recognised, ended) intervals."""
        rng, today = self.rng, self.today
        rows: dict[str, tuple[date, date | None]] = {}
        events = member.events
        working_age = is_working_age(
            work_from=member.work_from, retire_on=member.retire_on, on=today
        )
        if weak:
            p4050 = RECOGNIZE_4050_WEAK
        else:
            p4050 = RECOGNIZE_4050_PLACED if member.spell else RECOGNIZE_4050
        for i, event in enumerate(events):
            if event[0] != "unemployed" or (i > 0 and events[i - 1][0] == "unemployed"):
                continue
            start = event[1]
            j = i
            while j + 1 < len(events) and events[j + 1][0] == "unemployed":
                j += 1
            end = events[j + 1][1] if j + 1 < len(events) else None  # first day employed again
            last_day = min(today, end - timedelta(days=1)) if end else today
            threshold = retirement.add_months(member.birth, AGE_4050[member.sex] * 12)
            on = max(start + timedelta(days=rng.between(0, 30)), threshold)
            if on <= last_day and rng.random() < p4050:
                rows.setdefault("4050", (on, self._valid_until(member, on, end, weak)))
            registered_from = next((e[1] for e in events[i : j + 1] if e[2]), None)
            if registered_from is not None and rng.random() < RECOGNIZE_LONG_TERM:
                on = long_term_from(registered_from)
                if on <= last_day:
                    rows.setdefault("long_term", (on, self._valid_until(member, on, end, weak)))
            if member.zero and emerged is not None and start <= emerged <= last_day:
                on = min(last_day, emerged + timedelta(days=rng.between(1, 10)))
                # Recognised while the household is a zero family (DOMAIN §3: checked that
                # day), however early a member's job ended it.
                begun = [e for e in episodes if e.emerged_on <= on]
                episode = begun[-1] if begun else None
                if episode is not None and episode.ended_on is not None:
                    on = min(on, episode.ended_on - ONE_DAY)
                if any(e.open_on(on) for e in episodes):
                    rows.setdefault("zero_family", (on, self._valid_until(member, on, end, weak)))
            if end is not None and member.final == "public_post" and not rows:
                # placed in a public-welfare post: recognised during the spell
                on = min(last_day, start + timedelta(days=rng.between(0, 30)))
                rows["other"] = (on, self._valid_until(member, on, end, weak))
        if household.dibao and working_age and member.able:
            on = self._date_between(max(member.work_from, today - timedelta(days=1800)), today)
            ended = self._date_between(on, today) if rng.random() < 0.1 else None
            rows["dibao"] = (on, ended)
        if member.disabled and working_age and rng.random() < 0.5:
            rows["disabled"] = (
                self._date_between(max(member.work_from, today - timedelta(days=2200)), today),
                None,
            )
        if member.landless and member.role == "labor" and rng.random() < 0.25:
            on = self._date_between(max(member.work_from, today - timedelta(days=2500)), today)
            rows["landless"] = (on, self._date_between(on, today) if rng.random() < 0.2 else None)
        for category, (on, ended) in rows.items():
            # "other" needs a note saying why (DOMAIN §3): here, the public-welfare placement.
            note = OTHER_NOTE if category == "other" else ""
            batch.recognitions.append(
                (self._id("recognition"), member.id, category, on, ended, note, self.district_id)
            )
        return list(rows.values())

    def _valid_until(self, member: Member, on: date, back: date | None, weak: bool) -> date | None:
        """The end of a recognition made on ``on`` during a spell that ended on ``back``: about
        three years on, at retirement, or earlier for some; None while still in force today."""
        rng = self.rng
        end = on + timedelta(days=RECOGNITION_DAYS + rng.between(-20, 20))
        if back is not None:
            if weak:
                end = back
            elif rng.random() < RECOGNITION_EARLY_END:
                end = min(end, back + timedelta(days=rng.between(30, 365)))
        end = max(on, min(end, member.retire_on))
        return end if end <= self.today else None

    # --- services (casework) -----------------------------------------------------------------

    def _service(
        self,
        batch: Batch,
        person_id: int,
        kind: str,
        on: date,
        staff: Sequence[str],
        *,
        mode: str = "",
        progress: tuple[bool, bool, bool] = (False, False, False),
        outcome: str = "",
        valid: bool | None = None,
        policy: tuple[str, Decimal] | None = None,
    ) -> None:
        row_id = self._id("service")
        created = datetime(on.year, on.month, on.day, 9 + row_id % 8, row_id * 7 % 60, tzinfo=CST)
        batch.services.append(
            (
                row_id,
                person_id,
                kind,
                on,
                staff[row_id % len(staff)],
                mode,
                progress[0],
                progress[1],
                progress[2],
                outcome,
                valid,
                policy[0] if policy else "",
                policy[1] if policy else None,
                "",
                created,
                self.district_id,
            )
        )

    def _services(
        self,
        member: Member,
        recognized: list[tuple[date, date | None]],
        staff: Sequence[str],
        batch: Batch,
    ) -> None:
        """The casework a member's history calls for: guidance, visits and referrals after each
        registration, quarterly contacts while recognised difficult, some trainings, policy
        payments and start-up services. Mostly on time, a realistic few late or missing."""
        events = member.events
        if not events or member.role in ("none", "student"):
            return
        rng, today = self.rng, self.today
        pid = member.id
        history_from = date(today.year - 2, 1, 1)
        for i, event in enumerate(events):
            if event[0] != "unemployed" or not event[2]:
                continue
            if i > 0 and events[i - 1][0] == "unemployed" and events[i - 1][2]:
                continue  # not the first registered event of the registration
            j = i
            while j + 1 < len(events) and events[j + 1][0] == "unemployed":
                j += 1
            end = events[j + 1][1] if j + 1 < len(events) else None
            stop = min(today, end - ONE_DAY) if end else today
            start = event[1]
            bases = []
            if start >= history_from:
                bases.append(start)
                r = rng.random()
                if r < 0.97:
                    lag = (
                        GUIDANCE_LAGS[rng.below(len(GUIDANCE_LAGS))]
                        if r < 0.9
                        else 4 + rng.below(9)
                    )
                    day = _guidance_day(start, lag)
                    if day <= stop:
                        self._service(batch, pid, "guidance", day, staff)
            if start < self.year_start and (end is None or end > self.year_start):
                bases.append(self.year_start)
            for base in bases:
                r = rng.random()
                if r < 0.95:
                    day = base + timedelta(
                        days=rng.between(0, 28) if r < 0.85 else rng.between(31, 100)
                    )
                    if day <= stop:
                        self._service(batch, pid, "visit", day, staff)
                r = rng.random()
                count = rng.between(2, 4) if r < 0.85 else (1 if r < 0.95 else 0)
                span = max(0, (stop - base).days)
                for k in range(count):
                    day = base + timedelta(
                        days=rng.between(0, 55) if k < 2 else rng.between(0, span)
                    )
                    if day <= stop:
                        self._service(batch, pid, "referral", day, staff)
        if recognized:
            self._quarterly_contacts(pid, recognized, staff, batch)
        last = events[-1]
        in_labor = member.role == "labor"
        if in_labor and rng.random() < (0.12 if last[0] == "unemployed" else 0.025):
            day = self._date_between(max(member.work_from, today - timedelta(days=700)), today)
            mode = TRAINING_MODES.pick(rng)
            enrolled = rng.random() < 0.95
            completed = enrolled and rng.random() < (0.85 if (today - day).days > 60 else 0.3)
            certified = completed and rng.random() < 0.6
            self._service(
                batch,
                pid,
                "training",
                day,
                staff,
                mode=mode,
                progress=(enrolled, completed, certified),
            )
        employed = last[0] in EMPLOYED_STATUSES
        if recognized and employed and rng.random() < (0.6 if last[0] == "public_post" else 0.12):
            lo = max(self.year_start, max(on for on, _ in recognized), last[1])
            if lo <= today:
                self._service(
                    batch,
                    pid,
                    "policy",
                    self._date_between(lo, today),
                    staff,
                    policy=POLICIES.get(last[0], DEFAULT_POLICY),
                )
        if recognized and rng.random() < 0.2:
            on = min(today, min(on for on, _ in recognized) + timedelta(days=rng.between(0, 10)))
            self._service(batch, pid, "assistance", on, staff)
        if last[0] == "self" and (today - last[1]).days < 730 and rng.random() < 0.3:
            day = self._date_between(max(member.work_from, last[1] - timedelta(days=60)), last[1])
            self._service(batch, pid, "startup", day, staff)

    def _quarterly_contacts(
        self,
        pid: int,
        recognized: list[tuple[date, date | None]],
        staff: Sequence[str],
        batch: Batch,
    ) -> None:
        """A phone contact or a visit in each quarter of this year the person is recognised
        difficult on some day of (the current quarter: done by today or still to come)."""
        rng, today = self.rng, self.today
        for q in range(4):
            first = date(today.year, 3 * q + 1, 1)
            if first > today:
                break
            last = date(today.year, 3 * q + 4, 1) - ONE_DAY if q < 3 else date(today.year, 12, 31)
            lo = hi = None
            for on, ended in recognized:
                if on <= last and (ended is None or ended > first):
                    a = max(first, on)
                    b = min(last, ended - ONE_DAY) if ended else last
                    lo = a if lo is None else min(lo, a)
                    hi = b if hi is None else max(hi, b)
            if lo is None or hi is None or rng.random() >= 0.94:
                continue
            day = self._date_between(lo, hi)
            if day <= today:
                self._service(batch, pid, "contact" if rng.random() < 0.7 else "visit", day, staff)

    def _unemployed_since(self, member: Member) -> date | None:
        """The first day of this year up to today the member was unemployed (None: never)."""
        events = member.events
        for i, event in enumerate(events):
            end = events[i + 1][1] if i + 1 < len(events) else None
            if event[0] != "unemployed" or event[1] > self.today:
                continue
            if end is None or end > self.year_start:
                return max(event[1], self.year_start)
        return None

    def _community_services(
        self, households: list[HouseholdPlan], unsatisfied: bool, staff: Sequence[str], batch: Batch
    ) -> None:
        """Satisfaction surveys of this year (20-40 a year; ~75-85% satisfied where the
        community is dealt "unsatisfied", 93-100% elsewhere) and the rare complaint. A survey
        asks a person unemployed this year (HD-C3: 失业人员满意度测评), on a day since they
        were; a community without one this year asks any adult (not counted by HD-C3)."""
        rng, today = self.rng, self.today
        adults = [m.id for h in households for m in h.members if m.age >= 18]
        if not adults:
            return
        respondents = [
            (m.id, since)
            for h in households
            for m in h.members
            if (since := self._unemployed_since(m)) is not None
        ]
        elapsed = ((today - self.year_start).days + 1) / 365
        count = max(5, round(rng.between(20, 40) * elapsed))
        bad_share = rng.uniform(0.15, 0.25) if unsatisfied else rng.uniform(0.0, 0.07)
        bad = round(count * bad_share)
        for k in range(count):
            if k < bad:
                outcome = "neutral" if rng.random() < 0.7 else "dissatisfied"
            else:
                outcome = "very_satisfied" if rng.random() < 0.45 else "satisfied"
            if respondents:
                person, since = rng.one_of(respondents)
                day = self._date_between(since, today)
            else:
                person, day = rng.one_of(adults), self._date_between(self.year_start, today)
            self._service(batch, person, "survey", day, staff, outcome=outcome)
        if rng.random() < 0.25:
            day = self._date_between(today - timedelta(days=364), today)
            valid = rng.random() < 0.15
            self._service(batch, rng.one_of(adults), "complaint", day, staff, valid=valid)


def generate(config: SeedConfig) -> Iterator[Batch]:
    """The district (or the city's districts, one after the other) as batches of rows (see
    :class:`Batch`)."""
    if config.districts == 1:
        return DistrictGenerator(config).batches()
    return _city(config)


def _city(config: SeedConfig) -> Iterator[Batch]:
    districts = city_districts(config.district_code, config.districts, config.today)
    if config.persons < len(districts):
        raise ValueError("persons must be at least the number of districts")
    share, extra = divmod(config.persons, len(districts))
    rng = SeedRandom(config.seed)
    next_id: dict[str, int] = dict.fromkeys(
        ("unit", "household", "person", "event", "recognition", "service"), 1
    )
    id_orders: dict[tuple[str, date, str], int] = {}
    birth_regions = [code for code, _ in districts if region_problem(code, config.today) is None]
    for index, (code, name) in enumerate(districts):
        district = dataclasses.replace(
            config,
            persons=share + (1 if index < extra else 0),
            district_code=code,
            district_name=config.district_name if index == 0 else name,
            districts=1,
        )
        yield from DistrictGenerator(
            district,
            rng=rng,
            next_id=next_id,
            id_orders=id_orders,
            birth_regions=birth_regions,
        ).batches()


@lru_cache(maxsize=8192)
def region_known(code: str, year: int) -> bool:
    """Whether ``code`` is a county python-stdnum knows for persons born in ``year``."""
    try:
        idcard.parse(id_number(code, date(year, 1, 1), 1), today=date(year, 12, 31))
    except idcard.IdNumberError as error:
        if error.code == "region":
            return False
        raise
    return True


def city_districts(code: str, count: int, today: date = DEFAULT_TODAY) -> list[tuple[str, str]]:
    """``count`` districts of ``code``'s city as (code, name): ``code`` first, then the other
    counties of the city (same first four digits, e.g. Beijing's 1101xx) that exist today in
    python-stdnum's division table, in code order. Raises ValueError when the city has fewer."""
    if count < 1:
        raise ValueError("districts must be at least 1")
    found = [(code, district_name(code) or f"{code}区")]
    for number in range(1, 100):
        other = f"{code[:4]}{number:02d}"
        if other == code or not region_known(other, today.year):
            continue
        name = district_name(other)
        if name:
            found.append((other, name))
    if len(found) < count:
        raise ValueError(f"城市 {code[:4]} 只有 {len(found)} 个区县代码可用（需要 {count} 个）")
    return found[:count]


def community_count(persons: int) -> int:
    """How many communities/villages a district of ``persons`` gets (~2,000 persons each)."""
    return max(1, round(persons / 2000))
