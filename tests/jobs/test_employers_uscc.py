"""The unified social credit code (GB 32100-2015) as the employers' forms, services and API
take it: normalised (spaces, lower case), its check character verified, never registered twice."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError

from jiuye.jobs import checks, services
from tests.jobs.fixtures_employers import make_uscc

VALID = make_uscc(4242)
# The same body with every other check character.
WRONG_CHECK = VALID[:-1] + ("0" if VALID[-1] != "0" else "1")


@pytest.mark.parametrize(
    ("raw", "normalised", "valid"),
    [
        (VALID, VALID, True),
        ("91350100M000100Y43", "91350100M000100Y43", True),  # python-stdnum's own example
        (VALID.lower(), VALID, True),
        (f" {VALID[:6]} {VALID[6:]} ", VALID, True),
        ("９" + VALID[1:].lower(), VALID, True),  # typed with a Chinese IME: full width
        (WRONG_CHECK, WRONG_CHECK, False),
        (VALID[:-1], VALID[:-1], False),  # 17 characters
        (VALID + "1", VALID + "1", False),  # 19 characters
        ("", "", False),
        ("ABCDEFGH1234567890", "ABCDEFGH1234567890", False),  # the first 8 must be digits
        ("91110108MA0000001I", "91110108MA0000001I", False),  # I is not in the alphabet
    ],
)
def test_uscc_table(raw: str, normalised: str, valid: bool) -> None:
    assert checks.normalize_uscc(raw) == normalised
    problems = checks.uscc_problems(checks.normalize_uscc(raw))
    assert (not problems) is valid
    if not valid:
        assert problems[0].code == "uscc_invalid" and problems[0].field == "uscc"


@pytest.mark.parametrize("raw", [WRONG_CHECK, VALID[:-1], "", "x" * 18, "\x00" + VALID[1:]])
def test_service_refuses_invalid_codes(tree: dict[str, Any], raw: str) -> None:
    with pytest.raises(ValidationError) as caught:
        services.employer_create(actor=None, uscc=raw, name="某公司", unit=tree["a"])
    assert caught.value.code == "uscc_invalid"


def test_service_normalises_and_refuses_a_duplicate(tree: dict[str, Any]) -> None:
    made = services.employer_create(
        actor=None, uscc=f" {VALID.lower()} ", name=" 某公司 ", unit=tree["a"]
    )
    assert made.uscc == VALID and made.name == "某公司"
    for again in (VALID, VALID.lower(), f"{VALID[:9]} {VALID[9:]}"):
        with pytest.raises(ValidationError) as caught:
            services.employer_create(actor=None, uscc=again, name="另一家", unit=tree["b"])
        assert caught.value.code == "uscc_taken"
