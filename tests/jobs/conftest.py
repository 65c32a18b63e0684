"""Builders for the jobs tests: the casework builders of households and registered persons."""

from tests.casework.conftest import household, person, registered  # noqa: F401
