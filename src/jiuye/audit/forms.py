"""The audit log's filter form."""

from __future__ import annotations

from typing import Any

from django import forms
from django.apps import apps
from django.utils.translation import gettext_lazy as _

from jiuye.audit.actions import action_choices
from jiuye.lib.dates import DateField


class AuditFilterForm(forms.Form):
    date_from = DateField(
        label=_("起始日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = DateField(
        label=_("截止日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    actor = forms.CharField(
        label=_("操作人"),
        required=False,
        max_length=150,
        help_text=_("用户名或姓名"),
    )
    # A select of the labelled actions; any other text is still taken as a code prefix
    # ("person" finds person.reveal, person.update, …).
    action = forms.CharField(label=_("操作"), required=False, max_length=60, widget=forms.Select)
    unit = forms.CharField(
        label=_("单位代码"),
        required=False,
        max_length=20,
        help_text=_("该单位及其下级单位的记录"),
    )
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

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [("", _("全部")), *action_choices()]
        typed = str(self.data.get("action", "") or "").strip()[:60] if self.is_bound else ""
        if typed and typed not in {code for code, _label in choices}:
            choices.append((typed, typed))  # a code prefix typed in the address: kept
        self.fields["action"].widget.choices = choices

    def clean_unit(self) -> str:
        """The unit's path (its entries and those of the units below it), from its code."""
        code = (self.cleaned_data.get("unit") or "").strip()
        if not code:
            return ""
        unit = apps.get_model("units", "Unit")
        path = unit.objects.filter(code=code).values_list("path", flat=True).first()
        if path is None:
            raise forms.ValidationError(_("没有代码为 %(code)s 的单位。"), params={"code": code})
        return str(path)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            raise forms.ValidationError(_("起始日期不能晚于截止日期。"))
        return data
