"""What one service record counts for in the aggregates (no database).

- ``ServiceDay`` (per community and day): trainings, three-mode trainings (定岗/订单/定向) and
  valid complaints, for ``training_mode_share`` and ``valid_complaints``;
- ``SurveyFact`` (per survey): the satisfaction surveys ``satisfaction_rate`` may count, those
  answered by a person unemployed on some day up to the survey (see ``models.SurveyFact``).
"""

from __future__ import annotations

from jiuye.casework.models import THREE_MODES, ServiceKind

THREE_MODE_VALUES: frozenset[str] = frozenset(str(m) for m in THREE_MODES)

SERVICE_COLUMNS = ("trainings", "trainings_three_modes", "complaints_valid")
"""The counts of :class:`~jiuye.standards.models.ServiceDay`, in order."""

SERVICE_DAY_KINDS = (str(ServiceKind.TRAINING), str(ServiceKind.COMPLAINT))


def service_contribution(kind: str, training_mode: str, valid: bool | None) -> tuple[int, int, int]:
    """(trainings, three-mode trainings, valid complaints) of one record."""
    if kind == ServiceKind.TRAINING:
        return (1, int(training_mode in THREE_MODE_VALUES), 0)
    if kind == ServiceKind.COMPLAINT:
        return (0, 0, int(bool(valid)))
    return (0, 0, 0)
