"""``jiuye audit verify`` — walk the hash chains; ``jiuye audit seal`` — record every chain's
head in the global chain; ``jiuye audit stats`` — size and time span.

``verify`` seals first when the log is intact (a checkpoint, when another chain's head moved
since the last one), so the head it prints, kept outside the system, vouches for the tail of
every chain: a later ``verify --anchor HASH`` finds any of them cut.

There is deliberately no purge: the log is append-only (the database rejects UPDATE, DELETE and
TRUNCATE) and is kept for at least 6 months — in practice for the life of the database.
"""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db.models import Max, Min
from django.utils.translation import gettext as _

from jiuye.audit.models import AuditEntry
from jiuye.audit.services import audit_checkpoint, chain_head, verify_chain


class Command(BaseCommand):
    help = "Audit log: verify the hash chain (exit 1 if broken), or show its size and span."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        verify = sub.add_parser("verify", help="verify the hash chain; exit 1 if it is broken")
        verify.add_argument(
            "--anchor",
            action="append",
            default=[],
            metavar="HASH",
            help="a head hash printed by an earlier verify: it must still be in the chain "
            "(detects entries cut from the end); repeatable",
        )
        sub.add_parser("seal", help="record every chain's head in the global chain; print its head")
        sub.add_parser("stats", help="number of entries, oldest and newest")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["subcommand"] == "verify":
            self.verify(options["anchor"])
        elif options["subcommand"] == "seal":
            self.seal()
        else:
            self.stats()

    def verify(self, anchors: list[str]) -> None:
        problems = verify_chain()
        count = AuditEntry.objects.count()
        for anchor in anchors:
            if not AuditEntry.objects.filter(hash=anchor.strip().lower()).exists():
                problems.append(f"anchor {anchor}: not in the chain (entries removed?)")
        if problems:
            self.stderr.write(_("审计日志已被篡改（%(n)d处问题）：") % {"n": len(problems)})
            for problem in problems:
                self.stderr.write(f"  {problem}")
            sys.exit(1)
        self.stdout.write(_("审计日志完整（%(n)d条）") % {"n": count})
        self.seal()

    def seal(self) -> None:
        checkpoint = audit_checkpoint()
        if checkpoint is not None:
            heads = len(checkpoint.changes.get("heads", {}))
            self.stdout.write(_("已记录 %(n)d 条分链的末条") % {"n": heads})
        head = chain_head()
        if head:
            # Recorded outside the system, it lets a later verify --anchor notice a cut tail.
            self.stdout.write(_("末条哈希：%(hash)s") % {"hash": head})

    def stats(self) -> None:
        span = AuditEntry.objects.aggregate(oldest=Min("at"), newest=Max("at"))
        self.stdout.write(
            _("审计日志：%(n)d条，最早 %(oldest)s，最新 %(newest)s")
            % {
                "n": AuditEntry.objects.count(),
                "oldest": span["oldest"] or "—",
                "newest": span["newest"] or "—",
            }
        )
