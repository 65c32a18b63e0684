"""The validation of one import, sheet by sheet in dependency order."""

from __future__ import annotations

from jiuye.ledger.columns import (
    CONTRACTS,
    EMPLOYERS,
    HOUSEHOLDS,
    LAYOFFS,
    PERSONS,
    POSTINGS,
    RECOGNITIONS,
    SERVICES,
    STATUSES,
    UNITS,
)
from jiuye.ledger.validate import employers
from jiuye.ledger.validate.announcements import finish_announcements
from jiuye.ledger.validate.context import Context
from jiuye.ledger.validate.households import check_households
from jiuye.ledger.validate.persons import check_persons
from jiuye.ledger.validate.plan import Counts, Plan
from jiuye.ledger.validate.recognitions import check_recognitions
from jiuye.ledger.validate.rows import Rows
from jiuye.ledger.validate.service_records import check_services
from jiuye.ledger.validate.statuses import check_statuses
from jiuye.ledger.validate.units import check_units


class Validator(Context):
    """Builds the :class:`Plan` of one import: :meth:`run` checks each sheet (its own module)
    against the file's earlier sheets and the registry."""

    def run(self) -> Plan:
        """Validate sheet by sheet (each parsed as it is needed); progress in per mille of the
        sheets' sizes."""
        weights = self.source.weights
        total = sum(weights.values()) or 1
        done = 0
        for sheet, step in (
            (UNITS, self.check_units),
            (HOUSEHOLDS, self.check_households),
            (PERSONS, self.check_persons),
            (STATUSES, self.check_statuses),
            (RECOGNITIONS, self.check_recognitions),
            (SERVICES, self.check_services),
            (EMPLOYERS, self.check_employers),
            (POSTINGS, self.check_postings),
            (CONTRACTS, self.check_contracts),
            (LAYOFFS, self.check_layoffs),
        ):
            raw = self.source.get(sheet.key)
            rows = self.rows[sheet.key] = Rows(raw, sheet, self.plan.issues)
            counts = Counts(read=rows.n)
            if raw is not None:
                self.plan.counts[sheet.key] = counts
            if raw is not None or sheet is UNITS:
                step(rows, counts)
            counts.rejected = len(rows.bad)
            done += weights.get(sheet.key, 0)
            self.progress("validate", done * 1000 // total, 1000)
            if raw is not None:
                raw.columns.clear()  # the raw cells are no longer needed
            if sheet is STATUSES and self.registry_ready is not None:
                # Units, households, persons and events are final now (later sheets only read
                # them): the caller may start writing them (``ledger.load.Pipeline``).
                self.registry_ready(self.plan)
        finish_announcements(self)
        return self.plan

    def check_units(self, rows: Rows, counts: Counts) -> None:
        check_units(self, rows, counts)

    def check_households(self, rows: Rows, counts: Counts) -> None:
        check_households(self, rows, counts)

    def check_persons(self, rows: Rows, counts: Counts) -> None:
        check_persons(self, rows, counts)

    def check_statuses(self, rows: Rows, counts: Counts) -> None:
        check_statuses(self, rows, counts)

    def check_recognitions(self, rows: Rows, counts: Counts) -> None:
        check_recognitions(self, rows, counts)

    def check_services(self, rows: Rows, counts: Counts) -> None:
        check_services(self, rows, counts)

    def check_employers(self, rows: Rows, counts: Counts) -> None:
        employers.check_employers(self, rows, counts)

    def check_postings(self, rows: Rows, counts: Counts) -> None:
        employers.check_postings(self, rows, counts)

    def check_contracts(self, rows: Rows, counts: Counts) -> None:
        employers.check_contracts(self, rows, counts)

    def check_layoffs(self, rows: Rows, counts: Counts) -> None:
        employers.check_layoffs(self, rows, counts)
