"""The checks a service record must pass (DOMAIN §4), stated once: the service, its forms and
the ledger importer call :func:`date_problems` and :func:`detail_problems` and report the same
words.

Details belong to one kind each: a training has a mode and a progress (enrolled → completed →
certified); a survey has an outcome; a complaint its validity; a policy payment a policy name
and an amount. The check is pure: a caller passes what the row or form holds.
"""

from __future__ import annotations

from datetime import date

from jiuye.casework.models import ServiceKind, SurveyOutcome, TrainingMode
from jiuye.lib.problems import DATE_MESSAGES, Param, Problem, make_problem

MESSAGES: dict[str, tuple[str, str]] = {
    **DATE_MESSAGES,
    "training_mode_required": (
        "职业培训须填写培训模式（定岗/订单/定向/其他）",
        "A training needs a mode (定岗/订单/定向/其他)",
    ),
    "training_mode_unknown": ("未知的培训模式：{value}", "Unknown training mode: {value}"),
    "progress_order": (
        "培训进度有误：取证须先结业，结业须先参训",
        "Training progress out of order: certified needs completed, completed needs enrolled",
    ),
    "outcome_required": (
        "满意度测评须填写结果（非常满意/满意/一般/不满意）",
        "A satisfaction survey needs an outcome (非常满意/满意/一般/不满意)",
    ),
    "valid_required": ("投诉须填写结果（有效/无效）", "A complaint needs an outcome (有效/无效)"),
    "outcome_kind": (
        "结果“{label}”不适用于{kind}",
        "The outcome '{label}' does not apply to {kind}",
    ),
    "policy_name_required": ("政策落实须填写政策名称", "A policy payment needs the policy's name"),
    "amount_negative": ("金额不能为负数", "The amount cannot be negative"),
    "not_applicable": ("“{name}”只适用于{kind}", "'{name}' applies to {kind} only"),
    "kind_unknown": ("未知的服务类型：{value}", "Unknown kind of service: {value}"),
    "outcome_unknown": ("未知的测评结果：{value}", "Unknown survey outcome: {value}"),
    "amount_invalid": ("金额无效：{value}", "Invalid amount: {value}"),
}

SERVICE_DATE: Param = ("服务日期", "service date")

# The detail fields of a record, as the workbook and the forms name them.
FIELD_LABELS: dict[str, Param] = {
    "training_mode": ("培训模式", "training mode"),
    "progress": ("培训进度", "training progress"),
    "outcome": ("结果", "outcome"),
    "policy_name": ("政策名称", "policy name"),
    "amount": ("金额", "amount"),
}


def problem(code: str, field: str = "", **params: Param) -> Problem:
    return make_problem(MESSAGES, code, field, **params)


def _kind_label(kind: str) -> Param:
    label = ServiceKind(kind).label
    return (str(label), kind)


def _outcome_label(outcome: str) -> Param:
    if outcome in SurveyOutcome.values:
        return (str(SurveyOutcome(outcome).label), outcome)
    return {"valid": ("有效", "valid"), "invalid": ("无效", "invalid")}.get(
        outcome, (outcome, outcome)
    )


def _not_applicable(field: str, kind: str) -> Problem:
    return problem("not_applicable", field, name=FIELD_LABELS[field], kind=_kind_label(kind))


def date_problems(
    *, on: date, birth_date: date, today: date, what: Param = SERVICE_DATE
) -> list[Problem]:
    """A service (or an assistance step: ``what`` names the date) is dated between the person's
    birth and today."""
    if on < birth_date:
        return [problem("before_birth", "on", what=what)]
    if on > today:
        return [problem("future", "on", what=what, today=today.isoformat())]
    return []


def detail_problems(
    *,
    kind: str,
    training_mode: str = "",
    enrolled: bool = False,
    completed: bool = False,
    certified: bool = False,
    progress_given: bool = False,
    outcome: str = "",
    valid: bool | None = None,
    policy_name: str = "",
    amount_given: bool = False,
    amount_negative: bool = False,
) -> list[Problem]:
    """Each kind's own details present and valid, and no other kind's details given.

    ``outcome`` is a survey outcome; a complaint's outcome is ``valid`` (True/False). A caller
    that holds one outcome cell for both (the workbook's 结果) passes "valid"/"invalid" as
    ``outcome`` only when it could not tell them apart: it is then reported as not applicable.
    """
    if kind not in ServiceKind.values:
        return [problem("kind_unknown", "kind", value=kind)]
    found: list[Problem] = []
    if kind == ServiceKind.TRAINING:
        if not training_mode:
            found.append(problem("training_mode_required", "training_mode"))
        elif training_mode not in TrainingMode.values:
            found.append(problem("training_mode_unknown", "training_mode", value=training_mode))
        if (certified and not completed) or (completed and not enrolled):
            found.append(problem("progress_order", "progress"))
    else:
        if training_mode:
            found.append(_not_applicable("training_mode", kind=ServiceKind.TRAINING))
        if progress_given or enrolled or completed or certified:
            found.append(_not_applicable("progress", kind=ServiceKind.TRAINING))
    if kind == ServiceKind.SURVEY:
        if valid is not None or outcome in ("valid", "invalid"):
            shown = outcome or ("valid" if valid else "invalid")
            found.append(
                problem(
                    "outcome_kind", "outcome", label=_outcome_label(shown), kind=_kind_label(kind)
                )
            )
        elif not outcome:
            found.append(problem("outcome_required", "outcome"))
        elif outcome not in SurveyOutcome.values:
            found.append(problem("outcome_unknown", "outcome", value=outcome))
    elif kind == ServiceKind.COMPLAINT:
        if outcome:
            found.append(
                problem(
                    "outcome_kind", "outcome", label=_outcome_label(outcome), kind=_kind_label(kind)
                )
            )
        elif valid is None:
            found.append(problem("valid_required", "outcome"))
    elif outcome or valid is not None:
        shown = outcome or ("valid" if valid else "invalid")
        found.append(
            problem("outcome_kind", "outcome", label=_outcome_label(shown), kind=_kind_label(kind))
        )
    if kind == ServiceKind.POLICY:
        if not policy_name.strip():
            found.append(problem("policy_name_required", "policy_name"))
        if amount_negative:
            found.append(problem("amount_negative", "amount"))
    else:
        if policy_name:
            found.append(_not_applicable("policy_name", kind=ServiceKind.POLICY))
        if amount_given:
            found.append(_not_applicable("amount", kind=ServiceKind.POLICY))
    return found
