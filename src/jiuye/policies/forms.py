"""The policies pages' forms: what a user types, checked for shape (a date, an amount); the
services decide the rest and their refusals land on the form (:func:`place_error`)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from jiuye.lib.dates import DateField
from jiuye.policies.catalog import policies
from jiuye.units.models import Unit

TEXT = {"class": "form-control"}
DAY = {"class": "form-control", "type": "date"}
MONEY = {"class": "form-control", "inputmode": "decimal"}
MAX_AMOUNT = 9_999_999_999


def place_error(form: forms.Form, error: ValidationError) -> None:
    """A service's refusal on the field it names (a dict of field → message), else above the
    form."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            target = field if field in form.fields else None
            for item in errors:
                form.add_error(target, item.messages)
        return
    form.add_error(None, error.messages)


class ApplyForm(forms.Form):
    on = DateField(label=_("认定日期"), widget=forms.DateInput(attrs=DAY, format="%Y-%m-%d"))
    declared = forms.DecimalField(
        label=_("申报金额（元）"),
        required=False,
        min_value=0,
        max_value=MAX_AMOUNT,
        decimal_places=2,
        widget=forms.TextInput(attrs=MONEY),
    )
    note = forms.CharField(
        label=_("说明"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={**TEXT, "rows": 2}),
    )
    file = forms.FileField(
        label=_("证明材料（可选）"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"class": "form-control"}),
    )

    def __init__(self, *args: Any, declares: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not declares:
            del self.fields["declared"]
        else:
            self.fields["declared"].required = True


class BlankInput(forms.TextInput):
    """A text input that never shows back what was typed (an ID number must not stay on a
    re-shown page)."""

    def format_value(self, value: Any) -> str | None:
        return None


class FindPersonForm(forms.Form):
    """An application for an attested policy starts from the person: their ID number, posted
    (never in a URL)."""

    id_number = forms.CharField(
        label=_("身份证号"),
        max_length=18,
        min_length=18,
        widget=BlankInput(attrs={**TEXT, "autocomplete": "off"}),
    )


class DecideForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", _("批准")), ("reject", _("退回"))])
    note = forms.CharField(
        label=_("审批意见"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={**TEXT, "rows": 2}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("decision") == "reject" and not (data.get("note") or "").strip():
            self.add_error("note", _("退回须填写理由"))
        return data


class EvidenceForm(forms.Form):
    file = forms.FileField(
        label=_("证明材料"), widget=forms.ClearableFileInput(attrs={"class": "form-control"})
    )


class PayForm(forms.Form):
    on = DateField(label=_("支付日期"), widget=forms.DateInput(attrs=DAY, format="%Y-%m-%d"))
    reference = forms.CharField(
        label=_("凭证号"), required=False, max_length=60, widget=forms.TextInput(attrs=TEXT)
    )


class ReverseForm(forms.Form):
    on = DateField(label=_("冲正日期"), widget=forms.DateInput(attrs=DAY, format="%Y-%m-%d"))
    note = forms.CharField(label=_("冲正理由"), max_length=500, widget=forms.TextInput(attrs=TEXT))


def _policy_choices() -> list[tuple[str, str]]:
    return [(p.id, f"{p.id} {p.name}") for p in policies().values()]


class BudgetForm(forms.Form):
    policy = forms.ChoiceField(
        label=_("政策"), choices=(), widget=forms.Select(attrs={"class": "form-select"})
    )
    unit = forms.ModelChoiceField(
        label=_("单位"),
        queryset=Unit.objects.none(),
        to_field_name="code",
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    year = forms.IntegerField(
        label=_("年度"), min_value=2000, max_value=2100, widget=forms.NumberInput(attrs=TEXT)
    )
    amount = forms.DecimalField(
        label=_("预算金额（元）"),
        min_value=0,
        max_value=MAX_AMOUNT,
        decimal_places=2,
        widget=forms.TextInput(attrs=MONEY),
    )

    def __init__(self, *args: Any, units: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["policy"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = _policy_choices()
        unit = self.fields["unit"]
        assert isinstance(unit, forms.ModelChoiceField)
        unit.queryset = units
