"""Every write of standards: checklist ticks, certification records (made by the certification
workflow's acceptance and revoked by its yearly re-check, ``jiuye.certification.services``),
the aggregates rebuild.

Keyword-only, typed, atomic, audited, like the other apps' services.

Who may tick (DOMAIN §6–7): the **self-assessment** (自评) is entered by a member of the unit
itself; the **assessor's** column (初核/验收) by a street or district user whose unit lies above
it. A unit outside the user's jurisdiction is not found (404 in the views).
"""

from __future__ import annotations

from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from jiuye.accounts.models import Role, User
from jiuye.audit.services import audit_record
from jiuye.lib.masking import restore_masked
from jiuye.standards import aggregates
from jiuye.standards.models import Certification, ChecklistTick, TickRole
from jiuye.standards.rulesets import RuleSet
from jiuye.units.models import Unit
from jiuye.units.scope import jurisdiction_units

# The role that fills each reviewer's column: the street reviews its communities (初核), the
# district (or a city above a district) accepts (验收).
COLUMN_ROLES = {TickRole.STREET: Role.STREET, TickRole.ASSESSOR: Role.DISTRICT}


def checklist_ids(ruleset: RuleSet, unit: Unit) -> dict[str, str]:
    """Item id → text of every checklist item (and score checklist deduction) that applies to
    the unit under ``ruleset``."""
    found: dict[str, str] = {}
    for level in ruleset.levels_for(unit.level):
        for item in level.checklist:
            found[item.id] = item.text
        if level.score is not None:
            for score_item in level.score.items:
                for d in score_item.deductions:
                    if d.kind == "checklist":
                        found[d.id] = d.text
    return found


def may_tick(user: User | None, unit: Unit, role: str) -> bool:
    """Self column: a member of the unit itself. Street column (初核): a street reviewer whose
    street lies above the unit. Assessor column (验收): a district user whose unit lies
    strictly above it."""
    if user is None or not user.sees_personal_data:
        return False
    paths = [path for path, _level in jurisdiction_units(user)]
    if role == TickRole.SELF:
        return unit.path in paths
    if role in COLUMN_ROLES:
        return user.role == COLUMN_ROLES[TickRole(role)] and any(
            unit.path.startswith(p) and unit.path != p for p in paths
        )
    return False


@transaction.atomic
def checklist_tick_set(
    *,
    actor: User | None,
    unit: Unit,
    ruleset: RuleSet,
    item: str,
    year: int,
    role: str,
    ticked: bool,
    note: str = "",
    evidence: str = "",
) -> ChecklistTick:
    """Answer one checklist item for a unit and year in one column (self or assessor).
    ``actor`` None: the command line or a job (no permission check)."""
    if role not in TickRole.values:
        raise ValidationError(_("未知的角色：{role}").format(role=role), code="role")
    items = checklist_ids(ruleset, unit)
    if item not in items:
        raise ValidationError(
            _("{ruleset} 没有适用于该单位的检查项 {item}").format(ruleset=ruleset.id, item=item),
            code="item",
        )
    if actor is not None and not may_tick(actor, unit, role):
        raise PermissionDenied(_("无权填写该栏"))
    note, evidence = note.strip(), evidence.strip()
    if ticked and role != TickRole.SELF and not note and not evidence:
        raise ValidationError(_("考核确认须填写说明或佐证材料"), code="evidence")
    tick, created = ChecklistTick.objects.get_or_create(
        unit=unit, ruleset=ruleset.id, item=item, year=year, role=role
    )
    # The form showed the note masked (issue 11, finding 2): a number left as shown stays.
    note = restore_masked(note, tick.note)
    evidence = restore_masked(evidence, tick.evidence)
    old = [tick.ticked, tick.note, tick.evidence] if not created else None
    tick.ticked, tick.note, tick.evidence = ticked, note, evidence
    tick.by = actor if actor is not None and actor.pk else None
    tick.by_name = (actor.full_name or actor.username) if actor is not None else ""
    tick.save()
    audit_record(
        actor=actor,
        action="standards.tick",
        obj=tick,
        unit=unit,
        changes={
            "item": [None, f"{ruleset.id}/{item}/{year}/{role}"],
            "tick": [old, [ticked, note, evidence]],
        },
    )
    return tick


@transaction.atomic
def certification_create(
    *,
    actor: User | None,
    unit: Unit,
    ruleset: RuleSet,
    level: str,
    year: int,
    certified_on: date,
) -> Certification:
    """Record that ``unit`` is certified under ``level`` of ``ruleset`` (what
    ``certified_children_share`` reads). The certification workflow's acceptance calls it, with
    the snapshot kept on its step."""
    found = ruleset.levels.get(level)
    if found is None or unit.level not in found.units:
        raise ValidationError(
            _("{ruleset} 的层级 {level} 不适用于该单位").format(ruleset=ruleset.id, level=level),
            code="level",
        )
    if actor is not None and actor.role != Role.DISTRICT:
        raise PermissionDenied(_("只有区级管理员可以认定"))
    certification = Certification.objects.create(
        unit=unit, ruleset=ruleset.id, level=level, year=year, certified_on=certified_on
    )
    audit_record(
        actor=actor,
        action="standards.certify",
        obj=certification,
        unit=unit,
        changes={"certified": [None, f"{ruleset.id}/{level}/{year} {certified_on.isoformat()}"]},
    )
    return certification


@transaction.atomic
def certification_revoke(
    *, actor: User | None, certification: Certification, revoked_on: date
) -> Certification:
    """The unit lost the title (yearly re-check) from ``revoked_on`` on."""
    if revoked_on < certification.certified_on:
        raise ValidationError(_("撤销日期早于认定日期"), code="revoked_before")
    if actor is not None and actor.role != Role.DISTRICT:
        raise PermissionDenied(_("只有区级管理员可以撤销认定"))
    old = certification.revoked_on
    certification.revoked_on = revoked_on
    certification.save(update_fields=["revoked_on"])
    audit_record(
        actor=actor,
        action="standards.revoke",
        obj=certification,
        unit=certification.unit,
        changes={"revoked_on": [old.isoformat() if old else None, revoked_on.isoformat()]},
    )
    return certification


def aggregates_rebuild(*, actor: User | None = None) -> aggregates.RebuildSummary:
    """Recompute the aggregates from scratch (after a bulk load), audited."""
    summary = aggregates.aggregates_rebuild()
    audit_record(
        actor=actor,
        action="standards.aggregates_rebuild",
        changes={"households": [None, summary.households], "seconds": [None, summary.seconds]},
    )
    return summary
