"""Importing a ledger workbook: read, validate, write — one transaction, one audit row.

Modes:

- ``all`` (default): all or nothing — any problem, and nothing is written;
- ``partial``: the rows without problems are written (and rows that depend on a failed row are
  failed with it), the rest reported;
- ``dry_run``: validate and report what would be written; nothing is.

Validation and writing run in the same transaction (on SQLite the write lock is taken at its
start), so nothing can change between the check and the write; an exception or a kill at any
point leaves the database as it was. A dry run (the web page's check) reads outside any
transaction, so it never blocks other writers. ``statuses_changed`` is sent inside the
transaction for the households whose history changed (see ``ledger.validate.announcements``),
so casework's zero-family cases follow, and naming every household written (``written``), so
the standards aggregates refresh those in the same transaction and never go stale. The audit
log gets one ``ledger.import`` row per import with the file names, their SHA-256, the mode and
the counts per sheet — never one per row; an import that wrote nothing (rejected, or failed)
gets one ``ledger.import_rejected`` row instead.

A check (``dry_run``) is a read of the whole registry: its report says which ID numbers are
registered outside the user's jurisdiction. So it gets one ``ledger.check`` row too, with how
many ID numbers were looked up and how many were found elsewhere (never the numbers); imports
record the same two counts (issue 11, finding 10).

Only the roles that keep the registry import (``units.scope.write_paths``: community workers
and grid coordinators, into their own units); a street or district user's import or check is
refused as a whole (``not_permitted``, issue 11, finding 4), unless it holds only the employers'
sheets (用人单位, 岗位, 劳动合同, 裁员), which the street and the district keep too
(``jobs.permissions.may_keep_employers``, asked row by row about each employer's community).
A district-wide first load is a system job on the command line (no ``--user``).
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Literal

from django.db import transaction
from django.utils import timezone

from jiuye.accounts.models import User
from jiuye.audit.services import audit_record
from jiuye.jobs.permissions import may_keep_employers
from jiuye.ledger import load
from jiuye.ledger.columns import JOBS_SHEETS
from jiuye.ledger.issues import Issue, LedgerFileError, make_issue
from jiuye.ledger.readers import FileLimits, read_files
from jiuye.ledger.validate import Counts, Plan, validate
from jiuye.registry.models import Person
from jiuye.registry.signals import statuses_changed
from jiuye.units.scope import check_writer

logger = logging.getLogger(__name__)
Mode = Literal["all", "partial", "dry_run"]
# (phase, done, total): phase is "read", "validate" or "write"
ProgressFn = Callable[[str, int, int], None]


@dataclass
class ImportResult:
    mode: Mode
    files: list[str]
    sha256: list[str]
    counts: dict[str, Counts] = field(default_factory=dict)
    issues: list[Issue] = field(default_factory=list)
    written: bool = False
    seconds: float = 0.0
    # ID numbers looked up in the whole registry, and those found outside the jurisdiction.
    registry_checked: int = 0
    found_elsewhere: int = 0
    # The households the import wrote (their rows or their members'), for the result page's
    # links to what it created or changed.
    households: set[int] = field(default_factory=set)

    @property
    def ok(self) -> bool:
        return not self.issues

    @property
    def inserted(self) -> int:
        return sum(c.inserted for c in self.counts.values())

    @property
    def updated(self) -> int:
        return sum(c.updated for c in self.counts.values())

    @property
    def unchanged(self) -> int:
        return sum(c.unchanged for c in self.counts.values())

    @property
    def rejected_rows(self) -> int:
        return sum(c.rejected for c in self.counts.values())

    def summary(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "files": self.files,
            "written": self.written,
            "counts": {k: v.as_dict() for k, v in self.counts.items()},
            "errors": len(self.issues),
        }


def may_import(user: Any) -> bool:
    """Whether ``user`` may import a workbook at all: the writers of residents' data, and the
    keepers of employers' data (the street and the district: a workbook of the employers'
    sheets only, checked when it is read)."""
    return bool(getattr(user, "writes_residents", False)) or may_keep_employers(user, None)


def check_import(user: Any) -> None:
    """``PermissionDenied`` (the registry's words) unless :func:`may_import`."""
    if not may_import(user):
        check_writer(user)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


class _Abort(Exception):
    """Roll the transaction back (dry run, or errors in all-or-nothing mode)."""


JOBS_KEYS = frozenset(sheet.key for sheet in JOBS_SHEETS)


def _registry_changes(result: ImportResult) -> bool:
    """Whether the import inserted or updated rows of the registry's sheets (the employers'
    sheets change no household)."""
    return any(
        counts.inserted or counts.updated
        for key, counts in result.counts.items()
        if key not in JOBS_KEYS
    )


def _audit(actor: User | None, result: ImportResult, outcome: str) -> None:
    unit = actor.units.order_by("path").first() if actor is not None else None
    if result.mode == "dry_run":
        # A check wrote nothing, but read the registry beyond the jurisdiction.
        action = "ledger.check"
    else:
        # Only an import that wrote is "ledger.import" (a bulk write: the standards aggregates
        # treat it as such); a rejected or failed one wrote nothing.
        action = "ledger.import" if result.written else "ledger.import_rejected"
    audit_record(
        actor=actor,
        action=action,
        unit=unit,
        changes={
            "files": [None, result.files],
            "sha256": [None, result.sha256],
            "mode": [None, result.mode],
            "counts": [None, {k: v.as_dict() for k, v in result.counts.items()}],
            "errors": [None, len(result.issues)],
            "ids_checked": [None, result.registry_checked],
            "found_elsewhere": [None, result.found_elsewhere],
        },
        result=outcome,
    )


def ledger_import(
    *,
    actor: User | None,
    files: Sequence[tuple[Path, str]],
    mode: Mode = "all",
    sheet: str | None = None,
    today: date | None = None,
    progress: ProgressFn | None = None,
    limits: FileLimits | None = None,
) -> ImportResult:
    """Import the ledger workbook ``files`` ((path, display name) pairs: one .xlsx, or CSV files
    named after their sheets). ``actor`` None imports with no jurisdiction limit (the command
    line without --user); a user may only write inside their jurisdiction, and only a role
    that keeps the registry may import or check at all. Every run is audited, a check too.
    ``limits``: what the files may be before they are parsed (default: the command line's;
    a web upload's are smaller, ``FileLimits.upload``)."""
    started = time.perf_counter()
    today = today or timezone.localdate()
    report = progress or (lambda phase, done, total: None)
    result = ImportResult(
        mode=mode,
        files=[display for _path, display in files],
        sha256=[file_sha256(path) if path.is_file() else "" for path, _display in files],
    )
    # Millions of short-lived cells and rows: the cyclic collector would only cost time (as in
    # ``jiuye seed``); it is switched back on whatever happens.
    gc_was_enabled = gc.isenabled()
    gc.disable()
    source = None
    try:
        if actor is not None and not actor.writes_residents and not may_keep_employers(actor, None):
            raise LedgerFileError(make_issue("not_permitted"))
        report("read", 0, 1000)
        source = read_files(files, sheet_key=sheet, limits=limits)
        if actor is not None and not actor.writes_residents and set(source.weights) - JOBS_KEYS:
            # A street or district user keeps employers' data, not residents'.
            raise LedgerFileError(make_issue("not_permitted"))
        # A check only reads: no transaction, so on SQLite it does not hold the write lock
        # (which would stall every other request of the web process meanwhile).
        atomic = contextlib.nullcontext() if mode == "dry_run" else transaction.atomic()
        with atomic:
            # Units to status events may be written while the rest is validated (a large load
            # on PostgreSQL, see ``load.Pipeline``); in all-or-nothing mode only while no
            # problem has been found (any later one rolls everything back all the same).
            pipeline = None if mode == "dry_run" else load.Pipeline(actor=actor, today=today)

            def registry_ready(plan: Plan) -> None:
                if pipeline is not None and (mode == "partial" or not plan.issues):
                    pipeline.start(plan)

            try:
                plan = validate(
                    source,
                    user=actor,
                    today=today,
                    progress=report,
                    registry_ready=registry_ready,
                )
                result.counts = plan.counts
                result.issues = plan.issues
                result.registry_checked = plan.registry_checked
                result.found_elsewhere = len(plan.found_elsewhere)
                if pipeline is None or (plan.issues and mode == "all"):
                    raise _Abort
                total = load.rows_to_write(plan)
                written = pipeline.finish(plan, report=lambda rows: report("write", rows, total))
            finally:
                if pipeline is not None:
                    pipeline.stop()  # the import is abandoned: no writer may outlive it
            if written.announce or written.households or _registry_changes(result):
                # Even with no household to name: the listeners learn rows were bulk-written.
                # Every household written is named, so the standards aggregates refresh them
                # here, in this transaction, and stay fresh through the commit.
                statuses_changed.send(
                    Person,
                    household_ids=written.announce,
                    on=plan.announce_on,
                    actor=actor,
                    bulk=True,
                    written=written.households,
                    former_communities=written.former_communities,
                )
            result.written = True
            result.households = set(written.households) | set(written.announce)
            result.seconds = time.perf_counter() - started
            _audit(actor, result, "ok" if not plan.issues else "partial")
    except LedgerFileError as error:
        result.issues = [*result.issues, error.issue]
        result.counts = {}
        result.seconds = time.perf_counter() - started
        _audit(actor, result, "rejected")
    except _Abort:
        result.seconds = time.perf_counter() - started
        # A check that ran to its end is "ok" (its report, problems and all, is its result).
        _audit(actor, result, "ok" if mode == "dry_run" else "rejected")
    except Exception as error:
        # Everything was rolled back: say so in the report, keep a trace in the audit log.
        logger.exception("ledger import failed; nothing was written")
        result.written = False
        result.issues = [*result.issues, make_issue("crashed", detail=type(error).__name__)]
        result.seconds = time.perf_counter() - started
        _audit(actor, result, "failed")
    finally:
        if source is not None:
            source.close()
        if gc_was_enabled:
            gc.enable()
    return result


def aggregates_after_import(*, actor: User | None) -> float | None:
    """Rebuild the standards aggregates if they are stale after an import; the seconds it took,
    or None when they were fresh. An import refreshes the households it wrote in its own
    transaction (``standards.receivers``), so this rebuilds only aggregates that were stale
    before it (a seed or a restore since the last build, rows written behind the services'
    back) or that it could not vouch for. Run after the import's commit, in its own
    transaction: the import is never held up or undone by it, and until it finishes the
    indicators read the registry directly (same numbers, slower)."""
    from jiuye.standards.aggregates import aggregates_fresh
    from jiuye.standards.services import aggregates_rebuild

    if aggregates_fresh():
        return None
    return aggregates_rebuild(actor=actor).seconds
