"""Certification tests use the standards builders (households, persons, statuses) and start
with the aggregates built, like the standards tests."""

from tests.casework.conftest import household, person, registered  # noqa: F401  (fixtures)
from tests.standards.conftest import _aggregates_built, evaluate  # noqa: F401  (fixtures)
