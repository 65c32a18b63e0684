"""The append-only, hash-chained audit log.

Each entry stores the hash of the previous entry of its chain, so removing or editing any row
breaks the chain (``jiuye audit verify``). There are several chains, so that writers of
different communities never wait for one another (see ``audit.services``): the global chain
(``chain`` NULL: every entry before chains existed, entries without a unit, and the openings
of the other chains and the checkpoints of their heads), and one per unit path.

The application never updates or deletes entries: the model and its queryset refuse to, and
the database rejects UPDATE, DELETE (and on PostgreSQL TRUNCATE) with triggers (see migration
0002), whatever the client.

Retention: entries are kept at least 6 months — in fact for the life of the database; there is
no purge command and no deletion path at all. Moving old entries to an archive, if ever needed,
is a database-administrator operation done outside the application after an export that
``jiuye audit verify`` has checked.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AppendOnlyQuerySet(models.QuerySet["AuditEntry"]):
    def update(self, **kwargs: Any) -> int:
        raise PermissionError("audit entries are append-only")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise PermissionError("audit entries are append-only")

    def bulk_update(self, *args: Any, **kwargs: Any) -> int:
        raise PermissionError("audit entries are append-only")


class AuditEntry(models.Model):
    at = models.DateTimeField(_("时间"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    actor_name = models.CharField(_("操作人"), max_length=150)
    action = models.CharField(_("操作"), max_length=60, db_index=True)
    object_type = models.CharField(max_length=60, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    object_repr = models.CharField(max_length=200, blank=True)
    unit_path = models.CharField(max_length=255, blank=True, db_index=True)
    changes = models.JSONField(default=dict, blank=True)
    result = models.CharField(_("结果"), max_length=20, default="ok")
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)
    # The id of the audit key that signed ``hash`` (lib.signing); NULL: a plain SHA-256 from
    # before keyed chaining.
    key_id = models.CharField(max_length=16, null=True, blank=True)  # noqa: DJ001 (NULL: legacy)
    # The chain the entry is linked into: NULL the global chain, else a unit path (the unit of
    # the first entry its transaction wrote; ``audit.services``). Nullable so that adding it
    # leaves the existing rows (and SQLite's triggers) as they are.
    chain = models.CharField(max_length=255, null=True, blank=True)  # noqa: DJ001 (NULL: global)
    # The district of the chain (``audit.services``: its unit's district, its user's home
    # district, 0 for the global chain and the chains of no district). On Citus the log is
    # distributed by it with the residents' data (cluster/layout.toml): a district's writes and
    # their audit entries commit on the same node. Not signed: it follows from the chain, and
    # ``verify_chain`` checks that a chain keeps one district.
    district_id = models.BigIntegerField(default=0, db_default=0)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        verbose_name = _("审计记录")
        verbose_name_plural = _("审计记录")
        indexes = [models.Index(fields=["chain", "id"], name="audit_chain_id")]

    NO_DISTRICT = 0  # the district of the global chain and of the chains of no district

    def __str__(self) -> str:
        return f"#{self.pk} {self.action} {self.actor_name}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise PermissionError("audit entries are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise PermissionError("audit entries are append-only")
