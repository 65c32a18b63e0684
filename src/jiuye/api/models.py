"""API bearer tokens: only the SHA-256 of a token is stored; the token is shown once."""

from __future__ import annotations

import hashlib
from datetime import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ApiToken(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="api_tokens",
        verbose_name=_("用户"),
    )
    name = models.CharField(_("名称"), max_length=100)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created = models.DateTimeField(_("创建时间"), default=timezone.now, editable=False)
    last_used = models.DateTimeField(_("最近使用"), null=True, blank=True, editable=False)
    expires = models.DateTimeField(_("到期时间"), null=True, blank=True)
    revoked = models.BooleanField(_("已吊销"), default=False)

    class Meta:
        ordering = ["id"]
        verbose_name = _("API令牌")
        verbose_name_plural = _("API令牌")

    def __str__(self) -> str:
        return f"{self.name} ({self.user_id})"

    def is_usable(self, now: datetime | None = None) -> bool:
        now = now or timezone.now()
        return not self.revoked and (self.expires is None or self.expires > now)


def token_hash(token: str) -> str:
    """The stored form of a bearer token: its SHA-256, hex."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
