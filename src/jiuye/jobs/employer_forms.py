"""Forms of the employers' pages: an employer, and its staff, contract, layoff and hire reports.

No rule is restated here: the checks are ``jobs.checks`` (the same the services, the API and
the workbook importer run), called in ``clean`` so that each problem shows on its field. The
services check again (they are the last line for every caller); their refusals are placed on
the field they concern by their code (:data:`FIELD_OF_CODE`).
"""

from __future__ import annotations

from functools import reduce
from operator import or_
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from jiuye.casework.forms import DATE_WIDGET, BootstrapForm
from jiuye.jobs import checks
from jiuye.jobs.models import ContractKind, Posting
from jiuye.lib.dates import DateField
from jiuye.units.models import COMMUNITY_LEVELS, Level, Unit
from jiuye.units.scope import SYSTEM, jurisdiction_units

# Far beyond any employer, within the database's integer columns.
MAX_STAFF = 10_000_000
MAX_TERM_MONTHS = 600  # fifty years
TEXT_LIMIT = 200

# A service's refusal (by its code) shown on the form's field it concerns.
FIELD_OF_CODE = {
    "uscc_invalid": "uscc",
    "uscc_taken": "uscc",
    "name_required": "name",
    "employer_unit": "unit",
    "future": "on",
    "staff_negative": "staff",
    "id_number_invalid": "id_number",
    "contract_kind_unknown": "kind",
    "term_required": "term_months",
    "term_not_applicable": "term_months",
    "count_positive": "count",
    "reason_required": "reason",
    "already_hired": "id_number",
    "posting_full": "posting",
    "posting_employer": "posting",
    "date_range": "on",
}


def place_error(form: forms.Form, error: ValidationError) -> None:
    """A service's refusal on the field it concerns (by its code), else above the form."""
    for item in error.error_list:
        field = FIELD_OF_CODE.get(item.code or "")
        form.add_error(field if field in form.fields else None, item.messages)


def keeping_units(user: Any) -> QuerySet[Unit]:
    """The communities and villages whose employers ``user`` keeps (``jobs.permissions``: a
    worker's, street's or district's non-grid jurisdiction)."""
    if user is SYSTEM:
        return Unit.objects.filter(level__in=COMMUNITY_LEVELS).order_by("path")
    paths = [path for path, level in jurisdiction_units(user) if level != Level.GRID]
    if not paths:
        return Unit.objects.none()
    under = reduce(or_, (Q(path__startswith=path) for path in paths))
    return Unit.objects.filter(under, level__in=COMMUNITY_LEVELS).order_by("path")


class UnitChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.get_level_display()} · {obj.name}"


class EmployerForm(BootstrapForm):
    """A new employer (with ``uscc``, and optionally its first staff count), or an edit of one
    (name, unit, industry: the USCC is its identity)."""

    uscc = forms.CharField(
        label=_("统一社会信用代码"),
        max_length=40,
        help_text=_("18位，末位为校验码；空格和小写字母会自动规整。"),
    )
    name = forms.CharField(label=_("名称"), max_length=TEXT_LIMIT)
    unit = UnitChoiceField(label=_("所在社区（村）"), queryset=Unit.objects.none())
    industry = forms.CharField(label=_("行业"), max_length=60, required=False)
    staff = forms.IntegerField(
        label=_("职工人数"), required=False, max_value=MAX_STAFF, help_text=_("可不填")
    )
    on = DateField(label=_("报告日期"), required=False, widget=DATE_WIDGET)

    def __init__(self, *args: Any, user: Any, create: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["unit"]
        assert isinstance(field, UnitChoiceField)
        field.queryset = keeping_units(user)
        if not create:
            for name in ("uscc", "staff", "on"):
                del self.fields[name]

    def clean_uscc(self) -> str:
        code = checks.normalize_uscc(self.cleaned_data["uscc"])
        problems = checks.uscc_problems(code)
        if problems:
            raise forms.ValidationError(problems[0].message(), code=problems[0].code)
        return code

    def employer_fields(self) -> dict[str, Any]:
        """The cleaned data as ``employer_create`` / ``employer_update`` keywords."""
        data = dict(self.cleaned_data)
        if "staff" in self.fields and data.get("staff") is None:
            data.pop("staff", None)
            data.pop("on", None)
        elif "on" in self.fields and data.get("on") is None:
            data.pop("on", None)
        return data


class StaffForm(BootstrapForm):
    on = DateField(label=_("报告日期"), widget=DATE_WIDGET)
    # No min_value: a negative count is refused by jobs.checks, in its words.
    staff = forms.IntegerField(label=_("职工人数"), max_value=MAX_STAFF)

    def clean_staff(self) -> int:
        staff: int = self.cleaned_data["staff"]
        if staff < 0:
            problem = checks.problem("staff_negative", "staff")
            raise forms.ValidationError(problem.message(), code=problem.code)
        return staff


class ContractForm(BootstrapForm):
    id_number = forms.CharField(
        label=_("公民身份号码"),
        max_length=30,
        help_text=_("只保存其加密摘要和遮蔽后的号码，页面不显示完整号码。"),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    kind = forms.ChoiceField(label=_("事项"), choices=ContractKind.choices)
    on = DateField(label=_("日期"), widget=DATE_WIDGET)
    term_months = forms.IntegerField(
        label=_("期限月数"),
        required=False,
        max_value=MAX_TERM_MONTHS,
        help_text=_("签订和续订须填写；终止不填写。"),
    )

    def clean(self) -> dict[str, Any] | None:
        data = super().clean()
        if "kind" in self.cleaned_data and "term_months" in self.cleaned_data:
            self.add_problems(
                checks.contract_problems(
                    kind=self.cleaned_data["kind"], term_months=self.cleaned_data["term_months"]
                )
            )
        return data


class LayoffForm(BootstrapForm):
    on = DateField(label=_("日期"), widget=DATE_WIDGET)
    count = forms.IntegerField(label=_("人数"), max_value=MAX_STAFF)
    reason = forms.CharField(
        label=_("原因"),
        max_length=TEXT_LIMIT,
        help_text=_("经营困难、停产、破产、转产为异常裁员，将予标注。"),
        widget=forms.TextInput(attrs={"list": "layoff-reasons"}),
    )

    def clean(self) -> dict[str, Any] | None:
        data = super().clean()
        if "count" in self.cleaned_data and "reason" in self.cleaned_data:
            self.add_problems(
                checks.layoff_problems(
                    count=self.cleaned_data["count"], reason=self.cleaned_data["reason"]
                )
            )
        return data


class PostingChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.number} · {obj.title} ({obj.filled}/{obj.vacancies})"


class HireForm(BootstrapForm):
    id_number = forms.CharField(
        label=_("公民身份号码"),
        max_length=30,
        help_text=_("须为您可以录入的本辖区人员。"),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    on = DateField(label=_("录用日期"), widget=DATE_WIDGET)
    posting = PostingChoiceField(
        label=_("岗位"),
        required=False,
        queryset=Posting.objects.none(),
        empty_label=_("（不经岗位）"),
    )

    def __init__(self, *args: Any, postings: QuerySet[Posting], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["posting"]
        assert isinstance(field, PostingChoiceField)
        field.queryset = postings
