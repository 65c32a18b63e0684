"""The warning pages' forms: what a user may type is read here (a wrong value is a form error
said on the page, never a server error); what it means is decided by the services."""

from __future__ import annotations

from datetime import date
from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from jiuye.lib.dates import DateField
from jiuye.monitoring.models import WarningLevel, WarningState
from jiuye.monitoring.rulebook import RuleBookError, rulebook
from jiuye.monitoring.services import NOTE_MAX
from jiuye.units.models import Unit
from jiuye.units.scope import units_visible

ACTIVE = "active"
ALL = "all"
STATE_CHOICES = [
    (ACTIVE, _("未关闭（待处理和已确认）")),
    *WarningState.choices,
    (ALL, _("全部")),
]


def rule_choices() -> list[tuple[str, str]]:
    """The rule book's rules (a broken rule book: none, the list still shows)."""
    try:
        return [(r.id, f"{r.id} {r.name}") for r in rulebook().rules]
    except RuleBookError:
        return []


class WarningFilterForm(forms.Form):
    """The list's filters: state (default: active), level, rule, and a unit of the user's
    jurisdiction (it and what lies under it). A wrong value is dropped and said."""

    state = forms.ChoiceField(label=_("状态"), required=False, choices=STATE_CHOICES)
    level = forms.ChoiceField(label=_("级别"), required=False)
    rule = forms.ChoiceField(label=_("预警规则"), required=False)
    unit = forms.CharField(label=_("单位（代码）"), required=False, max_length=20)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        level = cast(forms.ChoiceField, self.fields["level"])
        level.choices = [("", _("全部")), *WarningLevel.choices]
        rule = cast(forms.ChoiceField, self.fields["rule"])
        rule.choices = [("", _("全部")), *rule_choices()]
        for name in ("state", "level", "rule"):
            self.fields[name].widget.attrs["class"] = "form-select form-select-sm"
        self.fields["unit"].widget.attrs.update(
            {"class": "form-control form-control-sm", "size": 14, "inputmode": "numeric"}
        )

    def clean_unit(self) -> Unit | None:
        code = self.cleaned_data["unit"].strip()
        if not code:
            return None
        unit = units_visible(self.user).filter(code=code).first()
        if unit is None:
            raise forms.ValidationError(_("没有该单位，或不在您的管辖范围内。"), code="unit")
        return unit

    def valid_data(self) -> dict[str, Any]:
        """The fields that passed validation (an invalid one is dropped, not the whole form);
        the state defaults to the active warnings."""
        self.is_valid()
        data = dict(getattr(self, "cleaned_data", {}))
        data["state"] = data.get("state") or ACTIVE
        return data


class NoteForm(forms.Form):
    """Acknowledging or closing a warning: a note is required (what is being done, or what
    was done)."""

    note = forms.CharField(
        label=_("说明"),
        max_length=NOTE_MAX,
        widget=forms.Textarea(
            attrs={"rows": 2, "class": "form-control form-control-sm", "maxlength": NOTE_MAX}
        ),
        error_messages={"required": _("请填写说明。")},
    )


class RunForm(forms.Form):
    """A district's warnings run as of a day not after today (the rules read that day's data;
    a later day has no data yet)."""

    on = DateField(label=_("预警日期"))

    def __init__(self, *args: Any, today: date, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"on": today})
        super().__init__(*args, **kwargs)
        self.today = today
        self.fields["on"].widget = forms.DateInput(
            attrs={"type": "date", "class": "form-control form-control-sm", "max": today},
            format="%Y-%m-%d",
        )

    def clean_on(self) -> date:
        on: date = self.cleaned_data["on"]
        if on > self.today:
            raise forms.ValidationError(_("预警日期不能晚于今天"), code="future")
        return on
