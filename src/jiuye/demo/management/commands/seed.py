"""``jiuye seed --persons N --seed S [--districts D] [--district-code 110108]
[--today YYYY-MM-DD] [--replace]``

Builds a synthetic district deterministically: the same persons, seed and today give the same
rows. "today" defaults to a fixed date, not the wall clock, for the same reason. ``--districts``
above 1 builds a city instead: that many districts of the district code's city (Beijing's
1101xx for the default), each its own root unit, the persons split evenly between them.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jiuye.demo.generator import (
    DEFAULT_DISTRICT,
    DEFAULT_TODAY,
    SeedConfig,
    city_districts,
    district_name,
    region_problem,
)
from jiuye.demo.loader import SeedRefused, seed
from jiuye.lib.dates import date_argument, option_date


class Command(BaseCommand):
    help = "Generate a synthetic district (units, households, persons, statuses, recognitions)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--persons", type=int, default=20_000, help="persons (default 20000)")
        parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
        parser.add_argument(
            "--districts",
            type=int,
            default=1,
            help="districts of the district code's city (default 1: one district)",
        )
        parser.add_argument(
            "--district-code",
            default=DEFAULT_DISTRICT,
            help=f"6-digit county code (default {DEFAULT_DISTRICT})",
        )
        parser.add_argument(
            "--today",
            type=date_argument,
            default=DEFAULT_TODAY,
            help=f"the data's 'today' (default {DEFAULT_TODAY.isoformat()})",
        )
        parser.add_argument(
            "--replace",
            action="store_true",
            help="delete existing units and registry data first (audit kept)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        persons: int = options["persons"]
        if persons < 1:
            raise CommandError("--persons 须为正整数")
        today = option_date(options["today"], option="--today") or DEFAULT_TODAY
        code: str = options["district_code"]
        problem = region_problem(code, today)
        if problem:
            raise CommandError(problem)
        districts: int = options["districts"]
        if districts < 1 or districts > persons:
            raise CommandError("--districts 须为正整数，且不多于 --persons")
        try:
            city = city_districts(code, districts, today)
        except ValueError as error:
            raise CommandError(str(error)) from None
        config = SeedConfig(
            persons=persons,
            seed=options["seed"],
            district_code=code,
            district_name=district_name(code) or f"{code}区",
            today=today,
            districts=districts,
        )
        try:
            summary = seed(config, replace=options["replace"])
        except SeedRefused as refused:
            raise CommandError(str(refused)) from None
        where = f"{config.district_name}（{code}）"
        if districts > 1:
            where = "、".join(
                f"{name}（{c}）" for c, name in [(code, config.district_name), *city[1:]]
            )
        self.stdout.write(
            f"{where}，seed {config.seed}，today {today.isoformat()}"
            f"{'，已替换原有数据' if summary.replaced else ''}\n"
            f"  units         {summary.units:>10,}\n"
            f"  households    {summary.households:>10,}\n"
            f"  persons       {summary.persons:>10,}\n"
            f"  events        {summary.events:>10,}\n"
            f"  recognitions  {summary.recognitions:>10,}\n"
            f"  services      {summary.services:>10,}\n"
            f"  elapsed       {summary.seconds:>10.1f} s"
        )
        # The load bypassed the services, so the standards aggregates are stale until rebuilt
        # (evaluations would fall back to scanning the registry): rebuild them now.
        from jiuye.standards.services import aggregates_rebuild

        rebuilt = aggregates_rebuild()
        self.stdout.write(f"  aggregates    {rebuilt.seconds:>10.1f} s")
