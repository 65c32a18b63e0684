"""The posting and referral pages' forms: what a user may type is read here (a wrong value is a
form error on its field, never a server error); what it means is the services' (``jobs.
postings``), whose refusals the views put above the form."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from jiuye.casework.forms import DATE_WIDGET, BootstrapForm
from jiuye.jobs.checks import EDUCATION_CHOICES
from jiuye.jobs.models import DeclinedBy, Employer, ReferralOutcome
from jiuye.jobs.postings import NOTE_MAX
from jiuye.lib.dates import DateField
from jiuye.units.models import Unit
from jiuye.units.scope import scope_to_jurisdiction, units_visible

MAX_PAY = 1_000_000
MAX_VACANCIES = 100_000

OPEN, CLOSED = "open", "closed"
STATE_CHOICES = [("", _("全部")), (OPEN, _("开放中")), (CLOSED, _("已截止或已满"))]
WELFARE_CHOICES = [("", _("全部")), ("yes", _("公益性岗位")), ("no", _("其他岗位"))]


def _unit_by_code(user: Any, code: str) -> Unit:
    unit = units_visible(user).filter(code=code.strip()).first()
    if unit is None:
        raise forms.ValidationError(_("没有该单位，或不在您的管辖范围内。"), code="unit")
    return unit


class PostingFilterForm(forms.Form):
    """The list's filters; a wrong value is dropped and said."""

    q = forms.CharField(label=_("搜索"), required=False, max_length=60)
    state = forms.ChoiceField(label=_("状态"), required=False, choices=STATE_CHOICES)
    welfare = forms.ChoiceField(label=_("类型"), required=False, choices=WELFARE_CHOICES)
    unit = forms.CharField(label=_("工作地点（单位代码）"), required=False, max_length=20)
    employer = forms.IntegerField(
        label=_("用人单位"), required=False, min_value=1, max_value=2**31 - 1
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        for field in self.fields.values():
            css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            field.widget.attrs["class"] = f"{css} {css}-sm"
        self.fields["employer"].widget = forms.HiddenInput()

    def clean_unit(self) -> Unit | None:
        code = self.cleaned_data["unit"].strip()
        return _unit_by_code(self.user, code) if code else None

    def clean_employer(self) -> Employer | None:
        pk = self.cleaned_data["employer"]
        if pk is None:
            return None
        employer = scope_to_jurisdiction(Employer.objects.all(), self.user, personal=False)
        found = employer.filter(pk=pk).first()
        if found is None:
            raise forms.ValidationError(_("没有该用人单位，或不在您的管辖范围内。"))
        return found

    def valid_data(self) -> dict[str, Any]:
        self.is_valid()
        return dict(getattr(self, "cleaned_data", {}))


class PostingForm(BootstrapForm):
    """A posting's fields (``jobs.checks.posting_problems`` checks them in the service)."""

    employer = forms.CharField(
        label=_("用人单位（统一社会信用代码）"), max_length=18, required=True
    )
    number = forms.CharField(
        label=_("岗位编号"),
        max_length=32,
        required=False,
        help_text=_("留空则自动编号（GW+年份+序号）。"),
    )
    title = forms.CharField(label=_("岗位名称"), max_length=100)
    occupation = forms.CharField(
        label=_("职业编码"), max_length=11, required=False, help_text=_("如 4-07-05-01，可不填。")
    )
    skills = forms.CharField(label=_("技能要求"), max_length=500, required=False)
    min_education = forms.ChoiceField(
        label=_("学历要求"),
        required=False,
        choices=[("", _("不限")), *[(e, e) for e in EDUCATION_CHOICES]],
    )
    age_min = forms.IntegerField(label=_("年龄下限"), required=False, min_value=0, max_value=200)
    age_max = forms.IntegerField(label=_("年龄上限"), required=False, min_value=0, max_value=200)
    vacancies = forms.IntegerField(label=_("招聘人数"), min_value=1, max_value=MAX_VACANCIES)
    pay_min = forms.IntegerField(
        label=_("月薪下限（元）"), required=False, min_value=0, max_value=MAX_PAY
    )
    pay_max = forms.IntegerField(
        label=_("月薪上限（元）"), required=False, min_value=0, max_value=MAX_PAY
    )
    unit = forms.CharField(label=_("工作地点（单位代码）"), max_length=20)
    public_welfare = forms.BooleanField(label=_("公益性岗位（只安置就业困难人员）"), required=False)
    opens_on = DateField(label=_("发布日期"), widget=DATE_WIDGET)
    closes_on = DateField(label=_("截止日期（含当日）"), widget=DATE_WIDGET, required=False)

    def __init__(self, *args: Any, user: Any, posting: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        if posting is not None:  # the number and the employer are the posting's identity
            del self.fields["employer"]
            del self.fields["number"]

    def clean_employer(self) -> Employer:
        code = self.cleaned_data["employer"].strip().upper()
        employers = scope_to_jurisdiction(Employer.objects.all(), self.user, personal=False)
        found = employers.filter(uscc=code).select_related("unit").first()
        if found is None:
            raise forms.ValidationError(_("没有该用人单位，或不在您的管辖范围内。"))
        return found

    def clean_unit(self) -> Unit:
        return _unit_by_code(self.user, self.cleaned_data["unit"])

    def values(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data.pop("employer", None)
        if "number" in data:
            data["number"] = data["number"] or None
        return data


class CloseForm(BootstrapForm):
    on = DateField(label=_("截止日期（含当日）"), widget=DATE_WIDGET)


class ReferralForm(BootstrapForm):
    on = DateField(label=_("推荐日期"), widget=DATE_WIDGET)
    note = forms.CharField(
        label=_("说明"), max_length=NOTE_MAX, required=False, widget=forms.Textarea({"rows": 2})
    )


class OutcomeForm(BootstrapForm):
    outcome = forms.ChoiceField(
        label=_("结果"),
        choices=[c for c in ReferralOutcome.choices if c[0] != ReferralOutcome.PENDING],
        widget=forms.RadioSelect,
    )
    on = DateField(label=_("结果日期"), widget=DATE_WIDGET)
    declined_by = forms.ChoiceField(
        label=_("未录用原因方"), choices=[("", "—"), *DeclinedBy.choices], required=False
    )
    note = forms.CharField(
        label=_("原因或说明"),
        max_length=NOTE_MAX,
        required=False,
        widget=forms.Textarea({"rows": 2}),
        help_text=_("未录用时必填。"),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["outcome"].widget.attrs["class"] = "form-check-input"


class PlacementsForm(forms.Form):
    unit = forms.CharField(label=_("单位（代码）"), required=False, max_length=20)
    start = DateField(label=_("起始日期"), required=False, widget=DATE_WIDGET)
    end = DateField(label=_("截止日期"), required=False, widget=DATE_WIDGET)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        for field in self.fields.values():
            field.widget.attrs["class"] = "form-control form-control-sm"

    def clean_unit(self) -> Unit | None:
        code = self.cleaned_data["unit"].strip()
        return _unit_by_code(self.user, code) if code else None
