"""Standards (DOMAIN §5–7): certification status, reviewers' checklist ticks, and the incremental
aggregates the indicators are read from.

- :class:`Certification`: a unit certified under a rule set level in a year (what
  ``certified_children_share`` reads; made and revoked by ``jiuye.certification``, which keeps
  the applications, steps and snapshots).
- :class:`ChecklistTick`: what data cannot decide, ticked in three columns: the unit's
  self-assessment (自评), the street's review (初核) and the district's acceptance (验收),
  each with a note and evidence.
- :class:`HouseholdTimeline`, :class:`CommunityTimeline`, :class:`ServiceDay`,
  :class:`SurveyFact`, :class:`AggregateState` and :class:`AggregateSeen`: the per-household
  and per-community aggregates kept up to date as events are written (see
  ``standards.aggregates``). Their
  household and community columns are plain integers, not foreign keys: the aggregates are a
  cache the bulk loaders must not have to know about (a reload marks them stale instead, see
  ``AggregateState``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class Certification(models.Model):
    """A unit certified (认定) under one level of a rule set, for a year; ``revoked_on`` set
    when it lost the title (yearly re-check). Certified on a date D: ``certified_on <= D`` and
    not revoked by then."""

    unit = models.ForeignKey(
        "units.Unit",
        on_delete=models.PROTECT,
        related_name="certifications",
        verbose_name=_("单位"),
    )
    ruleset = models.CharField(_("标准"), max_length=40)
    level = models.CharField(_("层级"), max_length=40)
    year = models.PositiveSmallIntegerField(_("年度"))
    certified_on = models.DateField(_("认定日期"))
    revoked_on = models.DateField(_("撤销日期"), null=True, blank=True)

    JURISDICTION_PATH = "unit__path"

    class Meta:
        ordering = ["unit_id", "-year"]
        verbose_name = _("达标认定")
        verbose_name_plural = _("达标认定")
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "ruleset", "level", "year"], name="certification_once"
            ),
            models.CheckConstraint(
                condition=Q(revoked_on__isnull=True) | Q(revoked_on__gte=F("certified_on")),
                name="certification_revoked_after",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.ruleset}/{self.level} {self.year}"


class TickRole(models.TextChoices):
    """The three columns of DOMAIN §6's score sheet and checklist: the unit's self-assessment
    (自评), the street's review (初核, a community's street) and the acceptance (验收, the
    district; "assessor" is the column that decides)."""

    SELF = "self", _("自评")
    STREET = "street", _("初核")
    ASSESSOR = "assessor", _("验收")


class ChecklistTick(models.Model):
    """One reviewer's answer to one checklist item of a rule set, for a unit and year."""

    unit = models.ForeignKey(
        "units.Unit",
        on_delete=models.CASCADE,
        related_name="checklist_ticks",
        verbose_name=_("单位"),
    )
    ruleset = models.CharField(_("标准"), max_length=40)
    item = models.CharField(_("检查项"), max_length=40)
    year = models.PositiveSmallIntegerField(_("年度"))
    role = models.CharField(_("角色"), max_length=10, choices=TickRole.choices)
    ticked = models.BooleanField(_("符合"), default=False)
    note = models.CharField(_("说明"), max_length=500, blank=True)
    evidence = models.CharField(_("佐证材料"), max_length=500, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("填写人"),
    )
    by_name = models.CharField(_("填写人姓名"), max_length=150, blank=True)
    updated_at = models.DateTimeField(_("填写时间"), auto_now=True)

    JURISDICTION_PATH = "unit__path"

    class Meta:
        ordering = ["unit_id", "ruleset", "item", "role"]
        verbose_name = _("检查项勾选")
        verbose_name_plural = _("检查项勾选")
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "ruleset", "item", "year", "role"], name="checklist_tick_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.ruleset} {self.item} {self.year} {self.role}"


# The counts a household (and, summed, a community) holds from a day on, by the rules of
# ``registry.definitions``. The first nine are over the labor force at that day; the next two
# are CQ-3's (members of an urban dibao household, willing to work or not); the last is DOMAIN
# §3's data quality (of working age, no status in force: able or not). Zero-employment
# families are not among them: every zero-family figure reads ``casework.ZeroFamilyCase`` (the
# one set of episodes, DOMAIN readings of 2026-12, 4).
VECTOR_FIELDS = (
    "labor_force",
    "employed",
    "farming",
    "unemployed",
    "registered",
    "urban_employed",  # urban hukou (城镇 or 农转非) of the *person* (registered_unemployment_rate)
    "urban_registered",
    "difficult",  # recognised employment-difficult that day
    "difficult_employed",
    "pure_farming",  # pure-farming families (a household: 0 or 1)
    "dibao_base",  # CQ-3's base: definitions.in_dibao_base, in an urban dibao household
    "dibao_not_employed",  # among them: definitions.dibao_not_employed
    "status_not_recorded",  # definitions.status_not_recorded (the worklist's per-community count)
)


class _Timeline(models.Model):
    """A piecewise-constant count vector: this row holds from ``valid_from`` up to the day
    before ``valid_until`` (NULL: open-ended). The columns are :data:`VECTOR_FIELDS`."""

    valid_from = models.DateField()
    valid_until = models.DateField(null=True, blank=True)
    labor_force = models.IntegerField(default=0)
    employed = models.IntegerField(default=0)
    farming = models.IntegerField(default=0)
    unemployed = models.IntegerField(default=0)
    registered = models.IntegerField(default=0)
    urban_employed = models.IntegerField(default=0)
    urban_registered = models.IntegerField(default=0)
    difficult = models.IntegerField(default=0)
    difficult_employed = models.IntegerField(default=0)
    pure_farming = models.IntegerField(default=0)
    dibao_base = models.IntegerField(default=0)
    dibao_not_employed = models.IntegerField(default=0)
    status_not_recorded = models.IntegerField(default=0)

    class Meta:
        abstract = True


class HouseholdTimeline(_Timeline):
    """A household's counts over time: one row per change (the per-household aggregate)."""

    household_id = models.BigIntegerField()
    community_id = models.BigIntegerField()
    district_id = models.BigIntegerField()  # the household's (units.sharding)

    class Meta:
        ordering = ["household_id", "valid_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["household_id", "valid_from"], name="household_timeline_once"
            )
        ]
        indexes = [models.Index(fields=["community_id"], name="household_timeline_comm")]

    def __str__(self) -> str:
        return f"household {self.household_id} from {self.valid_from}"


class CommunityTimeline(_Timeline):
    """The sum of a community's household timelines (the per-unit aggregate). Rows may repeat
    the previous row's counts after incremental updates; a rebuild compacts them."""

    community_id = models.BigIntegerField()
    district_id = models.BigIntegerField()  # the community's (units.sharding)

    class Meta:
        ordering = ["community_id", "valid_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["community_id", "valid_from"], name="community_timeline_once"
            )
        ]

    def __str__(self) -> str:
        return f"community {self.community_id} from {self.valid_from}"


class ServiceDay(models.Model):
    """Per community (the person's) and day: the service counts of ``training_mode_share`` and
    ``valid_complaints`` (surveys are :class:`SurveyFact`)."""

    community_id = models.BigIntegerField()
    district_id = models.BigIntegerField()  # the community's (units.sharding)
    day = models.DateField()
    trainings = models.IntegerField(default=0)
    trainings_three_modes = models.IntegerField(default=0)
    complaints_valid = models.IntegerField(default=0)

    class Meta:
        ordering = ["community_id", "day"]
        constraints = [
            models.UniqueConstraint(fields=["community_id", "day"], name="service_day_once")
        ]
        indexes = [models.Index(fields=["day"], name="service_day_day")]

    def __str__(self) -> str:
        return f"community {self.community_id} on {self.day}"


class SurveyFact(models.Model):
    """A satisfaction survey answered by a person who was ``unemployed`` on some day up to it:
    the only surveys ``satisfaction_rate`` can count (HD-C3/S3, 失业人员满意度测评; DOMAIN
    readings of 2026-12, 6). A period [S, D] counts it when ``S <= day <= D`` and the person was
    unemployed on some day of [S, day]: ``unemployed_until`` is NULL (unemployed on the survey's
    day) or later than S (the first day after their last unemployment before the survey).

    Surveys by persons never unemployed up to them have no row. Kept with the household
    timelines (the person's status events) and the service records."""

    record_id = models.BigIntegerField(unique=True)
    person_id = models.BigIntegerField()
    community_id = models.BigIntegerField()  # the person's
    district_id = models.BigIntegerField()  # the person's (units.sharding)
    day = models.DateField()
    satisfied = models.BooleanField()  # very satisfied or satisfied
    unemployed_until = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["community_id", "day"]
        indexes = [
            models.Index(fields=["day"], name="survey_fact_day"),
            models.Index(fields=["person_id"], name="survey_fact_person"),
        ]

    def __str__(self) -> str:
        return f"survey {self.record_id} of community {self.community_id} on {self.day}"


class AggregateState(models.Model):
    """Whether the aggregates can be trusted (one row, id 1; none: not built).

    ``max_*`` are ids of each source table up to which the aggregates have accounted for every
    row (set by a build, a refresh, and :func:`~jiuye.standards.aggregates.state.compact`);
    rows above them must each have an :class:`AggregateSeen` row, written by the upkeep in the
    writer's own transaction: a writer that bypasses the services (a bulk load) leaves rows
    without one, which makes the aggregates stale until ``aggregates_rebuild``. ``audit_id`` is
    the last audit entry at the build: a bulk load that reuses ids (a replaced seed) is found by
    its audit entry. Writers never update this row (it would serialise them all).
    """

    built = models.BooleanField(default=False)
    built_at = models.DateTimeField(null=True, blank=True)
    audit_id = models.BigIntegerField(default=0)
    max_household = models.BigIntegerField(default=0)
    max_person = models.BigIntegerField(default=0)
    max_event = models.BigIntegerField(default=0)
    max_recognition = models.BigIntegerField(default=0)
    max_service = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"aggregates built={self.built} at {self.built_at}"


class AggregateSeen(models.Model):
    """A source row above :class:`AggregateState`'s ``max_*`` that the aggregates have taken
    into account: appended by the upkeep inside the writer's transaction (so it commits, or
    rolls back, with the row), forgotten once the maxima move past it. Appends of different
    writers never wait for each other."""

    source = models.CharField(max_length=12)  # a key of ``aggregates.state.SOURCES``
    row_id = models.BigIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["source", "row_id"], name="aggregate_seen_once")
        ]

    def __str__(self) -> str:
        return f"{self.source} {self.row_id}"
