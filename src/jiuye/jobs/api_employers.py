"""The jobs API (mounted under ``/api/jobs/`` by ``jobs.api``)."""

from __future__ import annotations

from ninja import Router

router = Router()
