"""The checks a status change or a difficulty recognition must pass, stated once: the forms and
services and the ledger importer call these, and report the same words (DOMAIN §3).

Each check is pure: it takes the facts it needs and returns :class:`~jiuye.lib.problems.Problem`
values. A caller gathers the facts from where they live (the registry for a form; the file merged
with the registry for an import): :class:`RecognitionFacts` is what a recognition check reads.
"""

from __future__ import annotations

from datetime import date
from typing import Protocol

from jiuye.lib.problems import DATE_MESSAGES, Param, Problem, make_problem
from jiuye.registry import definitions
from jiuye.registry.models import DifficultyCategory, Status

MESSAGES: dict[str, tuple[str, str]] = {
    **DATE_MESSAGES,
    "employed_under_16": (
        "{day}未满16周岁，不能登记就业状态（16周岁生日为{birthday}）",
        "Not yet 16 on {day}: an employed status cannot start before the 16th birthday "
        "({birthday})",
    ),
    "registered_not_unemployed": (
        "只有失业状态可以登记失业",
        "Only an unemployed status can be registered",
    ),
    "end_before_start": ("退出日期早于认定日期", "The end date is before the recognition date"),
    "not_4050": (
        "认定日不符合4050条件（女40周岁、男50周岁以上且失业）",
        "On the recognition date the person does not qualify as 4050 (women 40+, men 50+, "
        "unemployed)",
    ),
    "not_dibao": (
        "认定日所在户不是低保户，不能认定为低保类困难人员",
        "The person's household is not a dibao household: cannot be recognised as dibao",
    ),
    "not_disabled": (
        "人员未标记残疾，不能认定为残疾类困难人员",
        "The person is not marked disabled: cannot be recognised as disabled",
    ),
    "not_zero_family": (
        "认定日所在户不是零就业家庭（有成员就业，或无劳动力成员）",
        "On the recognition date the household is not a zero-employment family (a member is "
        "employed, or no member is in the labor force)",
    ),
    "not_long_term": (
        "认定日未连续登记失业满1年（{detail}）",
        "On the recognition date the person has not been registered unemployed for a "
        "continuous year ({detail})",
    ),
    "not_landless": (
        "人员未标记失地农民，不能认定为失地农民类困难人员",
        "The person is not marked as a landless farmer: cannot be recognised as landless",
    ),
    "other_note_required": (
        "类别为“其他”时须在备注中说明认定理由",
        "A recognition of category 'other' needs a note saying why",
    ),
}

STATUS_DATE: Param = ("状态起始日期", "status date")
RECOGNITION_DATE: Param = ("认定日期", "recognition date")


def problem(code: str, field: str = "", **params: Param) -> Problem:
    return make_problem(MESSAGES, code, field, **params)


# ---------------------------------------------------------------------------------------------
# Status changes
# ---------------------------------------------------------------------------------------------


def status_problems(
    *, status: str, since: date, registered: bool, birth_date: date, work_from: date
) -> list[Problem]:
    """A status event (DOMAIN §3): not before birth; an employed status not before the 16th
    birthday (child labour is unlawful); only an unemployed status registered (登记失业)."""
    if since < birth_date:
        return [problem("before_birth", "since", what=STATUS_DATE)]
    if definitions.is_employed(status) and since < work_from:
        return [
            problem(
                "employed_under_16",
                "since",
                day=since.isoformat(),
                birthday=work_from.isoformat(),
            )
        ]
    if registered and status != Status.UNEMPLOYED:
        return [problem("registered_not_unemployed", "registered")]
    return []


# ---------------------------------------------------------------------------------------------
# Difficulty recognitions
# ---------------------------------------------------------------------------------------------


class RecognitionFacts(Protocol):
    """What the registry says about a person on a recognition date (read lazily: only the
    category's own fact is asked for)."""

    @property
    def sex(self) -> str: ...
    @property
    def birth_date(self) -> date: ...
    @property
    def status(self) -> str | None: ...  # the status in force that day (None: unknown)
    @property
    def registered_since(self) -> date | None: ...  # start of the registration in force
    @property
    def household_dibao(self) -> bool: ...
    @property
    def disabled(self) -> bool: ...
    @property
    def landless(self) -> bool: ...
    @property
    def household_zero(self) -> bool: ...  # the household is a zero family that day


def category_problem(category: str, on: date, note: str, facts: RecognitionFacts) -> Problem | None:
    """Does the registry bear out ``category`` on ``on`` (DOMAIN §3)? Each category has its
    test; a contradiction is refused with its reason."""
    cat = DifficultyCategory(category)
    if cat == DifficultyCategory.C4050:
        if not definitions.is_4050(
            sex=facts.sex, birth_date=facts.birth_date, status=facts.status, on=on
        ):
            return problem("not_4050", "category")
    elif cat == DifficultyCategory.DIBAO:
        if not facts.household_dibao:
            return problem("not_dibao", "category")
    elif cat == DifficultyCategory.DISABLED:
        if not facts.disabled:
            return problem("not_disabled", "category")
    elif cat == DifficultyCategory.ZERO_FAMILY:
        if not facts.household_zero:
            return problem("not_zero_family", "category")
    elif cat == DifficultyCategory.LONG_TERM:
        start = facts.registered_since
        if start is None or not definitions.is_long_term(start, on):
            detail: Param = ("当日未登记失业", "not registered that day")
            if start is not None:
                detail = (
                    f"自{start.isoformat()}起登记失业，满1年为"
                    f"{definitions.long_term_from(start).isoformat()}",
                    f"registered since {start.isoformat()}, a year on "
                    f"{definitions.long_term_from(start).isoformat()}",
                )
            return problem("not_long_term", "category", detail=detail)
    elif cat == DifficultyCategory.LANDLESS:
        if not facts.landless:
            return problem("not_landless", "category")
    elif cat == DifficultyCategory.OTHER and not note.strip():
        return problem("other_note_required", "note")
    return None


def end_problems(*, recognized_on: date, ended_on: date | None) -> list[Problem]:
    """A recognition ends on or after the day it was made (退出日期不早于认定日期)."""
    if ended_on is not None and ended_on < recognized_on:
        return [problem("end_before_start", "ended_on")]
    return []


def recognition_problems(
    *,
    category: str,
    recognized_on: date,
    ended_on: date | None,
    note: str,
    facts: RecognitionFacts,
) -> list[Problem]:
    """A recognition (认定): its dates in order, not before birth, and its category borne out
    by the registry on the recognition date."""
    ends = end_problems(recognized_on=recognized_on, ended_on=ended_on)
    if ends:
        return ends
    if recognized_on < facts.birth_date:
        return [problem("before_birth", "recognized_on", what=RECOGNITION_DATE)]
    found = category_problem(category, recognized_on, note, facts)
    return [found] if found is not None else []
