"""Columns derived from an ID number and the retirement cohorts: shared by the services and the
bulk loaders (seed, import) so the two can never disagree."""

from __future__ import annotations

from datetime import date
from typing import Any

from jiuye.lib import idcard, retirement


def person_derived_fields(
    id_number: str, female_base: int | None, *, today: date | None = None
) -> dict[str, Any]:
    """Normalised ID number, birth date, sex, 16th birthday and retirement day."""
    parsed = idcard.parse(id_number, today=today)
    return {
        "id_number": parsed.number,
        "birth_date": parsed.birth_date,
        "sex": parsed.sex.value,
        "work_from": retirement.working_age_from(parsed.birth_date),
        "retire_on": retirement.retirement_date(parsed.birth_date, parsed.sex, female_base),
    }
