"""Certification (创建与认定, DOMAIN §7): a unit's application under a rule set level for a year,
the steps taken on it with their frozen snapshots, the evidence files behind checklist ticks,
the yearly re-checks, and the notices that tell a unit what happened.

- :class:`Application`: one per unit, rule set, level and year; ``revision`` counts the returns
  (a return opens a new revision; the steps of the old one stay as they were).
- :class:`Step`: apply, self-assessment (自评), street review (初核), district acceptance (验收):
  who, when, the decision, the note and a snapshot of the whole evaluation. Written once:
  nothing updates a step (``save`` refuses), so later data never changes a snapshot.
- :class:`EvidenceFile`: a file a reviewer attached to a checklist item's tick (kept in the
  database with its hash: backed up with everything else, nothing to lose on a web server).
- :class:`Recheck`: a certified unit re-evaluated in a year, kept or revoked, with its snapshot.
- :class:`Notice`: what the unit is told (a return with its reasons, acceptance, a re-check).

The certification itself (what ``certified_children_share`` reads) stays the lower layer's
``standards.Certification``; the acceptance step creates it.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class State(models.TextChoices):
    APPLIED = "applied", _("已申请，待自评")
    RETURNED = "returned", _("已退回，待重新自评")
    SUBMITTED = "submitted", _("已自评，待审核")
    REVIEWED = "reviewed", _("初核通过，待验收")
    CERTIFIED = "certified", _("已认定")


class StepKind(models.TextChoices):
    APPLY = "apply", _("申请")
    SUBMIT = "submit", _("自评")
    REVIEW = "review", _("初核")
    ACCEPT = "accept", _("验收")


class Decision(models.TextChoices):
    SUBMIT = "submit", _("提交")
    PASS = "pass", _("通过")
    RETURN = "return", _("退回")


class Application(models.Model):
    unit = models.ForeignKey(
        "units.Unit",
        on_delete=models.PROTECT,
        related_name="certification_applications",
        verbose_name=_("单位"),
    )
    ruleset = models.CharField(_("标准"), max_length=40)
    level = models.CharField(_("层级"), max_length=40)
    year = models.PositiveSmallIntegerField(_("年度"))
    state = models.CharField(_("状态"), max_length=12, choices=State.choices)
    revision = models.PositiveSmallIntegerField(_("修订"), default=1)
    certification = models.OneToOneField(
        "standards.Certification",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="application",
        verbose_name=_("认定"),
    )
    created_at = models.DateTimeField(_("申请时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    JURISDICTION_PATH = "unit__path"

    class Meta:
        ordering = ["-year", "unit_id", "ruleset", "level"]
        verbose_name = _("认定申请")
        verbose_name_plural = _("认定申请")
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "ruleset", "level", "year"], name="application_once"
            )
        ]
        indexes = [models.Index(fields=["state", "year"], name="application_state")]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.ruleset}/{self.level} {self.year} r{self.revision}"


class Step(models.Model):
    application = models.ForeignKey(
        Application, on_delete=models.PROTECT, related_name="steps", verbose_name=_("申请")
    )
    revision = models.PositiveSmallIntegerField(_("修订"))
    step = models.CharField(_("环节"), max_length=10, choices=StepKind.choices)
    decision = models.CharField(_("结论"), max_length=10, choices=Decision.choices)
    note = models.TextField(_("意见"), blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("经办人"),
    )
    user_name = models.CharField(_("经办人姓名"), max_length=150, blank=True)
    at = models.DateTimeField(_("时间"), auto_now_add=True)
    on = models.DateField(_("评估时点"))
    ruleset_version = models.CharField(_("标准版本"), max_length=40)
    ruleset_hash = models.CharField(_("标准内容摘要"), max_length=64)
    snapshot: models.JSONField[Any, Any] = models.JSONField(_("评估快照"), default=dict)

    JURISDICTION_PATH = "application__unit__path"

    class Meta:
        ordering = ["application_id", "id"]
        verbose_name = _("认定环节")
        verbose_name_plural = _("认定环节")

    def __str__(self) -> str:
        return f"{self.application_id} r{self.revision} {self.step} {self.decision}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # A step is a record of what was decided on what data: written once, never edited.
        if self.pk is not None:
            raise ValueError("a certification step is never changed once written")
        super().save(*args, **kwargs)


class EvidenceFile(models.Model):
    unit = models.ForeignKey(
        "units.Unit", on_delete=models.PROTECT, related_name="+", verbose_name=_("单位")
    )
    ruleset = models.CharField(_("标准"), max_length=40)
    year = models.PositiveSmallIntegerField(_("年度"))
    item = models.CharField(_("检查项"), max_length=40)
    role = models.CharField(_("栏目"), max_length=10)  # standards.TickRole
    name = models.CharField(_("文件名"), max_length=200)
    content_type = models.CharField(_("类型"), max_length=100)
    size = models.PositiveIntegerField(_("大小"))
    sha256 = models.CharField(_("摘要"), max_length=64)
    data = models.BinaryField(_("内容"))
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("上传人"),
    )
    by_name = models.CharField(_("上传人姓名"), max_length=150, blank=True)
    at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    JURISDICTION_PATH = "unit__path"

    class Meta:
        ordering = ["unit_id", "ruleset", "year", "item", "id"]
        verbose_name = _("佐证材料")
        verbose_name_plural = _("佐证材料")
        indexes = [
            models.Index(fields=["unit", "ruleset", "year"], name="evidence_unit_year"),
        ]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.ruleset} {self.year} {self.item} {self.name}"


class Recheck(models.Model):
    certification = models.ForeignKey(
        "standards.Certification",
        on_delete=models.PROTECT,
        related_name="rechecks",
        verbose_name=_("认定"),
    )
    unit = models.ForeignKey(
        "units.Unit", on_delete=models.PROTECT, related_name="+", verbose_name=_("单位")
    )
    ruleset = models.CharField(_("标准"), max_length=40)
    year = models.PositiveSmallIntegerField(_("复核年度"))
    on = models.DateField(_("复核日期"))
    kept = models.BooleanField(_("保留"))
    undecided = models.BooleanField(_("待定"), default=False)
    failed = models.CharField(_("未达标项"), max_length=500, blank=True)
    user_name = models.CharField(_("经办人"), max_length=150, blank=True)
    at = models.DateTimeField(_("时间"), auto_now_add=True)
    ruleset_version = models.CharField(_("标准版本"), max_length=40)
    ruleset_hash = models.CharField(_("标准内容摘要"), max_length=64)
    snapshot: models.JSONField[Any, Any] = models.JSONField(_("评估快照"), default=dict)

    JURISDICTION_PATH = "unit__path"

    class Meta:
        ordering = ["-year", "unit_id"]
        verbose_name = _("年度复核")
        verbose_name_plural = _("年度复核")
        constraints = [
            models.UniqueConstraint(fields=["certification", "year"], name="recheck_once_a_year")
        ]

    def __str__(self) -> str:
        return f"{self.certification_id} {self.year} {'kept' if self.kept else 'revoked'}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise ValueError("a re-check is never changed once written")
        super().save(*args, **kwargs)


class Notice(models.Model):
    """What a unit is told about its certification (shown to its users on their pages)."""

    unit = models.ForeignKey(
        "units.Unit", on_delete=models.CASCADE, related_name="+", verbose_name=_("单位")
    )
    text = models.CharField(_("内容"), max_length=1000)
    application = models.ForeignKey(
        Application, null=True, blank=True, on_delete=models.CASCADE, related_name="notices"
    )
    recheck = models.ForeignKey(
        Recheck, null=True, blank=True, on_delete=models.CASCADE, related_name="notices"
    )
    at = models.DateTimeField(_("时间"), auto_now_add=True)

    JURISDICTION_PATH = "unit__path"

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("认定通知")
        verbose_name_plural = _("认定通知")
        indexes = [models.Index(fields=["unit", "at"], name="notice_unit_at")]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.text[:30]}"
