"""Signals the registry sends; higher layers (casework) listen, the registry never imports them.

``statuses_changed`` is sent, inside the writing transaction, when the households' zero-family
standing may have changed: employment statuses changed, or a member's ability, desire or
retirement day, or a member moved in or out:

- ``household_ids``: ``set[int]``, the households whose members' statuses changed;
- ``on``: ``date | None``, the earliest date from which the history changed (None: unknown, so
  re-evaluate the whole history);
- ``actor``: the user who made the change (None for system jobs and imports);
- ``bulk``: ``True`` from a bulk loader that wrote rows without the services (optional, default
  False): listeners that keep their own summaries of the registry should treat everything as
  changed (``household_ids`` names only the households whose zero-family state may change);
- ``written``: with ``bulk``, optional: the ids of *every* household whose rows the loader
  wrote or changed (the household, its persons, their status events, recognitions and service
  records; a person who moved: both households), and ``former_communities`` the communities
  the households it moved to another community belonged to: such listeners may then bring
  just those up to date, in the loader's transaction.

``person_change_status``, ``status_event_delete``, ``person_update`` (those fields) and
``person_move`` send it; a bulk loader that writes status
events without those services must send it once for what it wrote.
"""

from __future__ import annotations

from django.dispatch import Signal

statuses_changed = Signal()
