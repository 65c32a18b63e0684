"""The columns of the jobs tables in the order bulk loaders stream them (``jiuye seed``'s
generator and loader): plain tuples, one per row, as ``registry.columns`` states the registry's."""

from __future__ import annotations

EMPLOYER_FIELDS = ("id", "uscc", "name", "unit_id", "industry", "created_at", "updated_at")
STAFF_FIELDS = ("id", "employer_id", "on", "staff", "created_at")
CONTRACT_FIELDS = (
    "id",
    "employer_id",
    "employee_key",
    "employee_masked",
    "person_id",
    "kind",
    "on",
    "term_months",
    "created_at",
)
LAYOFF_FIELDS = ("id", "employer_id", "on", "count", "reason", "created_at")
POSTING_FIELDS = (
    "id",
    "number",
    "employer_id",
    "title",
    "occupation",
    "skills",
    "min_education",
    "age_min",
    "age_max",
    "vacancies",
    "pay_min",
    "pay_max",
    "unit_id",
    "public_welfare",
    "opens_on",
    "closes_on",
    "filled",
    "terms",
    "created_at",
    "updated_at",
)
REFERRAL_FIELDS = (
    "id",
    "person_id",
    "posting_id",
    "service_id",
    "on",
    "outcome",
    "outcome_on",
    "declined_by",
    "outcome_note",
    "created_at",
)
HIRE_FIELDS = ("id", "employer_id", "person_id", "on", "referral_id", "posting_id", "created_at")
