"""Monitoring tests start like the standards' tests: the aggregates (and with them the monthly
roll-ups) built on the shared tree."""

from tests.casework.conftest import household, person, registered  # noqa: F401  (fixtures)
from tests.monitoring.warning_helpers import warnings_made  # noqa: F401  (fixtures)
from tests.standards.conftest import _aggregates_built, evaluate  # noqa: F401  (fixtures)
