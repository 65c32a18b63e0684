"""Forms of the account pages (the password forms are Django's, with our validators)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from jiuye.accounts.reveal import MIN_REASON


class OTPTokenForm(forms.Form):
    token = forms.CharField(
        label=_("动态验证码"),
        min_length=6,
        max_length=8,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )

    def clean_token(self) -> str:
        token = self.cleaned_data["token"].replace(" ", "")
        if not token.isdigit():
            raise forms.ValidationError(_("验证码应为数字。"))
        return token


class RevealForm(forms.Form):
    """The reason asked before a full ID or phone number is shown (see accounts.reveal)."""

    field = forms.ChoiceField(
        label=_("项目"), choices=[("id_number", _("公民身份号码")), ("phone", _("联系电话"))]
    )
    reason = forms.CharField(label=_("查看原因"), min_length=MIN_REASON, max_length=200)
