"""Every read of certification goes through the jurisdiction scope (a foreign application is
404). Applications carry snapshots with the persons behind shortfalls: they are for the data
roles (worker, grid, street, district), like an evaluation.

``application_json`` is the ``jiuye certification show --json`` object of DESIGN.md, which the
API returns too.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from jiuye.accounts.models import Role, User
from jiuye.certification.models import Application, EvidenceFile, Notice, Recheck, State, Step
from jiuye.certification.services import next_step
from jiuye.units.models import COMMUNITY_LEVELS, Unit
from jiuye.units.scope import jurisdiction_paths, scope_to_jurisdiction


def applications_visible(*, user: User) -> QuerySet[Application]:
    return scope_to_jurisdiction(Application.objects.select_related("unit"), user)


def application_get(*, user: User, pk: int) -> Application:
    return get_object_or_404(applications_visible(user=user), pk=pk)


def application_for(
    *, user: User, unit: Unit, year: int, ruleset: str | None = None, level: str | None = None
) -> Application | None:
    """A unit's application for a year (under ``ruleset``/``level`` when given; otherwise the
    most recently changed)."""
    qs = applications_visible(user=user).filter(unit=unit, year=year)
    if ruleset:
        qs = qs.filter(ruleset__iexact=ruleset)
    if level:
        qs = qs.filter(level=level)
    return qs.order_by("-updated_at", "-pk").first()


def queue(*, user: User) -> QuerySet[Application]:
    """What waits for ``user``: a worker's own applications to self-assess, a street
    reviewer's communities submitted for review, a district's applications to accept (units
    strictly below their own)."""
    qs = applications_visible(user=user)
    paths = jurisdiction_paths(user)
    if user.role == Role.STREET:
        return qs.filter(state=State.SUBMITTED, unit__level__in=COMMUNITY_LEVELS)
    if user.role == Role.DISTRICT:
        below = Q(unit__level__in=COMMUNITY_LEVELS, state=State.REVIEWED) | (
            ~Q(unit__level__in=COMMUNITY_LEVELS) & Q(state=State.SUBMITTED)
        )
        return qs.filter(below).exclude(unit__path__in=paths)
    if user.role in (Role.WORKER,):
        return qs.filter(state__in=[State.APPLIED, State.RETURNED], unit__path__in=paths)
    return qs.none()


def steps_of(application: Application) -> list[Step]:
    return list(application.steps.order_by("id"))


def notices(*, user: User, limit: int = 20) -> list[Notice]:
    """The latest notices of the user's own units (what they are told)."""
    paths = jurisdiction_paths(user)
    return list(
        scope_to_jurisdiction(Notice.objects.select_related("unit"), user)
        .filter(unit__path__in=paths)
        .order_by("-at", "-id")[:limit]
    )


def evidence_files(*, user: User, unit: Unit, ruleset: str, year: int) -> list[EvidenceFile]:
    return list(
        scope_to_jurisdiction(EvidenceFile.objects.all(), user)
        .filter(unit=unit, ruleset=ruleset, year=year)
        .defer("data")
    )


def evidence_get(*, user: User, pk: int) -> EvidenceFile:
    return get_object_or_404(scope_to_jurisdiction(EvidenceFile.objects.all(), user), pk=pk)


def rechecks_visible(*, user: User) -> QuerySet[Recheck]:
    return scope_to_jurisdiction(Recheck.objects.select_related("unit", "certification"), user)


def step_json(step: Step) -> dict[str, Any]:
    return {
        "revision": step.revision,
        "step": step.step,
        "user": step.user_name,
        "at": step.at.isoformat(timespec="seconds"),
        "on": step.on.isoformat(),
        "decision": step.decision,
        "note": step.note,
        "ruleset_version": step.ruleset_version,
        "ruleset_hash": step.ruleset_hash,
        "snapshot": step.snapshot,
    }


def application_summary(application: Application) -> dict[str, Any]:
    """An application in a list: its unit, rule set level, year, state, revision and the step
    it waits for."""
    waiting = next_step(application)
    return {
        "unit": application.unit.code,
        "unit_name": application.unit.name,
        "ruleset": application.ruleset,
        "level": application.level,
        "year": application.year,
        "state": application.state,
        "revision": application.revision,
        "next_step": str(waiting) if waiting else None,
    }


def application_json(application: Application) -> dict[str, Any]:
    """DESIGN.md's ``certification show --json`` object: ``unit``, ``ruleset``, ``year``,
    ``state``, ``revision``, ``steps`` (every revision's, oldest first, each with its
    ``revision``), plus the level, the step waited for and the certification."""
    certification = application.certification
    return {
        **application_summary(application),
        "certification": None
        if certification is None
        else {
            "certified_on": certification.certified_on.isoformat(),
            "revoked_on": certification.revoked_on.isoformat()
            if certification.revoked_on
            else None,
        },
        "steps": [step_json(s) for s in steps_of(application)],
    }
