"""Applications, entitlements, payments, budgets and escalation cases (DOMAIN §9).

The policies themselves are data (``policies/catalog/*.toml``, read by ``policies.catalog``);
the rows here name a policy by its id and version. Money rows are never edited: a payment is
corrected by a reversal row. The database, not only Python, keeps

- at most one standing entitlement per beneficiary × policy × period (one partial unique index
  per beneficiary kind: a cancelled entitlement, cancelled by the reversal of its payment, no
  longer counts, so the corrected one can be granted again);
- at most one payment per entitlement and one reversal per payment.

A beneficiary is a person, an employer or a unit (the certification rewards are paid to the
certified community, street or district): exactly one of the three keys is set.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class BeneficiaryKind(models.TextChoices):
    PERSON = "person", _("个人")
    EMPLOYER = "employer", _("用人单位")
    UNIT = "unit", _("社区/街道/区")


class AppState(models.TextChoices):
    SUBMITTED = "submitted", _("待审批")
    APPROVED = "approved", _("已批准")
    REJECTED = "rejected", _("已退回")


def _one_beneficiary() -> Q:
    person = Q(kind="person", person__isnull=False, employer__isnull=True, unit__isnull=True)
    employer = Q(kind="employer", person__isnull=True, employer__isnull=False, unit__isnull=True)
    unit = Q(kind="unit", person__isnull=True, employer__isnull=True, unit__isnull=False)
    return person | employer | unit


class BeneficiaryRow(models.Model):
    """The beneficiary columns shared by applications and entitlements, and where the row sits
    in the unit tree (``place``: the person's or employer's community, or the paid unit), which
    the jurisdiction scope reads."""

    kind = models.CharField(_("对象类型"), max_length=10, choices=BeneficiaryKind.choices)
    person = models.ForeignKey(
        "registry.Person",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("人员"),
    )
    employer = models.ForeignKey(
        "jobs.Employer",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("用人单位"),
    )
    unit = models.ForeignKey(
        "units.Unit",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("受奖单位"),
    )
    place = models.ForeignKey(
        "units.Unit", on_delete=models.PROTECT, related_name="+", verbose_name=_("所在单位")
    )
    policy = models.CharField(_("政策"), max_length=40)
    policy_version = models.PositiveIntegerField(_("政策版本"))
    period = models.CharField(_("期间"), max_length=60)
    on = models.DateField(_("认定日期"))
    amount = models.DecimalField(_("金额（元）"), max_digits=12, decimal_places=2)
    # What produced the amount, frozen at the time: the facts, the parameter values and the
    # rule version (DOMAIN §9: every amount traceable to its rule version and inputs).
    inputs = models.JSONField(_("依据"), default=dict)
    reason = models.TextField(_("理由"), blank=True)

    JURISDICTION_PATH = "place__path"

    class Meta:
        abstract = True

    @property
    def beneficiary(self) -> models.Model:
        return self.person or self.employer or self.unit  # type: ignore[return-value]


class Application(BeneficiaryRow):
    """A request for a policy's money, prepared by one user (the maker) and approved or returned
    by another of a higher level (the checker)."""

    state = models.CharField(
        _("状态"), max_length=10, choices=AppState.choices, default=AppState.SUBMITTED
    )
    # An amount the policy leaves to the application (a loan within its range, the tuition a
    # share is paid of): the maker enters it, the catalog bounds it.
    declared = models.DecimalField(
        _("申报金额（元）"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    note = models.CharField(_("说明"), max_length=500, blank=True)
    prepared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    prepared_at = models.DateTimeField(_("申请时间"), auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    decision_note = models.CharField(_("审批意见"), max_length=500, blank=True)

    class Meta:
        ordering = ["-prepared_at", "-id"]
        verbose_name = _("政策申请")
        verbose_name_plural = _("政策申请")
        constraints = [
            models.CheckConstraint(
                condition=_one_beneficiary(), name="policy_application_beneficiary"
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="policy_application_amount"),
        ]
        indexes = [models.Index(fields=["state", "policy"], name="policy_application_state")]

    def __str__(self) -> str:
        return f"{self.policy} #{self.pk}"


class ApplicationEvidence(models.Model):
    """A file attached to an application (证明材料), kept in the database like the
    certification's evidence so that a backup holds it."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="evidence")
    name = models.CharField(_("文件名"), max_length=200)
    content_type = models.CharField(_("类型"), max_length=100)
    size = models.PositiveIntegerField(_("大小"))
    sha256 = models.CharField(_("摘要"), max_length=64)
    data = models.BinaryField(_("内容"))
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    JURISDICTION_PATH = "application__place__path"

    class Meta:
        ordering = ["id"]
        verbose_name = _("证明材料")
        verbose_name_plural = _("证明材料")

    def __str__(self) -> str:
        return self.name


class Entitlement(BeneficiaryRow):
    """What an approval grants: the amount owed for one beneficiary, policy and period."""

    application = models.OneToOneField(
        Application, on_delete=models.PROTECT, related_name="entitlement"
    )
    year = models.PositiveSmallIntegerField(_("预算年度"))
    budget_line = models.CharField(_("预算科目"), max_length=100)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(_("批准时间"), auto_now_add=True)
    # Set (with its reason) by the reversal of its payment: the entitlement no longer stands.
    cancelled_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)

    class Meta:
        ordering = ["-approved_at", "-id"]
        verbose_name = _("享受资格")
        verbose_name_plural = _("享受资格")
        constraints = [
            models.CheckConstraint(condition=_one_beneficiary(), name="entitlement_beneficiary"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="entitlement_amount"),
            *(
                models.UniqueConstraint(
                    fields=["policy", key, "period"],
                    condition=Q(cancelled_at__isnull=True, **{f"{key}__isnull": False}),
                    name=f"entitlement_once_{key}",
                )
                for key in ("person", "employer", "unit")
            ),
        ]
        indexes = [models.Index(fields=["policy", "year"], name="entitlement_policy_year")]

    def __str__(self) -> str:
        return f"{self.policy} {self.period} #{self.pk}"


class PaymentKind(models.TextChoices):
    PAYMENT = "payment", _("支付")
    REVERSAL = "reversal", _("冲正")


class Payment(models.Model):
    """A row of the 政策落实台账: money paid for an entitlement, or the reversal of such a
    payment (a negative row naming the payment it cancels). Never edited."""

    entitlement = models.ForeignKey(Entitlement, on_delete=models.PROTECT, related_name="payments")
    kind = models.CharField(_("类型"), max_length=10, choices=PaymentKind.choices)
    amount = models.DecimalField(_("金额（元）"), max_digits=12, decimal_places=2)
    on = models.DateField(_("支付日期"))
    reference = models.CharField(_("凭证号"), max_length=60, blank=True)
    reverses = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversal"
    )
    note = models.CharField(_("说明"), max_length=500, blank=True)
    # The casework service record (政策落实) a payment to a person writes on their history.
    service = models.OneToOneField(
        "casework.ServiceRecord",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="policy_payment",
    )
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("录入时间"), auto_now_add=True)

    JURISDICTION_PATH = "entitlement__place__path"

    class Meta:
        ordering = ["-on", "-id"]
        verbose_name = _("支付记录")
        verbose_name_plural = _("支付记录")
        constraints = [
            models.UniqueConstraint(
                fields=["entitlement"], condition=Q(kind="payment"), name="payment_once"
            ),
            models.CheckConstraint(
                condition=(Q(kind="payment", amount__gt=0, reverses__isnull=True))
                | Q(kind="reversal", amount__lt=0, reverses__isnull=False),
                name="payment_sign",
            ),
        ]
        indexes = [models.Index(fields=["on"], name="payment_on")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount} #{self.pk}"


class Budget(models.Model):
    """The money set aside for a policy in a unit and year (预算); what is committed (standing
    entitlements) and paid (payments net of reversals) under the unit is computed."""

    policy = models.CharField(_("政策"), max_length=40)
    unit = models.ForeignKey("units.Unit", on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField(_("年度"))
    amount = models.DecimalField(_("预算金额（元）"), max_digits=14, decimal_places=2)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    JURISDICTION_PATH = "unit__path"

    class Meta:
        ordering = ["year", "policy", "unit_id"]
        verbose_name = _("预算")
        verbose_name_plural = _("预算")
        constraints = [
            models.UniqueConstraint(fields=["policy", "unit", "year"], name="budget_once"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="budget_amount"),
        ]

    def __str__(self) -> str:
        return f"{self.policy} {self.year}"


class EscalationState(models.TextChoices):
    OPEN = "open", _("专业援助中")
    OFFERED = "offered", _("已推荐公益性岗位")
    PLACED = "placed", _("已安置")
    CLOSED = "closed", _("已结案")


class EscalationStepKind(models.TextChoices):
    HANDOVER = "handover", _("移交区级专业援助")
    DIAGNOSIS = "diagnosis", _("困难诊断")
    ASSESSMENT = "assessment", _("职业素质测评")
    GUIDANCE = "guidance", _("个性化职业指导")
    MATCHING = "matching", _("岗位定向匹配")
    TRAINING = "training", _("职业培训")
    POLICY = "policy", _("政策帮扶")
    OFFER = "offer", _("推荐公益性岗位")
    PLACED = "placed", _("托底安置上岗")
    CLOSE = "close", _("结案")


class EscalationCase(models.Model):
    """托底 (HD-2018 二(六)1): a recognised difficult person still unemployed after repeated
    services, handed by their community to the district's professional assistance and, as the
    last resort, offered a public-welfare post."""

    person = models.ForeignKey(
        "registry.Person", on_delete=models.PROTECT, related_name="escalations"
    )
    opened_on = models.DateField(_("移交日期"))
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    services = models.PositiveIntegerField(_("移交前服务次数"))
    state = models.CharField(
        _("状态"), max_length=10, choices=EscalationState.choices, default=EscalationState.OPEN
    )
    closed_on = models.DateField(_("结案日期"), null=True, blank=True)

    JURISDICTION_PATH = "person__community__path"
    JURISDICTION_GRID_PATH = "person__grid__path"

    class Meta:
        ordering = ["-opened_on", "-id"]
        verbose_name = _("托底援助")
        verbose_name_plural = _("托底援助")
        constraints = [
            # One open case per person at a time.
            models.UniqueConstraint(
                fields=["person"], condition=Q(closed_on__isnull=True), name="escalation_open"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} {self.opened_on.isoformat()}"


class EscalationStep(models.Model):
    case = models.ForeignKey(EscalationCase, on_delete=models.CASCADE, related_name="steps")
    kind = models.CharField(_("环节"), max_length=12, choices=EscalationStepKind.choices)
    on = models.DateField(_("日期"))
    note = models.CharField(_("说明"), max_length=500, blank=True)
    referral = models.ForeignKey(
        "jobs.Referral", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)

    JURISDICTION_PATH = "case__person__community__path"
    JURISDICTION_GRID_PATH = "case__person__grid__path"

    class Meta:
        ordering = ["case_id", "on", "id"]
        verbose_name = _("托底援助环节")
        verbose_name_plural = _("托底援助环节")

    def __str__(self) -> str:
        return self.get_kind_display()
