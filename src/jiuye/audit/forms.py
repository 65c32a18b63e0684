"""The audit log's filter form."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from jiuye.lib.dates import DateField


class AuditFilterForm(forms.Form):
    date_from = DateField(
        label=_("起始日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = DateField(
        label=_("截止日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    actor = forms.CharField(label=_("操作人"), required=False, max_length=150)
    action = forms.CharField(label=_("操作"), required=False, max_length=60)
    result = forms.CharField(label=_("结果"), required=False, max_length=20)
    # Who looked at this person (issue 11, finding 10): their id in the registry, as in the
    # address of their page (/persons/<id>/) or the object id of an entry about them.
    person = forms.IntegerField(
        label=_("人员编号"),
        required=False,
        min_value=1,
        max_value=2**63 - 1,
        help_text=_("人员页面地址中的编号（/persons/编号/），列出查看或修改过该人员的全部记录"),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            raise forms.ValidationError(_("起始日期不能晚于截止日期。"))
        return data
