"""Synthetic demo data: a whole district generated deterministically from a seed (``jiuye seed``)
and the demo accounts that go with it (``jiuye demo_users``)."""
