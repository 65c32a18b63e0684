"""The worklist's vocabulary: the rules it knows, an item's state and the action that clears it,
and :class:`Item` itself (one person's or household's standing under one rule at a date)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from jiuye.lib import workdays


class State(StrEnum):
    MET = "met"
    LATE = "late"
    OVERDUE = "overdue"
    DUE_SOON = "due_soon"
    PENDING = "pending"

    @property
    def label(self) -> str:
        return str(STATE_LABELS[self])


STATE_LABELS = {
    State.MET: _("按时完成"),
    State.LATE: _("逾期完成"),
    State.OVERDUE: _("已逾期"),
    State.DUE_SOON: _("即将到期"),
    State.PENDING: _("未到期"),
}


class Action(StrEnum):
    """What clears an item; the views turn each into a link."""

    GUIDANCE = "guidance"
    REFERRAL = "referral"
    VISIT = "visit"
    CONTACT = "contact"
    EMPLOY_MEMBER = "employ_member"
    EMPLOY = "employ"
    PLACE = "place"

    @property
    def label(self) -> str:
        return str(ACTION_LABELS[self])


ACTION_LABELS = {
    Action.GUIDANCE: _("记录职业指导"),
    Action.REFERRAL: _("记录职业介绍"),
    Action.VISIT: _("记录走访"),
    Action.CONTACT: _("记录联系或走访"),
    Action.EMPLOY_MEMBER: _("帮助家庭成员就业"),
    Action.EMPLOY: _("帮助实现就业"),
    Action.PLACE: _("记录援助上岗"),
}

RULES: dict[str, Any] = {
    "CQ-4": _("登记失业后3个工作日内职业指导"),
    "CQ-2": _("新出现的城镇零就业家庭1个月内消除"),
    "QG-6-visit": _("登记失业人员走访"),
    "QG-6-contact": _("就业困难人员每季度联系"),
    "QG-3": _("登记失业人员推荐就业两次以上"),
    "CQ-5": _("无连续失业1年以上的登记失业人员"),
    "AS-1": _("不挑不拣的困难人员2个工作日内上岗"),
}
RULE_ORDER = {rule: index for index, rule in enumerate(RULES)}


@dataclass(frozen=True)
class Item:
    """One person's or household's standing under one rule at a date."""

    rule_id: str
    due: date
    state: State
    action: Action
    name: str
    person_id: int | None = None
    household_id: int | None = None
    case_id: int | None = None
    community_id: int | None = None
    grid_id: int | None = None
    done_on: date | None = None
    # Can the action still change this item? (False: the chance has passed, e.g. a person
    # employed before the guidance they were owed, or a quarter that has ended.)
    actionable: bool = True
    detail: str = ""
    progress: dict[str, Any] = field(default_factory=dict)

    @property
    def rule_label(self) -> str:
        return str(RULES.get(self.rule_id, self.rule_id))

    @property
    def base_rule(self) -> str:
        """The rule ID as DOMAIN.md cites it (QG-6 has two deadlines)."""
        return self.rule_id.removesuffix("-visit").removesuffix("-contact")

    @property
    def urgent_key(self) -> tuple[int, date, int, str]:
        return (
            0 if self.state == State.OVERDUE else 1,
            self.due,
            RULE_ORDER.get(self.rule_id, 99),
            self.name,
        )


@dataclass
class CalendarGaps:
    """What a worklist could not date for want of a year's holiday calendar (issue 11, finding
    8): instead of failing, the rules leave out the items whose due date needs working days of
    such a year (``undated``: how many, per rule) and, when the due-soon horizon (5 working
    days) needs one, count as due soon only what is due within 5 calendar days, which is
    certainly within 5 working days (``horizon``). Nothing is computed on a guessed calendar."""

    years: set[int] = field(default_factory=set)
    undated: Counter[str] = field(default_factory=Counter)
    horizon: bool = False

    def __bool__(self) -> bool:
        return bool(self.years)

    def add(self, error: workdays.WorkdayCalendarError, *, rule: str | None = None) -> None:
        """Record that ``rule``'s item (None: the due-soon horizon) could not be dated."""
        self.years.update(error.years)
        if rule is None:
            self.horizon = True
        else:
            self.undated[rule] += 1

    def merge(self, other: CalendarGaps) -> None:
        self.years |= other.years
        self.undated.update(other.undated)
        self.horizon = self.horizon or other.horizon

    @property
    def note(self) -> str:
        """Not available, the years and the fix: ``jiuye holidays install YEAR.toml``."""
        return workdays.unavailable_text(self.years)

    def details(self) -> list[str]:
        """What is missing from the list, one line each."""
        lines = [
            ngettext(
                "%(rule)s：%(n)s 项的期限要按工作日计算，暂不列出",
                "%(rule)s：%(n)s 项的期限要按工作日计算，暂不列出",
                n,
            )
            % {"rule": rule, "n": n}
            for rule, n in sorted(self.undated.items())
        ]
        if self.horizon:
            lines.append(gettext("“即将到期”（5个工作日内）暂只含5天内到期的事项"))
        return lines


class Items(list[Item]):
    """Deadline items, and the :class:`CalendarGaps` met computing them (empty when the
    holiday calendar knew every year needed)."""

    def __init__(self, items: Iterable[Item] = (), gaps: CalendarGaps | None = None) -> None:
        super().__init__(items)
        self.gaps = gaps if gaps is not None else CalendarGaps()
