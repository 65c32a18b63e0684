"""What the deadline rules share for one unit and date: the unit, the date, the assessment
period, the reader whose jurisdiction every read goes through, the due-soon horizon and what
could not be dated for want of a holiday calendar. The rules themselves are SQL
(:mod:`.queries`); a worklist builds one context and its rules share it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from jiuye.casework.deadlines.dates import period_start_of, soon_horizon
from jiuye.casework.deadlines.items import CalendarGaps
from jiuye.registry.selectors import Reader
from jiuye.units.models import Level, Unit

# Units whose worklist lists its items (a street's or district's counts them per community).
SMALL_LEVELS = frozenset({Level.COMMUNITY, Level.VILLAGE, Level.GRID})


@dataclass
class RuleContext:
    """What several rules share for one unit and date. Every read goes through ``user``'s
    jurisdiction (None: nothing; a system job passes ``SYSTEM``). ``gaps``: what the rules
    could not date for want of a year's holiday calendar."""

    unit: Unit
    on: date
    period_start: date
    user: Reader | None
    soon_until: date
    gaps: CalendarGaps = field(default_factory=CalendarGaps)


def rule_context(
    unit: Unit,
    on: date,
    *,
    user: Reader | None,
    period_start: date | None = None,
    context: RuleContext | None = None,
) -> RuleContext:
    """``context`` when a worklist shares one, else a new one for ``unit`` at ``on``."""
    if context is not None:
        return context
    gaps = CalendarGaps()
    return RuleContext(
        unit=unit,
        on=on,
        period_start=period_start_of(on, period_start),
        user=user,
        soon_until=soon_horizon(on, gaps),
        gaps=gaps,
    )
