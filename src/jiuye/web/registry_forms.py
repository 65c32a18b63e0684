"""Forms of the registry pages (issue 13): a worker registers households and persons, edits and
moves a person, and recognises difficulty, in the browser.

No rule is restated here. An ID number is read by ``registry.derive.person_derived_fields``
(``lib.idcard``: the reason of a refusal in its words); a phone number by the importer's own cell
reader (``ledger.cells``); a recognition by ``registry.checks``. The services check again (they
are the last line for every caller); their refusals are placed on the field they concern
(:data:`FIELD_OF_CODE`).
"""

from __future__ import annotations

from datetime import date
from functools import reduce
from operator import or_
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jiuye.casework.forms import DATE_WIDGET, BootstrapForm
from jiuye.ledger import cells, issues
from jiuye.ledger.columns import PERSONS
from jiuye.lib import idcard
from jiuye.lib.dates import DateField
from jiuye.lib.masking import mask_phone
from jiuye.lib.problems import make_problem
from jiuye.registry import checks
from jiuye.registry.derive import person_derived_fields
from jiuye.registry.models import (
    DifficultyCategory,
    DifficultyRecognition,
    Household,
    HukouType,
    Person,
)
from jiuye.registry.selectors import households_visible
from jiuye.registry.services import RegistryFacts, placement
from jiuye.units.models import COMMUNITY_LEVELS, Level, Unit
from jiuye.units.scope import may_write, write_paths

# A service's refusal (by its code) shown on the form's field it concerns.
FIELD_OF_CODE = {
    "duplicate_number": "number",
    "duplicate": "id_number",
    "female_base": "female_base",
    "empty": "id_number",
    "format": "id_number",
    "length": "id_number",
    "checksum": "id_number",
    "birth_date": "id_number",
    "future": "id_number",
    "region": "id_number",
}


def place_error(form: forms.Form, error: ValidationError) -> None:
    """A service's refusal on the field it concerns (by its code), else above the form."""
    for item in error.error_list:
        field = FIELD_OF_CODE.get(item.code or "")
        form.add_error(field if field in form.fields else None, item.messages)


def writable_units(user: Any) -> QuerySet[Unit]:
    """The communities, villages and grids in which ``user`` may register households."""
    paths = write_paths(user)
    if not paths:
        return Unit.objects.none()
    under = reduce(or_, (Q(path__startswith=path) for path in paths))
    return Unit.objects.filter(under, level__in=[*COMMUNITY_LEVELS, Level.GRID]).order_by("path")


class UnitChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.get_level_display()} · {obj.name}"


class HouseholdForm(BootstrapForm):
    number = forms.CharField(label=_("户编号"), max_length=32)
    unit = UnitChoiceField(
        label=_("社区（村）或网格"), queryset=Unit.objects.none(), empty_label=None
    )
    hukou_type = forms.ChoiceField(label=_("户籍性质"), choices=HukouType.choices)
    address = forms.CharField(label=_("地址"), required=False, max_length=200)
    dibao = forms.BooleanField(label=_("低保户"), required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["unit"]
        assert isinstance(field, UnitChoiceField)
        field.queryset = writable_units(user)


def _phone_problem(value: str) -> str | None:
    """The importer's check of a phone cell (``ledger.cells.phone``), in its words."""
    found: list[tuple[str, dict[str, Any]]] = []
    cells.phone(
        [value],
        PERSONS.column("phone"),
        lambda _i, code, _value, **params: found.append((code, params)),
    )
    if not found:
        return None
    code, params = found[0]
    return make_problem(issues.MESSAGES, code, **params).message()


class PersonFieldsForm(BootstrapForm):
    """The person's editable fields (``registry.services.PERSON_EDITABLE``)."""

    name = forms.CharField(label=_("姓名"), max_length=60)
    relation = forms.CharField(label=_("与户主关系"), required=False, max_length=20)
    hukou_type = forms.ChoiceField(label=_("户籍性质"), choices=HukouType.choices)
    phone = forms.CharField(label=_("联系电话"), required=False, max_length=20)
    able = forms.BooleanField(label=_("有劳动能力"), required=False, initial=True)
    willing = forms.BooleanField(label=_("有就业愿望"), required=False, initial=True)
    female_base = forms.TypedChoiceField(
        label=_("女性退休基准"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", "—"), (50, "50"), (55, "55")],
        help_text=_("只适用于女性；空为55。"),
    )
    education = forms.CharField(label=_("文化程度"), required=False, max_length=20)
    skill_level = forms.CharField(label=_("技能等级"), required=False, max_length=40)
    graduate_year = forms.IntegerField(
        label=_("高校毕业年份"), required=False, min_value=1950, max_value=2100
    )
    disabled = forms.BooleanField(label=_("残疾"), required=False)
    veteran = forms.BooleanField(label=_("退役军人"), required=False)
    migrant_worker = forms.BooleanField(label=_("农民工"), required=False)
    landless = forms.BooleanField(label=_("失地农民"), required=False)
    poverty_labor = forms.BooleanField(label=_("精准扶贫劳动力"), required=False)

    def clean_phone(self) -> str:
        phone: str = self.cleaned_data["phone"].strip()
        problem = _phone_problem(phone)
        if problem:
            raise forms.ValidationError(problem)
        return phone

    def person_fields(self) -> dict[str, Any]:
        """The cleaned data as ``person_create`` / ``person_update`` keywords."""
        return {k: v for k, v in self.cleaned_data.items() if k != "id_number"}


class PersonCreateForm(PersonFieldsForm):
    """A new member of ``household``. The ID number is checked as typed (the ``idcheck``
    fragment) and again here; birth date, sex and retirement day are derived, never typed."""

    id_number = forms.CharField(
        label=_("公民身份号码"),
        max_length=40,  # room for pasted spaces and hyphens; the parser removes them
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    hukou_type = forms.ChoiceField(
        label=_("户籍性质"),
        required=False,
        choices=[("", _("同所在户")), *HukouType.choices],
    )

    field_order = ["id_number", "name"]

    def __init__(self, *args: Any, today: date | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today
        # Checked as typed: the number and the retirement base (nothing else of the form) go
        # by POST to the check, which answers a fragment without the number.
        check = {
            "hx-post": reverse("idcheck"),
            "hx-target": "#idcheck-result",
            "hx-params": "id_number,female_base",
            "hx-sync": "this:replace",
        }
        self.fields["id_number"].widget.attrs.update(
            check,
            **{
                "hx-trigger": "input changed delay:400ms, blur",
                "hx-include": "[name='female_base']",
                "aria-describedby": "idcheck-result",
            },
        )
        self.fields["female_base"].widget.attrs.update(
            check, **{"hx-trigger": "change", "hx-include": "[name='id_number']"}
        )

    def clean_id_number(self) -> str:
        try:
            derived = person_derived_fields(self.cleaned_data["id_number"], None, today=self.today)
        except idcard.IdNumberError as error:
            raise forms.ValidationError(error.message, code=error.code) from None
        number: str = derived["id_number"]
        return number

    def person_fields(self) -> dict[str, Any]:
        fields = super().person_fields()
        fields["hukou_type"] = fields["hukou_type"] or None  # None: the household's
        return fields


class PersonEditForm(PersonFieldsForm):
    """The editable fields of ``person``. The phone number is shown masked (no full number in a
    page for a user without reveal): left as shown, it stays as stored."""

    def __init__(self, *args: Any, person: Person, **kwargs: Any) -> None:
        initial = {name: getattr(person, name) for name in self.base_fields}
        initial["phone"] = mask_phone(person.phone) if person.phone else ""
        super().__init__(*args, initial=initial, **kwargs)
        self.person = person

    def clean_phone(self) -> str:
        submitted = self.cleaned_data["phone"].strip()
        if self.person.phone and submitted == mask_phone(self.person.phone):
            return self.person.phone
        return super().clean_phone()


class MoveForm(BootstrapForm):
    """The household a person moves to, by its number: only one inside the user's
    jurisdiction that they may write to (any other is "not found", whether it exists or not)."""

    number = forms.CharField(
        label=_("迁入户的户编号"),
        max_length=32,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )

    def __init__(self, *args: Any, user: Any, person: Person, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user, self.person = user, person
        # Households offered as the number is typed (the move page answers a "search" POST).
        self.fields["number"].widget.attrs.update(
            {
                "hx-post": reverse("person_move", args=[person.pk]),
                "hx-trigger": "input changed delay:300ms",
                "hx-target": "#household-matches",
                "hx-vals": '{"search": "1"}',
                "aria-describedby": "household-matches",
            }
        )
        self.household: Household | None = None

    def clean_number(self) -> str:
        number: str = self.cleaned_data["number"].strip()
        household = (
            households_visible(user=self.user)
            .select_related("community", "grid")
            .filter(number=number)
            .first()
        )
        if household is None or not may_write(self.user, placement(household)):
            raise forms.ValidationError(
                _("在你可录入的范围内没有户编号为 %(number)s 的户。") % {"number": number}
            )
        if household.pk == self.person.household_id:
            raise forms.ValidationError(_("此人已在该户。"))
        self.household = household
        return number


class RecognitionForm(BootstrapForm):
    """A difficulty recognition (认定), checked by ``registry.checks.recognition_problems``
    against the registry on the recognition date, as the service and the importer check it."""

    category = forms.ChoiceField(label=_("类别"), choices=DifficultyCategory.choices)
    recognized_on = DateField(label=_("认定日期"), widget=DATE_WIDGET)
    ended_on = DateField(label=_("退出日期"), required=False, widget=DATE_WIDGET)
    note = forms.CharField(
        label=_("备注"),
        required=False,
        max_length=200,
        help_text=_("类别为“其他”时须说明认定理由。"),
    )

    def __init__(self, *args: Any, person: Person, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.person = person

    def clean(self) -> dict[str, Any] | None:
        data = super().clean()
        if self.errors or not {"category", "recognized_on"} <= self.cleaned_data.keys():
            return data
        self.add_problems(
            checks.recognition_problems(
                category=self.cleaned_data["category"],
                recognized_on=self.cleaned_data["recognized_on"],
                ended_on=self.cleaned_data.get("ended_on"),
                note=self.cleaned_data.get("note", ""),
                facts=RegistryFacts(self.person, self.cleaned_data["recognized_on"]),
            )
        )
        return data


class RecognitionEndForm(BootstrapForm):
    ended_on = DateField(label=_("退出日期"), widget=DATE_WIDGET)

    def __init__(self, *args: Any, recognition: DifficultyRecognition, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"ended_on": timezone.localdate()})
        super().__init__(*args, **kwargs)
        self.recognition = recognition

    def clean(self) -> dict[str, Any] | None:
        data = super().clean()
        if "ended_on" in self.cleaned_data:
            self.add_problems(
                checks.end_problems(
                    recognized_on=self.recognition.recognized_on,
                    ended_on=self.cleaned_data["ended_on"],
                )
            )
        return data
