"""What the standards' aggregates tell the layers above when they change (the monthly roll-ups
of ``jiuye.monitoring`` follow them in the writer's transaction)."""

from django.dispatch import Signal

# ``since``: {community id: the first day whose counts changed, or None for all of them}.
community_timelines_changed = Signal()
# Every community timeline was rebuilt (``aggregates_rebuild``).
aggregates_rebuilt = Signal()
