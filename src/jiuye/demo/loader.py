"""Writing a generated district into the database, fast, in one transaction.

On PostgreSQL rows are streamed with ``COPY … FROM STDIN`` (psycopg 3) while the foreign keys,
unique constraints and secondary indexes of the six tables are lifted, then put back exactly as
the catalog had them (one validating pass each instead of a check per row): a million persons
in about a minute. Elsewhere (SQLite) ``executemany`` in large batches. Ids are explicit (the
generator numbers rows from 1 in an empty registry), so no round trip is needed for foreign
keys; the sequences are moved past them at the end. A background thread generates the next batch
while the current one is written. The writing helpers are ``jiuye.lib.bulkload``, shared with
the ledger workbook import.

The rows bypass the registry services on purpose (one audited service call per row would take
hours); what those services guarantee is reproduced by the generator and checked by the tests
(``tests/demo``): derived columns as ``registry.derive`` computes them, ``until`` chains, the
``current_*`` cache, the distribution column ``district_id`` (each row carries the district its
generator made; :func:`check_districts` holds that to ``units.sharding``'s rule once per
district). One audit entry records the whole seed, and ``statuses_changed`` is sent
once, as the registry's signal contract asks of bulk loaders (see :func:`seed` for which
households it names).
"""

from __future__ import annotations

import dataclasses
import gc
import queue
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.db import connection, models, transaction
from django.db.models import ProtectedError

from jiuye.audit.services import audit_record
from jiuye.casework.columns import SERVICE_FIELDS
from jiuye.casework.models import ServiceRecord
from jiuye.demo.generator import Batch, Row, SeedConfig, generate
from jiuye.jobs.columns import (
    CONTRACT_FIELDS,
    EMPLOYER_FIELDS,
    HIRE_FIELDS,
    LAYOFF_FIELDS,
    POSTING_FIELDS,
    REFERRAL_FIELDS,
    STAFF_FIELDS,
)
from jiuye.jobs.models import ContractEvent, Employer, Hire, Layoff, Posting, Referral, StaffReport
from jiuye.lib import bulkload
from jiuye.lib.sql import citus
from jiuye.registry.columns import (
    EVENT_FIELDS,
    HOUSEHOLD_FIELDS,
    PERSON_FIELDS,
    RECOGNITION_FIELDS,
)
from jiuye.registry.models import DifficultyRecognition, Household, Person, StatusEvent
from jiuye.registry.signals import statuses_changed
from jiuye.units.columns import UNIT_FIELDS
from jiuye.units.models import Unit
from jiuye.units.sharding import districts_of

# In dependency order: parents before children.
TABLES: tuple[tuple[type[models.Model], tuple[str, ...], str], ...] = (
    (Unit, UNIT_FIELDS, "units"),
    (Household, HOUSEHOLD_FIELDS, "households"),
    (Person, PERSON_FIELDS, "persons"),
    (StatusEvent, EVENT_FIELDS, "events"),
    (DifficultyRecognition, RECOGNITION_FIELDS, "recognitions"),
    (ServiceRecord, SERVICE_FIELDS, "services"),
    (Employer, EMPLOYER_FIELDS, "employers"),
    (StaffReport, STAFF_FIELDS, "staff_reports"),
    (ContractEvent, CONTRACT_FIELDS, "contracts"),
    (Layoff, LAYOFF_FIELDS, "layoffs"),
    (Posting, POSTING_FIELDS, "postings"),
    (Referral, REFERRAL_FIELDS, "referrals"),
    (Hire, HIRE_FIELDS, "hires"),
)
CORE_MODELS: tuple[type[models.Model], ...] = tuple(model for model, _, _ in TABLES)


class SeedRefused(Exception):
    """The database already holds registry data and ``replace`` was not asked for."""


@dataclass(frozen=True)
class SeedSummary:
    units: int
    households: int
    persons: int
    events: int
    recognitions: int
    services: int
    employers: int
    staff_reports: int
    contracts: int
    layoffs: int
    postings: int
    referrals: int
    hires: int
    zero_households: int  # households that were a zero family at some time (see Batch)
    seconds: float
    replaced: bool
    # The seekers each generated posting was written for (``demo.jobs.Planted``): for the
    # bench's quality figures, never stored.
    planted: tuple[Any, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "units": self.units,
            "households": self.households,
            "persons": self.persons,
            "events": self.events,
            "recognitions": self.recognitions,
            "services": self.services,
            "employers": self.employers,
            "staff_reports": self.staff_reports,
            "contracts": self.contracts,
            "layoffs": self.layoffs,
            "postings": self.postings,
            "referrals": self.referrals,
            "hires": self.hires,
            "zero_households": self.zero_households,
        }


def has_registry_data() -> bool:
    return Person.objects.exists() or Household.objects.exists() or Unit.objects.exists()


def _dependents() -> Iterator[tuple[type[models.Model], models.Field[Any, Any], Any]]:
    """Every foreign key (or auto-created many-to-many) from outside the core tables into them:
    memberships, casework records, whatever later apps add."""
    for core in CORE_MODELS:
        for rel in core._meta.get_fields(include_hidden=True):
            if not (rel.auto_created and not rel.concrete and rel.is_relation):
                continue
            related = rel.related_model
            if related in CORE_MODELS or not isinstance(related, type):
                continue
            if rel.many_to_many:
                through = rel.through  # type: ignore[union-attr]
                if through._meta.auto_created:
                    for fk in through._meta.fields:
                        if fk.is_relation and fk.related_model is core:
                            yield through, fk, models.CASCADE
                continue
            yield related, rel.field, rel.on_delete  # type: ignore[union-attr]


def _delete(queryset: Any, depth: int = 0) -> None:
    """Delete the rows, and first whatever protects them (a certification's application and its
    steps, a payment's reversal): a replaced registry leaves none of them anything to stand
    for."""
    try:
        with transaction.atomic():
            queryset.delete()
        return
    except ProtectedError as error:
        if depth > 20:
            raise
        by_model: dict[Any, list[Any]] = {}
        for obj in error.protected_objects:
            by_model.setdefault(type(obj), []).append(obj.pk)
    for model, pks in by_model.items():
        _delete(model._base_manager.filter(pk__in=pks), depth + 1)
    _delete(queryset, depth + 1)


def clear_dependents() -> None:
    """Delete rows of other apps pointing at units or registry rows (memberships, casework
    records, certifications, policy money…) through the ORM, so their own cascades apply, and
    the rows protecting them before them; a nullable SET_NULL reference is cleared instead.
    Audit rows are never touched (they point at nothing)."""
    for model, fk, on_delete in _dependents():
        referencing = model._base_manager.filter(**{f"{fk.name}__isnull": False})
        if on_delete is models.SET_NULL:
            referencing.update(**{fk.name: None})
        elif on_delete is not models.DO_NOTHING:
            _delete(referencing)


def clear_core() -> None:
    """Empty the unit tree and registry tables (after :func:`clear_dependents`). PostgreSQL
    truncates, which needs the foreign keys into them lifted first
    (:func:`jiuye.lib.bulkload.lift_constraints`);
    elsewhere a plain DELETE, whose deferred checks pass at commit. Citus is elsewhere: the
    keys stay on there (a load changes no schema), and Citus truncates no table a key names."""
    qn = connection.ops.quote_name
    tables = [qn(model._meta.db_table) for model in reversed(CORE_MODELS)]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql" and not citus():
            cursor.execute(f"TRUNCATE {', '.join(tables)}")
        else:
            for table in tables:
                cursor.execute(f"DELETE FROM {table}")


def prefetch(batches: Iterable[Batch], depth: int = 2) -> Iterator[Batch]:
    """Generate the next batches in a background thread while the current one is written.

    The generator is pure Python and never touches the database; the GIL is released while the
    writer waits for PostgreSQL to digest a COPY, so generating and loading overlap. Order is
    kept (one producer), so the output stays deterministic. An error in the producer is raised
    here, in the writer's thread.
    """
    done = object()
    slots: queue.Queue[Any] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def offer(item: Any) -> bool:
        """Put unless the consumer has gone (then a full queue would block forever)."""
        while not stop.is_set():
            try:
                slots.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for batch in batches:
                if not offer(batch):
                    return
            offer(done)
        except BaseException as error:  # handed over to the consumer
            offer(error)

    worker = threading.Thread(target=produce, name="demo-seed-generator", daemon=True)
    worker.start()
    try:
        while True:
            item = slots.get()
            if item is done:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        worker.join()


def check_districts(districts: dict[int, int]) -> None:
    """The communities just written have the districts the generator wrote in their rows: the
    generator knows its tree, the rule (``units.sharding.district_sql``) is the one truth, read
    once for all of them."""
    found = districts_of(districts)
    wrong = sorted(pk for pk, district in districts.items() if found[pk] != district)
    if wrong:
        raise RuntimeError(f"the generator gave communities {wrong[:5]} the wrong district")


def write_batches(
    batches: Iterable[Batch], planted: list[Any] | None = None
) -> tuple[dict[str, int], set[int]]:
    """Write every batch; returns the row count per table and the ever-zero households (and
    collects the planted pairs into ``planted``)."""
    write = bulkload.copy_rows if connection.vendor == "postgresql" else bulkload.insert_rows
    counts = {attr: 0 for _, _, attr in TABLES}
    zero_households: set[int] = set()
    for batch in batches:
        for model, fields, attr in TABLES:
            rows: list[Row] = getattr(batch, attr)
            if rows:
                write(model, fields, rows)
                counts[attr] += len(rows)
            if model is Unit and batch.districts:
                check_districts(batch.districts)
        zero_households.update(batch.zero_households)
        if planted is not None:
            planted.extend(batch.planted)
    return counts, zero_households


def seed(config: SeedConfig, *, replace: bool = False, actor: Any = None) -> SeedSummary:
    """Generate and load a district in one transaction: on any error nothing is left behind.

    Refuses (:class:`SeedRefused`) when registry data exists, unless ``replace``. On PostgreSQL
    the rest of an enclosing transaction keeps ``SET CONSTRAINTS ALL IMMEDIATE`` (stricter, and
    the command's transaction ends with the seed anyway).
    """
    started = time.perf_counter()
    gc_was_enabled = gc.isenabled()
    gc.disable()  # millions of short-lived tuples: the cyclic collector only costs time here
    try:
        with transaction.atomic():
            postgres = connection.vendor == "postgresql"
            if postgres:
                # Check as we go, so no trigger events are pending when constraints are lifted.
                with connection.cursor() as cursor:
                    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            bulkload.one_connection_a_node()
            replaced = has_registry_data()
            if replaced and not replace:
                raise SeedRefused("数据库中已有单位或人员数据；如需替换，请使用 --replace")
            if replaced:
                clear_dependents()
            lifted = bulkload.lift_constraints(CORE_MODELS) if postgres else None
            if replaced:
                clear_core()
            planted: list[Any] = []
            counts, zero_households = write_batches(prefetch(generate(config)), planted)
            if lifted is not None:
                bulkload.restore_constraints(lifted)
            bulkload.reset_sequences(CORE_MODELS)
            bulkload.analyze(CORE_MODELS)
            summary = SeedSummary(
                **counts,
                zero_households=len(zero_households),
                seconds=0.0,
                replaced=replaced,
                planted=tuple(planted),
            )
            audit_record(
                actor=actor,
                action="demo.seed",
                unit=Unit.objects.get(code=config.district_code),
                changes={
                    **{key: [None, value] for key, value in summary.as_dict().items()},
                    "seed": [None, config.seed],
                    "today": [None, config.today.isoformat()],
                    "replaced": [None, replaced],
                },
            )
            # The signal contract asks bulk loaders to announce what they wrote. We name only the
            # households that were ever a zero family: the others need nothing from the casework
            # listener (its cases were emptied with the tables), which costs two queries per named
            # household, about an hour for a million persons if all were named. ``bulk``: the
            # seed wrote every household, so listeners keeping their own summaries (the
            # standards' aggregates) mark them stale rather than recompute the named ones.
            statuses_changed.send(
                Person, household_ids=zero_households, on=None, actor=actor, bulk=True
            )
    finally:
        if gc_was_enabled:
            gc.enable()
    return dataclasses.replace(summary, seconds=time.perf_counter() - started)
