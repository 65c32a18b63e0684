"""The checks employers' data must pass (DOMAIN §8), stated once: the services, the forms, the
API and the workbook importer call these and report the same words (``lib.problems``).

Pure functions over what a form or a row holds; the unit and the registry lookups are the
caller's.
"""

from __future__ import annotations

import re
from datetime import date

from django.utils.crypto import salted_hmac
from stdnum.cn import uscc as stdnum_uscc
from stdnum.exceptions import ValidationError as StdnumError

from jiuye.lib.masking import mask_id_number
from jiuye.lib.problems import DATE_MESSAGES, Param, Problem, make_problem

MESSAGES: dict[str, tuple[str, str]] = {
    **DATE_MESSAGES,
    "uscc_invalid": (
        "统一社会信用代码无效：{value}（应为18位，末位为校验码）",
        "Invalid unified social credit code: {value} (18 characters, the last a check character)",
    ),
    "occupation_invalid": (
        "职业编码无效：{value}（应形如 4-07-05-01，大类为1–8）",
        "Invalid occupation code: {value} (like 4-07-05-01, major group 1–8)",
    ),
    "education_unknown": (
        "未知的学历：{value}（{choices}）",
        "Unknown education: {value} ({choices})",
    ),
    "age_order": ("年龄下限不能高于年龄上限", "The minimum age cannot be above the maximum age"),
    "age_range": ("年龄须在16至70岁之间", "Ages must be between 16 and 70"),
    "pay_order": ("月薪下限不能高于月薪上限", "The minimum pay cannot be above the maximum pay"),
    "dates_order": (
        "截止日期不能早于发布日期",
        "The closing date cannot be before the opening date",
    ),
    "vacancies": ("招聘人数至少为1", "A posting needs at least one vacancy"),
    "count_positive": ("人数至少为1", "The number of persons must be at least 1"),
    "staff_negative": ("职工人数不能为负数", "The staff count cannot be negative"),
    "term_required": (
        "签订或续订劳动合同须填写期限月数（至少1个月）",
        "A signed or renewed contract needs its term in months (at least 1)",
    ),
    "term_not_applicable": (
        "终止劳动合同不填写期限月数",
        "An ended contract has no term",
    ),
    "contract_kind_unknown": (
        "未知的合同事项：{value}（签订/续订/终止）",
        "Unknown contract event: {value} (签订/续订/终止)",
    ),
    "id_number_invalid": ("公民身份号码无效", "Invalid ID number"),
    "reason_required": ("须填写裁员原因", "A layoff needs its reason"),
    "text_required": ("须填写{what}", "{what} is required"),
}

# Education levels, lowest first (the registry's 文化程度 values; 中专/职高/技校 rank with 高中).
EDUCATION_RANK: dict[str, int] = {
    "小学": 1,
    "初中": 2,
    "高中": 3,
    "中专": 3,
    "职高": 3,
    "技校": 3,
    "大专": 4,
    "本科": 5,
    "硕士": 6,
    "博士": 7,
}
EDUCATION_CHOICES = ("初中", "高中", "中专", "大专", "本科", "硕士", "博士")

# Layoff reasons that make a layoff abnormal (DOMAIN §8: 经营困难、停产、破产、转产).
ABNORMAL_REASONS = ("经营困难", "停产", "破产", "转产")

_OCCUPATION_RE = re.compile(r"^[1-8]-\d{2}(-\d{2}(-\d{2})?)?$")
AGE_BOUNDS = (16, 70)


def problem(code: str, field: str = "", **params: Param) -> Problem:
    return make_problem(MESSAGES, code, field, **params)


def normalize_uscc(value: str) -> str:
    return stdnum_uscc.compact(value or "").upper()


def uscc_problems(value: str, field: str = "uscc") -> list[Problem]:
    """GB 32100-2015: 18 characters, the last a check character (python-stdnum)."""
    try:
        stdnum_uscc.validate(value or "")
    except StdnumError:
        return [problem("uscc_invalid", field, value=value or "")]
    return []


def occupation_problems(value: str, field: str = "occupation") -> list[Problem]:
    """The 2022 national occupational classification's code (大类-中类-小类-细类), optional."""
    if value and not _OCCUPATION_RE.match(value):
        return [problem("occupation_invalid", field, value=value)]
    return []


def education_problems(value: str, field: str = "min_education") -> list[Problem]:
    if value and value not in EDUCATION_RANK:
        return [
            problem("education_unknown", field, value=value, choices="/".join(EDUCATION_CHOICES))
        ]
    return []


def education_rank(value: str) -> int:
    """The level of a 文化程度 (0: not given or unknown)."""
    return EDUCATION_RANK.get(value or "", 0)


def posting_problems(
    *,
    title: str,
    occupation: str,
    min_education: str,
    age_min: int | None,
    age_max: int | None,
    vacancies: int | None,
    pay_min: int | None,
    pay_max: int | None,
    opens_on: date,
    closes_on: date | None,
) -> list[Problem]:
    problems: list[Problem] = []
    if not (title or "").strip():
        problems.append(problem("text_required", "title", what=("岗位名称", "the title")))
    problems += occupation_problems(occupation)
    problems += education_problems(min_education)
    for name, age in (("age_min", age_min), ("age_max", age_max)):
        if age is not None and not AGE_BOUNDS[0] <= age <= AGE_BOUNDS[1]:
            problems.append(problem("age_range", name))
    if age_min is not None and age_max is not None and age_min > age_max:
        problems.append(problem("age_order", "age_max"))
    if pay_min is not None and pay_max is not None and pay_min > pay_max:
        problems.append(problem("pay_order", "pay_max"))
    if vacancies is None or vacancies < 1:
        problems.append(problem("vacancies", "vacancies"))
    if closes_on is not None and closes_on < opens_on:
        problems.append(problem("dates_order", "closes_on"))
    return problems


def contract_problems(*, kind: str, term_months: int | None) -> list[Problem]:
    if kind not in ("signed", "renewed", "ended"):
        return [problem("contract_kind_unknown", "kind", value=kind)]
    if kind == "ended":
        return [problem("term_not_applicable", "term_months")] if term_months else []
    if term_months is None or term_months < 1:
        return [problem("term_required", "term_months")]
    return []


def layoff_problems(*, count: int | None, reason: str) -> list[Problem]:
    problems: list[Problem] = []
    if count is None or count < 1:
        problems.append(problem("count_positive", "count"))
    if not (reason or "").strip():
        problems.append(problem("reason_required", "reason"))
    return problems


def is_abnormal(reason: str, words: tuple[str, ...] = ABNORMAL_REASONS) -> bool:
    """Whether a layoff's reason is an abnormal one (经营困难、停产、破产、转产; ``words``: a
    warning rule book's own list)."""
    return any(word in (reason or "") for word in words)


def employee_key(id_number: str) -> str:
    """A keyed digest of an employee's ID number: it pairs one employee's contract events
    without keeping the number (the key is the deployment's SECRET_KEY: keep it stable)."""
    return salted_hmac("jiuye.jobs.employee", id_number.upper(), algorithm="sha256").hexdigest()


def employee_masked(id_number: str) -> str:
    return mask_id_number(id_number.upper())
