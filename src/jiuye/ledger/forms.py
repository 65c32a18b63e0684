"""Forms of the ledger pages (upload and export); the services do the real checking."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jiuye.lib.dates import DateField

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_("台账工作簿"),
        help_text=_("Excel 工作簿（.xlsx），或按工作表命名的 CSV 文件（如 人员.csv）"),
        widget=forms.ClearableFileInput(attrs={"class": "form-control", "accept": ".xlsx,.csv"}),
    )


class ExportForm(forms.Form):
    unit = forms.ChoiceField(label=_("单位"), widget=forms.Select(attrs={"class": "form-select"}))
    on = DateField(label=_("截至日期"), widget=DATE_WIDGET)
    start = DateField(
        label=_("服务台账起始日期"),
        required=False,
        widget=DATE_WIDGET,
        help_text=_("空为当年1月1日"),
    )
    reveal = forms.BooleanField(
        label=_("导出完整身份证号码和电话（将记入审计日志）"),
        required=False,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )
    reason = forms.CharField(
        label=_("原因"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"class": "form-control"}),
    )

    def __init__(
        self, *args: Any, units: list[tuple[str, str]], may_reveal: bool, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        unit_field = self.fields["unit"]
        assert isinstance(unit_field, forms.ChoiceField)
        unit_field.choices = units
        self.fields["on"].initial = timezone.localdate()
        for name in ("on", "start"):
            self.fields[name].widget.attrs.setdefault("class", "form-control")
        if not may_reveal:
            del self.fields["reveal"]
            del self.fields["reason"]
