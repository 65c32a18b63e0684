"""Every write of escalation cases (托底, HD-2018 二(六)1): keyword-only, typed, atomic,
audited. The rule of who is a candidate and who acts: ``policies.escalation``.

- ``escalation_open``: the community hands a candidate over (or the street or district takes
  them): the case, with the services counted, and its HANDOVER step;
- ``escalation_step``: a step of the professional assistance (diagnosis, assessment, guidance,
  matching, training, policy);
- ``escalation_offer``: a public-welfare post offered: a jobs referral
  (``jobs.postings.referral_create(assisting=True)``) and the OFFER step; the case is offered;
- ``escalation_close``: placed (the offer's referral hired, recorded by the person's community
  through ``jobs.postings.referral_outcome``: the PLACED step) or closed with a reason; the
  CLOSE step either way.

A refusal is a ``ValidationError`` in words (nothing changes); an actor who may not act on the
person gets ``PermissionDenied``.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jiuye.accounts.models import User
from jiuye.audit.services import audit_record
from jiuye.jobs.models import Posting, ReferralOutcome
from jiuye.jobs.postings import referral_create
from jiuye.policies import escalation
from jiuye.policies.models import (
    EscalationCase,
    EscalationState,
    EscalationStep,
    EscalationStepKind,
)
from jiuye.registry.models import Person

NOTE_MAX = 500


def _date_problems(on: date, *, after: date | None, today: date | None) -> list[str]:
    problems = []
    today = today or timezone.localdate()
    if on > today:
        problems.append(_("日期不能晚于今天（%(today)s）") % {"today": today.isoformat()})
    if after is not None and on < after:
        problems.append(_("日期不能早于移交日期（%(on)s）") % {"on": after.isoformat()})
    return problems


def _note_problems(note: str) -> list[str]:
    return [_("说明至多500字")] if len(note) > NOTE_MAX else []


def _raise(problems: list[str]) -> None:
    if problems:
        raise ValidationError(problems)


def _locked(case: EscalationCase) -> EscalationCase:
    """The case, locked for this transaction (one writer at a time), refused once closed."""
    locked = EscalationCase.objects.select_for_update().get(pk=case.pk)
    if locked.closed_on is not None:
        raise ValidationError(
            _("该托底援助已于%(on)s结案") % {"on": locked.closed_on.isoformat()}, code="closed"
        )
    return locked


def _step(
    *, actor: User, case: EscalationCase, kind: str, on: date, note: str, referral: Any = None
) -> EscalationStep:
    return EscalationStep.objects.create(
        case=case, kind=kind, on=on, note=note[:NOTE_MAX], referral=referral, by=actor
    )


def _audit(actor: User, action: str, case: EscalationCase, **changes: Any) -> None:
    person = case.person
    audit_record(
        actor=actor,
        action=action,
        obj=person,
        unit=person.community,
        changes={"case": [None, case.pk], **{k: list(v) for k, v in changes.items()}},
    )


@transaction.atomic
def escalation_open(
    *, actor: User, person: Person, on: date, note: str = "", today: date | None = None
) -> EscalationCase:
    """Hand ``person`` over to the district's professional assistance on ``on``: refused unless
    they are a candidate that day (``escalation.verdict``, its reasons said)."""
    escalation.check_handle(actor, person)
    note = (note or "").strip()
    _raise(_date_problems(on, after=None, today=today) + _note_problems(note))
    # One handover at a time per person: a second waits here, then finds the open case.
    Person.objects.select_for_update().filter(pk=person.pk, district_id=person.district_id).first()
    found = escalation.person_verdict(person, on)
    if not found.candidate:
        raise ValidationError(
            [_("%(name)s不符合移交托底援助的条件") % {"name": person.name}, *found.reasons],
            code="not_candidate",
        )
    try:
        with transaction.atomic():
            case = EscalationCase.objects.create(
                person=person, opened_on=on, opened_by=actor, services=found.services
            )
    except IntegrityError:  # an open case made meanwhile
        raise ValidationError(_("已有未结案的托底援助"), code="open_case") from None
    current = escalation.rule()
    said = _("%(clause)s：%(since)s以来接受服务%(n)s次，仍未就业") % {
        "clause": current.clause,
        "since": escalation.window_start(on, current).isoformat(),
        "n": found.services,
    }
    _step(
        actor=actor,
        case=case,
        kind=EscalationStepKind.HANDOVER,
        on=on,
        note=f"{said}。{note}" if note else said,
    )
    _audit(
        actor, "escalation.open", case, on=(None, on.isoformat()), services=(None, found.services)
    )
    return case


@transaction.atomic
def escalation_step(
    *,
    actor: User,
    case: EscalationCase,
    kind: str,
    on: date,
    note: str = "",
    today: date | None = None,
) -> EscalationStep:
    """Record a step of the professional assistance (``escalation.ASSISTANCE_STEPS``)."""
    escalation.check_handle(actor, case.person)
    locked = _locked(case)
    note = (note or "").strip()
    problems = _date_problems(on, after=locked.opened_on, today=today) + _note_problems(note)
    if kind not in escalation.ASSISTANCE_STEPS:
        problems.append(_("未知的援助环节：%(kind)s") % {"kind": str(kind)[:30]})
    _raise(problems)
    step = _step(actor=actor, case=locked, kind=kind, on=on, note=note)
    _audit(actor, "escalation.step", locked, kind=(None, kind), on=(None, on.isoformat()))
    return step


@transaction.atomic
def escalation_offer(
    *,
    actor: User,
    case: EscalationCase,
    posting: Posting,
    on: date,
    note: str = "",
    today: date | None = None,
) -> EscalationStep:
    """Offer ``posting`` (a public-welfare post) to the case's person on ``on``: the jobs
    referral (which checks that the post is open that day and the person recognised difficult)
    and the OFFER step naming it; the case is offered. Its outcome is recorded on the referral
    by the person's community (``jobs.postings.referral_outcome``)."""
    person = case.person
    escalation.check_handle(actor, person)
    locked = _locked(case)
    note = (note or "").strip()
    problems = _date_problems(on, after=locked.opened_on, today=today) + _note_problems(note)
    if not posting.public_welfare:
        problems.append(
            _("托底安置只推荐公益性岗位：“%(title)s”不是公益性岗位") % {"title": posting.title}
        )
    _raise(problems)
    referral = referral_create(
        actor=actor, person=person, posting=posting, on=on, note=note, today=today, assisting=True
    )
    step = _step(
        actor=actor, case=locked, kind=EscalationStepKind.OFFER, on=on, note=note, referral=referral
    )
    old = locked.state
    locked.state = EscalationState.OFFERED
    locked.save(update_fields=["state"])
    _audit(
        actor,
        "escalation.offer",
        locked,
        referral=(None, referral.pk),
        posting=(None, posting.number),
        state=(old, locked.state),
    )
    return step


@transaction.atomic
def escalation_close(
    *,
    actor: User,
    case: EscalationCase,
    on: date,
    placed: bool,
    note: str = "",
    today: date | None = None,
) -> EscalationCase:
    """Close the case on ``on``. ``placed``: the person took the public-welfare post offered
    (an offer's referral hired, ``escalation.hired_offer``; not before the hire): the PLACED
    step naming the referral, state placed. Otherwise the reason is required (``note``): state
    closed. The CLOSE step either way."""
    escalation.check_handle(actor, case.person)
    locked = _locked(case)
    note = (note or "").strip()
    problems = _date_problems(on, after=locked.opened_on, today=today) + _note_problems(note)
    hired = escalation.hired_offer(locked) if placed else None
    if placed:
        if hired is None or hired.referral is None:
            problems.append(
                _("尚无已录用的公益性岗位推荐：录用由社区在推荐记录上登记后，才能记录安置上岗")
            )
        elif hired.referral.outcome_on and on < hired.referral.outcome_on:
            problems.append(
                _("安置日期不能早于录用日期（%(on)s）")
                % {"on": hired.referral.outcome_on.isoformat()}
            )
    elif not note:
        problems.append(_("未安置结案须填写原因"))
    _raise(problems)
    old = locked.state
    if placed and hired is not None:
        assert hired.referral is not None and hired.referral.outcome == ReferralOutcome.HIRED
        _step(
            actor=actor,
            case=locked,
            kind=EscalationStepKind.PLACED,
            on=on,
            note=hired.referral.posting.title,
            referral=hired.referral,
        )
        locked.state = EscalationState.PLACED
    else:
        locked.state = EscalationState.CLOSED
    _step(actor=actor, case=locked, kind=EscalationStepKind.CLOSE, on=on, note=note)
    locked.closed_on = on
    locked.save(update_fields=["state", "closed_on"])
    _audit(
        actor,
        "escalation.close",
        locked,
        state=(old, locked.state),
        closed_on=(None, on.isoformat()),
    )
    return locked
