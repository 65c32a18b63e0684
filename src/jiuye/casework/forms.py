"""Forms of the casework pages. The rule checks are ``casework.checks`` (service records) and
``registry.checks`` (status changes), the same the services and the ledger importer run: a form
calls them in ``clean`` so that each problem shows on its field (or above the form when the
form has no such field), in the checks' words. The services check again (they are the last
line for every caller)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jiuye.casework import checks
from jiuye.casework.models import (
    AssistanceStepKind,
    ServiceKind,
    SurveyOutcome,
    TrainingMode,
)
from jiuye.lib.dates import DateField
from jiuye.lib.problems import Problem
from jiuye.registry import checks as registry_checks
from jiuye.registry import definitions
from jiuye.registry.models import Person, Status

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
EMPLOYED_CHOICES = [(s.value, s.label) for s in Status if definitions.is_employed(s)]


class BootstrapForm(forms.Form):
    """A form whose widgets carry Bootstrap's classes, and which places checks' problems."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                widget.attrs.setdefault("class", "form-check-input")
            elif isinstance(widget, forms.Select):
                widget.attrs.setdefault("class", "form-select")
            else:
                widget.attrs.setdefault("class", "form-control")

    def add_problems(self, problems: Iterable[Problem], fields: Mapping[str, str] = {}) -> None:
        """Each problem on its field (``fields`` renames a check's field to the form's), or on
        the form when it has no such field."""
        for p in problems:
            name = fields.get(p.field, p.field)
            self.add_error(name if name in self.fields else None, p.message())


class ServiceRecordForm(BootstrapForm):
    kind = forms.ChoiceField(label=_("服务类型"), choices=ServiceKind.choices)
    on = DateField(label=_("服务日期"), widget=DATE_WIDGET)
    training_mode = forms.ChoiceField(
        label=_("培训模式"), required=False, choices=[("", "—"), *TrainingMode.choices]
    )
    enrolled = forms.BooleanField(label=_("已参训"), required=False, initial=True)
    completed = forms.BooleanField(label=_("已结业"), required=False)
    certified = forms.BooleanField(label=_("已取证"), required=False)
    outcome = forms.ChoiceField(
        label=_("测评结果"), required=False, choices=[("", "—"), *SurveyOutcome.choices]
    )
    valid = forms.ChoiceField(
        label=_("有效投诉"),
        required=False,
        choices=[("", "—"), ("yes", _("有效")), ("no", _("无效"))],
    )
    policy_name = forms.CharField(label=_("政策名称"), required=False, max_length=100)
    # No min_value: a negative amount is refused by casework.checks, in its words.
    amount = forms.DecimalField(
        label=_("金额（元）"), required=False, max_digits=12, decimal_places=2
    )
    note = forms.CharField(
        label=_("备注"), required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(
        self, *args: Any, person: Person, today: date | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.person = person
        self.today = today

    def service_kwargs(self) -> dict[str, Any]:
        """The cleaned data as ``service_record_create`` keywords for the chosen kind."""
        data = self.cleaned_data
        kind = data["kind"]
        kwargs: dict[str, Any] = {"kind": kind, "on": data["on"], "note": data["note"]}
        if kind == ServiceKind.TRAINING:
            kwargs.update(
                training_mode=data["training_mode"],
                enrolled=data["enrolled"],
                completed=data["completed"],
                certified=data["certified"],
            )
        if kind == ServiceKind.SURVEY:
            kwargs["outcome"] = data["outcome"]
        if kind == ServiceKind.COMPLAINT:
            kwargs["valid"] = {"yes": True, "no": False}.get(data["valid"])
        if kind == ServiceKind.POLICY:
            kwargs.update(policy_name=data["policy_name"], amount=data["amount"])
        return kwargs

    def clean(self) -> dict[str, Any] | None:
        data = super().clean()
        if self.errors or not {"kind", "on"} <= self.cleaned_data.keys():
            return data
        details = self.service_kwargs()
        kind, on = details.pop("kind"), details.pop("on")
        details.pop("note")
        if kind == ServiceKind.TRAINING:
            details["enrolled"] = bool(details["enrolled"])
        amount = details.pop("amount", None)
        self.add_problems(
            [
                *checks.detail_problems(
                    kind=kind,
                    amount_given=amount is not None,
                    amount_negative=amount is not None and amount < 0,
                    **details,
                ),
                *checks.date_problems(
                    on=on,
                    birth_date=self.person.birth_date,
                    today=self.today or timezone.localdate(),
                ),
            ],
            # A complaint's outcome is the form's "valid" field.
            {"outcome": "valid"} if kind == ServiceKind.COMPLAINT else {},
        )
        return data


class ProfileForm(BootstrapForm):
    family_situation = forms.CharField(label=_("家庭状况"), required=False, max_length=300)
    training_need = forms.CharField(label=_("培训要求"), required=False, max_length=300)
    destination = forms.CharField(label=_("就业去向"), required=False, max_length=300)
    policies = forms.CharField(
        label=_("政策享受"),
        required=False,
        max_length=300,
        help_text=_("有政策落实记录即视为已填；未享受任何政策时请填写“未享受”。"),
    )
    social_insurance = forms.CharField(label=_("社会保险关系"), required=False, max_length=300)


class AssistanceOpenForm(BootstrapForm):
    on = DateField(label=_("申请日期"), widget=DATE_WIDGET)
    accepts_any_post = forms.BooleanField(label=_("不挑不拣（接受任何合适岗位）"), required=False)
    note = forms.CharField(label=_("备注"), required=False, max_length=500)


class AssistanceStepForm(BootstrapForm):
    on = DateField(label=_("日期"), widget=DATE_WIDGET)
    accepts_any_post = forms.ChoiceField(
        label=_("不挑不拣"),
        required=False,
        choices=[("", _("不变")), ("yes", _("是")), ("no", _("否"))],
    )
    employer = forms.CharField(label=_("上岗单位或岗位"), required=False, max_length=200)
    status = forms.ChoiceField(
        label=_("同时登记就业状态"), required=False, choices=[("", "—"), *EMPLOYED_CHOICES]
    )
    note = forms.CharField(label=_("备注"), required=False, max_length=500)

    def __init__(self, *args: Any, step: AssistanceStepKind, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if step not in (AssistanceStepKind.VERIFICATION, AssistanceStepKind.COMMITMENT):
            del self.fields["accepts_any_post"]
        if step != AssistanceStepKind.PLACEMENT:
            del self.fields["employer"]
            del self.fields["status"]


class StatusForm(BootstrapForm):
    """Any status of ``registry.models.Status`` from a date, 登记失业 (``registered``) with its
    cause, checked by ``registry.checks.status_problems`` as the importer checks a row (not
    before birth, an employed status not before the 16th birthday, only an unemployed status
    registered: DOMAIN §3). The cause is not refused when blank (the importer takes a row
    without it); it is a ten-clears field, so the page warns that the record is incomplete."""

    status = forms.ChoiceField(label=_("就业状态"), choices=Status.choices)
    since = DateField(label=_("起始日期"), widget=DATE_WIDGET)
    registered = forms.BooleanField(
        label=_("登记失业"), required=False, help_text=_("只有失业状态可以登记失业。")
    )
    employer = forms.CharField(label=_("单位或去向"), required=False, max_length=200)
    cause = forms.CharField(
        label=_("失业原因"),
        required=False,
        max_length=200,
        help_text=_("失业时填写（十清之一）。"),
    )

    def __init__(self, *args: Any, person: Person, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.person = person

    def clean_since(self) -> Any:
        since = self.cleaned_data["since"]
        if since > timezone.localdate():
            raise forms.ValidationError(_("起始日期不能晚于今天"))
        return since

    def clean(self) -> dict[str, Any] | None:
        data = super().clean()
        if not self.errors and {"status", "since"} <= self.cleaned_data.keys():
            self.add_problems(
                registry_checks.status_problems(
                    status=self.cleaned_data["status"],
                    since=self.cleaned_data["since"],
                    registered=self.cleaned_data["registered"],
                    birth_date=self.person.birth_date,
                    work_from=self.person.work_from,
                )
            )
        return data


class WithdrawForm(BootstrapForm):
    """Why a wrong record is withdrawn (kept in the audit row with the record's content)."""

    reason = forms.CharField(
        label=_("撤销原因"),
        max_length=200,
        widget=forms.Textarea(attrs={"rows": 2, "autofocus": True}),
    )
