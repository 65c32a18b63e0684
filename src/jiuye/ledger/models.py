"""Long ledger work run in the background: an uploaded workbook's validation or import
(``ledger.jobs``), a unit's ledgers exported to a workbook (``ledger.export_jobs``)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class JobMode(models.TextChoices):
    CHECK = "dry_run", _("校验")
    IMPORT = "all", _("导入")
    PARTIAL = "partial", _("导入无误的行")


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("排队中")
    RUNNING = "running", _("进行中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("失败")


class ImportJob(models.Model):
    """One run over an uploaded file: a check (dry run) first, then, once confirmed, the import.

    The file stays in ``VAR_DIR/ledger/uploads`` until it has been imported (or the upload is
    abandoned); ``issues`` keeps the problems found (the first ``MAX_ISSUES``)."""

    MAX_ISSUES = 100_000
    MAX_HOUSEHOLDS = 500  # the households written that the result page links to

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("用户"),
    )
    file_name = models.CharField(_("文件名"), max_length=255)
    stored = models.CharField(max_length=255, editable=False)  # path under the upload directory
    sha256 = models.CharField(max_length=64, editable=False)
    size = models.BigIntegerField(default=0)
    mode = models.CharField(_("方式"), max_length=10, choices=JobMode.choices)
    status = models.CharField(
        _("状态"), max_length=8, choices=JobStatus.choices, default=JobStatus.QUEUED
    )
    phase = models.CharField(max_length=10, blank=True)
    progress = models.PositiveSmallIntegerField(default=0)  # per cent
    counts = models.JSONField(default=dict, blank=True)
    issues = models.JSONField(default=list, blank=True)
    issue_count = models.PositiveIntegerField(default=0)
    # The households written (the first MAX_HOUSEHOLDS by id) and how many there were.
    households = models.JSONField(default=list, blank=True)
    household_count = models.PositiveIntegerField(default=0)
    written = models.BooleanField(default=False)
    seconds = models.FloatField(default=0)
    check_job = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="imports",
        help_text="the check this import confirms",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("台账导入")
        verbose_name_plural = _("台账导入")

    def __str__(self) -> str:
        return f"{self.file_name} ({self.get_mode_display()})"

    @property
    def finished(self) -> bool:
        return self.status in (JobStatus.DONE, JobStatus.FAILED)


class ExportJob(models.Model):
    """A unit's ten ledgers exported to a workbook by the background worker (``ledger.export_jobs``)
    for the user who asked, who alone may download it (``stored``, under
    ``VAR_DIR/ledger/exports``, owner-only: a revealed one holds full ID numbers) until it
    expires (``EXPIRE_HOURS`` after it was written, then it is deleted). ``error`` says why a
    failed one failed: a code the job page words in the reader's language, and after a colon
    what stopped it (an exception's class name)."""

    EXPIRE_HOURS = 24

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("用户"),
    )
    unit = models.ForeignKey(
        "units.Unit", on_delete=models.CASCADE, related_name="+", verbose_name=_("单位")
    )
    on = models.DateField(_("截至日期"))
    start = models.DateField(_("服务台账起始日期"), null=True, blank=True)
    reveal = models.BooleanField(_("完整号码"), default=False)
    reason = models.CharField(_("原因"), max_length=200, blank=True)
    status = models.CharField(
        _("状态"), max_length=8, choices=JobStatus.choices, default=JobStatus.QUEUED
    )
    stored = models.CharField(max_length=255, editable=False)  # name under the export directory
    size = models.BigIntegerField(default=0)
    persons = models.PositiveIntegerField(default=0)  # rows of the persons sheet
    error = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "-created_at"], name="ledger_export_user_recent")]
        verbose_name = _("台账导出")
        verbose_name_plural = _("台账导出")

    def __str__(self) -> str:
        return self.file_name

    @property
    def file_name(self) -> str:
        """What the download is called (as the export in the request was)."""
        return f"台账_{self.unit.code}_{self.on.isoformat()}.xlsx"

    @property
    def finished(self) -> bool:
        return self.status in (JobStatus.DONE, JobStatus.FAILED)
