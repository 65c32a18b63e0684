"""``jiuye match ID_NUMBER [--date D] [--limit K] [--json]``: the open postings best for a
person, each with its number, title, employer, score and reasons (``jobs.matching``);
``jiuye match --posting NUMBER``: a posting's candidates (ID numbers masked). A person's full ID
number is never printed: the output names them by their masked number."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from jiuye.casework.management.commands.worklist import table
from jiuye.jobs import matching
from jiuye.jobs.models import Posting
from jiuye.lib import idcard
from jiuye.lib.dates import date_argument, option_date
from jiuye.lib.masking import mask_id_number
from jiuye.registry.models import Person


class Command(BaseCommand):
    help = "人岗匹配：列出适合某人的在招岗位（或某岗位的候选人），附得分和理由。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("id_number", nargs="?", help="公民身份号码")
        parser.add_argument("--posting", help="岗位编号：列出该岗位的候选人")
        parser.add_argument(
            "--date", type=date_argument, help="日期 YYYY-MM-DD（默认今天，1950—2100 年）"
        )
        parser.add_argument(
            "--limit", type=int, default=matching.DEFAULT_K, help="最多列出几条（默认10，至多100）"
        )
        parser.add_argument("--json", action="store_true", help="输出 JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        on = option_date(options["date"], option="--date") or timezone.localdate()
        limit: int = options["limit"]
        if not 1 <= limit <= matching.MAX_K:
            raise CommandError(f"--limit 须在1至{matching.MAX_K}之间")
        if options["posting"]:
            if options["id_number"]:
                raise CommandError("请只给出身份证号码或 --posting 岗位编号之一")
            self.candidates(options["posting"], on=on, limit=limit, as_json=options["json"])
            return
        if not options["id_number"]:
            raise CommandError("请给出公民身份号码，或用 --posting 给出岗位编号")
        try:
            number = idcard.parse(options["id_number"], today=on).number
        except idcard.IdNumberError as error:
            raise CommandError(f"公民身份号码无效：{error.message}") from None
        person = Person.objects.select_related("community").filter(id_number=number).first()
        if person is None:
            raise CommandError(f"登记中没有此人：{mask_id_number(number)}")
        result = matching.person_matches(person, on=on, k=limit)
        who = f"{person.name}（{mask_id_number(person.id_number)}）"
        if options["json"]:
            self.stdout.write(
                json.dumps(
                    {
                        "person": {
                            "id": person.pk,
                            "name": person.name,
                            "id_number": mask_id_number(person.id_number),
                        },
                        "date": on.isoformat(),
                        "district": result.district.name,
                        "seeker": result.seeker is not None,
                        "matches": [_posting_dict(m) for m in result.matches],
                    },
                    ensure_ascii=False,
                    indent=2,
                )
            )
            return
        if result.seeker is None:
            self.stdout.write(
                f"{who}在 {on.isoformat()} 不是求职人员（不在劳动力中，或并未失业），不作匹配。"
            )
            return
        self.stdout.write(
            f"{who} {on.isoformat()} {result.district.name}：{len(result.matches)} 个岗位"
        )
        self.stdout.write(
            table(
                ["岗位编号", "岗位", "用人单位", "得分", "理由"],
                [
                    [
                        m.posting.number,
                        m.posting.title,
                        m.posting.employer,
                        f"{m.score:.1f}",
                        "；".join(m.reasons),
                    ]
                    for m in result.matches
                ],
            )
            if result.matches
            else "（该区此日没有在招岗位）"
        )

    def candidates(self, number: str, *, on: Any, limit: int, as_json: bool) -> None:
        posting = Posting.objects.select_related("unit", "employer").filter(number=number).first()
        if posting is None:
            raise CommandError(f"岗位编号不存在：{number}")
        result = matching.posting_candidates(posting, on=on, k=limit)
        if as_json:
            self.stdout.write(
                json.dumps(
                    {
                        "posting": {
                            "id": posting.pk,
                            "number": posting.number,
                            "title": posting.title,
                            "employer": posting.employer.name,
                        },
                        "date": on.isoformat(),
                        "open": result.open,
                        "candidates": [_person_dict(m) for m in result.matches],
                    },
                    ensure_ascii=False,
                    indent=2,
                )
            )
            return
        head = f"{posting.number} {posting.title}（{posting.employer.name}） {on.isoformat()}"
        if not result.open:
            self.stdout.write(f"{head}：该岗位此日未在招（未发布、已截止或已招满）。")
            return
        self.stdout.write(f"{head}：{len(result.matches)} 名候选人")
        if result.matches:
            self.stdout.write(
                table(
                    ["姓名", "公民身份号码", "优先", "得分", "理由"],
                    [
                        [
                            m.seeker.name,
                            m.seeker.masked_id,
                            "是" if m.seeker.priority else "",
                            f"{m.score:.1f}",
                            "；".join(m.reasons),
                        ]
                        for m in result.matches
                    ],
                )
            )


def _posting_dict(match: matching.Match) -> dict[str, Any]:
    found = match.as_dict()
    return {**found["posting"], "score": found["score"], "reasons": found["reasons"]}


def _person_dict(match: matching.Match) -> dict[str, Any]:
    found = match.as_dict()
    return {**found["person"], "score": found["score"], "reasons": found["reasons"]}
