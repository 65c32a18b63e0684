"""``jiuye citus distribute [--shards N] [--dry-run]`` and ``jiuye citus status``: the deploy
step of a province on Citus (the district column: jiuye.units.sharding).

``distribute`` runs after ``jiuye migrate`` on the coordinator: it makes the tables of
``cluster/layout.toml`` distributed and reference tables, in one transaction, and prints what it
did and the foreign keys Citus cannot keep (the services check those rows). Run again, it does
nothing. ``status`` lists every table with where it lives, its shards and co-location group.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError

from jiuye.cluster import catalog, services
from jiuye.cluster.catalog import NotCitus
from jiuye.cluster.layout import LayoutError, Plan


def _positive(raw: str) -> int:
    value = int(raw)
    if value < 1:
        raise ValueError(raw)
    return value


class Command(BaseCommand):
    help = "Put the schema on a Citus cluster (distribute) or show where each table lives (status)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        distribute = sub.add_parser("distribute", help="distribute the tables (idempotent)")
        distribute.add_argument(
            "--shards", type=_positive, default=None, help="shards of the district group (32)"
        )
        distribute.add_argument(
            "--dry-run", action="store_true", help="print the statements, change nothing"
        )
        sub.add_parser("status", help="each table: distributed, reference or local")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            getattr(self, f"_{options['action']}")(options)
        except (NotCitus, LayoutError) as error:
            raise CommandError(str(error)) from None

    def _distribute(self, options: dict[str, Any]) -> None:
        try:
            done = services.citus_distribute(
                shard_count=options["shards"], dry_run=options["dry_run"]
            )
        except DatabaseError as error:
            # One transaction: nothing of it stayed.
            raise CommandError(f"Citus refused, nothing was changed: {error}") from None
        if not done.statements:
            self.stdout.write("已分布：无需改动")
            return
        if options["dry_run"] or options["verbosity"] >= 2:
            for statement in done.statements:
                self.stdout.write(f"{statement};")
            if options["dry_run"]:
                return
        self._summary(done)

    def _summary(self, done: Plan) -> None:
        self.stdout.write(f"参照表（复制到每个节点）{len(done.reference)} 张：")
        self.stdout.write("  " + ", ".join(done.reference))
        self.stdout.write(f"分布表（按 district_id，同位）{len(done.distributed)} 张：")
        self.stdout.write("  " + ", ".join(done.distributed))
        self.stdout.write(f"唯一键加入 district_id：{len(done.widened)} 个")
        for key in done.widened:
            self.stdout.write(f"  {key.table}.{key.name}")
        kept = done.dropped - len(done.left_out)
        self.stdout.write(f"外键：{done.dropped} 个先删除，{kept} 个恢复")
        if done.left_out:
            self.stdout.write(
                f"未恢复的外键（Citus 不支持，由服务层校验）{len(done.left_out)} 个："
            )
            for fk in done.left_out:
                columns, parent = ", ".join(fk.columns), ", ".join(fk.parent_columns)
                self.stdout.write(f"  {fk.table} ({columns}) → {fk.parent} ({parent})")

    def _status(self, options: dict[str, Any]) -> None:
        rows = catalog.placements()
        width = max(len(p.table) for p in rows)
        self.stdout.write(f"{'table':<{width}}  {'kind':<12} {'shards':>6} {'colocation':>10}")
        for p in rows:
            self.stdout.write(f"{p.table:<{width}}  {p.kind:<12} {p.shards:>6} {p.colocation:>10}")
