"""The certification pages' forms: what a user may type is read here (a wrong value is a form
error said on the page, never a server error); what it means is decided by the services."""

from __future__ import annotations

from datetime import date
from typing import Any, cast

from django import forms
from django.core.validators import MaxValueValidator
from django.utils.translation import gettext_lazy as _

from jiuye.certification.models import State
from jiuye.certification.programme import programme
from jiuye.certification.services import EVIDENCE_MAX_BYTES, EVIDENCE_TYPES, FIRST_YEAR, NOTE_MAX
from jiuye.lib.dates import DateField
from jiuye.standards.models import TickRole
from jiuye.standards.rulesets import RuleSet, RuleSetError, rulesets
from jiuye.standards.selectors import rulesets_for
from jiuye.units.models import Unit

LAST_YEAR = 2100  # a filter's year beyond any application (lib.dates' last day)

# The step form's actions: the step taken and whether it passes (a return needs a note).
ACTIONS = {
    "submit": ("submit", True),
    "review": ("review", True),
    "return_review": ("review", False),
    "accept": ("accept", True),
    "return_accept": ("accept", False),
}


def _note(label: Any = None) -> forms.CharField:
    return forms.CharField(
        label=label or _("意见"),
        required=False,
        max_length=NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 2, "class": "form-control form-control-sm"}),
    )


class ApplyForm(forms.Form):
    """One unit's application: a rule set that evaluates the unit, one of its levels for the
    unit (empty: the rule set's first), the year and a note."""

    unit = forms.CharField(widget=forms.HiddenInput, max_length=40)
    ruleset = forms.ChoiceField(label=_("标准"))
    level = forms.ChoiceField(label=_("层级"), required=False)
    year = forms.IntegerField(label=_("年度"), min_value=FIRST_YEAR)
    note = _note(_("说明"))

    def __init__(self, *args: Any, unit: Unit, today: date, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", f"apply-{unit.code}-%s")
        kwargs.setdefault("initial", {"unit": unit.code, "year": today.year})
        super().__init__(*args, **kwargs)
        self.target = unit  # (``unit`` is the hidden field)
        choices = rulesets_for(unit)
        self.rulesets = {r.id: r for r in choices}
        ruleset_field = cast(forms.ChoiceField, self.fields["ruleset"])
        ruleset_field.choices = [(r.id, f"{r.id} {r.name}") for r in choices]
        # Grouped by rule set: the same key (community) is a level of several of them.
        level_field = cast(forms.ChoiceField, self.fields["level"])
        level_field.choices = [("", _("默认层级"))] + [
            (r.id, [(lv.key, lv.name) for lv in r.levels_for(unit.level)]) for r in choices
        ]
        year_field = cast(forms.IntegerField, self.fields["year"])
        year_field.max_value = today.year
        year_field.validators.append(MaxValueValidator(today.year))
        for name in ("ruleset", "level"):
            self.fields[name].widget.attrs["class"] = "form-select form-select-sm"
        year_field.widget.attrs.update({"class": "form-control form-control-sm", "max": today.year})

    def chosen_ruleset(self) -> RuleSet:
        return self.rulesets[self.cleaned_data["ruleset"]]


class StepForm(forms.Form):
    action = forms.ChoiceField(choices=[(key, key) for key in ACTIONS])
    note = _note()

    def step(self) -> tuple[str, bool]:
        """(the step, passed) the action asks for."""
        return ACTIONS[self.cleaned_data["action"]]


class EvidenceForm(forms.Form):
    """A file for one checklist item's column (the service checks the item, type and size)."""

    item = forms.CharField(max_length=40)
    role = forms.ChoiceField(choices=TickRole.choices)
    # Empty files reach the service, which says so in the pages' words.
    file = forms.FileField(label=_("文件"), allow_empty_file=True)

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > EVIDENCE_MAX_BYTES:  # refused before it is read into memory
            raise forms.ValidationError(_("文件不能超过 10 MB"), code="size")
        return upload


EVIDENCE_ACCEPT = ",".join(sorted(EVIDENCE_TYPES))  # the file input's hint to the browser


class ApplicationFilterForm(forms.Form):
    """The list of applications: by year and state (a wrong value is ignored and said)."""

    year = forms.IntegerField(
        label=_("年度"), required=False, min_value=FIRST_YEAR, max_value=LAST_YEAR
    )
    state = forms.ChoiceField(label=_("状态"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        state = cast(forms.ChoiceField, self.fields["state"])
        state.choices = [("", _("全部")), *State.choices]
        state.widget.attrs["class"] = "form-select form-select-sm"
        self.fields["year"].widget.attrs["class"] = "form-control form-control-sm"

    def valid_data(self) -> dict[str, Any]:
        """The fields that passed validation (an invalid one is dropped, not the whole form)."""
        self.is_valid()
        return getattr(self, "cleaned_data", {})


def _ruleset_ids() -> list[tuple[str, str]]:
    return [(r.id, f"{r.id} {r.name}") for r in rulesets().values()]


def recheck_rulesets() -> list[RuleSet]:
    """The rule sets that prescribe a yearly re-check (a broken programme table: left out)."""
    found = []
    for ruleset in rulesets().values():
        try:
            if programme(ruleset).recheck is not None:
                found.append(ruleset)
        except RuleSetError:
            continue
    return found


class RecheckFilterForm(forms.Form):
    ruleset = forms.ChoiceField(label=_("标准"), required=False)
    year = forms.IntegerField(
        label=_("复核年度"), required=False, min_value=FIRST_YEAR, max_value=LAST_YEAR
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        ruleset = cast(forms.ChoiceField, self.fields["ruleset"])
        ruleset.choices = [("", _("全部")), *_ruleset_ids()]
        ruleset.widget.attrs["class"] = "form-select form-select-sm"
        self.fields["year"].widget.attrs["class"] = "form-control form-control-sm"

    def valid_data(self) -> dict[str, Any]:
        self.is_valid()
        return getattr(self, "cleaned_data", {})


class RecheckRunForm(forms.Form):
    """A district's re-check run: a rule set with a re-check rule, as of a day not after
    today (a run decides titles on the data of that day)."""

    ruleset = forms.ChoiceField(label=_("标准"))
    on = DateField(label=_("复核日期"))

    def __init__(self, *args: Any, today: date, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"on": today})
        super().__init__(*args, **kwargs)
        self.today = today
        ruleset = cast(forms.ChoiceField, self.fields["ruleset"])
        ruleset.choices = [(r.id, f"{r.id} {r.name}") for r in recheck_rulesets()]
        ruleset.widget.attrs["class"] = "form-select form-select-sm"
        self.fields["on"].widget = forms.DateInput(
            attrs={"type": "date", "class": "form-control form-control-sm"}, format="%Y-%m-%d"
        )

    def clean_on(self) -> date:
        on: date = self.cleaned_data["on"]
        if on > self.today:
            raise forms.ValidationError(_("复核日期不能晚于今天"), code="future")
        return on
