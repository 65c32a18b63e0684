"""Employers and jobs (DOMAIN §8).

- :class:`Employer` (用人单位): its unified social credit code, located in a community or village
  (the unit whose station keeps it), with its dated reports: :class:`StaffReport` (staff count),
  :class:`ContractEvent` (labor contracts signed / renewed / ended), :class:`Hire` and
  :class:`Layoff` (裁员).
- :class:`Posting` (岗位), including public-welfare posts (公益性岗位, offered only to recognised
  difficult persons), open from ``opens_on`` to ``closes_on``; ``filled`` counts the hires made
  through referrals to it, never more than its vacancies.
- :class:`Referral` (职业介绍 naming a posting): its service record, and its outcome.

A contract names its employee by a keyed digest of the ID number (``employee_key``, see
``jobs.checks.employee_key``): an employer's staff live anywhere, and the station keeps no full ID
number of a person outside its registry. When the number is in the registry the row also links
the person.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class Employer(models.Model):
    uscc = models.CharField(_("统一社会信用代码"), max_length=18, unique=True)
    name = models.CharField(_("名称"), max_length=200)
    unit = models.ForeignKey(
        "units.Unit",
        on_delete=models.PROTECT,
        related_name="employers",
        verbose_name=_("所在社区"),
    )
    industry = models.CharField(_("行业"), max_length=60, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    JURISDICTION_PATH = "unit__path"

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("用人单位")
        verbose_name_plural = _("用人单位")
        indexes = [models.Index(fields=["unit", "name"], name="employer_unit_name")]

    def __str__(self) -> str:
        return self.name


class StaffReport(models.Model):
    """The employer's staff count as reported on a date (职工人数)."""

    employer = models.ForeignKey(Employer, on_delete=models.CASCADE, related_name="staff_reports")
    on = models.DateField(_("报告日期"))
    staff = models.PositiveIntegerField(_("职工人数"))
    created_at = models.DateTimeField(auto_now_add=True)

    JURISDICTION_PATH = "employer__unit__path"

    class Meta:
        ordering = ["-on", "-id"]
        verbose_name = _("职工人数报告")
        verbose_name_plural = _("职工人数报告")
        constraints = [
            models.UniqueConstraint(fields=["employer", "on"], name="staff_report_one_per_day")
        ]

    def __str__(self) -> str:
        return f"{self.employer} {self.on}: {self.staff}"


class ContractKind(models.TextChoices):
    SIGNED = "signed", _("签订")
    RENEWED = "renewed", _("续订")
    ENDED = "ended", _("终止")


class ContractEvent(models.Model):
    """One reported event of a labor contract between an employer and an employee: signed
    (with its term in months, from ``on``), renewed (a new term from ``on``) or ended."""

    employer = models.ForeignKey(Employer, on_delete=models.CASCADE, related_name="contracts")
    employee_key = models.CharField(max_length=64)
    employee_masked = models.CharField(_("公民身份号码"), max_length=18, blank=True)
    person = models.ForeignKey(
        "registry.Person",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="contracts",
        verbose_name=_("人员"),
    )
    kind = models.CharField(_("事项"), max_length=8, choices=ContractKind.choices)
    on = models.DateField(_("日期"))
    term_months = models.PositiveSmallIntegerField(_("期限月数"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    JURISDICTION_PATH = "employer__unit__path"

    class Meta:
        ordering = ["employer", "employee_key", "on", "id"]
        verbose_name = _("劳动合同")
        verbose_name_plural = _("劳动合同")
        constraints = [
            models.UniqueConstraint(
                fields=["employer", "employee_key", "on"], name="contract_one_event_per_day"
            ),
            # A signed or renewed contract has a term; an ending has none.
            models.CheckConstraint(
                condition=(Q(kind="ended") & Q(term_months__isnull=True))
                | (~Q(kind="ended") & Q(term_months__gte=1)),
                name="contract_term_by_kind",
            ),
        ]
        indexes = [models.Index(fields=["on"], name="contract_on")]

    def __str__(self) -> str:
        return f"{self.employer} {self.employee_masked} {self.kind} {self.on}"


class Layoff(models.Model):
    """A layoff (裁员) reported by an employer: date, number of persons, reason."""

    employer = models.ForeignKey(Employer, on_delete=models.CASCADE, related_name="layoffs")
    on = models.DateField(_("日期"))
    count = models.PositiveIntegerField(_("人数"))
    reason = models.CharField(_("原因"), max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    JURISDICTION_PATH = "employer__unit__path"

    class Meta:
        ordering = ["-on", "-id"]
        verbose_name = _("裁员")
        verbose_name_plural = _("裁员")
        constraints = [
            models.CheckConstraint(condition=Q(count__gte=1), name="layoff_count_positive"),
            models.UniqueConstraint(
                fields=["employer", "on", "reason"], name="layoff_one_per_day_reason"
            ),
        ]
        indexes = [models.Index(fields=["on"], name="layoff_on")]

    def __str__(self) -> str:
        return f"{self.employer} {self.on}: {self.count}"


class Posting(models.Model):
    """A job posting (岗位) of an employer, or a public-welfare post (公益性岗位)."""

    number = models.CharField(_("岗位编号"), max_length=32, unique=True)
    employer = models.ForeignKey(Employer, on_delete=models.PROTECT, related_name="postings")
    title = models.CharField(_("岗位名称"), max_length=100)
    occupation = models.CharField(_("职业编码"), max_length=11, blank=True)
    skills = models.CharField(_("技能要求"), max_length=500, blank=True)
    min_education = models.CharField(_("学历要求"), max_length=8, blank=True)
    age_min = models.PositiveSmallIntegerField(_("年龄下限"), null=True, blank=True)
    age_max = models.PositiveSmallIntegerField(_("年龄上限"), null=True, blank=True)
    vacancies = models.PositiveIntegerField(_("招聘人数"))
    pay_min = models.PositiveIntegerField(_("月薪下限"), null=True, blank=True)
    pay_max = models.PositiveIntegerField(_("月薪上限"), null=True, blank=True)
    unit = models.ForeignKey(
        "units.Unit",
        on_delete=models.PROTECT,
        related_name="postings",
        verbose_name=_("工作地点"),
    )
    public_welfare = models.BooleanField(_("公益性岗位"), default=False)
    opens_on = models.DateField(_("发布日期"))
    closes_on = models.DateField(_("截止日期"), null=True, blank=True)
    # Hires made through referrals to this posting (never more than the vacancies).
    filled = models.PositiveIntegerField(_("已录用"), default=0, editable=False)
    # The words of title, occupation and skills as the matcher segments them (jobs.matching).
    terms = models.TextField(blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    JURISDICTION_PATH = "unit__path"

    class Meta:
        ordering = ["-opens_on", "-id"]
        verbose_name = _("岗位")
        verbose_name_plural = _("岗位")
        constraints = [
            models.CheckConstraint(condition=Q(vacancies__gte=1), name="posting_vacancies"),
            models.CheckConstraint(
                condition=Q(filled__lte=F("vacancies")), name="posting_filled_le_vacancies"
            ),
            models.CheckConstraint(
                condition=Q(closes_on__isnull=True) | Q(closes_on__gte=F("opens_on")),
                name="posting_dates_order",
            ),
            models.CheckConstraint(
                condition=Q(age_min__isnull=True)
                | Q(age_max__isnull=True)
                | Q(age_max__gte=F("age_min")),
                name="posting_age_order",
            ),
            models.CheckConstraint(
                condition=Q(pay_min__isnull=True)
                | Q(pay_max__isnull=True)
                | Q(pay_max__gte=F("pay_min")),
                name="posting_pay_order",
            ),
        ]
        indexes = [
            models.Index(fields=["opens_on", "closes_on"], name="posting_open_dates"),
            models.Index(fields=["unit", "opens_on"], name="posting_unit_opens"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"


class ReferralOutcome(models.TextChoices):
    PENDING = "pending", _("待反馈")
    INTERVIEWED = "interviewed", _("已面试")
    HIRED = "hired", _("已录用")
    DECLINED = "declined", _("未录用")


class DeclinedBy(models.TextChoices):
    PERSON = "person", _("本人放弃")
    EMPLOYER = "employer", _("单位未录用")


class Referral(models.Model):
    """A referral (职业介绍) of a person to a posting: the referral's service record, and its
    outcome (interviewed, hired, declined and why)."""

    person = models.ForeignKey(
        "registry.Person", on_delete=models.CASCADE, related_name="referrals"
    )
    posting = models.ForeignKey(Posting, on_delete=models.PROTECT, related_name="referrals")
    service = models.OneToOneField(
        "casework.ServiceRecord",
        on_delete=models.CASCADE,
        related_name="referral",
        verbose_name=_("服务记录"),
    )
    on = models.DateField(_("推荐日期"))
    outcome = models.CharField(
        _("结果"),
        max_length=12,
        choices=ReferralOutcome.choices,
        default=ReferralOutcome.PENDING,
    )
    outcome_on = models.DateField(_("结果日期"), null=True, blank=True)
    declined_by = models.CharField(
        _("未录用原因方"), max_length=10, choices=DeclinedBy.choices, blank=True
    )
    outcome_note = models.CharField(_("原因或说明"), max_length=500, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("经办人"),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    JURISDICTION_PATH = "person__community__path"
    JURISDICTION_GRID_PATH = "person__grid__path"

    class Meta:
        ordering = ["-on", "-id"]
        verbose_name = _("推荐")
        verbose_name_plural = _("推荐")
        constraints = [
            models.UniqueConstraint(
                fields=["person", "posting", "on"], name="referral_one_per_day"
            ),
            models.CheckConstraint(
                condition=Q(outcome="declined") | Q(declined_by=""),
                name="referral_declined_by",
            ),
        ]
        indexes = [
            models.Index(fields=["outcome", "outcome_on"], name="referral_outcome_on"),
        ]

    def __str__(self) -> str:
        return f"{self.posting} {self.on}"


class Hire(models.Model):
    """A person of the registry hired by an employer on a date: reported by the employer, or the
    outcome of a referral (then ``referral`` names it, once)."""

    employer = models.ForeignKey(Employer, on_delete=models.CASCADE, related_name="hires")
    person = models.ForeignKey("registry.Person", on_delete=models.CASCADE, related_name="hires")
    on = models.DateField(_("录用日期"))
    referral = models.OneToOneField(
        Referral, null=True, blank=True, on_delete=models.CASCADE, related_name="hire"
    )
    posting = models.ForeignKey(
        Posting, null=True, blank=True, on_delete=models.PROTECT, related_name="hires"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    JURISDICTION_PATH = "employer__unit__path"

    class Meta:
        ordering = ["-on", "-id"]
        verbose_name = _("录用")
        verbose_name_plural = _("录用")
        constraints = [
            models.UniqueConstraint(fields=["employer", "person", "on"], name="hire_one_per_day"),
        ]
        indexes = [models.Index(fields=["on"], name="hire_on")]

    def __str__(self) -> str:
        return f"{self.employer} {self.on}"
