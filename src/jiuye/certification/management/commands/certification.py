"""``jiuye certification apply|submit|review|accept UNIT --ruleset R --year Y --user USERNAME
[--return --note TEXT] [--level L] [--date D]`` and ``jiuye certification show UNIT --year Y
[--ruleset R] [--level L] [--json]`` (DESIGN.md "Interfaces").

The same steps as the web pages and the API, through the same services: ``--user`` is who
takes the step, with their permissions (a street reviewer reviews only their own street's
communities). ``--return`` sends the application back with ``--note`` as the reason.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from jiuye.accounts.models import User
from jiuye.certification import services
from jiuye.certification.models import Application, State, StepKind
from jiuye.certification.selectors import application_json
from jiuye.lib.dates import date_argument, option_date
from jiuye.lib.text import join_list
from jiuye.standards.rulesets import RuleSetError, ruleset_get
from jiuye.units.models import Unit

ACTIONS = ("apply", "submit", "review", "accept", "show")


class Command(BaseCommand):
    help = "Certification steps (apply, submit, review, accept) and an application's record (show)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=ACTIONS)
        parser.add_argument("unit", metavar="UNIT", help="the unit's code")
        parser.add_argument("--ruleset", default="", help="rule set id (HD-2012, CQ-2007…)")
        parser.add_argument("--year", type=int, required=True)
        parser.add_argument("--level", default="", help="the rule set level (default: the unit's)")
        parser.add_argument("--user", default="", metavar="USERNAME", help="who takes the step")
        parser.add_argument(
            "--return",
            dest="returned",
            action="store_true",
            help="review/accept: send it back (give the reason with --note)",
        )
        parser.add_argument("--note", default="")
        parser.add_argument(
            "--date", type=date_argument, default=None, help="the step's day (default today)"
        )
        parser.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        unit = Unit.objects.filter(code=options["unit"]).first()
        if unit is None:
            raise CommandError(f"单位不存在：{options['unit']}")
        if options["action"] == "show":
            self._show(unit, options)
            return
        actor = self._user(options["user"])
        day = option_date(options["date"], option="--date")
        try:
            self._step(options["action"], actor, unit, day, options)
        except PermissionDenied as error:
            raise CommandError(f"{actor.username}: {error}") from None
        except ValidationError as error:
            raise CommandError(join_list(error.messages, clauses=True)) from None
        except RuleSetError as error:
            raise CommandError(str(error)) from None

    def _user(self, username: str) -> User:
        if not username:
            raise CommandError("--user is required for a step (who takes it)")
        actor = User.objects.filter(username=username, is_active=True).first()
        if actor is None:
            raise CommandError(f"用户不存在或已停用：{username}")
        return actor

    def _application(self, unit: Unit, options: dict[str, Any]) -> Application:
        qs = Application.objects.select_related("unit").filter(unit=unit, year=options["year"])
        if options["ruleset"]:
            qs = qs.filter(ruleset__iexact=options["ruleset"])
        if options["level"]:
            qs = qs.filter(level=options["level"])
        found = list(qs.order_by("-updated_at", "-pk")[:2])
        if not found:
            raise CommandError(f"{unit.code} 没有 {options['year']} 年度的申请")
        if len(found) > 1 and not (options["ruleset"] and options["level"]):
            raise CommandError("该单位本年度有多个申请：请用 --ruleset 和 --level 指明")
        return found[0]

    def _step(
        self, action: str, actor: User, unit: Unit, day: date | None, options: dict[str, Any]
    ) -> None:
        note, passed = options["note"], not options["returned"]
        if action == "apply":
            if not options["ruleset"]:
                raise CommandError("--ruleset is required to apply")
            application = services.certification_apply(
                actor=actor,
                unit=unit,
                ruleset=ruleset_get(options["ruleset"]),
                year=options["year"],
                level_key=options["level"] or None,
                note=note,
                on=day,
            )
        else:
            application = self._application(unit, options)
            if action == "submit":
                services.certification_submit(
                    actor=actor, application=application, note=note, on=day
                )
            elif action == "review":
                services.certification_review(
                    actor=actor, application=application, passed=passed, note=note, on=day
                )
            else:
                services.certification_accept(
                    actor=actor, application=application, passed=passed, note=note, on=day
                )
            application.refresh_from_db()
        if options["json"]:
            self.stdout.write(json.dumps(application_json(application), ensure_ascii=False))
            return
        waiting = services.next_step(application)
        self.stdout.write(
            f"{unit.name}（{unit.code}） {application.ruleset}/{application.level}"
            f" {application.year}：{State(application.state).label}，第{application.revision}稿"
            + (f"，下一步：{StepKind(waiting).label}" if waiting else "")
        )

    def _show(self, unit: Unit, options: dict[str, Any]) -> None:
        application = self._application(unit, options)
        data = application_json(application)
        if options["json"]:
            self.stdout.write(json.dumps(data, ensure_ascii=False))
            return
        self.stdout.write(
            f"{unit.name}（{unit.code}） {data['ruleset']}/{data['level']} {data['year']}："
            f"{State(data['state']).label}，第{data['revision']}稿"
        )
        for step in data["steps"]:
            passed = step["snapshot"].get("evaluation", {}).get("criteria_passed")
            self.stdout.write(
                f"  r{step['revision']} {StepKind(step['step']).label} {step['decision']}"
                f" {step['user']} {step['at']} 评估时点 {step['on']}"
                f" 数据达标={passed} {step['note']}".rstrip()
            )
