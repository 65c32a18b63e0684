"""Which households an import announces with ``registry.signals.statuses_changed``, so that
casework keeps their zero-family cases equal to their episodes."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from jiuye.ledger.validate.context import Context
from jiuye.ledger.validate.fetch import P


def finish_announcements(ctx: Context) -> None:
    """Registry households whose members' history or labor-force attributes changed are
    announced already (all of them: their cases may need opening, closing or re-dating).

    A household new in this import has no cases, so nothing of it can be stale: it needs
    announcing only if its members' history may hold a zero-employment episode. Announcing
    every new household would cost the listener a sweep and its queries for each, minutes for
    a district; two necessary conditions for an episode leave a few per cent of them, and
    casework's sync runs the one sweep (``definitions.zero_family_episodes`` over everything
    recorded) on those. (Nearly all of them have an episode: sweeping them here as well would
    only do the listener's work twice.)

    An episode needs a labor-force member without a job: an able, willing member with a
    *jobless* status (neither employed nor outside the labor force) while of working age, so
    before the end of their last jobless event and their retirement day (``summary``'s third
    field). It cannot arise while an *anchor* holds: an able, willing member employed in every
    recorded event from the household's first recorded day, of working age from that day until
    the last day any member can be jobless (before the first recorded day nobody's status is
    known, so nobody counts; from then on the anchor is an employed labor-force member whenever
    a jobless one is in the labor force).
    """
    if not ctx.touched_new:
        return
    h, able, willing = P["household_id"], P["able"], P["willing"]
    wf, ro = P["work_from"], P["retire_on"]
    touched = ctx.touched_new
    summary = ctx.summary
    groups: dict[str, list[tuple[str, Any]]] = defaultdict(list)
    for number, person in ctx.people.items():
        if person[0] is None and person[h] in touched:
            groups[person[h]].append((number, person))
    announce = ctx.plan.announce_numbers
    for household in sorted(touched):
        if household in ctx.moved_into:
            announce.add(household)
            continue
        members = groups.get(household, [])
        first = None
        for number, _person in members:
            found = summary.get(number)
            if found is not None and (first is None or found[0] < first):
                first = found[0]
        if first is None:
            continue  # nothing recorded: no episode can be known
        jobless_until = None  # no member can be jobless from this day on
        for number, person in members:
            found = summary.get(number)
            if found is None or found[2] is None or not (person[able] and person[willing]):
                continue
            until = found[2] if found[2] < person[ro] else person[ro]
            if until > first and (jobless_until is None or until > jobless_until):
                jobless_until = until
        if jobless_until is None:
            continue
        if not any(
            person[able]
            and person[willing]
            and (found := summary.get(number)) is not None
            and found[3]
            and found[0] <= first
            and person[wf] <= first
            and person[ro] >= jobless_until
            for number, person in members
        ):
            announce.add(household)
