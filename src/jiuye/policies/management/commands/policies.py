"""``jiuye policies list [--json]`` and ``jiuye policies eligible POLICY [--date D] [--unit CODE]
[--unpaid] [--limit N] [--json]`` (DOMAIN §9).

``list`` prints the catalog: each policy's id, version, name, clause, beneficiary, period,
amount in words and budget line. ``eligible`` lists who is eligible for a policy at a date in
the whole database (or under a unit), as the system: each beneficiary with their name, masked
number, amount and the reasons in words. A person's full ID number is never printed. The JSON
is written page by page (``EligibleSet.page``), not built as one list.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from jiuye.casework.management.commands.worklist import table
from jiuye.lib.dates import date_argument, option_date
from jiuye.policies import catalog
from jiuye.policies.catalog import Policy
from jiuye.policies.eligibility import Row, eligible
from jiuye.policies.payloads import (
    BENEFICIARY_WORDS,
    STATE_WORDS,
    amount_words,
    money,
    policy_json,
    row_json,
)
from jiuye.units.models import Unit
from jiuye.units.scope import SYSTEM

PAGE = 1000


class Command(BaseCommand):
    help = "政策：列出政策目录；列出某政策在某日的符合条件对象（证件号码脱敏）。"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        listing = sub.add_parser("list", help="政策目录")
        listing.add_argument("--json", action="store_true", help="输出 JSON")
        found = sub.add_parser("eligible", help="某政策的符合条件对象")
        found.add_argument("policy", help="政策编号，如 HD18-HIRE")
        found.add_argument(
            "--date", type=date_argument, default=None, help="日期 YYYY-MM-DD（默认今天）"
        )
        found.add_argument("--unit", default="", help="单位代码：只列该单位及其下属")
        found.add_argument("--unpaid", action="store_true", help="只列尚未支付的")
        found.add_argument("--limit", type=int, default=None, help="最多列出几条（默认全部）")
        found.add_argument("--json", action="store_true", help="输出 JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            getattr(self, f"_{options['action']}")(options)
        except catalog.CatalogError as error:
            raise CommandError(f"政策目录有误：{error}") from None

    def _list(self, options: dict[str, Any]) -> None:
        today = timezone.localdate()
        found = list(catalog.policies().values())
        if options["json"]:
            rows = [policy_json(p, today) for p in found]
            self.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2))
            return
        self.stdout.write(
            table(
                ["编号", "版本", "名称", "条款", "对象", "期间", "金额", "预算科目"],
                [
                    [
                        p.id,
                        str(p.version),
                        p.name,
                        f"{p.document} {p.clause}",
                        str(BENEFICIARY_WORDS[p.beneficiary]),
                        p.period_words,
                        amount_words(p, today),
                        p.budget_line,
                    ]
                    for p in found
                ],
            )
        )

    def _eligible(self, options: dict[str, Any]) -> None:
        today = timezone.localdate()
        on = option_date(options["date"], option="--date") or today
        if on > today:
            raise CommandError(f"--date：不能是将来的日期：{on.isoformat()}")
        try:
            policy = catalog.policy_get(options["policy"])
        except catalog.UnknownPolicy:
            known = "、".join(catalog.policies())
            raise CommandError(f"没有此政策：{options['policy']}（可用：{known}）") from None
        unit = None
        if options["unit"]:
            unit = Unit.objects.filter(code=options["unit"].strip()).first()
            if unit is None:
                raise CommandError(f"单位不存在：{options['unit']}")
        limit = options["limit"]
        if limit is not None and limit < 1:
            raise CommandError("--limit 须为正整数")
        found = eligible(user=SYSTEM, policy=policy, on=on, unit=unit, unpaid=options["unpaid"])
        count = found.count()
        total = found.total()
        wanted = count if limit is None else min(count, limit)
        if options["json"]:
            self._json(policy, on, found, count, total, wanted)
            return
        where = f" {unit.name}" if unit is not None else ""
        money = f"，合计 {total} 元" if total is not None else ""
        self.stdout.write(
            f"{policy.id}@{policy.version} {policy.name} {on.isoformat()}{where}"
            f"（期间 {found.period}）：{count} 个对象{money}"
        )
        if not count:
            return
        header = ["类型", "名称", "证件号码/代码", "单位", "金额", "人数", "理由", "状态"]
        for rows in _pages(found, wanted):
            self.stdout.write(table(header, [_cells(r) for r in rows]))
        if wanted < count:
            self.stdout.write(f"（只列出前 {wanted} 个，共 {count} 个）")

    def _json(
        self, policy: Policy, on: date, found: Any, count: int, total: Any, wanted: int
    ) -> None:
        head = {
            "policy": policy.id,
            "version": policy.version,
            "date": on.isoformat(),
            "period": found.period,
            "count": count,
            "total": money(total),
        }
        text = json.dumps(head, ensure_ascii=False, indent=2)
        # The beneficiaries are written as they are read, a page at a time.
        self.stdout.write(text[:-2] + ',\n  "beneficiaries": [', ending="")
        first = True
        for rows in _pages(found, wanted):
            for row in rows:
                item = json.dumps(row_json(row), ensure_ascii=False)
                self.stdout.write(("\n    " if first else ",\n    ") + item, ending="")
                first = False
        self.stdout.write("\n  ]\n}" if not first else "]\n}")


def _pages(found: Any, wanted: int) -> Any:
    offset = 0
    while offset < wanted:
        rows = found.page(offset, min(PAGE, wanted - offset))
        if not rows:
            return
        yield rows
        offset += len(rows)


def _cells(row: Row) -> list[str]:
    return [
        str(BENEFICIARY_WORDS[row.kind]),
        row.name,
        row.masked,
        row.place.name if row.place is not None else "",
        "" if row.amount is None else str(row.amount),
        "" if row.heads is None else str(row.heads),
        "；".join(row.reasons),
        str(STATE_WORDS.get(row.state, row.state)),
    ]
