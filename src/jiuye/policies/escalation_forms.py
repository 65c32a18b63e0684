"""The escalation pages' forms (托底): what a user may type is read here (a wrong value is a
form error on its field); what it means is the services' (``policies.escalation_services``),
whose refusals the views put above the form."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from jiuye.casework.forms import DATE_WIDGET, BootstrapForm
from jiuye.jobs.models import Posting
from jiuye.lib.dates import DateField
from jiuye.policies.escalation import ASSISTANCE_STEPS
from jiuye.policies.escalation_services import NOTE_MAX
from jiuye.policies.models import EscalationStepKind


def _note(label: Any = None, *, required: bool = False) -> forms.CharField:
    return forms.CharField(
        label=label or _("说明"),
        max_length=NOTE_MAX,
        required=required,
        widget=forms.Textarea({"rows": 2}),
    )


class OpenForm(BootstrapForm):
    on = DateField(label=_("移交日期"), widget=DATE_WIDGET)
    note = _note()


class StepForm(BootstrapForm):
    kind = forms.ChoiceField(
        label=_("援助环节"),
        choices=[(k, EscalationStepKind(k).label) for k in ASSISTANCE_STEPS],
    )
    on = DateField(label=_("日期"), widget=DATE_WIDGET)
    note = _note()


def _posting_label(p: Posting) -> str:
    return (
        f"{p.number} {p.title}（{p.employer.name}，{p.unit.name}，"
        f"{p.vacancies - p.filled}/{p.vacancies}）"
    )


class OfferForm(BootstrapForm):
    posting = forms.ModelChoiceField(
        label=_("公益性岗位"), queryset=Posting.objects.none(), empty_label=None
    )
    on = DateField(label=_("推荐日期"), widget=DATE_WIDGET)
    note = _note()

    def __init__(self, *args: Any, postings: QuerySet[Posting], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["posting"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = postings
        field.label_from_instance = _posting_label  # type: ignore[assignment, method-assign]


class PlacedForm(BootstrapForm):
    on = DateField(label=_("上岗日期"), widget=DATE_WIDGET)
    note = _note()


class CloseForm(BootstrapForm):
    on = DateField(label=_("结案日期"), widget=DATE_WIDGET)
    note = _note(_("结案原因"), required=True)
