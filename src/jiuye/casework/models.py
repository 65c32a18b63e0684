"""Casework (DOMAIN §4): service records, the assistance workflow, zero-family cases and the
"ten clears" profile of the unemployed.

Every row hangs off a person or a household and declares the jurisdiction lookups, so every read
goes through ``units.scope.scope_to_jurisdiction``. Every write is in ``casework.services``.
"""

from __future__ import annotations

from datetime import date
from typing import Any, ClassVar, Self, cast

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from jiuye.registry import definitions
from jiuye.units.sharding import (
    DistrictForeignKey,
    DistrictOneToOneField,
    DistrictOwned,
    DistrictQuerySet,
)


class ServiceKind(models.TextChoices):
    GUIDANCE = "guidance", _("职业指导")
    REFERRAL = "referral", _("职业介绍")
    TRAINING = "training", _("职业培训")
    VISIT = "visit", _("走访")
    CONTACT = "contact", _("电话联系")
    ASSISTANCE = "assistance", _("就业援助")
    POLICY = "policy", _("政策落实")
    STARTUP = "startup", _("创业服务")
    SURVEY = "survey", _("满意度测评")
    COMPLAINT = "complaint", _("投诉")


class TrainingMode(models.TextChoices):
    POST = "post", _("定岗")
    ORDER = "order", _("订单")
    DIRECTED = "directed", _("定向")
    OTHER = "other", _("其他")


# The three modes of HD-Q3's training_mode_share (定岗/订单/定向培训).
THREE_MODES = frozenset({TrainingMode.POST, TrainingMode.ORDER, TrainingMode.DIRECTED})


class SurveyOutcome(models.TextChoices):
    VERY_SATISFIED = "very_satisfied", _("非常满意")
    SATISFIED = "satisfied", _("满意")
    NEUTRAL = "neutral", _("一般")
    DISSATISFIED = "dissatisfied", _("不满意")


# The survey outcomes counted as satisfied (非常满意, 满意: DOMAIN §5 ``satisfaction_rate``).
SATISFIED_OUTCOMES = frozenset({SurveyOutcome.VERY_SATISFIED, SurveyOutcome.SATISFIED})


class ServiceRecord(DistrictOwned):
    """One dated service to one person, by a user (``by`` is empty for imported rows, which keep
    the recorder's name in ``by_name``). The ledgers of training (就业再就业培训台账), services
    (就业服务台账: guidance and referral) and policy implementation (政策落实台账) are views of it.
    """

    person = DistrictForeignKey(
        "registry.Person",
        on_delete=models.CASCADE,
        related_name="service_records",
        verbose_name=_("人员"),
    )
    kind = models.CharField(_("服务类型"), max_length=12, choices=ServiceKind.choices)
    on = models.DateField(_("服务日期"))
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("经办人"),
    )
    by_name = models.CharField(_("经办人姓名"), max_length=60, blank=True)
    # Training (职业培训) only.
    training_mode = models.CharField(
        _("培训模式"), max_length=10, choices=TrainingMode.choices, blank=True
    )
    enrolled = models.BooleanField(_("已参训"), default=False)
    completed = models.BooleanField(_("已结业"), default=False)
    certified = models.BooleanField(_("已取证"), default=False)
    # Satisfaction survey (满意度测评) only.
    outcome = models.CharField(
        _("测评结果"), max_length=16, choices=SurveyOutcome.choices, blank=True
    )
    # Complaint (投诉) only.
    valid = models.BooleanField(_("有效投诉"), null=True, blank=True)
    # Policy payment (政策落实) only.
    policy_name = models.CharField(_("政策名称"), max_length=100, blank=True)
    amount = models.DecimalField(
        _("金额（元）"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    note = models.CharField(_("备注"), max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    JURISDICTION_PATH = "person__community__path"
    DISTRICT_FROM = "person"
    JURISDICTION_GRID_PATH = "person__grid__path"

    class Meta:
        ordering = ["-on", "-id"]
        verbose_name = _("服务记录")
        verbose_name_plural = _("服务记录")
        indexes = [
            models.Index(fields=["person", "kind", "on"], name="service_person_kind_on"),
            # A kind's records of a period (the assistance services' presence per community).
            models.Index(fields=["kind", "on"], include=["person"], name="service_kind_on"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="training")
                | (
                    Q(training_mode="")
                    & Q(enrolled=False)
                    & Q(completed=False)
                    & Q(certified=False)
                ),
                name="service_training_fields",
            ),
            models.CheckConstraint(
                condition=(Q(certified=False) | Q(completed=True))
                & (Q(completed=False) | Q(enrolled=True)),
                name="service_training_progress",
            ),
            models.CheckConstraint(
                condition=Q(kind="survey") | Q(outcome=""), name="service_outcome_survey"
            ),
            models.CheckConstraint(
                condition=Q(kind="complaint") | Q(valid__isnull=True),
                name="service_valid_complaint",
            ),
            models.CheckConstraint(
                condition=Q(kind="policy") | (Q(amount__isnull=True) & Q(policy_name="")),
                name="service_policy_fields",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.on.isoformat()}"


class AssistanceStepKind(models.TextChoices):
    """The five steps of the assistance workflow (004), in order."""

    APPLICATION = "application", _("申请援助")
    VERIFICATION = "verification", _("情况核实")
    COMMITMENT = "commitment", _("承诺服务")
    PLACEMENT = "placement", _("援助上岗")
    FOLLOWUP = "followup", _("跟踪回访")


STEP_ORDER: tuple[AssistanceStepKind, ...] = tuple(AssistanceStepKind)


class AssistanceCase(models.Model):
    """One application for employment assistance (就业援助) and its progress.

    ``placement_due`` is set when the commitment is recorded for a recognised difficult person who
    accepts any suitable post (不挑不拣): placement within 2 working days (004).
    """

    person = models.ForeignKey(
        "registry.Person",
        on_delete=models.CASCADE,
        related_name="assistance_cases",
        verbose_name=_("人员"),
    )
    opened_on = models.DateField(_("申请日期"))
    accepts_any_post = models.BooleanField(_("不挑不拣"), default=False)
    step = models.CharField(_("当前环节"), max_length=14, choices=AssistanceStepKind.choices)
    placement_due = models.DateField(_("上岗期限"), null=True, blank=True)
    closed_on = models.DateField(_("结案日期"), null=True, blank=True)

    JURISDICTION_PATH = "person__community__path"
    JURISDICTION_GRID_PATH = "person__grid__path"

    class Meta:
        ordering = ["-opened_on", "-id"]
        verbose_name = _("就业援助")
        verbose_name_plural = _("就业援助")
        indexes = [models.Index(fields=["person", "closed_on"], name="assist_person_closed")]

    def __str__(self) -> str:
        return f"{self.person_id} {self.opened_on.isoformat()}"

    @property
    def next_step(self) -> AssistanceStepKind | None:
        index = STEP_ORDER.index(AssistanceStepKind(self.step))
        return STEP_ORDER[index + 1] if index + 1 < len(STEP_ORDER) else None


class AssistanceStep(models.Model):
    case = models.ForeignKey(AssistanceCase, on_delete=models.CASCADE, related_name="steps")
    kind = models.CharField(_("环节"), max_length=14, choices=AssistanceStepKind.choices)
    on = models.DateField(_("日期"))
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("经办人"),
    )
    by_name = models.CharField(_("经办人姓名"), max_length=60, blank=True)
    employer = models.CharField(_("上岗单位或岗位"), max_length=200, blank=True)
    note = models.CharField(_("备注"), max_length=500, blank=True)

    JURISDICTION_PATH = "case__person__community__path"
    JURISDICTION_GRID_PATH = "case__person__grid__path"

    class Meta:
        ordering = ["case_id", "on", "id"]
        verbose_name = _("援助环节")
        verbose_name_plural = _("援助环节")
        constraints = [models.UniqueConstraint(fields=["case", "kind"], name="assist_step_once")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.on.isoformat()}"


class ZeroFamilyStanding(models.TextChoices):
    """A case's standing on a date, derived from its dates (:meth:`ZeroFamilyCase.standing_on`)."""

    NOT_YET = "not_yet", _("尚未出现")
    OPEN = "open", _("未消除")
    CLOSED = "closed", _("已结案")


class ZeroFamilyCloseReason(models.TextChoices):
    EMPLOYED = "employed", _("成员实现就业")
    NO_LABOR_FORCE = "no_labor_force", _("无劳动力成员")


class ZeroFamilyCaseQuerySet(DistrictQuerySet):
    """The cases read as of a date (DOMAIN, readings of 2026-12, 4): a case is open on D iff
    ``emerged_on <= D`` and (``eliminated_on`` is NULL or ``eliminated_on > D``), the ORM form
    of ``definitions.Episode.open_on``."""

    def open_on(self, day: date) -> Self:
        return self.filter(definitions.episode_open_q(day))

    def of_period(self, start: date, on: date) -> Self:
        """Open on ``on`` or on some day of [start, on], or ended in it (a CQ-2 item each)."""
        return self.filter(definitions.episode_overlaps_q(start, on))

    def urban(self) -> Self:
        """Of urban-hukou households (城镇 and 农转非): the ones every CQ-2 figure counts."""
        return self.filter(definitions.urban_q("household__hukou_type"))


class ZeroFamilyCase(DistrictOwned):
    """One episode of a household being a zero-employment family (零就业家庭): the rows ARE the
    episodes of ``definitions.zero_family_episodes`` (everything recorded, so an end the
    calendar decides, the last labor-force member's retirement day, is already dated, possibly
    after today). Kept by ``services.zero_family_sync``; every household has them (HD and QG
    count all; CQ-2 counts urban ones only). Whether a case is open is read as of a date
    (:meth:`open_on`); the grid coordinator it is assigned to is the one stored state."""

    household = DistrictForeignKey(
        "registry.Household",
        on_delete=models.CASCADE,
        related_name="zero_family_cases",
        verbose_name=_("户"),
    )
    emerged_on = models.DateField(_("出现日期"))
    eliminated_on = models.DateField(_("消除日期"), null=True, blank=True)
    close_reason = models.CharField(
        _("结案原因"), max_length=16, choices=ZeroFamilyCloseReason.choices, blank=True
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("责任协管员"),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects: ClassVar[Any] = ZeroFamilyCaseQuerySet.as_manager()

    JURISDICTION_PATH = "household__community__path"
    DISTRICT_FROM = "household"
    JURISDICTION_GRID_PATH = "household__grid__path"

    class Meta:
        ordering = ["-emerged_on", "-id"]
        verbose_name = _("零就业家庭")
        verbose_name_plural = _("零就业家庭")
        constraints = [
            models.UniqueConstraint(fields=["household", "emerged_on"], name="zero_case_once"),
            models.CheckConstraint(
                condition=Q(eliminated_on__isnull=True, close_reason="")
                | Q(eliminated_on__gt=F("emerged_on")) & ~Q(close_reason=""),
                name="zero_case_end",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.household_id} {self.emerged_on.isoformat()}"

    @property
    def episode(self) -> definitions.Episode:
        reason = cast(definitions.EndReason | None, self.close_reason or None)
        return definitions.Episode(self.emerged_on, self.eliminated_on, reason)

    def open_on(self, day: date) -> bool:
        return self.episode.open_on(day)

    def standing_on(self, day: date) -> ZeroFamilyStanding:
        if self.emerged_on > day:
            return ZeroFamilyStanding.NOT_YET
        return ZeroFamilyStanding.OPEN if self.open_on(day) else ZeroFamilyStanding.CLOSED

    @property
    def due_on(self) -> date:
        """CQ-2: to be eliminated within one month of emerging."""
        return definitions.zero_family_due(self.emerged_on)


class UnemployedProfile(DistrictOwned):
    """The ten-clears fields (十清) the registry does not hold, one row per person.

    Duration and cause come from the status history, employment desire and skill level from the
    person; see ``casework.tenclears`` for where each field is read.
    """

    person = DistrictOneToOneField(
        "registry.Person",
        on_delete=models.CASCADE,
        related_name="unemployed_profile",
        verbose_name=_("人员"),
    )
    family_situation = models.CharField(_("家庭状况"), max_length=300, blank=True)
    training_need = models.CharField(_("培训要求"), max_length=300, blank=True)
    destination = models.CharField(_("就业去向"), max_length=300, blank=True)
    policies = models.CharField(_("政策享受"), max_length=300, blank=True)
    social_insurance = models.CharField(_("社会保险关系"), max_length=300, blank=True)
    updated_on = models.DateField(_("更新日期"), null=True, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("更新人"),
    )

    JURISDICTION_PATH = "person__community__path"
    DISTRICT_FROM = "person"
    JURISDICTION_GRID_PATH = "person__grid__path"

    class Meta:
        verbose_name = _("十清信息")
        verbose_name_plural = _("十清信息")

    def __str__(self) -> str:
        return str(self.person_id)


class DeadlineStore(models.Model):
    """One day whose deadline items are stored (``deadlines.store``): building until
    ``ready``, then kept in line with every write of that day."""

    as_of = models.DateField(unique=True)
    period_start = models.DateField()
    ready = models.BooleanField(default=False)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True)

    class Meta:
        verbose_name = _("期限事项快照")
        verbose_name_plural = _("期限事项快照")

    def __str__(self) -> str:
        return f"{self.as_of.isoformat()}{'' if self.ready else ' …'}"


class DeadlineItem(models.Model):
    """One deadline item of a stored day: the columns of ``deadlines.queries.COLUMNS`` but the
    name and state (read on), with ``home_id``, the household it belongs to (a person's
    household, or the household of a household item), by which writes refresh it."""

    as_of = models.DateField()
    rule_id = models.CharField(max_length=16)
    person_id = models.IntegerField(null=True)
    household_id = models.IntegerField(null=True)
    case_id = models.IntegerField(null=True)
    due = models.DateField()
    done_on = models.DateField(null=True)
    actionable = models.SmallIntegerField()
    day = models.DateField(null=True)
    n = models.IntegerField(null=True)
    home_id = models.IntegerField()
    # Unconstrained keys: the rows are derived, refreshed with their household's writes.
    community = models.ForeignKey(
        "units.Unit", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    grid = models.ForeignKey(
        "units.Unit", null=True, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )

    JURISDICTION_PATH = "community__path"
    JURISDICTION_GRID_PATH = "grid__path"

    class Meta:
        indexes = [
            models.Index(fields=["as_of", "community", "rule_id"], name="deadline_item_unit"),
            models.Index(fields=["as_of", "grid"], name="deadline_item_grid"),
            models.Index(fields=["as_of", "home_id"], name="deadline_item_home"),
        ]

    def __str__(self) -> str:
        return f"{self.rule_id} {self.due.isoformat()}"
