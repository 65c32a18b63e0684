"""The jobs side of a generated district (DOMAIN §8): employers with their staff reports, labor
contracts and layoffs, postings (about one per hundred persons, some of them public-welfare
posts developed by the community), and what the unemployed seekers want (求职意向, 技能证书).

For each ordinary posting a few seekers of its community are **planted**: unemployed members
of the labor force whose wanted work (words a seeker uses for the occupation, rarely the
posting's title itself), certificates, education and age fit it. The other seekers want
plausible work too, so a planted person has competitors. The planted pairs go to
:attr:`Batch.planted` and from there to ``SeedSummary.planted`` (the bench's quality figures);
they are never written to the database.

Everything here draws from its own random generator (seeded from the seed and the district's
code), so the registry rows of a seed are the ones they were before jobs existed.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from stdnum.cn import uscc

from jiuye.jobs import checks, text
from jiuye.jobs.occupations import BY_CODE, Occupation
from jiuye.lib import retirement

if TYPE_CHECKING:
    from jiuye.demo.generator import Batch, HouseholdPlan, Member, UnitPlan

CST = timezone(timedelta(hours=8))
# Birthplaces of the employers' staff who are not residents of the district (real county codes
# valid for every birth year, none used for the registry's residents): their contracts name
# them by a keyed digest and a masked number only.
STAFF_REGIONS = ("150121", "330122", "350121", "530121", "620121", "640121")

# Industries and the occupations their postings are for.
INDUSTRIES: dict[str, tuple[str, ...]] = {
    "物业管理": (
        "3-02-02-01",
        "6-31-01-03",
        "4-06-01-01",
        "4-09-07-01",
        "4-09-05-01",
        "3-02-03-01",
    ),
    "餐饮管理": ("4-03-01-01", "4-03-01-03", "4-03-02-01", "4-03-01-05", "4-01-02-03"),
    "商贸": ("4-01-02-01", "4-01-02-03", "4-01-05-01", "4-02-06-03", "4-01-02-05"),
    "物流": ("4-02-07-02", "4-02-07-03", "4-02-06-03", "4-02-06-05", "4-02-02-02", "6-30-05-01"),
    "信息技术": ("2-02-10-03", "2-02-10-06", "4-04-04-01", "3-01-02-01", "4-12-03-01"),
    "建筑工程": (
        "6-29-01-01",
        "6-29-01-03",
        "6-29-03-01",
        "6-29-03-03",
        "6-18-02-04",
        "6-31-01-03",
    ),
    "家政服务": ("4-10-01-06", "4-10-01-02", "4-10-01-05", "4-09-07-01", "4-10-06-01"),
    "医药健康": ("2-05-08-00", "4-14-01-01", "4-10-01-05", "3-01-04-02"),
    "文化传媒": ("2-09-06-01", "4-01-02-05", "4-07-02-03", "3-01-02-01"),
    "机械制造": ("6-20-99-00", "6-18-01-01", "6-18-02-04", "6-31-03-01", "6-31-01-02"),
    "服装加工": ("6-05-05-01", "6-20-99-00", "6-31-03-01"),
    "汽车服务": ("4-12-01-01", "4-02-02-05", "4-02-02-01", "4-12-02-02"),
    "教育培训": ("2-08-01-03", "3-01-02-01", "2-06-01-01"),
    "美容美发": ("4-10-03-01", "4-10-03-02", "4-01-02-01"),
    "食品加工": ("6-01-02-03", "6-20-99-00", "6-31-03-01", "4-03-01-03"),
    "人力资源": ("3-01-02-05", "4-07-02-03", "4-04-04-01", "8-00-00-00"),
    "安保服务": ("3-02-02-01", "4-07-05-01", "3-02-03-01"),
}
VILLAGE_INDUSTRIES: dict[str, tuple[str, ...]] = {
    "农业合作社": ("5-01-02-01", "5-03-01-01", "4-02-06-05", "8-00-00-00"),
    "养殖场": ("5-03-01-01", "4-02-06-05"),
}
PUBLIC_WELFARE = tuple(code for code, o in BY_CODE.items() if o.public_welfare)
ALL_CODES = tuple(sorted(BY_CODE))
LAYOFF_REASONS = ("合同到期不再续签", "业务调整", "经营困难", "停产整顿", "转产", "部门撤并")
CONTRACT_TERMS = (12, 24, 36, 36, 60)


@dataclass(frozen=True)
class Planted:
    """A seeker a generated posting was written for (the bench's ground truth)."""

    posting_id: int
    person_id: int


class JobsGenerator:
    """One per district; :meth:`community` is called for each community, in order."""

    def __init__(self, *, seed: int, district_code: str, today: date, next_id: dict[str, int]):
        self.rng = random.Random(f"jobs:{seed}:{district_code}")
        self.code = district_code
        self.today = today
        self.next_id = next_id
        self.district_id = 0  # the district unit's id, once planned (its rows carry it)
        for kind in (
            "employer",
            "staff",
            "contract",
            "layoff",
            "posting",
            "staff_person",
            "uscc",
            "referral",
            "hire",
            "service",
        ):
            next_id.setdefault(kind, 1)
        # The community being generated: its employers (the first hires most), their names and
        # postings, its committee and the committee's public-welfare posts (row indexes).
        self.hirers: list[int] = []
        self.names: dict[int, str] = {}
        self.postings_of: dict[int, list[int]] = {}
        self.committee = 0
        self.welfare: list[int] = []
        self.latest_report: dict[int, int] = {}  # employer → its latest staff report's row index
        self.hired: dict[int, int] = {}  # employer → linked hires under contract today
        self.stamp = datetime(today.year, today.month, today.day, 9, tzinfo=CST)

    def _id(self, kind: str) -> int:
        value = self.next_id[kind]
        self.next_id[kind] = value + 1
        return value

    # --- employers ------------------------------------------------------------------------

    def _uscc(self, first: str) -> str:
        """A valid code: registration authority and kind, the district's code, a 9-character
        organisation code (a counter here), and the check character (python-stdnum)."""
        body = f"{first}{self.code}{self._id('uscc') + 10_000_000:09d}"
        return body + uscc.calc_check_digit(body)

    def _employer(self, unit: UnitPlan, batch: Batch, name: str, industry: str, first: str) -> int:
        pk = self._id("employer")
        batch.employers.append(
            (pk, self._uscc(first), name, unit.id, industry, self.stamp, self.stamp)
        )
        self.names[pk] = name
        return pk

    def _staff_and_contracts(self, employer: int, batch: Batch, size: int) -> None:
        """Contracts of ``size`` employees signed over the last six years, renewed at expiry
        (about nine in ten), else ended or left to lapse (the employee staying on: the renewal
        rate is about 94%); the staff reported each quarter of the last year (a few more than
        the contracts in force: the signing rate is 95–99%)."""
        rng, today = self.rng, self.today
        in_force = 0
        for _ in range(size):
            region = STAFF_REGIONS[int(rng.random() * len(STAFF_REGIONS))]
            birth = today - timedelta(days=int(rng.uniform(20, 55) * 365.25))
            number = _id_number(region, birth, self._id("staff_person") % 499 * 2 + 1)
            key, masked = checks.employee_key(number), checks.employee_masked(number)
            start = today - timedelta(days=int(rng.random() * 6 * 365))
            term = CONTRACT_TERMS[int(rng.random() * len(CONTRACT_TERMS))]
            events: list[tuple[str, date, int | None]] = [("signed", start, term)]
            ends = retirement.add_months(start, term)
            left = False
            while ends <= today:
                r = rng.random()
                if r < 0.88:
                    events.append(("renewed", ends, term))
                    ends = retirement.add_months(ends, term)
                elif r < 0.94:
                    events.append(("ended", ends, None))
                    left = True
                    break
                else:
                    break  # stays on without a renewal (counted against the renewal rate)
            in_force += 0 if left or ends <= today else 1
            for kind, on, months in events:
                batch.contracts.append(
                    (
                        self._id("contract"),
                        employer,
                        key,
                        masked,
                        None,
                        kind,
                        on,
                        months,
                        self.stamp,
                    )
                )
        staff = in_force + max(0, round(in_force * rng.uniform(0.01, 0.05)))
        for quarter in range(4):
            on = today - timedelta(days=91 * quarter + int(rng.random() * 20))
            count = staff if quarter == 0 else max(0, staff + int(rng.uniform(-0.1, 0.1) * staff))
            if quarter == 0:
                self.latest_report[employer] = len(batch.staff_reports)
            batch.staff_reports.append((self._id("staff"), employer, on, count, self.stamp))
        if rng.random() < 0.04:
            reason = LAYOFF_REASONS[int(rng.random() * len(LAYOFF_REASONS))]
            on = today - timedelta(days=int(rng.random() * 365))
            count = max(1, int(staff * rng.uniform(0.05, 0.3)))
            batch.layoffs.append((self._id("layoff"), employer, on, count, reason, self.stamp))

    # --- a community ----------------------------------------------------------------------

    def community(self, unit: UnitPlan, households: list[HouseholdPlan], batch: Batch) -> None:
        rng = self.rng
        village = unit.level == "village"
        industries = VILLAGE_INDUSTRIES if village and rng.random() < 0.6 else INDUSTRIES
        employers = []
        for _ in range(max(1, round(unit.persons / 250 * rng.uniform(0.6, 1.4)))):
            industry = rng.choice(sorted(industries))
            place = unit.name.removesuffix("社区").removesuffix("村")
            name = f"{place}{industry}{rng.choice(('有限公司', '有限责任公司', '服务中心'))}"
            pk = self._employer(unit, batch, name, industry, "91")
            self._staff_and_contracts(pk, batch, int(rng.uniform(5, 60)))
            employers.append((pk, industry))
        committee = self._employer(
            unit,
            batch,
            unit.name + ("村民委员会" if village else "居民委员会"),
            "公共管理",
            "55",
        )
        self.hirers = [pk for pk, _industry in employers]
        self.postings_of = {}
        self.committee = committee
        self.welfare = []
        seekers = [
            m
            for h in households
            for m in h.members
            if m.role == "labor" and m.final == "unemployed"
        ]
        rng.shuffle(seekers)
        free = list(seekers)
        count = max(1, round(unit.persons / 100 * rng.uniform(0.8, 1.2)))
        for n in range(count):
            if rng.random() < 0.1:
                self._posting(unit, batch, committee, rng.choice(PUBLIC_WELFARE), [], public=True)
                continue
            employer, industry = rng.choice(employers)
            code = rng.choice(sources(industry, industries))
            occupation = BY_CODE[code]
            fits = [m for m in free if _fits(m, occupation, self.today)]
            wanted = 1 if rng.random() < 0.55 else (2 if rng.random() < 0.78 else 3)
            planted = fits[:wanted]
            for member in planted:
                free.remove(member)
                member.job_intent = self._intent(occupation, planted=True)
                member.certificates = self._certificates(occupation, planted=True)
            self._posting(unit, batch, employer, code, planted, public=False, history=n % 9 == 8)
        for member in free:
            if rng.random() < 0.85:
                occupation = BY_CODE[rng.choice(ALL_CODES)]
                member.job_intent = self._intent(occupation, planted=False)
                member.certificates = self._certificates(occupation, planted=False)

    def _intent(self, occupation: Occupation, *, planted: bool) -> str:
        """1–2 words a seeker uses for the work (the occupation's name itself only sometimes);
        a second, unrelated wish now and then."""
        rng = self.rng
        words = list(occupation.words)
        rng.shuffle(words)
        chosen = words[: 1 if rng.random() < 0.6 else 2]
        if rng.random() < 0.2:
            other = BY_CODE[rng.choice(ALL_CODES)]
            chosen.append(rng.choice(other.words))
        return "、".join(dict.fromkeys(chosen))

    def _certificates(self, occupation: Occupation, *, planted: bool) -> str:
        rng = self.rng
        if occupation.certificates and rng.random() < (0.5 if planted else 0.3):
            return occupation.certificates[0]
        return ""

    def _posting(
        self,
        unit: UnitPlan,
        batch: Batch,
        employer: int,
        code: str,
        planted: list[Member],
        *,
        public: bool,
        history: bool = False,
    ) -> None:
        rng, today = self.rng, self.today
        occupation = BY_CODE[code]
        pk = self._id("posting")
        title = rng.choice(occupation.titles)
        skills = list(occupation.skills)
        rng.shuffle(skills)
        skills_text = "、".join(skills[: rng.randint(1, len(skills))])
        with_code = public or rng.random() < 0.75
        # The occupation's usual minimum (the planted seekers reach it), or none.
        education = occupation.education if rng.random() < 0.8 else ""
        low, high = occupation.ages
        if planted:
            ages = [_age(m.birth, today) for m in planted]
            low, high = min(low, *ages), max(high, *ages)
        pay_low = int(occupation.pay[0] * rng.uniform(0.9, 1.1)) // 100 * 100
        pay_high = max(pay_low, int(occupation.pay[1] * rng.uniform(0.9, 1.1)) // 100 * 100)
        pay = (pay_low, pay_high) if rng.random() < 0.85 else (None, None)
        if history:  # closed before today
            opens = today - timedelta(days=rng.randint(120, 400))
            closes: date | None = opens + timedelta(days=rng.randint(30, 90))
        else:
            opens = today - timedelta(days=rng.randint(0, 60))
            closes = today + timedelta(days=rng.randint(10, 90)) if rng.random() < 0.7 else None
        occupation_code = code if with_code else ""
        self.postings_of.setdefault(employer, []).append(pk)
        if public and not history:
            self.welfare.append(len(batch.postings))
        batch.postings.append(
            (
                pk,
                f"GW{self.code}{pk:07d}",
                employer,
                title,
                occupation_code,
                skills_text,
                education,
                low,
                high,
                rng.randint(1, 5),
                *pay,
                unit.id,
                public,
                opens,
                closes,
                0,
                text.posting_terms(title=title, occupation=occupation_code, skills=skills_text),
                self.stamp,
                self.stamp,
            )
        )
        if not history:
            batch.planted.extend(Planted(pk, m.id) for m in planted)

    # --- hires (after the household's histories, before its rows) ---------------------------

    def hires(self, household: HouseholdPlan, staff: list[str], batch: Batch) -> None:
        """The hires behind the household's members' recent jobs: every move from unemployment
        to a unit or a public-welfare post since the start of last year is a hire by one of the
        community's employers (the first employer hires most, so some reach the hiring reward's
        tiers), with a labor contract linked to the person (ended when the job ends) and, for
        half of those registered unemployed before, the referral (职业介绍) that placed them.
        The status event then names the employer. A public-welfare post is the committee's."""
        since = date(self.today.year - 1, 1, 1)
        for member in household.members:
            events = member.events
            for i in range(1, len(events)):
                status, on = events[i][0], events[i][1]
                if status not in ("unit", "public_post") or events[i - 1][0] != "unemployed":
                    continue
                if not since <= on <= self.today:
                    continue
                self._hire(member, i, staff, batch)

    def _hire(self, member: Member, i: int, staff: list[str], batch: Batch) -> None:
        rng, events = self.rng, member.events
        status, on = events[i][0], events[i][1]
        posting: int | None = None
        if status == "public_post":
            employer = self.committee
            posting = self._welfare_vacancy(batch)
        elif self.hirers:
            employer = self.hirers[0] if rng.random() < 0.6 else rng.choice(self.hirers)
        else:
            return
        events[i][3] = self.names[employer]
        referral: int | None = None
        offered = self.postings_of.get(employer, [])
        registered = bool(events[i - 1][2])  # the station refers its registered unemployed
        if posting is None and offered and registered and rng.random() < 0.5:
            posting = rng.choice(offered)
            referral = self._referral(member.id, posting, on, staff, batch)
        batch.hires.append(
            (self._id("hire"), employer, member.id, on, referral, posting, self.stamp)
        )
        key, masked = (
            checks.employee_key(member.id_number),
            checks.employee_masked(member.id_number),
        )
        term = CONTRACT_TERMS[int(rng.random() * len(CONTRACT_TERMS))]
        contract = (employer, key, masked, member.id)
        batch.contracts.append((self._id("contract"), *contract, "signed", on, term, self.stamp))
        left = events[i + 1][1] if i + 1 < len(events) else None
        ends = retirement.add_months(on, term)
        if left is not None and left < ends:
            batch.contracts.append(
                (self._id("contract"), *contract, "ended", left, None, self.stamp)
            )
        elif ends > self.today:
            self.hired[employer] = self.hired.get(employer, 0) + 1

    def staff_with_hires(self, batch: Batch) -> None:
        """After a community's households: the employers' latest staff reports count the
        hired persons still under contract (the committee reports its public-welfare staff)."""
        for employer, count in self.hired.items():
            index = self.latest_report.get(employer)
            if index is None:
                row = (self._id("staff"), employer, self.today, count, self.stamp)
                self.latest_report[employer] = len(batch.staff_reports)
                batch.staff_reports.append(row)
            else:
                row = batch.staff_reports[index]
                batch.staff_reports[index] = (*row[:3], row[3] + count, row[4])
        self.hired = {}

    def _welfare_vacancy(self, batch: Batch) -> int | None:
        """A public-welfare post of the committee with a vacancy left (taking it), if any."""
        for index in self.welfare:
            row = batch.postings[index]
            vacancies, filled = row[9], row[16]
            if filled < vacancies:
                batch.postings[index] = (*row[:16], filled + 1, *row[17:])
                return int(row[0])
        return None

    def _referral(
        self, person: int, posting: int, hired: date, staff: list[str], batch: Batch
    ) -> int:
        """The referral (and its 职业介绍 service record) that placed a person, a few days
        before the hire."""
        on = hired - timedelta(days=int(self.rng.random() * 10) + 1)
        service = self._id("service")
        by = staff[service % len(staff)]
        note = "推荐就业"
        made = datetime(on.year, on.month, on.day, 10, tzinfo=CST)
        batch.services.append(
            (
                service,
                person,
                "referral",
                on,
                by,
                "",
                False,
                False,
                False,
                "",
                None,
                "",
                None,
                note,
                made,
                self.district_id,
            )
        )
        pk = self._id("referral")
        batch.referrals.append((pk, person, posting, service, on, "hired", hired, "", "", made))
        return pk


def sources(industry: str, industries: dict[str, tuple[str, ...]]) -> tuple[str, ...]:
    return industries.get(industry) or INDUSTRIES["人力资源"]


def _age(birth: date, on: date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def _fits(member: Any, occupation: Occupation, today: date) -> bool:
    """A seeker the occupation suits: old enough and not too old for it, schooled enough."""
    age = _age(member.birth, today)
    low, high = occupation.ages
    schooled = checks.education_rank(member.education) >= checks.education_rank(
        occupation.education
    )
    return low <= age <= high and schooled


def _id_number(region: str, birth: date, order: int) -> str:
    from jiuye.demo.generator import id_number

    return id_number(region, birth, order)
