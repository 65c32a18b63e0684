"""Keyed digests for tamper evidence beyond the database: the audit chain and backup manifests
are signed with HMAC-SHA256 under a secret the database does not hold (``JIUYE_AUDIT_KEY`` in
the environment). Someone who can write the database (or the backup directory) can recompute
plain hashes, not these.

A key is named by its id (the first 12 hex digits of the key's own SHA-256), stored with what
it signed, so a key can be rotated: the new one signs, older ones (``JIUYE_AUDIT_OLD_KEYS``)
still verify.
"""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings


class UnknownKeyError(KeyError):
    """Signed with a key this server does not have."""


def key_id(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:12]


def _keys() -> dict[str, str]:
    keys = [settings.JIUYE_AUDIT_KEY, *settings.JIUYE_AUDIT_OLD_KEYS]
    return {key_id(k): k for k in keys if k}


def current_key_id() -> str:
    return key_id(settings.JIUYE_AUDIT_KEY)


def sign(message: str, *, with_key: str | None = None) -> str:
    """HMAC-SHA256 of ``message`` (hex) under the key ``with_key`` (default: the current)."""
    keys = _keys()
    wanted = with_key or current_key_id()
    if wanted not in keys:
        raise UnknownKeyError(wanted)
    return hmac.new(keys[wanted].encode("utf-8"), message.encode("utf-8"), "sha256").hexdigest()


def verify(message: str, signature: str, *, with_key: str) -> bool:
    try:
        expected = sign(message, with_key=with_key)
    except UnknownKeyError:
        return False
    return hmac.compare_digest(expected, signature)
