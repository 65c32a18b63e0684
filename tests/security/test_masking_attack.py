"""Issue 11, finding 1: from everything a user without reveal sees about a person, at least
1,000 full ID numbers remain possible.

The attack: a worker (no reveal grant) reads each person through every surface that names
them (the API detail and list, the person page, the person list, the household page) and keeps
every masked form shown. The attacker is granted the worst case: the exact birth date (a status
dated on the 16th birthday or the retirement day, age, sex and the retirement base give it, as
the finding showed) and the sex. Then they count the 18-character numbers that are valid
(GB 11643 check digit, a county code in force in the birth year, that birth date, a sequence of
that sex's parity) and agree with every visible character.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from functools import cache
from typing import Any

import pytest
from stdnum.cn import ric

from jiuye.accounts.services import user_create
from jiuye.lib import idcard
from jiuye.registry import services
from jiuye.registry.models import Person, Status
from tests.conftest import make_id

ENOUGH = 1000
MASKED = re.compile(r"[0-9X*]{15,18}")

# Births on awkward days, natives and migrants of several provinces (small and large).
PEOPLE = [
    ("110108", date(1966, 3, 15), True),  # Beijing: retires 2026-07-15
    ("110108", date(2010, 7, 14), False),  # turns 16 on 2026-07-14
    ("120101", date(1975, 2, 28), False),  # Tianjin: few counties
    ("310101", date(1984, 11, 30), False),  # Shanghai
    ("460102", date(1990, 1, 1), True),  # Hainan
    ("540121", date(1980, 6, 15), True),  # Tibet
    ("640121", date(2000, 2, 29), False),  # Ningxia, a leap day
]


@cache
def _in_force(code: str, year: int) -> bool:
    body = f"{code}{year}0101001"
    try:
        idcard.parse(body + ric.calc_check_digit(body + "0"), today=date(2100, 1, 1))
    except idcard.IdNumberError:
        return False
    return True


def _regions(prefix: str, year: int) -> Iterator[str]:
    """The county codes starting with ``prefix`` in force for a birth in ``year`` (lazily: the
    count stops as soon as it has enough)."""
    start = int(prefix.ljust(6, "0"))
    end = int(prefix.ljust(6, "9")) if prefix else 999999
    for number in range(max(start, 110000), min(end, 829999) + 1):
        code = f"{number:06d}"
        if _in_force(code, year):
            yield code


def candidates(masked: str, birth: date, male: bool) -> int:
    """Valid numbers agreeing with the visible characters of ``masked``, the birth date and the
    sex; counting stops at :data:`ENOUGH`."""
    assert len(masked) == 18
    born = birth.strftime("%Y%m%d")
    if any(m not in ("*", b) for m, b in zip(masked[6:14], born, strict=True)):
        return 0
    prefix = ""
    for char in masked[:6]:
        if char == "*":
            break
        prefix += char
    count = 0
    for region in _regions(prefix, birth.year):
        if any(m not in ("*", r) for m, r in zip(masked[:6], region, strict=True)):
            continue
        for order in range(1000):
            if (order % 2 == 1) != male:
                continue
            seq = f"{order:03d}"
            if any(m not in ("*", s) for m, s in zip(masked[14:17], seq, strict=True)):
                continue
            body = region + born + seq
            if masked[17] != "*" and ric.calc_check_digit(body + "0") != masked[17]:
                continue
            count += 1
            if count >= ENOUGH:
                return count
    return count


def _surfaces(client: Any, person: Person) -> list[str]:
    pages = [
        client.get(f"/api/persons/{person.pk}/").content.decode(),
        client.get("/api/persons/?limit=500").content.decode(),
        client.get(f"/persons/{person.pk}/").content.decode(),
        client.get("/persons/").content.decode(),
        client.get(f"/households/{person.household_id}/").content.decode(),
    ]
    return pages


@pytest.fixture
def registry(tree: dict[str, Any]) -> list[tuple[Person, date, bool]]:
    household = services.household_create(
        actor=None, number="H-ATTACK", unit=tree["a"], hukou_type="urban"
    )
    found = []
    for n, (region, birth, male) in enumerate(PEOPLE):
        number = make_id(birth, male=male, region=region)
        person = services.person_create(
            actor=None, id_number=number, name=f"攻击{n}", household=household
        )
        # The statuses that gave the birth date away: on the 16th birthday and the retirement day.
        services.person_change_status(
            actor=None, person=person, status=Status.UNEMPLOYED, since=person.work_from
        )
        if person.retire_on <= date(2026, 12, 1):
            services.person_change_status(
                actor=None, person=person, status=Status.RETIRED, since=person.retire_on
            )
        found.append((person, birth, male))
    return found


def test_every_masked_form_leaves_a_thousand_numbers(client, registry, tree):
    attacker = user_create(
        actor=None,
        username="attacker",
        password="Attack-pass-2026!",
        role="worker",
        units=[tree["a"]],
    )
    assert not attacker.can_reveal
    client.force_login(attacker)
    for person, birth, male in registry:
        shown = set()
        for page in _surfaces(client, person):
            assert person.id_number not in page
            # Every masked form on the page that could be this person's number.
            shown.update(
                m
                for m in MASKED.findall(page)
                if len(m) == 18
                and "*" in m
                and all(c in ("*", d) for c, d in zip(m, person.id_number, strict=True))
            )
        assert shown, "the person's masked number is on the pages"
        for masked in shown:
            assert candidates(masked, birth, male) >= ENOUGH, (person.id_number[:2], masked)


def test_the_old_mask_would_have_failed():
    """The attack is real: the old first-6 + last-4 form leaves only a handful."""
    number = idcard.make("110108", date(1966, 3, 15), 11)
    old = number[:6] + "*" * 8 + number[-4:]
    assert candidates(old, date(1966, 3, 15), True) < 10
