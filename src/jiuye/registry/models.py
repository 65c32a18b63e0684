"""Households, persons, dated employment-status events and difficulty recognitions (DOMAIN §3).

Derived columns (``birth_date``, ``sex``, ``work_from``, ``retire_on``, ``current_*`` and
``StatusEvent.until``) are caches written only by ``registry.services`` (and the bulk loaders that
reuse its helpers) so indicators can be computed by plain SQL on both databases.
"""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from jiuye.units.sharding import DistrictForeignKey, DistrictOwned


class HukouType(models.TextChoices):
    URBAN = "urban", _("城镇")
    AGRICULTURAL = "agricultural", _("农业")
    CONVERTED = "converted", _("农转非")


class Sex(models.TextChoices):
    MALE = "M", _("男")
    FEMALE = "F", _("女")


class Status(models.TextChoices):
    UNIT = "unit", _("单位就业")
    FLEXIBLE = "flexible", _("灵活就业")
    SELF = "self", _("自主创业")
    TRANSFER = "transfer", _("转移就业")
    PUBLIC_POST = "public_post", _("公益性岗位")
    FARMING = "farming", _("务农")
    UNEMPLOYED = "unemployed", _("失业")
    STUDENT = "student", _("在校")
    RETIRED = "retired", _("退休")
    OUT = "out", _("其他")


class DifficultyCategory(models.TextChoices):
    C4050 = "4050", _("4050人员")
    DIBAO = "dibao", _("低保")
    DISABLED = "disabled", _("残疾")
    ZERO_FAMILY = "zero_family", _("零就业家庭")
    LONG_TERM = "long_term", _("长期失业")
    LANDLESS = "landless", _("失地农民")
    OTHER = "other", _("其他")


class Household(DistrictOwned):
    number = models.CharField(_("户编号"), max_length=32, unique=True)
    community = models.ForeignKey(
        "units.Unit", on_delete=models.PROTECT, related_name="households", verbose_name=_("社区")
    )
    grid = models.ForeignKey(
        "units.Unit",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("网格"),
    )
    hukou_type = models.CharField(_("户籍性质"), max_length=12, choices=HukouType.choices)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    dibao = models.BooleanField(_("低保户"), default=False)

    JURISDICTION_PATH = "community__path"
    JURISDICTION_GRID_PATH = "grid__path"
    DISTRICT_FROM = "community"

    class Meta:
        ordering = ["number"]
        verbose_name = _("户")
        verbose_name_plural = _("户")
        # Lists go by community, then number (registry.selectors): one community's page reads
        # its first rows from this index instead of filtering the whole number index.
        indexes = [models.Index(fields=["community", "number"])]

    def __str__(self) -> str:
        return self.number


class Person(DistrictOwned):
    id_number = models.CharField(_("公民身份号码"), max_length=18, unique=True)
    name = models.CharField(_("姓名"), max_length=60)
    birth_date = models.DateField(_("出生日期"), editable=False)
    sex = models.CharField(_("性别"), max_length=1, choices=Sex.choices, editable=False)
    household = DistrictForeignKey(
        Household, on_delete=models.PROTECT, related_name="members", verbose_name=_("户")
    )
    relation = models.CharField(_("与户主关系"), max_length=20, blank=True)
    hukou_type = models.CharField(_("户籍性质"), max_length=12, choices=HukouType.choices)
    phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    community = models.ForeignKey(
        "units.Unit", on_delete=models.PROTECT, related_name="persons", verbose_name=_("社区")
    )
    grid = models.ForeignKey(
        "units.Unit",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("网格"),
    )
    able = models.BooleanField(_("劳动能力"), default=True)
    willing = models.BooleanField(_("就业愿望"), default=True)
    female_base = models.PositiveSmallIntegerField(
        _("女性退休基准"), null=True, blank=True, choices=[(50, "50"), (55, "55")]
    )
    education = models.CharField(_("文化程度"), max_length=20, blank=True)
    skill_level = models.CharField(_("技能等级"), max_length=40, blank=True)
    disabled = models.BooleanField(_("残疾"), default=False)
    veteran = models.BooleanField(_("退役军人"), default=False)
    migrant_worker = models.BooleanField(_("农民工"), default=False)
    landless = models.BooleanField(_("失地农民"), default=False)
    poverty_labor = models.BooleanField(_("精准扶贫劳动力"), default=False)
    graduate_year = models.PositiveSmallIntegerField(_("高校毕业年份"), null=True, blank=True)
    # What a job seeker wants and holds (DOMAIN §8, the matching's person side).
    job_intent = models.CharField(
        _("求职意向"), max_length=200, blank=True, default="", db_default=""
    )
    certificates = models.CharField(
        _("技能证书"), max_length=300, blank=True, default="", db_default=""
    )

    # Derived from the ID number and the retirement cohorts (lib.retirement).
    work_from = models.DateField(editable=False)
    retire_on = models.DateField(editable=False)
    # Cache of the latest status event, kept by registry.services.person_change_status.
    current_status = models.CharField(
        _("当前状态"), max_length=12, choices=Status.choices, blank=True, editable=False
    )
    current_since = models.DateField(null=True, blank=True, editable=False)
    current_registered = models.BooleanField(default=False, editable=False)

    JURISDICTION_PATH = "community__path"
    JURISDICTION_GRID_PATH = "grid__path"
    DISTRICT_FROM = "household"

    class Meta:
        ordering = ["id"]
        verbose_name = _("人员")
        verbose_name_plural = _("人员")
        # Lists go by community, then id (registry.selectors): without (community, id) a single
        # community's first page walked the primary key and filtered out every other community.
        indexes = [
            models.Index(fields=["community", "current_status"]),
            models.Index(fields=["community", "id"]),
        ]

    def __str__(self) -> str:
        return self.name


class StatusEvent(DistrictOwned):
    """One employment-status change. ``until`` is the next event's ``since`` (None: still open)."""

    person = DistrictForeignKey(Person, on_delete=models.CASCADE, related_name="status_events")
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices)
    since = models.DateField(_("起始日期"))
    until = models.DateField(null=True, blank=True, editable=False)
    registered = models.BooleanField(_("登记失业"), default=False)
    employer = models.CharField(_("单位或去向"), max_length=200, blank=True)
    cause = models.CharField(_("失业原因"), max_length=200, blank=True)

    JURISDICTION_PATH = "person__community__path"
    JURISDICTION_GRID_PATH = "person__grid__path"
    DISTRICT_FROM = "person"

    class Meta:
        ordering = ["person_id", "since"]
        verbose_name = _("就业状态")
        verbose_name_plural = _("就业状态")
        constraints = [
            models.UniqueConstraint(fields=["person", "since"], name="status_one_per_day"),
            models.CheckConstraint(
                condition=Q(until__isnull=True) | Q(until__gt=F("since")), name="status_until"
            ),
            models.CheckConstraint(
                condition=Q(registered=False) | Q(status="unemployed"),
                name="status_registered_unemployed",
            ),
        ]
        indexes = [
            models.Index(fields=["since", "until"]),
            # The unemployed events alone (a few percent), with what the indicators over them
            # read (registrations of a period, the unemployed at a date, the ten clears'
            # cause): an index-only scan instead of a scan of every event.
            models.Index(
                fields=["since"],
                include=["until", "person", "registered", "status", "cause"],
                condition=Q(status="unemployed"),
                name="status_unemployed_since",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_status_display()} {self.since:%Y-%m-%d}"


class DifficultyRecognition(DistrictOwned):
    person = DistrictForeignKey(Person, on_delete=models.CASCADE, related_name="recognitions")
    category = models.CharField(_("类别"), max_length=12, choices=DifficultyCategory.choices)
    recognized_on = models.DateField(_("认定日期"))
    ended_on = models.DateField(_("退出日期"), null=True, blank=True)
    note = models.CharField(_("备注"), max_length=200, blank=True)

    JURISDICTION_PATH = "person__community__path"
    JURISDICTION_GRID_PATH = "person__grid__path"
    DISTRICT_FROM = "person"

    class Meta:
        ordering = ["person_id", "recognized_on"]
        verbose_name = _("困难认定")
        verbose_name_plural = _("困难认定")
        constraints = [
            models.UniqueConstraint(
                fields=["person", "category", "recognized_on"], name="recognition_unique"
            ),
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=F("recognized_on")),
                name="recognition_end_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_category_display()} {self.recognized_on:%Y-%m-%d}"
