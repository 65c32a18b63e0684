"""What casework tells the layers above (casework never imports them; they listen)."""

from django.dispatch import Signal

# Zero-family cases were created, changed or deleted in the writer's transaction.
# ``since``: {community id: the earliest day an affected case covers}.
zero_families_changed = Signal()
