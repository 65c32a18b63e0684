"""Monitoring (DOMAIN §10): the monthly roll-ups the dashboards and trends read, and the early
warnings (失业风险预警) fired by the rules of ``warning_rules/*.toml``.

- :class:`MonthlyRollup`: per community and month, the counts at the month's last day (the
  standards' community timelines and the zero-family cases) and the services recorded in the
  month, by kind. A unit above is the sum of its communities' rows, read in one query (no row
  shared by two communities' writers). Kept in step with every write (``monitoring.rollups``),
  so a 24-month trend of any unit is one indexed read. Plain integer unit ids, like the
  aggregates they follow.
- :class:`RollupState`: whether the roll-ups are built and which months they hold.
- :class:`EarlyWarning`: one rule of one version fired for one unit and period, at a level
  (III yellow, II orange, I red), with the records behind it; acknowledged, then closed, each
  with a note (audited).
- :class:`WarningRecord`: a person, household, unit or employer behind a warning, with what it
  says in words (never an ID or phone number).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from jiuye.casework.models import ServiceKind
from jiuye.standards.models import VECTOR_FIELDS

# The counts at a month's end: the standards' vector (DOMAIN §5's status counts) and the
# zero-employment families open that day (all, and those of urban hukou, CQ-2).
STOCK_FIELDS = (*VECTOR_FIELDS, "zero_families", "zero_families_urban")
# The services recorded in the month, one column per kind (DOMAIN §4).
SERVICE_FIELDS = tuple(f"svc_{kind}" for kind in ServiceKind.values)
ROLLUP_FIELDS = (*STOCK_FIELDS, *SERVICE_FIELDS)


class MonthlyRollup(models.Model):
    unit_id = models.BigIntegerField()
    month = models.DateField()  # the month's first day

    class Meta:
        ordering = ["unit_id", "month"]
        constraints = [
            models.UniqueConstraint(fields=["unit_id", "month"], name="monthly_rollup_once")
        ]

    def __str__(self) -> str:
        return f"unit {self.unit_id} {self.month:%Y-%m}"


for _field in ROLLUP_FIELDS:
    MonthlyRollup.add_to_class(_field, models.IntegerField(default=0))


class RollupState(models.Model):
    """One row (id 1) once the roll-ups are built: the months they hold, and the build of the
    aggregates they were computed from (another build of those means these are stale)."""

    built_at = models.DateTimeField()
    first_month = models.DateField()
    last_month = models.DateField()
    aggregates_built_at = models.DateTimeField(null=True)

    def __str__(self) -> str:
        return f"roll-ups {self.first_month:%Y-%m}..{self.last_month:%Y-%m}"


class WarningLevel(models.TextChoices):
    """DOMAIN §10: III yellow, II orange, I red (the most severe)."""

    III = "III", _("Ⅲ级（黄色）")
    II = "II", _("Ⅱ级（橙色）")
    I = "I", _("Ⅰ级（红色）")  # noqa: E741


LEVEL_RANK = {WarningLevel.III: 1, WarningLevel.II: 2, WarningLevel.I: 3}


class WarningState(models.TextChoices):
    OPEN = "open", _("待处理")
    ACKNOWLEDGED = "acknowledged", _("已确认")
    CLOSED = "closed", _("已关闭")


class EarlyWarning(models.Model):
    rule_id = models.CharField(_("预警规则"), max_length=40)
    rule_version = models.CharField(_("规则版本"), max_length=20)
    kind = models.CharField(_("类型"), max_length=30)
    unit = models.ForeignKey(
        "units.Unit", on_delete=models.PROTECT, related_name="warnings", verbose_name=_("单位")
    )
    period = models.CharField(_("期间"), max_length=10)  # 2026-11, or 2027 (a re-check year)
    level = models.CharField(_("级别"), max_length=3, choices=WarningLevel.choices)
    state = models.CharField(
        _("状态"), max_length=12, choices=WarningState.choices, default=WarningState.OPEN
    )
    fired_on = models.DateField(_("预警日期"))  # the run's date
    fired_at = models.DateTimeField(_("生成时间"), auto_now_add=True)
    raised_on = models.DateField(_("升级日期"), null=True, blank=True)
    summary = models.CharField(_("说明"), max_length=500)
    facts = models.JSONField(_("数据"), default=dict)
    records_total = models.IntegerField(_("相关记录数"), default=0)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("确认人"),
    )
    acknowledged_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    acknowledged_note = models.CharField(_("确认说明"), max_length=500, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("关闭人"),
    )
    closed_at = models.DateTimeField(_("关闭时间"), null=True, blank=True)
    closed_note = models.CharField(_("关闭说明"), max_length=500, blank=True)

    JURISDICTION_PATH = "unit__path"

    class Meta:
        ordering = ["-fired_on", "-id"]
        verbose_name = _("预警")
        verbose_name_plural = _("预警")
        constraints = [
            models.UniqueConstraint(
                fields=["rule_id", "rule_version", "unit", "period"], name="warning_once"
            )
        ]
        indexes = [models.Index(fields=["state", "fired_on"], name="warning_state")]

    def __str__(self) -> str:
        return f"{self.rule_id}@{self.rule_version} {self.unit_id} {self.period}"


class WarningRecord(models.Model):
    """What lies behind a warning: a person, a household, a unit (a child unit, a certified
    unit's failing criterion) or an employer (its layoffs), with a line in words."""

    warning = models.ForeignKey(EarlyWarning, on_delete=models.CASCADE, related_name="records")
    person = models.ForeignKey(
        "registry.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    household = models.ForeignKey(
        "registry.Household", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    unit = models.ForeignKey(
        "units.Unit", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    employer = models.ForeignKey(
        "jobs.Employer", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    detail = models.CharField(_("说明"), max_length=300)

    class Meta:
        ordering = ["warning_id", "id"]

    def __str__(self) -> str:
        return f"{self.warning_id}: {self.detail}"
